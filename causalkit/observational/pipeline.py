"""The observational analysis: graph -> identification -> estimates -> diagnostics -> refutation.

:func:`analyze_spec` is the registered analysis of ``kind: observational``: what
``causalkit.analyze(spec, data=df)`` and ``causalkit run`` call. It reads the data
the entry resolved (a frame, a file, a query, or simulated data), returns a
:class:`~causalkit.report.Report`, and never changes the caller's data.

Example:
    >>> import causalkit
    >>> from causalkit.simulate.scm import simulate_scm
    >>> sim = simulate_scm(seed=1, n=2000)
    >>> rep = causalkit.analyze({"name": "demo", "kind": "observational",
    ...     "graph": sim.truth["graph"], "treatment": "treatment", "outcome": "outcome",
    ...     "refuters": [], "implications": False}, data=sim.tables["main"], seed=1)
    >>> [e.label for e in rep.estimates]  # doctest: +NORMALIZE_WHITESPACE
    ['outcome: treatment=1 - treatment=0 (aipw)', 'outcome: treatment=1 - treatment=0 (ipw)',
     'outcome: treatment=1 - treatment=0 (regression)']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from causalkit.data import Source, get_engine, pick_source
from causalkit.errors import DataError
from causalkit.observational import estimators as est
from causalkit.observational.datachecks import (
    INTERCEPT,
    constant_outcome,
    require_arm_rank,
    require_full_rank,
    treatment_coding,
)
from causalkit.observational.diagnostics import balance, balance_status, overlap
from causalkit.observational.graph import CausalGraph, build_graph
from causalkit.observational.identify import Identification, Strategy, identify
from causalkit.observational.learners import (
    Array,
    add_intercept,
    check_finite,
    check_range,
    design_matrix,
    is_binary,
    term_columns,
)
from causalkit.report.model import Check, Estimate, Experiment, Figure, Meta, Report, Status, Table
from causalkit.spec.common import Role
from causalkit.spec.observational import (
    EstimatorName,
    Learner,
    ObservationalSpec,
    OutcomeModel,
    RefuterName,
)
from causalkit.spec.targeting import columns as rule_columns

if TYPE_CHECKING:
    from causalkit.registry import RunContext
    from causalkit.spec.loader import LoadedSpec

N_UNIT = "rows"
"""What ``Estimate.n`` counts in an observational report."""


@dataclass
class _Parts:
    estimates: list[Estimate] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def analyze_spec(loaded: LoadedSpec, ctx: RunContext) -> Report:
    """The registered analysis of ``kind: observational`` (what ``causalkit.analyze`` calls).

    Reads ``ctx.sources["data"]["main"]`` (resolved by the entry: a frame passed in,
    a ``--data`` file, simulated data), else the spec's own ``data:`` file, query or
    table. The seed of cross-fitting folds and refuter simulations is ``ctx.seed``,
    else the spec's ``analysis.seed``, else 0. BLAS runs single-threaded inside:
    the matrices are tall and thin, so extra BLAS threads gain little and, on a
    busy machine, oversubscription costs several times over.

    Raises:
        IdentificationError: for a malformed graph or an effect it cannot identify.
        DataError: for missing data, a missing column, a non-numeric or constant
            treatment, a two-valued treatment not coded 0/1, NaN, infinite or extreme
            values, collinear covariates (overall or within an arm), naming the columns
            (:mod:`causalkit.observational.datachecks`). A constant outcome is not an
            error: the report has a ``fail`` check ``outcome_variance`` and no estimate.

    Example:
        >>> import pandas as pd
        >>> from causalkit.registry import RunContext
        >>> from causalkit.spec.loader import LoadedSpec
        >>> rng = np.random.default_rng(0); z = rng.normal(size=1000)
        >>> t = (rng.random(1000) < 1 / (1 + np.exp(-z))).astype(int)
        >>> df = pd.DataFrame({"z": z, "t": t, "y": 2.0 * t + z + rng.normal(size=1000)})
        >>> spec = ObservationalSpec(name="x", kind="observational",
        ...     graph="digraph { z -> t -> y; z -> y }", treatment="t", outcome="y",
        ...     refuters=[], implications=False)
        >>> ctx = RunContext(sources={"data": {"main": Source.from_frame(df)}}, seed=0)
        >>> rep = analyze_spec(LoadedSpec(spec, None, "abc", {}), ctx)
        >>> rep.experiment.spec_sha256, rep.meta.extra["adjustment_set"]
        ('abc', 'z')
        >>> [(e.method, round(e.estimate, 1), e.n + e.n_reference) for e in rep.estimates]
        [('aipw', 2.0, 1000), ('ipw', 2.0, 1000), ('regression', 2.0, 1000)]
        >>> list(df.columns)  # the frame is left as it was
        ['z', 't', 'y']
    """
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    spec: ObservationalSpec = loaded.spec
    source = pick_source(ctx.sources, spec.data, "data", "main")
    with threadpool_limits(limits=1, user_api="blas"):
        return _run_analysis(spec, source, seed=ctx.seed, sha=loaded.sha256)


def _seed(spec: ObservationalSpec, seed: int | None) -> int:
    if seed is not None:
        return seed
    if spec.analysis.seed is not None:
        return spec.analysis.seed
    return 0


def _needed_columns(ident: Identification) -> list[str]:
    cols = [ident.treatment, ident.outcome]
    if ident.strategy is Strategy.BACKDOOR:
        cols += list(ident.adjustment_set or ())
    elif ident.strategy is Strategy.FRONTDOOR:
        cols += list(ident.frontdoor_set or ())
    elif ident.strategy is Strategy.IV:
        cols += list(ident.instruments) + list(ident.instrument_covariates)
    return cols


def _float(values: Any, name: str, source: str) -> Array:
    arr = np.asarray(values)
    if arr.dtype.kind not in "biuf":
        raise DataError(f"holds {arr.dtype} values, not numbers", column=name, source=source,
                        hint="the treatment and the outcome must be numeric (0/1 for a "
                             "binary treatment)")
    out = arr.astype(np.float64)
    bad = int(np.sum(np.isnan(out)))
    if bad:
        raise DataError(f"{bad} missing or NaN value(s)", column=name, source=source,
                        hint="fill or drop them before the analysis")
    check_finite(out, name, source)
    check_range(out, name, source)
    return out


def _run_analysis(spec: ObservationalSpec, source: Source, *, seed: int | None = None,
                  sha: str | None = None) -> Report:
    """The pipeline on any :class:`~causalkit.data.Source`.

    Example:
        >>> import pandas as pd
        >>> spec = ObservationalSpec(name="x", kind="observational", graph="digraph { t -> y }",
        ...     treatment="t", outcome="y")
        >>> _run_analysis(spec, Source.from_frame(pd.DataFrame({"t": [0, 1]}), name="d.csv"))
        Traceback (most recent call last):
        ...
        causalkit.errors.DataError: d.csv: column 'y': the graph's observed node has no data column (...)
    """
    seed_ = _seed(spec, seed)
    alpha = spec.analysis.alpha
    g = build_graph(spec.graph, spec.latent)
    g.validate(spec.treatment, spec.outcome)
    engine = get_engine(source)
    schema = engine.schema(source)
    name = source.describe()
    g.check_columns(schema, name)
    targeted: Check | None = None
    if spec.targeting is not None and spec.targeting.rule is not None:
        source, targeted = _target(spec, g, source)
    adjustment: str | Sequence[str] = (
        spec.adjustment if isinstance(spec.adjustment, list) else spec.adjustment.value)
    att = spec.estimand.value == "att"
    ident = identify(g, spec.treatment, spec.outcome, adjustment=adjustment, att=att)
    extra_cols = [c for c in spec.effect_modifiers if c not in _needed_columns(ident)]
    cols = list(dict.fromkeys(_needed_columns(ident) + extra_cols))
    arrays = engine.arrays(source, cols)
    t = _float(arrays[spec.treatment], spec.treatment, name)
    y = _float(arrays[spec.outcome], spec.outcome, name)
    if len(t) < 4:
        raise DataError(f"only {len(t)} row(s); the analysis needs more", source=name)
    binary_t = treatment_coding(t, spec.treatment, name)
    parts = _Parts()
    if targeted is not None:
        parts.checks.append(targeted)
    parts.checks.append(Check("identification", Status.PASS,
                              f"{ident.strategy.value}: {ident.formula} — {ident.explanation}"))
    parts.tables.append(_sets_table(ident))
    if spec.implications:
        from causalkit.observational.implications import implication_checks

        implication_checks(g, source, spec, parts.checks, parts.tables)
    flat = constant_outcome(y, spec.outcome)
    if flat is not None:
        parts.checks.append(flat)
    elif ident.strategy in (Strategy.BACKDOOR, Strategy.FRONTDOOR, Strategy.IV):
        try:
            _estimate(spec, ident, arrays, t, y, binary_t, seed_, alpha, parts, name)
        except DataError as exc:  # an estimator's own message: say which data it is about
            if exc.source is not None:
                raise
            raise DataError(exc.message, column=exc.column, source=name, hint=exc.hint) from None
        except np.linalg.LinAlgError as exc:  # the checks above should leave none; never a traceback
            raise DataError(
                f"the models could not be fitted ({exc})", source=name,
                hint="some covariates may be (nearly) collinear, within one arm or overall, or "
                     "the arms may not overlap; drop or combine covariates") from None
    else:
        parts.checks.append(Check(
            "estimation", Status.WARN,
            "the effect is identifiable only through the ID algorithm's formula; causalkit "
            "estimates backdoor, front-door and IV estimands, so no estimate is reported"))
    if spec.cross_check:
        from causalkit.observational.crosscheck import cross_check

        crossed = cross_check(spec, g, ident, lambda c: engine.arrays(source, c),
                              parts.estimates)
        parts.checks.extend(crossed.checks)
        if crossed.table is not None:
            parts.tables.append(crossed.table)
    try:
        from causalkit.observational.plots import draw_graph

        highlight = (ident.adjustment_set or ident.frontdoor_set or ident.instruments or ())
        label = ("adjustment set" if ident.strategy is Strategy.BACKDOOR else
                 "front-door set" if ident.strategy is Strategy.FRONTDOOR else "instrument")
        parts.figures.insert(0, Figure("causal_graph", "Causal diagram",
                                       draw_graph(g, spec.treatment, spec.outcome, highlight,
                                                  highlight_label=label)))
    except ImportError:  # pragma: no cover - matplotlib is a core dependency
        pass
    truth = {k: v for k, v in source.truth.items() if isinstance(v, int | float | str | bool)}
    meta_extra: dict[str, Any] = {"strategy": ident.strategy.value,
                                  "estimand": ident.formula,
                                  "adjustment_set": ", ".join(ident.adjustment_set or ())}
    meta_extra.update({f"truth_{k}": v for k, v in truth.items()})
    return Report(
        experiment=Experiment(name=spec.name, kind="observational", spec_sha256=sha,
                              data_fingerprint=source.fingerprint(), hypothesis=spec.hypothesis),
        estimates=tuple(parts.estimates), checks=tuple(parts.checks),
        meta=Meta(seed=seed_, alpha=alpha, extra=meta_extra),
        tables=tuple(with_priority(t) for t in parts.tables), figures=tuple(parts.figures),
        findings=findings(spec, ident, parts.estimates, parts.extra),
    )


def _target(spec: ObservationalSpec, g: CausalGraph, source: Source) -> tuple[Source, Check]:
    """The targeted rows of the data (a filtered relation) and the ``targeting`` check.

    A rule column that the graph draws downstream of the treatment is refused:
    selecting rows on a consequence of the treatment biases the effect.
    """
    from causalkit.data.targeting import filter_source
    from causalkit.errors import SpecError

    assert spec.targeting is not None
    rule = spec.targeting.tree
    assert rule is not None
    post = sorted(rule_columns(rule) & g.descendants(spec.treatment))
    if post:
        raise SpecError(f"the rule reads {post[0]!r}, which the graph draws downstream of "
                        f"{spec.treatment!r}: selecting rows on a consequence of the treatment "
                        "biases the effect", field="targeting",
                        hint="target on pre-treatment columns (country, platform, cohort)")
    filtered, kept, total = filter_source(source, rule)
    excluded = total - kept
    return filtered, Check(
        "targeting", Status.PASS,
        f"the rule {spec.targeting.rule} leaves out {excluded:,} of {total:,} rows; the "
        f"estimates are for the targeted population ({kept:,} rows), not for all the data",
        value=float(excluded))


def _braces(names: Sequence[str]) -> str:
    return "{" + ", ".join(names) + "}"


def _identified_by(ident: Identification) -> str:
    """How the effect is identified, in a few words."""
    if ident.strategy is Strategy.BACKDOOR:
        adj = ident.adjustment_set or ()
        return f"backdoor adjustment on {_braces(adj)}" if adj else \
            "no adjustment needed: no backdoor path"
    if ident.strategy is Strategy.FRONTDOOR:
        return f"front-door adjustment through {_braces(ident.frontdoor_set or ())}"
    if ident.strategy is Strategy.IV:
        covs = ident.instrument_covariates
        return (f"instrumental variables {_braces(ident.instruments)}"
                + (f" given {_braces(covs)}" if covs else ""))
    return f"{ident.strategy.value} identification"


def _sensitivity_words(extra: dict[str, Any]) -> str:
    """What an unmeasured confounder would need to explain the effect away."""
    rv, rv_alpha = extra.get("rv"), extra.get("rv_alpha")
    if rv is not None and np.isfinite(rv):
        text = (f"an unmeasured confounder would need partial R² ≥ {rv:.3g} with both the "
                "treatment and the outcome to explain it away")
        if rv_alpha is not None and np.isfinite(rv_alpha):
            text += (f" (≥ {rv_alpha:.3g} to make it insignificant)" if rv_alpha > 0 else
                     " (it is not significant even without one)")
        return text
    ev = extra.get("e_value")
    if ev is not None and np.isfinite(ev):
        return (f"an unmeasured confounder would need a risk ratio ≥ {ev:.2f} with both the "
                "treatment and the outcome to explain it away (E-value)")
    return "no sensitivity analysis ran (add sensitivity to refuters:)"


def findings(spec: ObservationalSpec, ident: Identification, estimates: Sequence[Estimate],
             extra: dict[str, Any]) -> tuple[str, ...]:
    """The answer in one sentence: the effect, its identification and its sensitivity.

    ``extra`` holds the sensitivity numbers of the run (``rv``, ``rv_alpha``,
    ``e_value``); without them the sentence says that no sensitivity analysis ran.

    Example:
        >>> from causalkit.observational.graph import build_graph
        >>> spec = ObservationalSpec(name="x", kind="observational",
        ...     graph="digraph { z -> t -> y; z -> y }", treatment="t", outcome="y")
        >>> ident = identify(build_graph(spec.graph), "t", "y")
        >>> e = Estimate(metric="y", arm="t=1", reference="t=0", method="aipw", estimate=3.4,
        ...              ci_low=2.1, ci_high=4.7, role="primary")
        >>> findings(spec, ident, [e], {"rv": 0.12, "rv_alpha": 0.08})[0]  # doctest: +ELLIPSIS
        'Estimated ATE of t on y: 3.4 [2.1, 4.7] (aipw; backdoor adjustment on {z}; an unmeasured confounder would need partial R² ≥ 0.12 with both ... to explain it away (≥ 0.08 to make it insignificant))'
    """
    main = next((e for e in estimates if e.role is Role.PRIMARY), None)
    if main is None:
        if ident.strategy in (Strategy.BACKDOOR, Strategy.FRONTDOOR, Strategy.IV):
            return ()
        return (f"The effect of {spec.treatment} on {spec.outcome} is identifiable only "
                f"through the ID algorithm's formula; causalkit reports no estimate of it",)
    binary = main.arm.endswith("=1")
    what = spec.estimand.value.upper() if binary else "effect per unit"
    if ident.strategy is Strategy.IV:
        what = "effect (IV: among compliers, if effects vary)" if binary else what
    if main.ci_low is None or main.ci_high is None:
        value = f"{main.estimate:.4g}"
    else:
        half = (main.ci_high - main.ci_low) / 2
        places = min(max(1 - math.floor(math.log10(half)), 0), 8) if half > 0 else 4
        value = (f"{main.estimate:.{places}f} [{main.ci_low:.{places}f}, "
                 f"{main.ci_high:.{places}f}]")
    return (f"Estimated {what} of {spec.treatment} on {spec.outcome}: {value} "
            f"({main.method}; {_identified_by(ident)}; "
            f"{_sensitivity_words(extra)})",)


TABLE_PRIORITY: dict[str, dict[str, int]] = {
    "identification": {"item": 0, "value": 0},
    "overlap": {"arm": 0, "rows": 1, "effective_sample_size": 0, "weights": 2},
    "balance": {"covariate": 0, "mean_treated": 2, "mean_control": 2, "smd_before": 1,
                "smd_after": 0},
    "refutation": {"refuter": 0, "simulations": 2, "reference": 2, "mean": 1, "sd": 1,
                   "p_value": 0, "status": 0},
    "dowhy_cross_check": {"estimator": 0, "dowhy_method": 2, "causalkit_estimate": 0,
                         "dowhy_estimate": 0, "difference": 1, "difference_se": 1,
                         "identified_set": 3, "seconds": 3},
    "heterogeneity": {"modifier": 0, "coefficient": 0, "importance": 0, "ci_low": 1,
                      "ci_high": 1},
}
"""Column priorities of the observational tables (0 = always shown; higher is hidden first
on a narrow terminal); a column not named here gets 1."""


def with_priority(table: Table) -> Table:
    """``table`` with its column priorities (:data:`TABLE_PRIORITY`) unless it has its own.

    Example:
        >>> with_priority(Table("overlap", "ESS", ("arm", "rows", "weights"), ())).priority
        (0, 1, 2)
    """
    if table.priority:
        return table
    known = TABLE_PRIORITY.get(table.name, {})
    return replace(table, priority=tuple(known.get(c, 1) for c in table.columns))


def _estimate(spec: ObservationalSpec, ident: Identification, arrays: dict[str, Any], t: Array,
              y: Array, binary_t: bool, seed: int, alpha: float, parts: _Parts,
              name: str) -> None:
    """The estimates of the identified strategy (backdoor, front-door or IV)."""
    terms = {k: v.value for k, v in spec.terms.items()}
    if ident.strategy is Strategy.BACKDOOR:
        _backdoor(spec, ident, arrays, t, y, binary_t, seed, alpha, parts, name)
    elif ident.strategy is Strategy.FRONTDOOR:
        fd = list(ident.frontdoor_set or ())
        m = np.column_stack([_float(arrays[c], c, name) for c in fd])
        require_full_rank(add_intercept(np.column_stack([t, m])),
                          [INTERCEPT, spec.treatment, *fd],
                          what="the front-door models (treatment and mediators)", source=name,
                          hint="a mediator that does not vary, or that copies the treatment or "
                               "another mediator, carries no front-door information: check it")
        _add(parts, spec, est.frontdoor_linear(t, y, m, alpha=alpha), ident, primary=True,
             binary=binary_t)
    else:
        instruments = list(ident.instruments)
        z = np.column_stack([_float(arrays[c], c, name) for c in instruments])
        cov = design_matrix({c: arrays[c] for c in ident.instrument_covariates}, terms,
                            source=name, rows=len(t))
        require_full_rank(add_intercept(np.column_stack([z, cov.matrix])),
                          [INTERCEPT, *instruments, *cov.names],
                          what="the first stage (instruments and covariates)", source=name,
                          hint="an instrument that does not vary, or that a covariate copies, "
                               "identifies nothing: check the columns")
        require_full_rank(add_intercept(np.column_stack([t, cov.matrix])),
                          [INTERCEPT, spec.treatment, *cov.names],
                          what="the second stage (treatment and covariates)", source=name,
                          hint="a covariate that copies the treatment leaves no variation for "
                               "the instrument to move: check the columns")
        res = est.two_stage_least_squares(t, y, z, cov.matrix, alpha=alpha)
        _add(parts, spec, res, ident, primary=True, binary=binary_t)
        f_stat = float(res.extra["first_stage_f"])
        parts.checks.append(Check(
            "weak_instrument", Status.PASS if f_stat >= 10 else Status.WARN,
            f"first-stage F = {f_stat:.1f} (rule of thumb: below 10 the instrument is weak and "
            f"2SLS is biased toward OLS)", value=f_stat))


def _sets_table(ident: Identification) -> Table:
    def fmt(v: Sequence[str] | None) -> str:
        return "—" if v is None else ("{" + ", ".join(v) + "}")

    rows: list[tuple[str, str]] = [("strategy", ident.strategy.value),
                                   ("estimand", ident.formula),
                                   ("explanation", ident.explanation)]
    if ident.strategy is Strategy.BACKDOOR:
        rows += [("adjustment set used", fmt(ident.adjustment_set)),
                 ("minimal backdoor set", fmt(ident.minimal_set)),
                 ("optimal set O(T,Y)", fmt(ident.optimal_set))]
    if ident.frontdoor_set:
        rows.append(("front-door set", fmt(ident.frontdoor_set)))
    if ident.instruments:
        rows.append(("instruments", fmt(ident.instruments)))
        rows.append(("instrument covariates", fmt(ident.instrument_covariates)))
    if ident.id_result is not None:
        rows.append(("ID algorithm", ident.id_result.explain()))
    return Table("identification", "Identification", ("item", "value"), tuple(rows))


def contrast_arms(treatment: str, binary: bool) -> tuple[str, str]:
    """The ``arm`` and ``reference`` of an effect of ``treatment``.

    A 0/1 treatment compares ``treatment=1`` with ``treatment=0``; a continuous one
    gives the effect of one more unit, ``treatment+1`` against ``treatment``.

    Example:
        >>> contrast_arms("promo", True), contrast_arms("dose", False)
        (('promo=1', 'promo=0'), ('dose+1', 'dose'))
    """
    if binary:
        return f"{treatment}=1", f"{treatment}=0"
    return f"{treatment}+1", treatment


def _add(parts: _Parts, spec: ObservationalSpec, res: est.EffectResult,
         ident: Identification, *, primary: bool, binary: bool) -> None:
    """One estimate in the report: a 0/1 treatment counts treated and control rows.

    Without a positive, finite standard error the row has no interval and no p-value.
    """
    arm, reference = contrast_arms(spec.treatment, binary)
    if binary:
        n, n_reference = res.n_treated, res.n_control
    else:
        n, n_reference = res.n_treated + res.n_control, None
    extra: dict[str, Any] = {"estimand": res.target, "strategy": ident.strategy.value}
    extra.update(res.extra)
    if ident.adjustment_set is not None:
        extra["adjustment_set"] = ", ".join(ident.adjustment_set)
    if not np.isfinite(res.estimate):
        raise DataError(f"the {res.method} estimate is not a finite number",
                        hint="check the columns for extreme values")
    inference = bool(np.isfinite(res.se) and res.se > 0)  # else no interval and no p-value
    parts.estimates.append(Estimate(
        metric=spec.outcome, arm=arm, reference=reference, method=res.method,
        estimate=res.estimate, ci_low=res.ci_low if inference else None,
        ci_high=res.ci_high if inference else None,
        p_value=res.p_value if inference else None,
        n=n, n_reference=n_reference, n_unit=N_UNIT, level=res.mean_treated,
        level_reference=res.mean_control, role=Role.PRIMARY if primary else Role.SECONDARY,
        direction=None, se=res.se if inference else None, alpha=res.alpha, extra=extra))


def _backdoor(spec: ObservationalSpec, ident: Identification, arrays: dict[str, Any],
              t: Array, y: Array, binary_t: bool, seed: int, alpha: float, parts: _Parts,
              name: str) -> None:
    adj = ident.adjustment_set or ()
    design = design_matrix({c: arrays[c] for c in adj},
                           {k: v.value for k, v in spec.terms.items()}, source=name, rows=len(t))
    x = design.matrix
    d = add_intercept(x)
    d_names = [INTERCEPT, *design.names]
    require_full_rank(d, d_names, what="the adjustment set", source=name)
    per_arm = spec.outcome_interactions is None and EstimatorName.REGRESSION in spec.estimators
    if binary_t and (per_arm or EstimatorName.AIPW in spec.estimators):
        require_arm_rank(d, t, d_names, treatment=spec.treatment, source=name)
    target: est.Target = "att" if spec.estimand.value == "att" else "ate"
    logistic = None if spec.outcome_model is OutcomeModel.AUTO else \
        spec.outcome_model is OutcomeModel.LOGISTIC
    if logistic and not is_binary(y):
        raise DataError("outcome_model: logistic needs a 0/1 outcome", column=spec.outcome,
                        source=name)
    first = True
    results: dict[str, est.EffectResult] = {}
    for e_name in spec.estimators:
        if e_name in (EstimatorName.REGRESSION, EstimatorName.IPW, EstimatorName.AIPW) \
                and not binary_t:
            if e_name is EstimatorName.REGRESSION or e_name is spec.estimators[0]:
                res = est.plm(t, y, x, folds=spec.folds, seed=seed,
                              learner=spec.outcome_learner.value, alpha=alpha)
                if "plm" not in results:
                    results["plm"] = res
                    _add(parts, spec, res, ident, primary=first, binary=False)
                    first = False
            parts.checks.append(Check(
                f"estimator_{e_name.value}", Status.WARN,
                f"{e_name.value} needs a 0/1 treatment; {spec.treatment} is continuous, so the "
                f"partially linear model (plm) estimates the effect per unit instead"))
            continue
        res_opt: est.EffectResult | None
        if e_name is EstimatorName.REGRESSION:
            inter = None
            if spec.outcome_interactions is not None:
                inter = _interaction_columns(spec.outcome_interactions, design.names, adj)
            res_opt = est.regression_adjustment(t, y, x, target=target, logistic=logistic,
                                                interactions=inter, alpha=alpha)
        elif e_name is EstimatorName.IPW:
            res_opt = est.ipw(t, y, x, target=target, trim=spec.trim, alpha=alpha)
        elif e_name is EstimatorName.AIPW:
            res_opt = est.aipw(t, y, x, target=target, folds=spec.folds, seed=seed,
                               trim=spec.trim, alpha=alpha,
                               propensity_learner=spec.propensity_learner.value,
                               outcome_learner=spec.outcome_learner.value)
        elif e_name is EstimatorName.PLM:
            res_opt = est.plm(t, y, x, folds=spec.folds, seed=seed,
                              learner=spec.outcome_learner.value, alpha=alpha)
        else:
            from causalkit.observational.econml_backend import econml_estimate

            mods = list(spec.effect_modifiers) or list(adj)
            xm = design_matrix({c: arrays[c] for c in mods}, source=name) if mods else None
            res_opt, table = econml_estimate(
                e_name.value, t, y, x, xm.matrix if xm is not None else None,
                xm.names if xm is not None else (), target=target, folds=spec.folds,
                seed=seed, alpha=alpha, gradient_boosting=(
                    spec.outcome_learner is Learner.GRADIENT_BOOSTING))
            if table is not None:
                parts.tables.append(table)
        if res_opt is None:
            continue
        if res_opt.method in results:
            continue
        results[res_opt.method] = res_opt
        _add(parts, spec, res_opt, ident, primary=first, binary=binary_t)
        first = False
    if binary_t:
        _diagnostics(spec, t, y, x, design.names, target, alpha, seed, results, parts)


def _interaction_columns(wanted: Sequence[str], names: Sequence[str],
                         adj: Sequence[str]) -> list[int]:
    out = []
    for w in wanted:
        if w not in adj:
            raise DataError(f"outcome_interactions names {w!r}, which is not in the adjustment set",
                            hint=f"the adjustment set is {{{', '.join(adj)}}}")
        out += term_columns(names, w)
    return out


def _diagnostics(spec: ObservationalSpec, t: Array, y: Array, x: Array, names: tuple[str, ...],
                 target: est.Target, alpha: float, seed: int,
                 results: dict[str, est.EffectResult], parts: _Parts) -> None:
    from causalkit.observational.plots import contour_plot, overlap_plot
    from causalkit.observational.sensitivity import e_value, omitted_variable

    e, _, _ = est.propensity(t, x)
    ov = overlap(t, e, target=target)
    parts.checks.append(Check("overlap", ov.status, ov.detail, value=ov.ess_ratio))
    weights = ("1", "e/(1-e)") if target == "att" else ("1/e", "1/(1-e)")
    parts.tables.append(Table(
        "overlap", f"Effective sample size of the {target.upper()} weights",
        ("arm", "rows", "effective_sample_size", "weights"),
        (("treated", ov.n_treated, ov.ess_treated, weights[0]),
         ("control", ov.n_control, ov.ess_control, weights[1]))))
    parts.figures.append(Figure("overlap", "Propensity score overlap", overlap_plot(t, e)))
    ecl = np.clip(e, 1e-12, 1 - 1e-12)
    rows = balance(t, x, names, ecl, target=target)
    status, detail = balance_status(rows, weights=target.upper())
    parts.checks.append(Check("covariate_balance", status, detail,
                              value=max((abs(r.smd_after) for r in rows), default=0.0)))
    parts.tables.append(Table(
        "balance", f"Covariate balance (standardized mean differences, {target.upper()} weights)",
        ("covariate", "mean_treated", "mean_control", "smd_before", "smd_after"),
        tuple((r.covariate, r.mean_treated, r.mean_control, r.smd_before, r.smd_after)
              for r in rows)))
    main = next(iter(results.values()), None)
    if main is None:
        return
    if spec.refuters:
        from causalkit.observational.refute import run_refuters

        run_refuters(spec, t, y, x, main, seed=seed, alpha=alpha, checks=parts.checks,
                     tables=parts.tables)
    wants = set(spec.refuters)
    if RefuterName.SENSITIVITY in wants or RefuterName.E_VALUE in wants:
        baseline = None
        if is_binary(y):  # the risk under control: the estimator's, else the raw control mean
            baseline = main.mean_control
            if baseline is None or not np.isfinite(baseline):
                baseline = float(y[t == 0].mean())
        ev = e_value(main.estimate, main.ci_low, main.ci_high,
                     outcome_sd=float(y.std()), baseline=baseline)
        parts.extra["e_value"] = ev.e_value
        parts.checks.append(Check(
            "e_value", Status.PASS if ev.e_value_ci > 1 else Status.WARN,
            f"E-value {ev.e_value:.2f} (confidence limit {ev.e_value_ci:.2f}): an unmeasured "
            f"confounder associated with both {spec.treatment} and {spec.outcome} by a risk "
            f"ratio of {ev.e_value:.2f} each, beyond the adjustment set, could explain the "
            f"estimate away; one of {ev.e_value_ci:.2f} could move the interval to include "
            f"zero ({ev.scale}; VanderWeele & Ding 2017)", value=ev.e_value))
    if RefuterName.SENSITIVITY in wants:
        omv = omitted_variable(t, y, x, names, alpha=alpha)
        parts.extra["rv"], parts.extra["rv_alpha"] = omv.rv, omv.rv_alpha
        strongest = max((b[1] * b[2] for b in omv.benchmarks), default=0.0)
        status = Status.PASS if omv.rv_alpha > 0 else Status.WARN
        bench = "; ".join(f"{b[0]}: R²dz={b[1]:.3f}, R²yz={b[2]:.3f}" for b in omv.benchmarks)
        parts.checks.append(Check(
            "robustness_value", status,
            f"RV = {omv.rv:.3f}: a confounder explaining {omv.rv:.1%} of the residual variance "
            f"of both {spec.treatment} and {spec.outcome} would bring the OLS estimate "
            f"({omv.estimate:.4g}) to zero; RV_α = {omv.rv_alpha:.3f} would make it "
            f"insignificant at α = {alpha} (Cinelli & Hazlett 2020). Benchmarks — {bench or 'none'}"
            + (f"; the strongest benchmark product R²dz·R²yz is {strongest:.3g}" if bench else ""),
            value=omv.rv))
        parts.figures.append(Figure(
            "sensitivity_contour", "Sensitivity contours (Cinelli & Hazlett)",
            contour_plot(omv.estimate, omv.se, omv.dof, benchmarks=omv.benchmarks, alpha=alpha,
                         rv=omv.rv)))
