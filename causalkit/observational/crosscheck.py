"""Cross-check the backdoor estimates against DoWhy (``cross_check: [dowhy]``, the ``causal`` extra).

DoWhy gets a *copy* of the data (every observed node; DoWhy writes a
``propensity_score`` column and weight columns into the frame it is given) and
the same graph: latent nodes included, each bidirected edge as its explicit
latent parent ``U(a,b)``. Every node is renamed ``n0, n1, ...`` on the way in,
so no user column can collide with DoWhy's scratch columns (DoWhy would take an
existing ``propensity_score`` column as the score, or overwrite a ``d_y``
outcome). DoWhy identifies the effect with its default backdoor search; the set
it returns is checked against the backdoor criterion by d-separation in
causalkit's graph. Each comparable estimate is then re-estimated by DoWhy with
causalkit's adjustment set **as causalkit's design matrix**: the columns of
:func:`~causalkit.observational.learners.design_matrix` (powers of ``quadratic`` /
``cubic`` covariates, dummies of categorical ones) join DoWhy's frame as numeric
columns and are set as its backdoor variables, so both libraries fit the same
models on the same columns; then with the matching estimator:

* ``regression``, linear outcome: ``backdoor.linear_regression`` with the
  treatment interacting with the adjustment set (one model per arm, as
  causalkit fits) or with ``outcome_interactions``;
* ``regression``, logistic outcome: ``backdoor.generalized_linear_model``
  (binomial family), the same interactions;
* ``ipw``: ``backdoor.propensity_score_weighting`` with normalized weights, an
  unpenalized logistic propensity (DoWhy's default is scikit-learn's
  L2-penalized one) and DoWhy's clipping **disabled** (its default clips the
  scores to [0.05, 0.95]); with ``trim`` DoWhy gets the rows causalkit kept;
* ``plm`` (continuous treatment): the treatment coefficient of
  ``backdoor.linear_regression``.

An estimate agrees when DoWhy's lies within ``max(2 SE, 1e-6 × |estimate|)`` of
causalkit's, SE being causalkit's standard error. Regression and IPW are
like-for-like (the same formulas on the same rows and columns: they agree to
rounding); ``plm`` is not (causalkit's is cross-fitted).

Example:
    >>> c = Comparison("ipw", "backdoor.propensity_score_weighting", 1.03, 0.04, 1.0301,
    ...                seconds=0.1)
    >>> round(c.difference, 4), round(c.difference_se, 4), c.agrees
    (0.0001, 0.0025, True)
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from time import perf_counter
from typing import TYPE_CHECKING, Any

import numpy as np

from causalkit.errors import DataError
from causalkit.observational.graph import CausalGraph
from causalkit.observational.identify import Identification, Strategy, is_backdoor_set
from causalkit.observational.learners import design_matrix, term_columns
from causalkit.report.model import Check, Estimate, Status, Table

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

    from causalkit.spec.observational import ObservationalSpec

CHECK = "dowhy_cross_check"
"""The name of the checks (one per compared estimator) and of the table."""

DOWHY_DEFAULT_CLIP = (0.05, 0.95)
"""DoWhy's default propensity clipping in ``backdoor.propensity_score_weighting`` (0.14)."""

COMPARED = ("regression", "ipw", "plm")
"""causalkit estimators with a DoWhy counterpart."""

INSTALL = "pip install -e '.[causal]' in a causalkit checkout"

_METHODS = {"regression": "backdoor.linear_regression",
            "ipw": "backdoor.propensity_score_weighting",
            "plm": "backdoor.linear_regression"}


@dataclass(frozen=True)
class Comparison:
    """One causalkit estimate beside DoWhy's (``dowhy`` is None when DoWhy gave none).

    Example:
        >>> c = Comparison("regression", "backdoor.linear_regression", 2.0, 0.1, 2.5)
        >>> round(c.difference_se, 1), c.agrees
        (5.0, False)
    """

    estimator: str
    dowhy_method: str
    causalkit: float
    se: float
    dowhy: float | None
    seconds: float = 0.0
    note: str = ""

    @property
    def difference(self) -> float:
        """DoWhy's estimate minus causalkit's (NaN without a DoWhy estimate)."""
        return float("nan") if self.dowhy is None else float(self.dowhy - self.causalkit)

    @property
    def tolerance(self) -> float:
        """``max(2 SE, 1e-6 × |causalkit's estimate|)``."""
        se = self.se if np.isfinite(self.se) else 0.0
        return max(2.0 * se, 1e-6 * abs(self.causalkit))

    @property
    def difference_se(self) -> float:
        """The difference in causalkit standard errors (NaN without an SE or an estimate)."""
        if self.dowhy is None or not np.isfinite(self.se) or self.se <= 0:
            return float("nan")
        return self.difference / self.se

    @property
    def agrees(self) -> bool:
        """Whether DoWhy's estimate lies within :attr:`tolerance` of causalkit's."""
        return self.dowhy is not None and bool(abs(self.difference) <= self.tolerance)


@dataclass(frozen=True)
class DowhyIdentification:
    """DoWhy's verdict on the graph, and whether its backdoor set is valid in ours.

    Example:
        >>> DowhyIdentification(True, ("z",), True, True, 0.01).ok
        True
    """

    identifiable: bool
    backdoor_set: tuple[str, ...] | None
    valid: bool
    same_as_ours: bool
    seconds: float

    @property
    def ok(self) -> bool:
        """Identifiable by backdoor adjustment with a set that satisfies the criterion."""
        return self.identifiable and self.valid

    def describe(self, ours: Sequence[str]) -> str:
        """The identification in words (for a check's detail).

        Example:
            >>> DowhyIdentification(True, ("z", "w"), True, False, 0.0).describe(["z"])
            'DoWhy identifies the effect by backdoor adjustment for {z, w}, which satisfies the backdoor criterion (causalkit adjusts for {z}; DoWhy estimated with that set)'
        """
        if not self.identifiable:
            return "DoWhy does not identify the effect by backdoor adjustment"
        theirs = _fmt(self.backdoor_set or ())
        verdict = "satisfies" if self.valid else "VIOLATES"
        same = "the same set as causalkit's" if self.same_as_ours else \
            f"causalkit adjusts for {_fmt(ours)}; DoWhy estimated with that set"
        return (f"DoWhy identifies the effect by backdoor adjustment for {theirs}, which "
                f"{verdict} the backdoor criterion ({same})")


@dataclass(frozen=True)
class CrossCheckResult:
    """The checks and the table of a DoWhy cross-check.

    Example:
        >>> CrossCheckResult((Check(CHECK, Status.WARN, "DoWhy is not installed"),)).table is None
        True
    """

    checks: tuple[Check, ...]
    table: Table | None = None
    comparisons: tuple[Comparison, ...] = ()
    identification: DowhyIdentification | None = None


def _fmt(nodes: Sequence[str]) -> str:
    return "{" + ", ".join(nodes) + "}"


def to_dowhy_graph(graph: CausalGraph, names: Mapping[str, str] | None = None) -> nx.DiGraph:
    """The graph as the networkx ``DiGraph`` DoWhy accepts (latent nodes ``observed="no"``).

    Bidirected edges are already explicit latent parents ``U(a,b)`` in a
    :class:`CausalGraph`; ``names`` renames nodes (the cross-check renames all of
    them so no column collides with DoWhy's scratch columns).

    Example:
        >>> from causalkit.observational.graph import build_graph
        >>> g = to_dowhy_graph(build_graph("digraph { z -> t -> y; z -> y; t <-> y }"))
        >>> sorted(g.edges), g.nodes["U(t,y)"]["observed"]
        ([('U(t,y)', 't'), ('U(t,y)', 'y'), ('t', 'y'), ('z', 't'), ('z', 'y')], 'no')
    """
    import networkx as nx

    name = dict(names or {})
    out = nx.DiGraph()
    for n in graph.nodes:
        out.add_node(name.get(n, n), observed="no" if n in graph.latent else "yes")
    out.add_edges_from((name.get(a, a), name.get(b, b)) for a, b in graph.edges)
    return out


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence DoWhy's log messages and warnings (unobserved nodes, deprecations)."""
    logger = logging.getLogger("dowhy")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _dowhy_frame(frame: pd.DataFrame, graph: CausalGraph, names: Mapping[str, str],
                 terms: Mapping[str, str]) -> pd.DataFrame:
    """A renamed deep copy with categorical columns as pandas categories (DoWhy one-hot codes them)."""
    import pandas as pd

    missing = [n for n in graph.observed if n not in frame.columns]
    if missing:
        raise DataError("the graph's observed node has no data column", column=missing[0],
                        hint="give DoWhy the same table as the analysis")
    data = pd.DataFrame({names[c]: frame[c].to_numpy(copy=True) for c in graph.observed},
                        index=pd.RangeIndex(len(frame)))
    for c in graph.observed:
        col = data[names[c]]
        if terms.get(c) == "categorical" or col.dtype.kind not in "biuf":
            data[names[c]] = col.astype(str).astype("category")
    return data


def _identify(model: Any, graph: CausalGraph, treatment: str, outcome: str,
              adjustment: Sequence[str], back: Mapping[str, str]) -> tuple[Any, DowhyIdentification]:
    start = perf_counter()
    estimand = model.identify_effect()
    identifiable = estimand.estimands.get("backdoor") is not None
    theirs: tuple[str, ...] | None = None
    valid = False
    if identifiable:
        chosen = {back[v] for v in estimand.backdoor_variables.get("backdoor") or ()}
        theirs = tuple(n for n in graph.nodes if n in chosen)  # DoWhy's order is hash-dependent
        valid = is_backdoor_set(graph, treatment, outcome, theirs)
    same = theirs is not None and set(theirs) == set(adjustment)
    return estimand, DowhyIdentification(identifiable, theirs, valid, same,
                                         perf_counter() - start)


def design_columns(names: Sequence[str]) -> tuple[str, ...]:
    """The names of causalkit's design columns in DoWhy's frame (``x0, x1, ...``).

    Nodes are renamed ``n0, n1, ...``, so these cannot collide with them.

    Example:
        >>> design_columns(("age", "age^2", "edu=b"))
        ('x0', 'x1', 'x2')
    """
    return tuple(f"x{j}" for j in range(len(names)))


def _regression(model: Any, estimand: Any, est: Estimate, data: pd.DataFrame, t: str,
                modifiers: Sequence[str], modifier_columns: Sequence[str],
                target: str) -> tuple[str, float, str]:
    logistic = est.extra.get("outcome_model") == "logistic"
    params: dict[str, Any] = {"need_conditional_estimates": False}
    method = "backdoor.linear_regression"
    if logistic:
        import statsmodels.api as sm

        method = "backdoor.generalized_linear_model"
        params["glm_family"] = sm.families.Binomial()
    res = model.estimate_effect(estimand, method_name=method,
                                effect_modifiers=list(modifier_columns),
                                method_params=params, target_units="ate")
    if res.value is None:
        raise RuntimeError("DoWhy returned no estimate (no identified backdoor estimand)")
    note = "treatment interacts with " + (_fmt(modifiers) if modifiers else "nothing")
    if target == "att":
        treated = data.loc[data[t] == 1]
        value = float(res.estimator.estimate_effect(
            treated, need_conditional_estimates=False).value)
        return method, value, note + ("; DoWhy 0.14's regression ignores target_units='att', "
                                      "so its fitted model was averaged over the treated rows")
    return method, float(res.value), note


def _ipw(model_for: Callable[[pd.DataFrame], Any], estimand: Any, data: pd.DataFrame,
         x_names: list[str], t: str, design: np.ndarray, target: str,
         trim: float | None) -> tuple[str, float, str]:
    from sklearn.linear_model import LogisticRegression

    if not x_names:
        raise RuntimeError("DoWhy's propensity estimators need at least one covariate and "
                           "the adjustment set is empty")
    note = (f"clipping disabled (min_ps_score=0, max_ps_score=1; DoWhy's default clips to "
            f"[{DOWHY_DEFAULT_CLIP[0]}, {DOWHY_DEFAULT_CLIP[1]}]), unpenalized logistic "
            f"propensity, normalized weights")
    rows = data
    if trim is not None:
        from causalkit.observational.estimators import propensity

        e, _, _ = propensity(data[t].to_numpy(dtype=np.float64), design)
        keep = (e >= trim) & (e <= 1 - trim)
        rows = data.loc[keep].reset_index(drop=True)
        note += (f"; trim {trim}: DoWhy got the {int(keep.sum())} rows causalkit kept and "
                 f"refitted its propensity on them")
    model = model_for(rows)
    params = {"min_ps_score": 0.0, "max_ps_score": 1.0,
              "weighting_scheme": "ips_normalized_weight",
              "need_conditional_estimates": False,
              "propensity_score_model": LogisticRegression(
                  C=np.inf, solver="newton-cholesky", tol=1e-10, max_iter=1000)}
    method = "backdoor.propensity_score_weighting"
    res = model.estimate_effect(estimand, method_name=method, effect_modifiers=[],
                                method_params=params, target_units=target)
    if res.value is None:
        raise RuntimeError("DoWhy returned no estimate (no identified backdoor estimand)")
    return method, float(res.value), note


def _plm(model: Any, estimand: Any) -> tuple[str, float, str]:
    method = "backdoor.linear_regression"
    res = model.estimate_effect(estimand, method_name=method, effect_modifiers=[],
                                method_params={"need_conditional_estimates": False},
                                treatment_value=1, control_value=0)
    if res.value is None:
        raise RuntimeError("DoWhy returned no estimate (no identified backdoor estimand)")
    return method, float(res.value), ("the treatment coefficient of an in-sample OLS; "
                                      "causalkit's plm is cross-fitted")


def _missing_dowhy(exc: Exception) -> CrossCheckResult:
    return CrossCheckResult((Check(
        CHECK, Status.WARN,
        f"cross_check: dowhy was asked for, but DoWhy is not installed ({exc}); install the "
        f"causal extra: {INSTALL}"),))


def dowhy_cross_check(graph: CausalGraph, frame: pd.DataFrame, *, treatment: str,
                      outcome: str, adjustment: Sequence[str], estimates: Sequence[Estimate],
                      target: str = "ate", trim: float | None = None,
                      terms: Mapping[str, str] | None = None,
                      outcome_interactions: Sequence[str] | None = None) -> CrossCheckResult:
    """Re-estimate causalkit's regression / IPW / PLM estimates with DoWhy and compare.

    Args:
        graph: causalkit's parsed graph (latent nodes and bidirected edges included).
        frame: one column per observed node; copied, never modified.
        treatment: the treatment column.
        outcome: the outcome column.
        adjustment: the backdoor set causalkit used; DoWhy estimates with it.
        estimates: causalkit's estimates; those of ``regression``, ``ipw`` and ``plm``
            are compared.
        target: ``"ate"`` or ``"att"``.
        trim: causalkit's propensity trimming (None: none, and DoWhy's clipping is off).
        terms: covariate -> term (``categorical`` columns become pandas categories).
        outcome_interactions: the regression's treatment interactions (None: all of
            the adjustment set, i.e. one model per arm).

    Returns:
        One ``dowhy_cross_check`` check per compared estimate (``pass`` when DoWhy
        identifies the effect with a valid backdoor set and its estimate lies within
        ``max(2 SE, 1e-6 relative)``; ``warn`` otherwise) and a ``dowhy_cross_check``
        table. Without DoWhy: one ``warn`` check naming the ``causal`` extra.

    Example:
        >>> import causalkit
        >>> from causalkit.observational import build_graph
        >>> from causalkit.simulate.scm import simulate_scm
        >>> from causalkit.spec.observational import ObservationalSpec
        >>> sim = simulate_scm(seed=1, n=3000); df = sim.tables["main"]
        >>> spec = ObservationalSpec(name="x", kind="observational", graph=sim.truth["graph"],
        ...     treatment="treatment", outcome="outcome",
        ...     estimators=["regression", "ipw"], refuters=[], implications=False)
        >>> rep = causalkit.analyze(spec, data=df)
        >>> res = dowhy_cross_check(build_graph(spec.graph), df, treatment="treatment",
        ...     outcome="outcome", adjustment=rep.meta.extra["adjustment_set"].split(", "),
        ...     estimates=rep.estimates)  # doctest: +SKIP
        >>> [(c.estimator, c.agrees) for c in res.comparisons]  # doctest: +SKIP
        [('regression', True), ('ipw', True)]
    """
    start = perf_counter()
    try:
        import dowhy
        from dowhy import CausalModel
    except ImportError as exc:
        return _missing_dowhy(exc)
    import_s = perf_counter() - start
    version = getattr(dowhy, "__version__", "?")
    terms = dict(terms or {})
    adjustment = list(adjustment)
    names = {n: f"n{i}" for i, n in enumerate(graph.nodes)}
    back = {v: k for k, v in names.items()}
    data = _dowhy_frame(frame, graph, names, terms)
    dag = to_dowhy_graph(graph, names)
    t, y = names[treatment], names[outcome]

    def model_for(rows: pd.DataFrame) -> Any:
        return CausalModel(data=rows, treatment=t, outcome=y, graph=dag,
                           proceed_when_unidentifiable=True)

    design = design_matrix({c: frame[c].to_numpy() for c in adjustment}, terms,
                           rows=len(frame))
    columns = design_columns(design.names)
    for col, values in zip(columns, design.matrix.T, strict=True):
        data[col] = values
    x_names = list(columns)

    comparisons: list[Comparison] = []
    ident: DowhyIdentification | None = None
    failure = ""
    model_s = 0.0
    with _quiet():
        try:
            t0 = perf_counter()
            model = model_for(data)
            estimand, ident = _identify(model, graph, treatment, outcome, adjustment, back)
            model_s = perf_counter() - t0
            estimand.set_backdoor_variables(x_names, key="backdoor")
        except Exception as exc:  # a peer library must not crash the analysis
            failure = f"DoWhy failed to build the model or identify ({type(exc).__name__}: {exc})"
        for est in estimates:
            if est.method not in COMPARED:
                continue
            t1 = perf_counter()
            method = _METHODS[est.method]
            value: float | None = None
            note = ""
            if failure:
                note = failure
            elif ident is not None and not ident.identifiable:
                note = "not estimated: DoWhy does not identify the effect by backdoor adjustment"
            else:
                try:
                    if est.method == "regression":
                        modifiers = adjustment if outcome_interactions is None else \
                            list(outcome_interactions)
                        picked = sorted({j for m in modifiers
                                         for j in term_columns(design.names, m)}) \
                            if outcome_interactions is not None else list(range(len(columns)))
                        method, value, note = _regression(
                            model, estimand, est, data, t, modifiers,
                            [columns[j] for j in picked], target)
                    elif est.method == "ipw":
                        method, value, note = _ipw(model_for, estimand, data, x_names, t,
                                                   design.matrix, target, trim)
                    else:
                        method, value, note = _plm(model, estimand)
                except Exception as exc:  # report, never crash
                    note = f"DoWhy failed: {type(exc).__name__}: {exc}"
            comparisons.append(Comparison(
                est.method, method, est.estimate, est.se if est.se is not None else float("nan"),
                value, seconds=perf_counter() - t1, note=note))
    expanded = [n for n in design.names if n not in adjustment]
    if expanded:
        comparisons = [Comparison(c.estimator, c.dowhy_method, c.causalkit, c.se, c.dowhy,
                                  c.seconds, c.note + f"; DoWhy got causalkit's design matrix "
                                  f"({len(design.names)} columns, {len(expanded)} of them powers "
                                  f"or dummies)")
                       for c in comparisons]
    timing = (f"DoWhy {version}: import {import_s:.2f} s, model and identification "
              f"{model_s:.2f} s")
    return _result(comparisons, ident, adjustment, timing, failure)


def _result(comparisons: list[Comparison], ident: DowhyIdentification | None,
            adjustment: Sequence[str], timing: str, failure: str) -> CrossCheckResult:
    if not comparisons:
        detail = ("no estimate to compare: DoWhy counterparts exist for "
                  f"{', '.join(COMPARED)}; add regression or ipw to estimators")
        if failure:
            detail = f"{failure}; {detail}"
        return CrossCheckResult((Check(CHECK, Status.WARN, f"{detail} ({timing})"),),
                                identification=ident)
    ident_text = failure or (ident.describe(adjustment) if ident is not None else "")
    checks = []
    for c in comparisons:
        ok = ident is not None and ident.ok and c.agrees
        if c.dowhy is None:
            numbers = f"causalkit {c.causalkit:.6g}, DoWhy none ({c.note})"
        else:
            numbers = (f"causalkit {c.causalkit:.6g}, DoWhy {c.dowhy:.6g} ({c.dowhy_method}; "
                       f"{c.note}): difference {c.difference:.3g} = {c.difference_se:.2f} SE, "
                       f"{'within' if c.agrees else 'OUTSIDE'} the tolerance "
                       f"max(2 SE, 1e-6 relative) = {c.tolerance:.3g}")
        checks.append(Check(CHECK, Status.PASS if ok else Status.WARN,
                            f"{c.estimator}: {numbers}; {ident_text}; {timing}, this estimate "
                            f"{c.seconds:.2f} s",
                            value=None if not np.isfinite(c.difference_se) else c.difference_se))
    identified = "—" if ident is None or not ident.identifiable else \
        _fmt(ident.backdoor_set or ())
    table = Table(CHECK, "Cross-check against DoWhy",
                  ("estimator", "dowhy_method", "causalkit_estimate", "dowhy_estimate",
                   "difference", "difference_se", "identified_set", "seconds"),
                  tuple((c.estimator, c.dowhy_method, c.causalkit, c.dowhy,
                         None if c.dowhy is None else c.difference,
                         None if not np.isfinite(c.difference_se) else c.difference_se,
                         identified, round(c.seconds, 3)) for c in comparisons))
    return CrossCheckResult(tuple(checks), table, tuple(comparisons), ident)


def _column(values: Any) -> Any:
    if np.ma.isMaskedArray(values):
        if values.dtype.kind in "biuf":
            return np.ma.filled(values.astype(np.float64), np.nan)
        return np.ma.filled(values.astype(object), None)
    return values


def cross_check(spec: ObservationalSpec, graph: CausalGraph, ident: Identification,
                fetch: Callable[[list[str]], Mapping[str, Any]],
                estimates: Sequence[Estimate]) -> CrossCheckResult:
    """The pipeline's cross-checks (``spec.cross_check``); nothing when none is asked for.

    ``fetch(columns)`` returns the observed columns as arrays (the engine's
    ``arrays``); they are copied into a new frame, so the caller's data is never
    touched. Only backdoor estimates are compared.

    Example:
        >>> from causalkit.observational import build_graph, identify
        >>> from causalkit.spec.observational import ObservationalSpec
        >>> spec = ObservationalSpec(name="x", kind="observational", graph="digraph { z -> t -> y }",
        ...     treatment="t", outcome="y", cross_check=["dowhy"])
        >>> g = build_graph(spec.graph); ident = identify(g, "t", "y")
        >>> cross_check(spec.model_copy(update={"cross_check": []}), g, ident, dict, [])
        CrossCheckResult(checks=(), table=None, comparisons=(), identification=None)
    """
    from causalkit.spec.observational import CrossCheck

    if CrossCheck.DOWHY not in spec.cross_check:
        return CrossCheckResult(())
    if ident.strategy is not Strategy.BACKDOOR:
        try:
            import dowhy  # noqa: F401
        except ImportError as exc:
            return _missing_dowhy(exc)
        return CrossCheckResult((Check(
            CHECK, Status.WARN,
            f"not compared: the effect is identified by {ident.strategy.value}, and the DoWhy "
            f"cross-check covers backdoor estimates (regression, ipw, plm) only"),))
    import pandas as pd

    cols = list(graph.observed)
    arrays = fetch(cols)
    frame = pd.DataFrame({c: _column(arrays[c]) for c in cols}, copy=True)
    return dowhy_cross_check(
        graph, frame, treatment=spec.treatment, outcome=spec.outcome,
        adjustment=ident.adjustment_set or (), estimates=estimates,
        target=spec.estimand.value, trim=spec.trim,
        terms={k: v.value for k, v in spec.terms.items()},
        outcome_interactions=spec.outcome_interactions)
