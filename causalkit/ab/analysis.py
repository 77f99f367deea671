"""The ``kind: ab`` analysis: one scan, checks, estimates, tables and figures in a Report.

Steps: scan the data once for per-arm sufficient statistics of the columns and
products the metrics' kinds declare (:mod:`causalkit.ab.scan`,
:mod:`causalkit.metrics`); check the data (duplicated units, unknown, empty or
tiny arms, values other than 0 and 1 in metrics of binary kinds such as
proportions, extreme values, single-unit influence and float64 resolution, missing
exposure times: :mod:`causalkit.ab.quality`) and the sample ratio (``fail``, not
tested, when the data's arms do not match the spec's); compare every metric in
every treatment arm with control (:mod:`causalkit.ab.metrics`); test, correct
and build estimates (:mod:`causalkit.ab.inference`); set the decision intervals
and the decision basis (:func:`causalkit.report.intervals.finish`); add an arm
table, a level table, a forest plot and, when the data carry
``timestamp_column``, the confidence sequence over time.

From Python, analyse a DataFrame through the one door, :func:`causalkit.analyze`
(the spec needs no ``data:`` then); it adds the decision the gate would take.

Example:
    >>> import causalkit
    >>> from causalkit.simulate.ab import simulate_ab
    >>> df = simulate_ab(seed=3, n=4000, effects={"treatment": {"chat_minutes": 1.0}}).tables["main"]
    >>> rep = causalkit.analyze({"name": "demo", "kind": "ab", "unit": "user_id",
    ...     "metrics": [{"name": "chat_minutes", "type": "mean", "column": "chat_minutes",
    ...                  "covariate": "pre_chat_minutes", "role": "primary",
    ...                  "direction": "increase"}]}, data=df)
    >>> e = rep.estimates[0]
    >>> e.method, e.ci_low < 1.0 < e.ci_high, e.contrast, rep.checks[0].name
    ('welch+cuped', True, 'treatment - control', 'sample_ratio_mismatch')
    >>> e.interval_kind.value, rep.decision_basis.sequential.value
    ('always_valid', 'none')
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from causalkit.ab.assignment import HOLDOUT
from causalkit.ab.complier import complier_needs, complier_results
from causalkit.ab.inference import estimates as build_estimates
from causalkit.ab.metrics import Contrast, contrast, needs
from causalkit.ab.quality import (
    ArmMatch,
    arm_checks,
    exposure_check,
    labels_text,
    match_arms,
    resolution_check,
    value_checks,
)
from causalkit.ab.scan import Scan, duplicate_details, require_binary, scan
from causalkit.ab.segments import segment_analysis
from causalkit.ab.timeline import Timeline, timelines
from causalkit.data import Source, get_engine, pick_source, quote_ident, quote_literal
from causalkit.data.targeting import check_types, where_source, where_sql
from causalkit.errors import SpecError
from causalkit.report import Check, Estimate, Experiment, Figure, Meta, Report, Status, Table
from causalkit.report.assessment import contrast_text
from causalkit.report.basis import PriorLook, decision_basis
from causalkit.report.intervals import finish
from causalkit.spec.common import Metric, Role, Sequential
from causalkit.spec.segments import Segments
from causalkit.spec.targeting import INELIGIBLE, NOT_ENROLLED
from causalkit.stats.srm import srm_test

if TYPE_CHECKING:
    from collections.abc import Sequence

    from causalkit.registry import RunContext
    from causalkit.spec.ab import ABSpec
    from causalkit.spec.loader import LoadedSpec

SRM_FAIL = 0.001
SRM_WARN = 0.01
N_UNIT = "units"
"""What ``n`` and ``n_reference`` of an A/B estimate count."""
SEQUENTIAL_NONE_NOTE = (
    "the spec says sequential: none; the decision uses always-valid (msprt) intervals "
    "because a gate re-reads growing data; set analysis.sequential to msprt (or gst with "
    "--state) to make this explicit")


def analyze(loaded: LoadedSpec, ctx: RunContext) -> Report:
    """The registered analysis of ``kind: ab`` (:func:`causalkit.analyze`, the CLI, the gate).

    Reads the data the entry resolved (``ctx.sources["data"]["main"]``), else the
    spec's ``data:`` file, query or table.

    Example:
        >>> from causalkit.registry import analyzer
        >>> analyzer("ab") is analyze
        True
    """
    spec: ABSpec = loaded.spec
    source = pick_source(ctx.sources, spec.data, "data", "main")
    return analyze_source(spec, source, spec_sha256=loaded.sha256, seed=ctx.seed, now=ctx.now,
                          history=ctx.history, segments=ctx.options.get("segments"))


def analyze_source(spec: ABSpec, source: Source, *, spec_sha256: str | None = None,
                   seed: int | None = None, figures: bool = True, now: datetime | None = None,
                   history: Sequence[PriorLook] | None = None,
                   segments: Any = None) -> Report:
    """Analyse an A/B spec on a given source (the engine behind :func:`analyze`).

    Prefer :func:`causalkit.analyze` (``causalkit.analyze(spec, data=df)``); this
    helper takes an already wrapped :class:`~causalkit.data.Source` and can skip
    the figures.

    Args:
        spec: the validated spec (its ``data:`` is not read).
        source: the data (``Source.from_frame(df)`` for a DataFrame; never mutated).
        spec_sha256: the spec file's hash for the report.
        seed: recorded in the report's meta.
        figures: draw the forest and confidence-sequence plots.
        now: the analysis time (None: the wall clock, never before the last exposure).
        history: the gate's earlier looks (None when unknown).
        segments: overrides the spec's ``segments:`` (a list of columns keeps the
            spec's other segment settings; ``[]`` turns the breakdown off; None: the
            spec's). ``causalkit.analyze(..., options={"segments": [...]})`` passes it.

    Raises:
        DataError: for missing or non-numeric columns, NaN metric values, missing
            unit ids, proportion columns with values other than 0 and 1, a segment
            column with too many values.
        SpecError: for a targeting rule that does not fit the data's columns (naming
            the column) or bad ``segments`` settings.
        GateError: when a decision interval cannot be built (``sequential: gst``
            without a planned sample or horizon).

    Example:
        >>> import pandas as pd
        >>> from causalkit.spec.ab import ABSpec
        >>> df = pd.DataFrame({"user_id": range(6), "variant": ["control", "treatment"] * 3,
        ...                    "y": [1.0, 2.0, 2.0, 3.0, 3.0, 5.0]})
        >>> spec = ABSpec(name="t", kind="ab", unit="user_id",
        ...               metrics=[{"name": "y", "type": "mean", "column": "y", "role": "primary"}])
        >>> rep = analyze_source(spec, Source.from_frame(df), figures=False)
        >>> e = rep.estimates[0]
        >>> round(e.estimate, 6), (e.n, e.n_reference), rep.checks[0].status.value
        (1.333333, (3, 3), 'pass')
    """
    need = complier_needs(needs(spec.metrics), spec.metrics)
    ts = spec.timestamp_column
    seg = segment_settings(spec, segments)
    data, targeting = source, list[Check]()
    if spec.targeting is not None and spec.targeting.rule is not None:
        data, targeting = apply_targeting(spec, source)
    sc = scan(data, unit=spec.unit, variant=spec.variant_column, columns=need.columns,
              pairs=need.pairs, binary=need.binary, derived=need.derived, timestamp=ts,
              by_day=ts is not None, check_duplicates=spec.check_duplicates,
              segments=seg.by if seg is not None else ())
    require_binary(sc.nonbinary, source)
    counts = _label_counts(sc)
    holdout = HOLDOUT if spec.assignment.holdout > 0 else None
    match = match_arms(list(spec.variants), counts, holdout_label=holdout)
    checks = [_srm_check(spec, sc, match), *targeting,
              *_data_checks(spec, sc, data, counts, holdout)]
    values, problems = value_checks(spec.metrics, sc.arms, sc.ranges,
                                    order=list(spec.variants), overflow=sc.overflow)
    checks += values
    control = spec.control
    arms = [a for a in spec.variants if a != control]
    usable = [a for a in arms if sc.arms.get(a) is not None and sc.arms[a].n >= 2]
    contrasts: list[Contrast] = []
    if sc.arms.get(control) is not None and sc.arms[control].n >= 2:
        for metric in spec.metrics:
            for arm in usable:
                contrasts.append(_contrast(metric, sc, control, arm, problems))
    checks += _problem_checks(contrasts, control)
    checks += _resolution_checks(contrasts)
    cx = complier_results(spec.metrics, sc.arms, sc.ranges, control=control,  # received:
                          treatments=usable if contrasts else [], problems=problems,
                          alpha=spec.analysis.alpha, n_unit=N_UNIT)
    checks += cx.checks
    horizon = spec.decision.horizon_sample_per_arm
    with np.errstate(all="ignore"):  # a metric with extreme values is marked, not computed
        ests = build_estimates(contrasts, spec.analysis, control=control,
                               horizon_per_arm=horizon, n_unit=N_UNIT)
    lines: list[Timeline] = []
    if sc.by_day and contrasts:
        primary = [m for m in spec.metrics if m.role is Role.PRIMARY and m.name not in problems]
        if primary:
            with np.errstate(all="ignore"):  # other columns of the moments may overflow
                lines = timelines(sc.by_day, primary, control=control, arms=usable,
                                  analysis=spec.analysis, horizon_per_arm=horizon)
    per_arm = [sc.arms[a].n if a in sc.arms else 0 for a in spec.variants]
    basis = decision_basis(
        spec.decision, spec.analysis, min_n_per_arm=min(per_arm), n_unit=N_UNIT,
        start=spec.start,
        planned_horizon=spec.end - spec.start if spec.start and spec.end else None,
        first_exposure=sc.first_exposure, last_exposure=sc.last_exposure, now=now)
    if spec.analysis.sequential is Sequential.NONE:
        basis = replace(basis, notes=(*basis.notes, SEQUENTIAL_NONE_NOTE))
    ests, basis = finish(ests, checks, basis, history=history)
    overall = list(ests)
    ests = [*ests, *cx.estimates]  # first stage and CACE: secondary, never deciding
    seg_tables: tuple[Table, ...] = ()
    if seg is not None and contrasts:
        with np.errstate(all="ignore"):
            found = segment_analysis(
                spec.metrics, sc.cells, seg.by, control=control, arms=usable,
                weights=[spec.variants[a] for a in (control, *usable)],
                alpha=spec.analysis.alpha, correction=seg.correction, min_size=seg.min_size,
                post_stratify=seg.post_stratify, n_unit=N_UNIT,
                pooled={(e.metric, e.arm): e for e in overall})
        ests += found.estimates
        checks += found.checks
        seg_tables = found.tables
    extra: dict[str, str | int | float | bool | None] = {
        "correction": spec.analysis.correction.value,
        "sequential": spec.analysis.sequential.value,
    }
    if seg is not None:
        extra["segments"] = ", ".join(seg.by)
        extra["segment_correction"] = seg.correction
    return Report(
        experiment=Experiment(name=spec.name, kind="ab", spec_sha256=spec_sha256,
                              data_fingerprint=source.fingerprint(), hypothesis=spec.hypothesis),
        estimates=tuple(ests),
        checks=tuple(checks),
        meta=Meta(seed=seed, alpha=spec.analysis.alpha, extra=extra),
        tables=(_arm_table(spec, sc), _level_table(contrasts, control), *_timeline_tables(lines),
                *cx.tables, *seg_tables),
        figures=tuple(_figures(ests, lines, control)) if figures else (),
        decision_basis=basis,
    )


def segment_settings(spec: ABSpec, override: Any = None) -> Segments | None:
    """The segment settings of a run: the spec's, or the override (``analyze(..., segments=)``).

    A list (or one column name) replaces the spec's ``by`` and keeps its other settings;
    a mapping or :class:`~causalkit.spec.segments.Segments` replaces them all; an
    empty list turns the breakdown off.

    Raises:
        SpecError: for settings that do not validate, or a segment column that is the
            arm or unit column.

    Example:
        >>> from causalkit.spec.ab import ABSpec
        >>> spec = ABSpec(name="t", kind="ab", unit="u", segments={"by": ["country"],
        ...               "correction": "holm"},
        ...               metrics=[{"name": "y", "type": "mean", "column": "y", "role": "primary"}])
        >>> s = segment_settings(spec, ["platform"])
        >>> s.by, s.correction, segment_settings(spec, [])
        (('platform',), 'holm', None)
    """
    from pydantic import ValidationError

    base = spec.segments
    if override is None:
        return base
    if isinstance(override, list | tuple) and not override:
        return None
    try:
        if isinstance(override, Segments):
            seg = override
        elif isinstance(override, str | list | tuple):
            cols = [override] if isinstance(override, str) else list(override)
            seg = Segments.model_validate({**(base.model_dump() if base else {}), "by": cols})
        else:
            seg = Segments.model_validate(override)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise SpecError(f"segments: {first['msg']}", field="segments",
                        hint="give a list of unit attribute columns, e.g. "
                             "segments=['country']") from None
    clash = [c for c in seg.by if c in (spec.variant_column, spec.unit)]
    if clash:
        raise SpecError(f"segment column {clash[0]!r} is the arm or unit id column",
                        field="segments", hint="segments are unit attributes such as "
                        "country or platform")
    return seg


def apply_targeting(spec: ABSpec, source: Source) -> tuple[Source, list[Check]]:
    """The eligible rows of the data, and the ``targeting`` and ``targeting_leak`` checks.

    The spec's rule is compiled to SQL (:func:`causalkit.data.targeting.where_sql`) and
    applied by the engine: the analysis reads a filtered relation over the data (DuckDB
    or Spark), so the estimates use eligible units only (the experiment's population is
    the eligible one). Rows marked ``ineligible`` or ``not_enrolled`` by ``causalkit
    assign`` are left out too. One light query (the rule's columns and the arm column,
    grouped) counts what is left out; an ineligible unit that carries one of the spec's
    arms is a targeting leak: a ``fail`` check (the gate says invalid).

    Raises:
        TargetingError: (a ``SpecError``) naming a rule column the data lack or whose
            values do not fit the rule's.

    Example:
        >>> import pandas as pd
        >>> from causalkit.spec.ab import ABSpec
        >>> spec = ABSpec(name="t", kind="ab", unit="u", targeting='country == "KR"',
        ...               metrics=[{"name": "y", "type": "mean", "column": "y", "role": "primary"}])
        >>> df = pd.DataFrame({"u": [1, 2, 3], "variant": ["control", "treatment", "control"],
        ...                    "country": ["KR", "KR", "JP"], "y": [1.0, 2.0, 3.0]})
        >>> src, checks = apply_targeting(spec, Source.from_frame(df))
        >>> [(c.name, c.status.value, c.value) for c in checks]
        [('targeting', 'pass', 1.0), ('targeting_leak', 'fail', 1.0)]
    """
    assert spec.targeting is not None
    assert spec.targeting.rule is not None
    rule = spec.targeting.tree
    assert rule is not None
    engine = get_engine(source)
    kinds = engine.schema(source)
    check_types(rule, {c: k.value.upper() for c, k in kinds.items()},
                source=f"the data ({source.describe()})")
    if spec.variant_column not in kinds:
        engine.require_columns(source, present=[spec.variant_column])
    cond = where_sql(rule)
    arm = f"CAST({quote_ident(spec.variant_column)} AS STRING)"
    markers = f"{quote_literal(INELIGIBLE)}, {quote_literal(NOT_ENROLLED)}"
    rows = engine.query(source, f"SELECT {arm} AS a, CASE WHEN {cond} THEN 1 ELSE 0 END AS e, "
                                f"COUNT(*) AS n FROM src GROUP BY 1, 2").to_pylist()
    total = sum(int(r["n"]) for r in rows)
    out = [r for r in rows if not r["e"]]
    marked = sum(int(r["n"]) for r in rows if r["e"] and r["a"] in (INELIGIBLE, NOT_ENROLLED))
    leaks = {str(r["a"]): int(r["n"]) for r in out if r["a"] in spec.variants}
    excluded = sum(int(r["n"]) for r in out)
    keep = f"{cond} AND ({arm} IS NULL OR {arm} NOT IN ({markers}))"
    filtered = where_source(source, keep, fingerprint_seed=source.fingerprint())
    rollout = (f"; rollout shares by {spec.targeting.rollout.by} are applied by causalkit "
               "assign (its not_enrolled rows are left out)"
               if spec.targeting.rollout is not None else "")
    also = f", and {marked:,} eligible row(s) marked {INELIGIBLE} or {NOT_ENROLLED}" \
        if marked else ""
    checks = [Check(
        "targeting", Status.PASS,
        f"the rule {spec.targeting.rule} leaves out {excluded:,} of {total:,} rows"
        f"{also}; the estimates use the eligible units only (the experiment's population "
        f"is the eligible one){rollout}", value=float(excluded))]
    n_leak = sum(leaks.values())
    if n_leak:
        arms = ", ".join(f"{a} {n:,}" for a, n in leaks.items())
        checks.append(Check(
            "targeting_leak", Status.FAIL,
            f"{n_leak:,} unit(s) carry an arm ({arms}) but the targeting rule makes them "
            "ineligible: assignment or exposure ignored the rule, or the rule changed after "
            "assignment; they are left out of the estimates, and no effect is trusted until "
            "the leak is explained", value=float(n_leak)))
    else:
        checks.append(Check("targeting_leak", Status.PASS,
                            "no ineligible unit carries an arm", value=0.0))
    return filtered, checks


def _label_counts(sc: Scan) -> dict[str | None, int]:
    """Units per arm label in the data (``None``: rows without a label)."""
    counts: dict[str | None, int] = {k: m.n for k, m in sc.arms.items()}
    if sc.missing_variant:
        counts[None] = sc.missing_variant
    return counts


def _srm_check(spec: ABSpec, sc: Scan, match: ArmMatch) -> Check:
    counts = [sc.arms[a].n if a in sc.arms else 0 for a in spec.variants]
    shares = ", ".join(f"{a} {n:,}" for a, n in zip(spec.variants, counts))
    if match.mismatched:
        other = f"; other labels: {labels_text(match.unknown)}" if match.unknown else ""
        return Check("sample_ratio_mismatch", Status.FAIL,
                     f"not tested: the arms in the data do not match the spec's ({shares}"
                     f"{other}); see data_unknown_variants and data_empty_arm")
    r = srm_test(counts, list(spec.variants.values()))
    status = Status.FAIL if not r.p_value >= SRM_FAIL else (
        Status.WARN if r.p_value < SRM_WARN else Status.PASS)
    return Check("sample_ratio_mismatch", status,
                 f"chi-square {r.statistic:.3g} (df {r.df}), p = {r.p_value:.3g}; {shares}",
                 value=r.p_value)


def _data_checks(spec: ABSpec, sc: Scan, source: Source, counts: dict[str | None, int],
                 holdout: str | None) -> list[Check]:
    out: list[Check] = []
    if sc.duplicate_rows > 0:
        cross, within, examples = duplicate_details(source, unit=spec.unit,
                                                    variant=spec.variant_column)
        out.append(Check(
            "data_duplicate_units", Status.FAIL,
            f"{sc.rows - sc.units:,} extra row(s) for repeated ids in {spec.unit!r}: "
            f"{cross:,} unit(s) in two or more arms, {within:,} repeated within an arm "
            f"(e.g. {', '.join(examples)}); keep one row per unit with its first arm",
            value=float(sc.duplicate_rows)))
    out += arm_checks(list(spec.variants), counts, variant_column=spec.variant_column,
                      holdout_label=holdout)
    for arm in spec.variants:
        if (sc.arms[arm].n if arm in sc.arms else 0) == 1:
            out.append(Check("data_small_arm", Status.FAIL,
                             f"arm {arm!r} has a single unit: no variance can be estimated"))
    if spec.timestamp_column is not None:
        missing = exposure_check(sc.missing_timestamps, sc.rows, spec.timestamp_column)
        if missing is not None:
            out.append(missing)
    return out


def _contrast(metric: Metric, sc: Scan, control: str, arm: str,
              problems: dict[str, str]) -> Contrast:
    """The metric's contrast, marked with a data problem found by the value checks."""
    with np.errstate(all="ignore"):
        k = contrast(metric, sc.arms[control], sc.arms[arm], arm)
    problem = problems.get(metric.name)
    return replace(k, problem=problem) if problem is not None else k


def _resolution_checks(contrasts: list[Contrast]) -> list[Check]:
    out = []
    for k in contrasts:
        if k.problem is None:
            found = resolution_check(k.metric.name, k.arm, k.treatment.mean, k.control.mean,
                                     float(np.sqrt(k.se2)))
            if found is not None:
                out.append(found)
    return out


def _problem_checks(contrasts: list[Contrast], control: str) -> list[Check]:
    text = {"zero_variance": "has zero variance in both arms (a constant metric)",
            "zero_denominator": "has a zero denominator mean in an arm"}
    out = []
    for k in contrasts:
        if k.problem is not None and k.problem != "extreme_values":
            out.append(Check(f"data_{k.problem}", Status.FAIL,
                             f"metric {k.metric.name!r} "
                             f"{text.get(k.problem, 'has a data problem')} ({k.arm} vs {control})",
                             metric=k.metric.name))
    return out


def _arm_table(spec: ABSpec, sc: Scan) -> Table:
    total_w = sum(spec.variants.values())
    total_n = sum(sc.arms[a].n if a in sc.arms else 0 for a in spec.variants) or 1
    rows = tuple(
        (a, sc.arms[a].n if a in sc.arms else 0, round(w / total_w, 6),
         round((sc.arms[a].n if a in sc.arms else 0) / total_n, 6))
        for a, w in spec.variants.items())
    return Table("arms", "Units per arm", ("arm", "units", "planned share", "observed share"), rows,
                 priority=(0, 0, 1, 1))


def _level_table(contrasts: list[Contrast], control: str) -> Table:
    """Each metric's level in each arm (the arms as the spec names them); an ``adjusted
    level`` column, and CUPED in the title, only when CUPED ran on some metric."""
    cuped = any(k.theta is not None for k in contrasts)
    rows: list[tuple[str | int | float | None, ...]] = []
    seen: set[tuple[str, str]] = set()
    for k in contrasts:
        for arm, lv in ((control, k.control), (k.arm, k.treatment)):
            if (k.metric.name, arm) in seen:
                continue
            seen.add((k.metric.name, arm))
            adjusted = (lv.mean if k.theta is not None else None,) if cuped else ()
            rows.append((k.metric.name, arm, lv.n, lv.raw, *adjusted, lv.var ** 0.5))
    if cuped:
        return Table("levels", "Metric levels per arm (adjusted level: CUPED, for metrics "
                               "with a covariate)",
                     ("metric", "arm", "units", "level", "adjusted level", "sd per unit"),
                     tuple(rows), priority=(0, 0, 1, 0, 0, 2))
    return Table("levels", "Metric levels per arm", ("metric", "arm", "units", "level",
                                                     "sd per unit"),
                 tuple(rows), priority=(0, 0, 1, 0, 2))


def _timeline_tables(lines: list[Timeline]) -> tuple[Table, ...]:
    if not lines:
        return ()
    rows = tuple((t.metric, t.arm, str(d), float(e), float(lo), float(hi), float(p))
                 for t in lines
                 for d, e, lo, hi, p in zip(t.days, t.estimate, t.ci_low, t.ci_high, t.p_value))
    return (Table("confidence_sequence", "Daily looks: always-valid confidence sequence",
                  ("metric", "arm", "day", "estimate", "cs low", "cs high", "always-valid p"),
                  rows, priority=(0, 1, 0, 0, 1, 1, 2)),)


def _figures(ests: list[Estimate], lines: list[Timeline], control: str) -> list[Figure]:
    from causalkit.report.plots import confidence_sequence_plot, forest_plot
    from causalkit.report.svg import figure_to_svg

    out = []
    main = [e for e in ests if e.segment is None]
    if any(e.finite for e in main):
        out.append(Figure("forest", "Effects with intervals",
                          figure_to_svg(forest_plot(main))))
    for metric in dict.fromkeys(e.metric for e in ests if e.segment is not None):
        rows = [e for e in ests if e.metric == metric and e.segment is None] + [e for e in ests if e.metric == metric and e.segment is not None]
        if any(e.finite for e in rows if e.segment is not None):
            title = f"{metric} by segment (family-corrected intervals)"
            fig = forest_plot(rows, scale="absolute", title=title)
            out.append(Figure(f"segments_{metric}", title, figure_to_svg(fig)))
    for t in lines:
        title = f"{t.metric} ({contrast_text(t.arm, control)}): confidence sequence by day"
        fig = confidence_sequence_plot(list(t.days), t.estimate, t.ci_low, t.ci_high, title)
        out.append(Figure(f"cs_{t.metric}_{t.arm}", title, figure_to_svg(fig)))
    return out
