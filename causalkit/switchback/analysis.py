"""The registered analysis of ``kind: switchback``: rows -> region x period -> Report.

The Report follows the report contract v2 (``docs/switchback.md``): one
estimate per metric (treatment minus control, the lag-m Hajek estimate by
default, or the Horvitz-Thompson one when the spec asks for it, on outcomes
centred by per-region pre-period constants when ``pre_data`` is there, with its
conservative fixed-horizon interval at the multiplicity-adjusted level; ``n``
and ``n_reference`` count region-periods), the other methods (the other
design-based estimator, the randomization test, and the fixed-effects regression
with cluster and HAC errors, marked model-based and uncalibrated) in ``extra``
and in the ``methods`` table, checks ``carryover``,
``schedule_balance``, ``burn_in_share`` and ``data_*``, the schedule heatmap and
the effect over time. Switch-backs are gated: the report carries its
:class:`~causalkit.report.DecisionBasis`, and the deciding (primary and
guardrail) estimates carry the interval the decision reads, always-valid or
group-sequential (:func:`causalkit.report.intervals.finish`).

Example:
    >>> from causalkit.registry import analyzer
    >>> analyzer("switchback").__qualname__
    'analyze'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from causalkit.data import Source, get_engine
from causalkit.errors import SpecError
from causalkit.metrics import kind_of
from causalkit.report import (
    Check,
    DecisionBasis,
    Estimate,
    Experiment,
    Figure,
    Meta,
    Report,
    Status,
    Table,
)
from causalkit.report.assessment import noninferiority_p
from causalkit.report.basis import PriorLook, decision_basis
from causalkit.report.intervals import finish
from causalkit.spec.common import Direction, MarginKind, Metric, Role, Sequential
from causalkit.spec.switchback import (
    Centering,
    Estimator,
    PeriodOutcome,
    Region,
    SwitchbackSpec,
)
from causalkit.stats.multiplicity import adjust_pvalues, interval_levels
from causalkit.switchback.aggregate import PeriodData, aggregate_grid, aggregate_periods
from causalkit.switchback.data import (
    arm_label_check,
    main_source,
    metric_columns,
    period_outcomes,
    pre_source,
    truth_sources,
)
from causalkit.switchback.effect import (
    LagFit,
    OutcomeResult,
    analyze_outcomes,
    df_adjusted_se,
    fit_lag,
    normal_interval,
)
from causalkit.switchback.estimators import two_sided_p
from causalkit.switchback.schedule import Schedule, design_schedule

if TYPE_CHECKING:
    from causalkit.registry import RunContext
    from causalkit.spec.loader import LoadedSpec

Scalar = str | int | float | bool | None


def schedule_of(spec: SwitchbackSpec) -> Schedule:
    """The schedule a spec defines (deterministic in ``schedule.seed``).

    With ``targeting``, the schedule is drawn over every listed region and then
    restricted to the targeted ones (:meth:`Schedule.restrict`): a targeted region's
    arms do not depend on the rule, so widening the rule moves no region already in,
    and a region left out has no arm (:meth:`Schedule.arm` gives ``None``: serve the
    default and log no exposure).

    Example:
        >>> from causalkit.spec.switchback import SwitchbackSpec
        >>> spec = SwitchbackSpec(name="x", kind="switchback", regions=["A"],
        ...     schedule={"start": "2026-01-01T00:00Z", "end": "2026-01-02T00:00Z",
        ...               "period": "1h"}, metrics=[{"name": "m", "type": "mean",
        ...     "column": "m"}], data={"simulate": "matching_market"})
        >>> schedule_of(spec).n_periods
        24
        >>> two = dict(name="x", kind="switchback", regions=["A", "B"],
        ...     schedule={"start": "2026-01-01T00:00Z", "end": "2026-01-02T00:00Z",
        ...               "period": "1h"}, metrics=[{"name": "m", "type": "mean",
        ...     "column": "m"}])
        >>> only_b = SwitchbackSpec(**two, targeting='region == "B"')
        >>> schedule_of(only_b).regions
        ('B',)
        >>> (schedule_of(only_b).arms[0] == schedule_of(SwitchbackSpec(**two)).arms[1]).all()
        np.True_
    """
    full = design_schedule(spec.schedule, spec.regions)
    if spec.targeting is None or spec.targeting.rule is None:
        return full
    return full.restrict([r.name for r in targeted_regions(spec)])


def targeted_regions(spec: SwitchbackSpec) -> list[Region]:
    """The listed regions the targeting rule makes eligible (all of them without a rule).

    The rule reads :meth:`SwitchbackSpec.region_attributes` with SQL's three-valued
    logic (:func:`causalkit.data.targeting.eligible`): a region missing an attribute the
    rule compares is not targeted.

    Raises:
        SpecError: when the rule leaves no region.

    Example:
        >>> from causalkit.spec.switchback import SwitchbackSpec
        >>> spec = SwitchbackSpec(name="x", kind="switchback", regions=["KR", "JP", "US"],
        ...     targeting='region in ["KR", "JP"]',
        ...     schedule={"start": "2026-01-01T00:00Z", "end": "2026-01-02T00:00Z",
        ...               "period": "1h"}, metrics=[{"name": "m", "type": "mean",
        ...     "column": "m"}])
        >>> [r.name for r in targeted_regions(spec)]
        ['KR', 'JP']
    """
    rule = spec.targeting.tree if spec.targeting is not None else None
    if rule is None:
        return list(spec.regions)
    from causalkit.data.targeting import eligible

    ok = eligible(rule, spec.region_attributes())
    chosen = [r for r, keep in zip(spec.regions, ok) if keep]
    if not chosen:
        raise SpecError(f"the targeting rule {spec.targeting.rule!r} leaves none of the "  # type: ignore[union-attr]
                        f"{len(spec.regions)} listed regions", field="targeting",
                        hint="check the rule against the regions' names and attributes")
    return chosen


SEQUENTIAL_NONE_NOTE = (
    "the spec says sequential: none; the decision uses always-valid (msprt) intervals "
    "because a gate re-reads growing data; set analysis.sequential to msprt (or gst with "
    "--state) to make this explicit")
"""The decision basis' note for a switch-back spec with ``analysis.sequential: none``."""

N_UNIT = "region-periods"
"""What a switch-back estimate's ``n`` and ``n_reference`` count (with several regions)."""


def n_unit(spec: SwitchbackSpec) -> str:
    """What ``n`` counts: ``periods`` with one region, else :data:`N_UNIT` (``region-periods``).

    Example:
        >>> from causalkit.spec.switchback import SwitchbackSpec
        >>> sch = {"start": "2026-01-01T00:00Z", "end": "2026-01-02T00:00Z", "period": "1h"}
        >>> m = [{"name": "x", "type": "mean", "column": "x"}]
        >>> n_unit(SwitchbackSpec(name="a", kind="switchback", regions=["KR"], schedule=sch,
        ...                       metrics=m))
        'periods'
    """
    return "periods" if len(targeted_regions(spec)) == 1 else N_UNIT


def analyze(loaded: LoadedSpec, ctx: RunContext) -> Report:
    """Analyse a switch-back spec on the sources the entry resolved (``causalkit run``).

    ``data`` comes from ``ctx.sources`` (passed or simulated) or the spec's file,
    query or table; the pre-period for centring from ``pre_data``, else the
    simulator's ``pre_period``; the simulator's all-treatment and all-control
    worlds, when present, give the ``simulation_truth`` table.

    Example:
        >>> from causalkit.entry import run_analysis
        >>> rep = run_analysis({"name": "x", "kind": "switchback", "regions": ["KR"],
        ...     "schedule": {"start": "2026-01-01T00:00Z", "end": "2026-01-01T12:00Z",
        ...                  "period": "1h"},
        ...     "metrics": [{"name": "matches", "type": "mean", "column": "matches"}],
        ...     "data": {"simulate": "matching_market",
        ...              "params": {"pre_days": 0.25, "tick_seconds": 600}},
        ...     "analysis": {"draws": 100}})
        >>> est = rep.estimates[0]
        >>> est.metric, est.method, est.contrast, est.n_unit  # one region: n counts periods
        ('matches', 'hajek', 'treatment - control', 'periods')
        >>> [t.name for t in rep.tables][-1], [f.name for f in rep.figures]
        ('simulation_truth', ['schedule_heatmap', 'effect_over_time_matches'])
        >>> rep.decision_basis.n_unit, rep.decision_basis.start
        ('periods', '2026-01-01T00:00:00Z')
    """
    spec: SwitchbackSpec = loaded.spec
    return analyze_source(spec, main_source(spec, ctx), pre=pre_source(spec, ctx),
                          simulated=truth_sources(ctx), spec_sha256=loaded.sha256,
                          seed=ctx.seed, now=ctx.now, history=ctx.history)


def headline_estimator(spec: SwitchbackSpec) -> tuple[Estimator, bool]:
    """The estimator of the report's headline, and whether it is the default choice.

    A spec that names ``estimator`` gets it. Otherwise (or with ``estimator: auto``)
    the headline is **Hajek**: design-based, location invariant and efficient with or
    without pre-period data (centred by the per-region pre-period constants when
    ``pre_data`` is there). Uncentred Horvitz-Thompson carries the outcome level in
    its variance (a completion rate near 0.8 and an effect of 0.02 gave an interval
    some 25 times Hajek's); the unbiased Horvitz-Thompson estimate is still computed
    and shown in the ``methods`` table.

    Example:
        >>> from causalkit.spec.switchback import SwitchbackSpec
        >>> base = dict(name="x", kind="switchback", regions=["A"],
        ...     schedule={"start": "2026-01-01T00:00Z", "end": "2026-01-02T00:00Z",
        ...               "period": "1h"}, metrics=[{"name": "m", "type": "mean",
        ...     "column": "m"}])
        >>> est, by_default = headline_estimator(SwitchbackSpec(**base))
        >>> est.value, by_default
        ('hajek', True)
        >>> est, by_default = headline_estimator(
        ...     SwitchbackSpec(**base, estimator="horvitz_thompson"))
        >>> est.value, by_default
        ('horvitz_thompson', False)
    """
    named = spec.estimator is not Estimator.AUTO
    return (spec.estimator if named else Estimator.HAJEK), not named


def _levels(schedule: Schedule) -> tuple[tuple[int, ...], int]:
    """Candidate burn-ins (ns) for the diagnostic, and the bucket level of the spec's."""
    b, period = schedule.burn_in_ns, schedule.period_ns
    cands = {b // 2, b, 2 * b} if b else {period // 12, period // 6}
    levels = tuple(sorted(x for x in cands if 0 < x < period))
    return levels, (levels.index(b) + 1) if b else 0


def _centres(spec: SwitchbackSpec, pre: Source | None, schedule: Schedule,
             ) -> dict[str, NDArray[np.float64]] | None:
    """Per-metric, per-region pre-period constants (mean of pre-period period outcomes)."""
    wanted = spec.center is Centering.PRE_PERIOD or (
        spec.center is Centering.AUTO and pre is not None)
    if not wanted:
        return None
    if pre is None:
        raise SpecError("center: pre_period needs pre_data (a pre-period of the same metrics)",
                        field="center", hint="add pre_data, or set center: none")
    r_ix, _k, _rows, sums, counts = aggregate_grid(
        get_engine(pre), pre, regions=schedule.regions, start_ns=schedule.start_ns,
        period_ns=schedule.period_ns, region=spec.unit, time=spec.time_column,
        columns=metric_columns(spec.metrics), time_unit=spec.time_unit.value)
    n_r = len(schedule.regions)
    out: dict[str, NDArray[np.float64]] = {}
    for m in spec.metrics:
        y = kind_of(m).period_outcome(m, sums, counts,
                                      spec.period_outcome is PeriodOutcome.TOTAL)
        ok = np.isfinite(y)
        tot = np.bincount(r_ix[ok], weights=y[ok], minlength=n_r)
        cnt = np.bincount(r_ix[ok], minlength=n_r)
        out[m.name] = np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)
    return out


@dataclass(frozen=True)
class _Row:
    metric: Metric
    res: OutcomeResult
    centred: bool
    hajek: bool


def analyze_source(spec: SwitchbackSpec, source: Source, *, schedule: Schedule | None = None,
                   pre: Source | None = None, simulated: dict[str, Source] | None = None,
                   spec_sha256: str | None = None, seed: int | None = None,
                   figures: bool = True, now: datetime | None = None,
                   history: Sequence[PriorLook] | None = None) -> Report:
    """Analyse a switch-back spec on a given source (never mutated).

    Args:
        spec: the validated spec.
        source: outcome rows (events or pre-aggregated buckets) with the region column
            ``spec.unit`` and the time column ``spec.time_column``.
        schedule: the schedule (default: drawn from the spec).
        pre: pre-period rows for centring (default: none).
        simulated: the simulator's ``all_treatment`` and ``all_control`` tables (ground
            truth), when simulated.
        spec_sha256: the spec file's hash.
        seed: seed of the randomization tests (default: ``analysis.seed``, else 0).
        figures: draw the heatmap and the effect-over-time plots.
        now: the analysis time (default: :func:`causalkit.report.basis.analysis_time`).
        history: the gate's earlier looks (None when unknown, as in ``causalkit run``).

    Raises:
        DataError: for missing, non-numeric or NaN columns.
        GateError: when the decision interval cannot be built (an analysis time before
            the schedule's start).

    Example:
        >>> import pandas as pd
        >>> from causalkit.spec.switchback import SwitchbackSpec
        >>> spec = SwitchbackSpec(name="x", kind="switchback", regions=["A", "B"],
        ...     schedule={"start": "2026-01-01T00:00Z", "end": "2026-01-02T00:00Z",
        ...               "period": "1h"}, metrics=[{"name": "y", "type": "mean",
        ...     "column": "y"}], data={"path": "rows.csv"}, estimator="hajek",
        ...     analysis={"draws": 200})
        >>> arms = schedule_of(spec).arms  # (regions, periods), 1 = treatment
        >>> times = pd.date_range("2026-01-01T00:30Z", periods=24, freq="1h")
        >>> noise = np.random.default_rng(0).normal(0, 0.5, 48)
        >>> df = pd.DataFrame({"region": np.repeat(["A", "B"], 24),
        ...     "timestamp": np.tile(times, 2), "y": 10.0 + 2.0 * arms.ravel() + noise})
        >>> rep = analyze_source(spec, Source.from_frame(df), figures=False)
        >>> est = rep.estimates[0]
        >>> est.method, round(est.estimate, 1), est.ci_low < 2.0 < est.ci_high
        ('hajek', 2.1, True)
    """
    schedule = schedule or schedule_of(spec)
    engine = get_engine(source)
    schema = engine.schema(source)
    arm_col = spec.arm_column if spec.arm_column and spec.arm_column in schema else None
    levels, main_level = _levels(schedule)
    agg = aggregate_periods(engine, source, schedule, region=spec.unit, time=spec.time_column,
                            columns=metric_columns(spec.metrics), burn_levels_ns=levels,
                            arm=arm_col, time_unit=spec.time_unit.value)
    rp = schedule.design.randomization_point
    keep = agg.kept(rp, main_level)
    centres = _centres(spec, pre, schedule)
    estimator, by_default = headline_estimator(spec)
    hajek = estimator is Estimator.HAJEK
    seed_used = seed if seed is not None else (spec.analysis.seed or 0)
    rows: list[_Row] = []
    outcomes: list[tuple[NDArray[np.float64], NDArray[np.float64] | None]] = []
    for i, metric in enumerate(spec.metrics):
        y = period_outcomes(agg, metric, keep, spec.period_outcome)
        other = {lv / 1e9: period_outcomes(agg, metric, agg.kept(rp, j), spec.period_outcome)
                 for j, lv in enumerate((0, *levels)) if j != main_level}
        centre = None if centres is None else np.nan_to_num(centres[metric.name])
        res = analyze_outcomes(schedule, y, center=centre, hajek=hajek,
                               draws=spec.analysis.draws, seed=seed_used + i,
                               max_lag=spec.max_lag, by_burn_in=other)
        rows.append(_Row(metric, res, centre is not None, hajek))
        outcomes.append((y, centre))
    fixed = _estimates(spec, rows, schedule.carryover)
    excluded = _excluded(spec, engine, source, schedule, arm_col)
    checks = _checks(spec, schedule, agg, keep, rows, centres, arm_col, excluded)
    seg_tables: list[Table] = []
    if spec.segments is not None:
        seg = region_effects(spec, schedule, rows, outcomes)
        fixed += list(seg.estimates)
        checks += list(seg.checks)
        seg_tables = list(seg.tables)
    basis = _basis(spec, rows, agg, now)
    estimates, basis = finish(fixed, checks, basis, history=history)
    tables = [_methods_table(rows, spec.analysis.alpha), _lag_table(rows, spec.analysis.alpha),
              _order_table(rows), _balance_table(schedule)]
    if spec.segments is not None:
        tables += [region_table(estimates, spec.segments.correction), *seg_tables]
    if simulated and "all_treatment" in simulated and "all_control" in simulated:
        tables.append(_truth_table(spec, schedule, simulated,
                                   [e for e in estimates if e.segment is None], levels,
                                   main_level))
    figs: list[Figure] = []
    if figures:
        from causalkit.switchback.figures import effect_over_time_svg, heatmap_svg

        figs.append(Figure("schedule_heatmap", "Switch-back schedule", heatmap_svg(schedule)))
        shown = [r for r in rows if r.metric.role is Role.PRIMARY] or rows[:1]
        for r in shown:
            est = next(e for e in estimates if e.metric == r.metric.name and e.segment is None)
            ci = (est.ci_low if est.ci_low is not None else float("nan"),
                  est.ci_high if est.ci_high is not None else float("nan"))
            figs.append(Figure(f"effect_over_time_{r.metric.name}",
                               f"{r.metric.name}: effect over time",
                               effect_over_time_svg(schedule, r.res.periods,
                                                    r.res.contribution, r.res.estimate, ci,
                                                    r.metric.name)))
    extra: dict[str, Scalar] = {
        "schedule_sha256": schedule.sha256, "design": schedule.design_name,
        "carryover_periods": schedule.carryover,
        "period_seconds": schedule.period_ns / 1e9, "estimator": estimator.value,
        "estimator_default": by_default, "correction": spec.analysis.correction.value,
    }
    if excluded is not None:
        extra.update({"targeting_rule": excluded.rule, "regions_targeted": len(schedule.regions),
                      "regions_excluded": len(excluded.regions),
                      "rows_excluded": excluded.rows})
    if spec.segments is not None:
        extra["segment_correction"] = spec.segments.correction
    return Report(
        experiment=Experiment(name=spec.name, kind="switchback", spec_sha256=spec_sha256,
                              data_fingerprint=source.fingerprint(), hypothesis=spec.hypothesis),
        estimates=tuple(estimates), checks=tuple(checks),
        meta=Meta(seed=seed_used, alpha=spec.analysis.alpha, extra=extra),
        tables=tuple(tables), figures=tuple(figs), decision_basis=basis,
    )


def _time(ns: int | None) -> datetime | None:
    """A timestamp in epoch nanoseconds as an aware datetime, to the second (floor)."""
    return None if ns is None else datetime.fromtimestamp(ns // 10**9, tz=UTC)


def _basis(spec: SwitchbackSpec, rows: list[_Row], agg: PeriodData,
           now: datetime | None) -> DecisionBasis:
    """The decision basis before the look: the spec's rules, the schedule's window, the
    smallest arm in region-periods and the data's extent."""
    n_min = min(min(r.res.n_treated, r.res.n_control) for r in rows)
    sch = spec.schedule
    basis = decision_basis(spec.decision, spec.analysis, min_n_per_arm=int(n_min),
                           n_unit=n_unit(spec), start=sch.start,
                           planned_horizon=sch.end - sch.start,
                           first_exposure=_time(agg.first_ns),
                           last_exposure=_time(agg.last_ns), now=now)
    if spec.analysis.sequential is Sequential.NONE:
        basis = replace(basis, notes=(*basis.notes, SEQUENTIAL_NONE_NOTE))
    if spec.decision.segment_guardrails:
        basis = replace(basis, segment_guardrails=True)
    return basis


def _fin(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _estimates(spec: SwitchbackSpec, rows: list[_Row], m_periods: int) -> list[Estimate]:
    alpha = spec.analysis.alpha
    method = spec.analysis.correction.value
    raw = [normal_interval(r.res.estimate, r.res.se, alpha, r.res.df)[2] for r in rows]
    p_adj = np.array(raw, dtype=float)
    levels = np.full(len(rows), alpha)
    for role in (Role.PRIMARY, Role.GUARDRAIL):
        idx = [i for i, r in enumerate(rows) if r.metric.role is role]
        if idx:
            p_adj[idx] = adjust_pvalues([raw[i] for i in idx], method)
            levels[idx] = interval_levels([raw[i] for i in idx], alpha, method)
    out = []
    for i, r in enumerate(rows):
        m, res = r.metric, r.res
        level = float(levels[i])
        lo, hi, _ = normal_interval(res.estimate, res.se, level, res.df)
        rlo, rhi, _ = normal_interval(res.relative, res.relative_se, level, res.df)
        z = res.estimate / res.se if res.se > 0 else float("nan")
        margin = m.margin
        if margin is not None and m.margin_kind is MarginKind.RELATIVE:
            margin = margin * abs(res.mu0) if np.isfinite(res.mu0) else None
        extra: dict[str, Scalar] = {
            "z": _fin(z), "df": _fin(res.df), "se_design": _fin(res.se),
            "carryover_periods": m_periods, "centred": r.centred,
            "randomization_p": res.randomization.p_value,
            "randomization_draws": res.randomization.draws,
            "randomization_exact": res.randomization.exact,
            "fe_estimate": _fin(res.fe.estimate), "fe_se_cluster": _fin(res.fe.se_cluster),
            "fe_se_hac": _fin(res.fe.se_hac),
            "missing_region_periods": res.missing,
        }
        for name, fit in (("ht", res.ht), ("hajek", res.hajek)):
            if fit is not None:
                extra[f"{name}_estimate"] = _fin(fit.estimate)
                extra[f"{name}_se"] = _fin(fit.se)
        out.append(Estimate(
            metric=m.name, arm="treatment", reference="control", method=_method(r),
            estimate=float(res.estimate), ci_low=_fin(lo), ci_high=_fin(hi),
            p_value=_fin(float(p_adj[i])), relative=_fin(res.relative),
            relative_ci_low=_fin(rlo), relative_ci_high=_fin(rhi),
            n=int(res.n_treated), n_reference=int(res.n_control), n_unit=n_unit(spec),
            level=_fin(res.mu1), level_reference=_fin(res.mu0),
            role=m.role, direction=m.direction, se=df_adjusted_se(res.se, res.df, level),
            margin=margin,
            p_noninferiority=_ni_p(float(res.estimate), res.se, res.df, margin, m.direction),
            practical_threshold=m.practical_threshold, alpha=float(levels[i]),
            extra=extra,
        ))
    return out


def _ni_p(estimate: float, se: float, df: float, margin: float | None,
          direction: Direction | None) -> float | None:
    """The non-inferiority p-value on the design standard error with its own degrees of
    freedom (the typed ``se`` is already df-adjusted: reading it with t(df) again would
    count the correction twice)."""
    if margin is None or not (np.isfinite(se) and se > 0):
        return None
    return noninferiority_p(estimate=estimate, se=float(se), margin=margin,
                            direction=direction,
                            df=float(df) if np.isfinite(df) and df > 0 else None)


UNCENTRED_HT = "horvitz_thompson, uncentred: wide interval"
"""The method of a headline that is Horvitz-Thompson on uncentred outcomes (the words
travel with the row; the ``centering`` check on the same metric gives the numbers)."""


def _method(r: _Row) -> str:
    """The headline's method: ``hajek``, ``horvitz_thompson`` or :data:`UNCENTRED_HT`."""
    if r.hajek:
        return "hajek"
    return "horvitz_thompson" if r.centred else UNCENTRED_HT


def _status(p: float, alpha: float) -> Status:
    return Status.FAIL if p < 0.001 else (Status.WARN if p < alpha else Status.PASS)


def _checks(spec: SwitchbackSpec, schedule: Schedule, agg: PeriodData, keep: NDArray[np.bool_],
            rows: list[_Row], centres: dict[str, NDArray[np.float64]] | None,
            arm_col: str | None, excluded: Exclusion | None = None) -> list[Check]:
    from causalkit.switchback.carryover import estimated_order

    alpha = spec.analysis.alpha
    m = schedule.carryover
    out: list[Check] = []
    for r in rows:
        tests = list(r.res.order_tests)
        at_m = next((t for t in tests if t.lag == m), None)
        order = estimated_order(tests, alpha)
        if at_m is None:
            out.append(Check("carryover", Status.WARN, "too few periods to test the carryover "
                             f"order beyond m = {m}", metric=r.metric.name))
            continue
        out.append(Check(
            "carryover", _status(at_m.p_value, alpha),
            f"lag {m + 1} minus lag {m} estimate = {at_m.difference:.4g} (se {at_m.se:.3g}, "
            f"p = {at_m.p_value:.3g}); estimated carryover order {order} (design m = {m})",
            metric=r.metric.name, value=at_m.p_value))
    out.append(_balance_check(schedule))
    total = int(agg.rows.sum())
    dropped = int(np.where(keep, 0, agg.rows).sum())
    share = dropped / total if total else 0.0
    status = Status.PASS if share < 0.25 else (Status.WARN if share < 0.5 else Status.FAIL)
    out.append(Check("burn_in_share", status,
                     f"{share:.1%} of rows ({dropped:,} of {total:,}) dropped as burn-in "
                     f"({schedule.burn_in_ns / 6e10:g} min after each randomization point)",
                     value=share))
    n_cells = schedule.arms.size
    for r in rows:
        miss = r.res.missing
        if miss:
            st = Status.WARN if miss <= 0.05 * n_cells else Status.FAIL
            out.append(Check("data_missing_periods", st,
                             f"{miss} of {n_cells} region-periods have no value "
                             "(no rows or a zero denominator); they are left out",
                             metric=r.metric.name, value=float(miss)))
        if r.res.n_treated == 0 or r.res.n_control == 0:
            out.append(Check("data_empty_arm", Status.FAIL,
                             "no region-period has an all-treatment or all-control window",
                             metric=r.metric.name))
    unknown = agg.unknown_rows - (excluded.rows if excluded is not None else 0)
    if unknown or agg.outside_rows:
        st = Status.WARN if unknown else Status.PASS
        out.append(Check("data_outside_schedule", st,
                         f"{agg.outside_rows:,} rows outside the schedule's time window and "
                         f"{unknown:,} rows of regions not in the spec were ignored"))
    if excluded is not None:
        out += targeting_checks(excluded, len(schedule.regions), arm_col)
    if arm_col is not None:
        logged = agg.treated_rows + agg.control_rows
        wrong = np.where(schedule.arms == 1, agg.control_rows, agg.treated_rows)
        n_log = int(logged.sum())
        bad = int(wrong.sum())
        frac = bad / n_log if n_log else 0.0
        st = Status.FAIL if frac > 0.01 else (Status.WARN if bad else Status.PASS)
        detail = (f"{bad:,} of {n_log:,} rows logged an arm other than the schedule's "
                  f"({frac:.2%})")
        if n_log == 0:
            st = Status.WARN
            detail = (f"no row logs a treatment or control arm in {arm_col!r}, so adherence "
                      "to the schedule is not checked")
        out.append(Check("schedule_adherence", st, detail, value=frac))
    unknown_arms = arm_label_check(agg, arm_col)
    if unknown_arms is not None:
        out.append(unknown_arms)
    for r in rows:
        if not r.hajek and not r.centred:
            out.append(_uncentred_check(r))
    if centres is not None:
        bad_regions = [schedule.regions[i] for i in range(len(schedule.regions))
                       if any(not np.isfinite(c[i]) for c in centres.values())]
        if bad_regions:
            out.append(Check("centering", Status.WARN,
                             "no pre-period value for " + ", ".join(bad_regions)
                             + "; those regions are not centred"))
    return out


def _uncentred_check(r: _Row) -> Check:
    """The warning beside an uncentred Horvitz-Thompson headline, with Hajek's numbers."""
    ht, hj = r.res, r.res.hajek
    detail = ("Horvitz-Thompson on uncentred outcomes (the spec asks for it): its variance "
              "carries the outcome level")
    ratio = float("nan")
    if hj is not None and np.isfinite(hj.se) and hj.se > 0 and np.isfinite(ht.se):
        ratio = ht.se / hj.se
        detail += (f"; its standard error {ht.se:.3g} is {ratio:.3g}x Hajek's ({hj.se:.3g}, "
                   f"estimate {hj.estimate:+.4g})")
    detail += "; give pre_data (centring), or drop estimator: to get the Hajek headline"
    return Check("centering", Status.WARN, detail, metric=r.metric.name, value=_fin(ratio))


def _balance(schedule: Schedule) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per region: treated share and its z-score against the design's distribution."""
    d = schedule.design
    q = d.q
    sign = np.where(d.flip, -1.0, 1.0)
    n_r, n_t = d.shape
    expect = np.where(d.flip, 1 - q, q).sum(axis=1)
    var = np.zeros(n_r)
    for r in range(n_r):
        per_coin = np.bincount(d.coin_of[r], weights=sign[r], minlength=d.n_coins)
        var[r] = q * (1 - q) * float(np.sum(per_coin ** 2))
    count = schedule.arms.sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(var > 0, (count - expect) / np.sqrt(var), 0.0)
    return count / n_t, z


def _balance_check(schedule: Schedule) -> Check:
    share, z = _balance(schedule)
    p = min(1.0, len(z) * two_sided_p(float(np.max(np.abs(z))))) if len(z) else 1.0
    worst = int(np.argmax(np.abs(z)))
    status = Status.WARN if p < 0.01 else Status.PASS
    return Check("schedule_balance", status,
                 f"treated share {share.min():.0%}-{share.max():.0%} of periods per region; "
                 f"largest deviation {schedule.regions[worst]} (z = {z[worst]:.2f}, "
                 f"Bonferroni p = {p:.3g})", value=p)


def _balance_table(schedule: Schedule) -> Table:
    share, z = _balance(schedule)
    rows = tuple((r, tz, int(schedule.arms[i].sum()), float(share[i]), float(z[i]))
                 for i, (r, tz) in enumerate(zip(schedule.regions, schedule.tzs)))
    return Table("schedule_balance", "Treated periods per region",
                 ("region", "tz", "treated_periods", "treated_share", "z"), rows,
                 priority=(0, 2, 1, 0, 1))


FE_NOTE = "model-based: not calibrated"
"""The note on the fixed-effects rows of the ``methods`` table (in A/A simulations they
reject more often than alpha: ``docs/switchback.md``, Calibration)."""


def _fit_name(hajek: bool, centred: bool) -> str:
    return ("hajek" if hajek else "horvitz_thompson") + (" (centred)" if centred else
                                                         " (uncentred)")


def _methods_table(rows: list[_Row], alpha: float) -> Table:
    """Every method's estimate; ``calibrated`` says whether its interval's coverage holds
    by design (design-based estimators, the randomization test) or not (the
    model-based fixed-effects rows, which never decide)."""
    from scipy import stats

    out: list[tuple[Scalar, ...]] = []
    for r in rows:
        res = r.res
        first = res.hajek if r.hajek else res.ht
        second = res.ht if r.hajek else res.hajek
        for fit, hj, note in ((first, r.hajek, "headline"),
                              (second, not r.hajek,
                               "design-based, unbiased" if r.hajek else "design-based")):
            if fit is None:
                continue
            lo, hi, p = normal_interval(fit.estimate, fit.se, alpha, fit.df)
            out.append((r.metric.name, _fit_name(hj, r.centred), _fin(fit.estimate),
                        _fin(fit.se), _fin(fit.df), _fin(lo), _fin(hi), _fin(p), True, note))
        kind = "exact" if res.randomization.exact else f"{res.randomization.draws:,} draws"
        out.append((r.metric.name, f"randomization_test ({kind})", _fin(res.estimate),
                    _fin(res.randomization.null_sd), None, None, None,
                    res.randomization.p_value, True, "sharp null of no effect"))
        fe = res.fe
        for label, se, df in (("fe_regression (cluster by region)", fe.se_cluster, fe.df_cluster),
                              (f"fe_regression (HAC, {fe.hac_lags} lags)", fe.se_hac, 0)):
            if np.isfinite(se) and se > 0 and np.isfinite(fe.estimate):
                crit = float(stats.t.isf(alpha / 2, df)) if df > 0 else \
                    float(stats.norm.isf(alpha / 2))
                pv = two_sided_p(fe.estimate / se, df if df > 0 else float("inf"))
                out.append((r.metric.name, label, _fin(fe.estimate), se,
                            float(df) if df > 0 else None, fe.estimate - crit * se,
                            fe.estimate + crit * se, pv, False, FE_NOTE))
            else:
                out.append((r.metric.name, label, _fin(fe.estimate), None, None, None, None,
                            None, False, FE_NOTE))
    return Table("methods", "Estimates of each method (lag-m effect; unadjusted; df: "
                 "Student's t degrees of freedom, empty = normal)",
                 ("metric", "method", "estimate", "se", "df", "ci_low", "ci_high", "p_value",
                  "calibrated", "note"),
                 tuple(out), priority=(0, 0, 0, 2, 3, 1, 1, 1, 2, 3))


def _lag_table(rows: list[_Row], alpha: float) -> Table:
    out: list[tuple[Scalar, ...]] = []
    for r in rows:
        for lg in r.res.lags:
            lo, hi, _ = normal_interval(lg.estimate, lg.se, alpha, lg.df)
            out.append((r.metric.name, lg.lag, lg.burn_in_seconds / 60, lg.estimate,
                        _fin(lg.se), _fin(lg.df), _fin(lo), _fin(hi)))
    return Table("carryover", "Carryover diagnostic: the estimate at several lags and burn-ins",
                 ("metric", "lag", "burn_in_minutes", "estimate", "se", "df", "ci_low",
                  "ci_high"),
                 tuple(out), priority=(0, 0, 0, 0, 2, 3, 1, 1))


def _order_table(rows: list[_Row]) -> Table:
    out = tuple((r.metric.name, f"order <= {t.lag}", t.difference, t.se, t.z, t.p_value)
                for r in rows for t in r.res.order_tests)
    return Table("carryover_order", "Carryover order tests: lag p+1 minus lag p",
                 ("metric", "null", "difference", "se", "z", "p_value"), out,
                 priority=(0, 0, 1, 2, 2, 0))


def _truth_table(spec: SwitchbackSpec, schedule: Schedule, simulated: dict[str, Source],
                 estimates: list[Estimate], levels: tuple[int, ...], main_level: int) -> Table:
    """Ground truth of simulated data: the lag-m estimand from the all-treatment and
    all-control worlds, aggregated exactly like the analysed data."""
    from causalkit.switchback.windows import lag_windows

    cols = metric_columns(spec.metrics)
    worlds: dict[str, Any] = {}
    for name in ("all_treatment", "all_control"):
        src = simulated[name]
        worlds[name] = aggregate_periods(get_engine(src), src, schedule, region=spec.unit,
                                         time=spec.time_column, columns=cols,
                                         burn_levels_ns=levels)
    rp = schedule.design.randomization_point
    w = lag_windows(schedule.design, schedule.carryover)
    out: list[tuple[Scalar, ...]] = []
    for m, est in zip(spec.metrics, estimates):
        yt = period_outcomes(worlds["all_treatment"], m,
                             worlds["all_treatment"].kept(rp, main_level), spec.period_outcome)
        yc = period_outcomes(worlds["all_control"], m,
                             worlds["all_control"].kept(rp, main_level), spec.period_outcome)
        diff = (yt - yc)[w.region, w.period]
        truth = float(np.nanmean(diff))
        covered = None
        if est.ci_low is not None and est.ci_high is not None:
            covered = bool(est.ci_low <= truth <= est.ci_high)
        out.append((m.name, truth, est.estimate, est.ci_low, est.ci_high, covered))
    return Table("simulation_truth",
                 "Simulated market: ground-truth global effect (all-treatment minus "
                 "all-control) vs the switch-back estimate",
                 ("metric", "truth", "estimate", "ci_low", "ci_high", "covered"), tuple(out),
                 priority=(0, 0, 0, 1, 1, 0))


# -- targeting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exclusion:
    """What the targeting rule left out of the analysis.

    Attributes:
        rule: the targeting rule.
        listed: regions the spec lists.
        regions: listed regions the rule leaves out.
        rows: data rows of those regions (all left out).
        rows_by_region: the same per region (regions with rows only).
        leaked: rows of those regions that log an arm (treatment or control), per region.

    Example:
        >>> import pandas as pd
        >>> from causalkit.spec.switchback import SwitchbackSpec
        >>> spec = SwitchbackSpec(name="x", kind="switchback", regions=["KR", "JP", "US"],
        ...     targeting='region == "KR"',
        ...     schedule={"start": "2026-01-01T00:00Z", "end": "2026-01-02T00:00Z",
        ...               "period": "1h"}, metrics=[{"name": "m", "type": "mean",
        ...     "column": "m"}])
        >>> src = Source.from_frame(pd.DataFrame({"region": ["KR", "JP", "JP", "US"],
        ...     "arm": ["treatment", None, None, "control"], "m": [1.0, 2.0, 3.0, 4.0]}))
        >>> _excluded(spec, get_engine(src), src, schedule_of(spec), "arm")
        Exclusion(rule='region == "KR"', listed=3, regions=('JP', 'US'), rows=3,
                  rows_by_region={'JP': 2, 'US': 1}, leaked={'US': 1})
    """

    rule: str
    listed: int
    regions: tuple[str, ...]
    rows: int
    rows_by_region: dict[str, int]
    leaked: dict[str, int]


def _excluded(spec: SwitchbackSpec, engine: Any, source: Source, schedule: Schedule,
              arm_col: str | None) -> Exclusion | None:
    """Rows of the listed regions the schedule does not hold (one GROUP BY over them)."""
    if spec.targeting is None or spec.targeting.rule is None:
        return None
    from causalkit.data import quote_ident, quote_literal
    from causalkit.switchback.aggregate import CONTROL_LABELS, TREATMENT_LABELS

    held = set(schedule.regions)
    names = tuple(r.name for r in spec.regions if r.name not in held)
    rows: dict[str, int] = {}
    leaked: dict[str, int] = {}
    if names:
        region = f"CAST({quote_ident(spec.unit)} AS STRING)"
        armed = "0"
        if arm_col is not None:
            labels = ", ".join(quote_literal(a) for a in (*TREATMENT_LABELS, *CONTROL_LABELS))
            armed = (f"COUNT_IF(COALESCE(lower(CAST({quote_ident(arm_col)} AS STRING)) "
                     f"IN ({labels}), false))")
        sql = (f"SELECT {region} AS r, COUNT(*) AS n, {armed} AS a FROM src "
               f"WHERE {region} IN ({', '.join(quote_literal(n) for n in names)}) GROUP BY 1")
        for rec in engine.query(source, sql).to_pylist():
            rows[str(rec["r"])] = int(rec["n"])
            if int(rec["a"] or 0):
                leaked[str(rec["r"])] = int(rec["a"])
    order = {n: i for i, n in enumerate(names)}
    return Exclusion(rule=spec.targeting.rule, listed=len(spec.regions), regions=names,
                     rows=sum(rows.values()),
                     rows_by_region=dict(sorted(rows.items(), key=lambda kv: order[kv[0]])),
                     leaked=dict(sorted(leaked.items(), key=lambda kv: order[kv[0]])))


def targeting_checks(excluded: Exclusion, targeted: int, arm_col: str | None) -> list[Check]:
    """``targeting`` (what the rule left out) and ``targeting_leak`` (``fail``: rows of a
    region the rule leaves out that log an arm).

    Example:
        >>> ex = Exclusion(rule='region == "KR"', listed=3, regions=("JP", "US"), rows=120,
        ...                rows_by_region={"JP": 100, "US": 20}, leaked={"US": 20})
        >>> [(c.name, c.status.value) for c in targeting_checks(ex, 1, "arm")]
        [('targeting', 'pass'), ('targeting_leak', 'fail')]
        >>> print(targeting_checks(ex, 1, "arm")[1].detail)
        20 row(s) of regions the targeting rule leaves out log an arm in 'arm': US (20); \
a region left out serves the default and logs no exposure (fix the rollout or the rule)
    """
    left = ", ".join(excluded.regions) or "none"
    detail = (f"rule {excluded.rule}: {targeted} of {excluded.listed} listed regions "
              f"targeted; left out: {left} ({excluded.rows:,} rows excluded)")
    if arm_col is None and excluded.rows:
        detail += "; the data have no arm column, so a targeting leak is not checked"
    out = [Check("targeting", Status.PASS, detail, value=float(excluded.rows))]
    if arm_col is None:
        return out
    n_leak = sum(excluded.leaked.values())
    if n_leak:
        where = ", ".join(f"{r} ({n:,})" for r, n in excluded.leaked.items())
        out.append(Check("targeting_leak", Status.FAIL,
                         f"{n_leak:,} row(s) of regions the targeting rule leaves out log an "
                         f"arm in {arm_col!r}: {where}; a region left out serves the default "
                         "and logs no exposure (fix the rollout or the rule)",
                         value=float(n_leak)))
    else:
        out.append(Check("targeting_leak", Status.PASS,
                         f"no row of a region the rule leaves out logs an arm in {arm_col!r}",
                         value=0.0))
    return out


# -- per-region effects --------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionEffects:
    """Per-region estimates (fixed-horizon intervals, family-adjusted), heterogeneity
    checks and the heterogeneity table.

    Example:
        >>> from causalkit.spec.switchback import SwitchbackSpec
        >>> spec = SwitchbackSpec(name="x", kind="switchback", regions=["A", "B"],
        ...     segments=True, schedule={"start": "2026-01-01T00:00Z",
        ...     "end": "2026-01-02T00:00Z", "period": "1h", "design": "bernoulli",
        ...     "carryover": 0}, metrics=[{"name": "y", "type": "mean", "column": "y"}])
        >>> s = schedule_of(spec)
        >>> y = 10.0 + np.array([[1.0], [3.0]]) * s.arms  # effect 1 in A, 3 in B
        >>> res = region_effects(spec, s, [_Row(spec.metrics[0], None, False, True)],
        ...                      [(y, None)])
        >>> [(e.segment, e.estimate) for e in res.estimates]
        [('region=A', 1.0), ('region=B', 3.0)]
        >>> [t.name for t in res.tables], res.tables[0].columns
        (['region_heterogeneity'], ('metric', 'regions', 'q', 'df', 'p_value', 'i2', 'pooled'))
    """

    estimates: tuple[Estimate, ...]
    checks: tuple[Check, ...]
    tables: tuple[Table, ...]


def region_fit(schedule: Schedule, region: int, y: NDArray[np.float64],
               centre: NDArray[np.float64] | None, hajek: bool) -> LagFit:
    """The headline estimator on one region alone: its restricted schedule, its outcomes.

    Exactly what a one-region analysis of that region's data reads (the within-region
    comparison of all-treated and all-control lag-m windows).

    Example:
        >>> from causalkit.spec.switchback import ScheduleSpec, Region
        >>> from causalkit.switchback.schedule import design_schedule
        >>> s = design_schedule(ScheduleSpec(start="2026-01-01T00:00Z",
        ...     end="2026-01-02T00:00Z", period="1h", design="bernoulli", carryover=0),
        ...     [Region(name="A"), Region(name="B")])
        >>> y = 10.0 + np.array([[1.0], [3.0]]) * s.arms
        >>> [region_fit(s, i, y, None, True).estimate for i in (0, 1)]
        [1.0, 3.0]
    """
    sub = schedule.restrict([schedule.regions[region]])
    return fit_lag(sub.design, sub.coins, y[[region]], sub.carryover,
                   center=None if centre is None else centre[[region]], hajek=hajek)


def region_effects(spec: SwitchbackSpec, schedule: Schedule, rows: Sequence[_Row],
                   outcomes: Sequence[tuple[NDArray[np.float64], NDArray[np.float64] | None]]
                   ) -> RegionEffects:
    """Every metric's effect in every targeted region, corrected over the whole family
    (``segments.correction``: BH by default, Holm), and Cochran's Q per metric.

    Each region's estimate is the headline's estimator on that region alone
    (:func:`region_fit`); its interval is the design-based one (Student t with the
    region's runs minus one for Hajek, normal for Horvitz-Thompson) at the family's
    interval level (:func:`causalkit.stats.multiplicity.interval_levels`), and its
    ``p_value`` is the family-adjusted one (the unadjusted one is ``extra["p_raw"]``).

    Example:
        >>> from causalkit.spec.switchback import SwitchbackSpec
        >>> spec = SwitchbackSpec(name="x", kind="switchback", regions=["A", "B"],
        ...     segments=True, schedule={"start": "2026-01-01T00:00Z",
        ...     "end": "2026-01-02T00:00Z", "period": "1h", "design": "bernoulli",
        ...     "carryover": 0}, metrics=[{"name": "y", "type": "mean", "column": "y"}])
        >>> s = schedule_of(spec)
        >>> noise = np.random.default_rng(0).normal(0, 0.1, s.arms.shape)
        >>> y = 10.0 + np.array([[1.0], [3.0]]) * s.arms + noise  # effect 1 in A, 3 in B
        >>> res = region_effects(spec, s, [_Row(spec.metrics[0], None, False, True)],
        ...                      [(y, None)])
        >>> [(e.extra["region"], round(e.estimate, 2), e.extra["correction"])
        ...  for e in res.estimates]
        [('A', 1.0, 'bh'), ('B', 3.05, 'bh')]
        >>> res.checks[0].name, res.checks[0].status.value  # Cochran's Q: 1 vs 3 differ
        ('region_heterogeneity', 'warn')
    """
    from causalkit.stats.segments import cochran_q

    assert spec.segments is not None
    alpha = spec.analysis.alpha
    method = spec.segments.correction
    fits: list[tuple[_Row, int, LagFit]] = []
    for r, (y, centre) in zip(rows, outcomes):
        for i in range(len(schedule.regions)):
            fits.append((r, i, region_fit(schedule, i, y, centre, r.hajek)))
    raw = np.array([normal_interval(f.estimate, f.se, alpha, f.df)[2] for _, _, f in fits])
    p_adj = adjust_pvalues(raw, method)
    levels = interval_levels(raw, alpha, method)
    out: list[Estimate] = []
    for j, (r, i, f) in enumerate(fits):
        m, level = r.metric, float(levels[j])
        lo, hi, _ = normal_interval(f.estimate, f.se, level, f.df)
        rlo, rhi, _ = normal_interval(f.relative, f.relative_se, level, f.df)
        margin = m.margin
        if margin is not None and m.margin_kind is MarginKind.RELATIVE:
            margin = margin * abs(f.mu0) if np.isfinite(f.mu0) else None
        name = schedule.regions[i]
        out.append(Estimate(
            metric=m.name, arm="treatment", reference="control", method=_method(r),
            estimate=float(f.estimate), ci_low=_fin(lo), ci_high=_fin(hi),
            p_value=_fin(float(p_adj[j])), relative=_fin(f.relative),
            relative_ci_low=_fin(rlo), relative_ci_high=_fin(rhi),
            n=int(f.n_treated), n_reference=int(f.n_control), n_unit="periods",
            level=_fin(f.mu1), level_reference=_fin(f.mu0), role=m.role,
            direction=m.direction, se=df_adjusted_se(f.se, f.df, level), margin=margin,
            p_noninferiority=_ni_p(float(f.estimate), f.se, f.df, margin, m.direction),
            practical_threshold=m.practical_threshold, alpha=level,
            segment=f"{spec.unit}={name}",
            extra={"region": name, "p_raw": _fin(float(raw[j])), "se_design": _fin(f.se),
                   "df": _fin(f.df), "centred": r.centred, "correction": method,
                   "family_size": int(np.isfinite(raw).sum())},
        ))
    checks: list[Check] = []
    het_rows: list[tuple[Scalar, ...]] = []
    paired = schedule.pairing == "complementary"
    for r in rows:
        mine = [f for rr, _, f in fits if rr is r]
        ses = [df_adjusted_se(f.se, f.df, alpha) for f in mine]
        h = cochran_q([f.estimate for f in mine], ses)
        het_rows.append((r.metric.name, len(mine), _fin(h.q), h.df, _fin(h.p_value),
                         _fin(h.i2), _fin(h.pooled)))
        if h.df < 1 or not np.isfinite(h.p_value):
            continue
        words = (f"Cochran's Q = {h.q:.3g} on {h.df} df, p = {h.p_value:.3g}, "
                 f"I² = {h.i2:.0%}")
        if paired:
            words += ("; regions in complementary pairs are not independent, so the test "
                      "is approximate")
        differs = h.p_value < alpha
        checks.append(Check(
            "region_heterogeneity", Status.WARN if differs else Status.PASS,
            ("the effect differs by region: " if differs
             else "no evidence that the effect differs by region: ") + words,
            metric=r.metric.name, value=h.p_value))
    table = Table("region_heterogeneity",
                  "Heterogeneity across regions: Cochran's Q of the per-region effects "
                  "(weights from standard errors widened to Student t)",
                  ("metric", "regions", "q", "df", "p_value", "i2", "pooled"),
                  tuple(het_rows), priority=(0, 1, 1, 2, 0, 1, 2))
    return RegionEffects(tuple(out), tuple(checks), (table,))


def region_table(estimates: Sequence[Estimate], correction: str) -> Table:
    """The per-region estimates as a table (after the decision intervals are set).

    Example:
        >>> e = Estimate(metric="m", arm="treatment", reference="control", method="hajek",
        ...              estimate=1.0, ci_low=0.2, ci_high=1.8, p_value=0.04,
        ...              segment="region=KR", extra={"region": "KR", "p_raw": 0.02})
        >>> region_table([e], "bh").rows[0][:3]
        ('m', 'KR', 1.0)
    """
    seg = [e for e in estimates if e.segment is not None]
    family = len([e for e in seg if e.extra.get("p_raw") is not None])
    rows = tuple((e.metric, str(e.extra.get("region", e.segment)), e.estimate, e.ci_low,
                  e.ci_high, e.p_value, e.extra.get("p_raw"), e.n, e.n_reference,
                  e.assessment.value) for e in seg)
    return Table("region_effects",
                 f"Per-region effects ({correction.upper()} over {family} tests; intervals "
                 "at the family-adjusted level)",
                 ("metric", "region", "estimate", "ci_low", "ci_high", "p_adjusted", "p_raw",
                  "n", "n_reference", "assessment"),
                 rows, priority=(0, 0, 0, 1, 1, 0, 2, 2, 2, 1))
