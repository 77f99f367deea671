"""Power and design of a switch-back from pre-period data (``causalkit power``).

For each candidate period length ``P`` (``candidate_periods``, default the spec's
period): the pre-period rows are aggregated to region x ``P`` outcomes (one GROUP
BY), the carryover duration is converted to ``m_P = ceil(carryover / P)`` periods,
and many schedules are drawn from the spec's design on that grid and *replayed* on
the series:

* A/A (no effect): the spread of the estimate (the analysis' headline estimator,
  Hajek unless the spec names one, on region-centred outcomes) and the
  false-positive rate of its conservative interval;
* power: the effect ``delta`` is added to every all-treated window (a step effect
  that has fully arrived after ``m_P`` periods) and the share of replays whose
  interval excludes 0 on the right side is the power.

The replay uses the last ``min(T, T_pre)`` pre-period periods (``T`` = planned
periods); when the pre-period is shorter than the plan, the spread is scaled by
``sqrt(T_used / T)`` and power at the planned length is computed from it (normal
approximation); both numbers are reported. Burn-in is not dropped from the
pre-period series; its cost is reported as the share of time dropped. The
recommended period is the one with the highest power among those whose A/A
false-positive rate stays within binomial error of alpha (ties, within one Monte
Carlo standard error, go to the longer period, which is safer against carryover).

Example:
    >>> from causalkit.registry import planner
    >>> planner("switchback").__qualname__
    'plan'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from causalkit.data import Source, get_engine, pick_source
from causalkit.errors import DataError, SpecError
from causalkit.metrics import kind_of
from causalkit.progress import track
from causalkit.report import Check, Experiment, Figure, Meta, Report, Status, Table
from causalkit.spec.common import Role
from causalkit.spec.switchback import Estimator, PeriodOutcome, SwitchbackSpec
from causalkit.switchback.aggregate import aggregate_grid
from causalkit.switchback.analysis import headline_estimator, targeted_regions
from causalkit.switchback.data import metric_columns
from causalkit.switchback.estimators import (
    conservative_variance,
    hajek_estimate,
    ht_estimate,
)
from causalkit.switchback.schedule import design_schedule
from causalkit.switchback.windows import dependent_pairs, lag_windows

if TYPE_CHECKING:
    from causalkit.registry import RunContext
    from causalkit.spec.loader import LoadedSpec


@dataclass(frozen=True)
class Replay:
    """Replay results of one candidate period.

    Example:
        >>> from causalkit.spec.switchback import SwitchbackSpec
        >>> spec = SwitchbackSpec(name="x", kind="switchback", regions=["A"],
        ...     schedule={"start": "2026-01-01T00:00Z", "end": "2026-01-05T00:00Z",
        ...               "period": "1h"}, metrics=[{"name": "m", "type": "mean",
        ...     "column": "m"}], data={"path": "pre.csv"})
        >>> y = np.random.default_rng(0).normal(10, 1, (1, 48))  # 2 days of pre-period
        >>> r = replay(y, spec, timedelta(hours=1), 0, 1, 1.0, 100, 0, 96, True)
        >>> r.n_periods, r.used_periods  # 4 days planned, replayed on the 2 available
        (96, 48)
        >>> r.power_planned > r.power  # extrapolated to the planned length
        True
    """

    period: timedelta
    n_periods: int
    used_periods: int
    carryover: int
    sd: float
    false_positive_rate: float
    power: float
    power_planned: float
    mean_aa: float
    burn_in_share: float


def replay(y: NDArray[np.float64], spec: SwitchbackSpec, period: timedelta, start_ns: int,
           carryover: int, effect: float, replays: int, seed: int, planned: int,
           centre: bool, *, advance: Callable[[int], None] | None = None) -> Replay:
    """Replay ``replays`` schedules of the spec's design on outcomes ``y`` ``(R, T)``.

    ``advance`` (e.g. :meth:`causalkit.progress.Step.advance`) is called with the
    number of replays done after each vectorized block.

    Example:
        >>> from causalkit.spec.switchback import SwitchbackSpec
        >>> spec = SwitchbackSpec(name="x", kind="switchback", regions=["A", "B"],
        ...     schedule={"start": "2026-01-01T00:00Z", "end": "2026-01-08T00:00Z",
        ...               "period": "1h", "carryover": 1}, metrics=[{"name": "m",
        ...     "type": "mean", "column": "m"}], data={"simulate": "matching_market"})
        >>> y = np.random.default_rng(0).normal(10, 1, (2, 168))
        >>> r = replay(y, spec, timedelta(hours=1), 0, 1, 1.0, 200, 0, 168, True)
        >>> r.power > 0.8, r.false_positive_rate < 0.15
        (True, True)
    """
    n_r, n_t = y.shape
    sched_spec = spec.schedule.model_copy(update={
        "start": spec.schedule.start, "period": period, "carryover": carryover,
        "end": spec.schedule.start + period * n_t})
    schedule = design_schedule(sched_spec, targeted_regions(spec))
    design = schedule.design
    ok = ~np.isnan(y)
    hajek = headline_estimator(spec)[0] is Estimator.HAJEK
    cr = np.nanmean(np.where(ok, y, np.nan), axis=1) if centre else np.zeros(n_r)
    cr = np.nan_to_num(cr)
    w = lag_windows(design, carryover, ok)
    pairs = dependent_pairs(w)
    yw = np.where(ok, y, 0.0)[w.region, w.period]
    cen = w.group_sums(yw - cr[w.region])
    size = w.size.astype(np.float64)
    rng = np.random.default_rng(seed)
    alpha = spec.analysis.alpha
    zc = float(stats.norm.isf(alpha / 2))
    ests: list[NDArray[np.float64]] = []
    rejects_aa = 0
    hits = 0
    block = max(1, min(replays, 2_000_000 // max(len(pairs.g), 1)))
    done = 0
    while done < replays:
        d = min(block, replays - done)
        u, lo = w.indicators(design.draw(rng, d))
        for delta in (0.0, effect):
            if hajek:
                lt = cen + delta * size
                mu1, mu0, est = hajek_estimate(w, u, lo, np.where(u, lt, cen))
                yt = lt - mu1[:, None] * size
                yc = cen - mu0[:, None] * size
            else:
                yt = cen + delta * size
                yc = cen
                est = ht_estimate(w, u, lo, np.broadcast_to(yt, u.shape), yc, w.n_windows)
            var = conservative_variance(w, pairs, u, lo, np.broadcast_to(yt, u.shape),
                                        np.broadcast_to(yc, u.shape), w.n_windows)
            se = np.sqrt(np.maximum(var, 0.0))
            if delta == 0.0:
                ests.append(est)
                rejects_aa += int(np.sum(np.abs(est) > zc * se))
            else:
                hits += int(np.sum(est * np.sign(effect) > zc * se))
        done += d
        if advance is not None:
            advance(d)
    est_all = np.concatenate(ests)
    sd = float(np.std(est_all))
    sd_planned = sd * math.sqrt(n_t / planned) if planned > n_t else sd
    z_eff = abs(effect) / sd_planned if sd_planned > 0 else float("inf")
    power_planned = float(stats.norm.sf(zc - z_eff) + stats.norm.sf(zc + z_eff))
    rp_share = float(design.randomization_point.mean())
    burn = (spec.schedule.burn_in.total_seconds() / period.total_seconds()
            if spec.schedule.burn_in is not None else 0.0)
    return Replay(period=period, n_periods=planned, used_periods=n_t, carryover=carryover,
                  sd=sd, false_positive_rate=rejects_aa / replays, power=hits / replays,
                  power_planned=power_planned if planned > n_t else hits / replays,
                  mean_aa=float(np.mean(est_all)), burn_in_share=rp_share * burn)


def pre_period_source(spec: SwitchbackSpec, ctx: RunContext) -> Source:
    """The pre-period rows that power is planned from.

    In order: the pre-period the entry simulated for ``pre_data``; the rows passed
    for ``pre_data`` (``causalkit power SPEC --data PRE``); the spec's ``pre_data``
    file, query or table; the pre-period the entry simulated with ``data``.

    Raises:
        SpecError: when none of them is there.

    Example:
        >>> from causalkit.registry import RunContext
        >>> spec = SwitchbackSpec(name="x", kind="switchback", regions=["A"],
        ...     schedule={"start": "2026-01-01T00:00Z", "end": "2026-01-02T00:00Z",
        ...               "period": "1h"}, metrics=[{"name": "m", "type": "mean",
        ...     "column": "m"}])
        >>> pre_period_source(spec, RunContext())
        Traceback (most recent call last):
        ...
        causalkit.errors.SpecError: pre_data: power needs pre-period data (...)
    """
    for table in ("pre_period", "main"):
        found = ctx.source("pre_data", table)
        if found is not None:
            return found
    if spec.pre_data is not None:
        return pick_source(ctx.sources, spec.pre_data, "pre_data", "main")
    simulated = ctx.source("data", "pre_period")
    if simulated is None:
        raise SpecError("power needs pre-period data", field="pre_data",
                        hint="add pre_data to the spec or pass --data PRE_PERIOD_FILE")
    return simulated


def _series(spec: SwitchbackSpec, source: Source, period: timedelta
            ) -> NDArray[np.float64]:
    """``(R, K)`` pre-period outcomes of the primary metric on a grid of ``period``."""
    metric = next((m for m in spec.metrics if m.role is Role.PRIMARY), spec.metrics[0])
    period_ns = int(period.total_seconds()) * 10**9
    start_ns = int(spec.schedule.start.timestamp()) * 10**9
    regions = [r.name for r in targeted_regions(spec)]  # the regions the test will run in
    r_ix, k, _, sums, counts = aggregate_grid(
        get_engine(source), source, regions=regions, start_ns=start_ns, period_ns=period_ns,
        region=spec.unit, time=spec.time_column, columns=metric_columns([metric]),
        time_unit=spec.time_unit.value)
    if len(k) == 0:
        raise DataError("the pre-period holds no rows of the spec's regions",
                        source=source.describe())
    k0, k1 = int(k.min()), int(k.max())
    val = kind_of(metric).period_outcome(metric, sums, counts,
                                         spec.period_outcome is PeriodOutcome.TOTAL)
    y = np.full((len(regions), k1 - k0 + 1), np.nan)
    y[r_ix, k - k0] = val
    return y


def plan(loaded: LoadedSpec, ctx: RunContext) -> Report:
    """Compare candidate period lengths on pre-period data and recommend one.

    Example:
        >>> from causalkit.entry import load_spec, resolve_sources
        >>> from causalkit.registry import RunContext
        >>> loaded = load_spec({"name": "x", "kind": "switchback", "regions": ["KR"],
        ...     "schedule": {"start": "2026-01-01T00:00Z", "end": "2026-01-02T00:00Z",
        ...                  "period": "1h"},
        ...     "metrics": [{"name": "matches", "type": "mean", "column": "matches"}],
        ...     "data": {"simulate": "matching_market",
        ...              "params": {"pre_days": 1, "tick_seconds": 600}},
        ...     "candidate_periods": ["1h", "2h"], "power_replays": 50})
        >>> rep = plan(loaded, RunContext(sources=resolve_sources(loaded)))
        >>> [(row[0], row[1]) for row in rep.tables[0].rows]  # period, planned periods
        [('1h', 24), ('2h', 12)]
        >>> rep.meta.extra["recommended_period"] in ("1h", "2h")
        True
    """
    spec: SwitchbackSpec = loaded.spec
    source = pre_period_source(spec, ctx)
    metric = next((m for m in spec.metrics if m.role is Role.PRIMARY), spec.metrics[0])
    candidates = sorted(set(spec.candidate_periods or [spec.schedule.period]))
    sch = spec.schedule
    carry = sch.carryover if isinstance(sch.carryover, timedelta) else \
        sch.period * sch.carryover
    horizon = sch.end - sch.start
    results: list[Replay] = []
    notes: list[str] = []
    effect = spec.power_effect if spec.power_effect is not None else metric.practical_threshold
    with track("switch-back power replays", total=len(candidates) * spec.power_replays,
               unit="replays") as step:
        for i, period in enumerate(candidates):
            start = step.completed
            if sch.burn_in is not None and sch.burn_in >= period:
                notes.append(f"period {period} skipped: not longer than the burn-in")
                step.advance(spec.power_replays)
                continue
            y = _series(spec, source, period)
            planned = int(horizon // period)
            used = min(planned, y.shape[1])
            y = y[:, y.shape[1] - used:]
            m_p = math.ceil(carry / period) if carry else 0
            if effect is None:
                effect = 0.05 * float(np.nanmean(y))
            try:
                results.append(replay(y, spec, period, 0, m_p, float(effect),
                                      spec.power_replays, (spec.analysis.seed or 0) + i,
                                      planned, True, advance=step.advance))
            except SpecError as exc:
                notes.append(f"period {period} skipped: {exc.message}")
            step.update(start + spec.power_replays)
    if not results:
        raise SpecError("no candidate period could be evaluated: " + "; ".join(notes),
                        field="candidate_periods")
    alpha = spec.analysis.alpha
    n_rep = spec.power_replays
    tol = 3 * math.sqrt(alpha * (1 - alpha) / n_rep)
    valid = [r for r in results if r.false_positive_rate <= alpha + tol] or results
    best_power = max(r.power_planned for r in valid)
    mc_se = math.sqrt(max(best_power * (1 - best_power), 1e-12) / n_rep)
    near = [r for r in valid if r.power_planned >= best_power - mc_se]
    best = max(near, key=lambda r: r.period)
    rows = tuple((_fmt(r.period), r.n_periods, r.used_periods, r.carryover, r.sd,
                  r.false_positive_rate, r.power, r.power_planned, r.burn_in_share,
                  r is best) for r in results)
    worst_fpr = max(r.false_positive_rate for r in results)
    checks = [Check("aa_false_positive_rate",
                    Status.PASS if worst_fpr <= alpha + tol else Status.WARN,
                    f"largest A/A false-positive rate {worst_fpr:.3f} over {n_rep} replays per "
                    f"period (alpha {alpha}, tolerance {tol:.3f})", value=worst_fpr)]
    if notes:
        checks.append(Check("candidate_periods", Status.WARN, "; ".join(notes)))
    figs = (Figure("power_by_period", "Power by period length", _power_svg(results, metric.name)),)
    finding = (f"Recommended period {_fmt(best.period)}: power {best.power_planned:.2f} to detect "
               f"{effect:.4g} on {metric.name} with the planned schedule "
               f"({best.n_periods} periods), A/A false-positive rate "
               f"{best.false_positive_rate:.3f} over {n_rep} replays at alpha {alpha}")
    return Report(
        findings=(finding,),
        experiment=Experiment(name=spec.name, kind="switchback", spec_sha256=loaded.sha256,
                              data_fingerprint=source.fingerprint(), hypothesis=spec.hypothesis),
        checks=tuple(checks),
        meta=Meta(seed=spec.analysis.seed, alpha=alpha, extra={
            "recommended_period": _fmt(best.period), "metric": metric.name,
            "effect": float(effect) if effect is not None else None,
            "replays": n_rep, "design": sch.design.value}),
        tables=(Table("power", f"Replayed schedules on the pre-period: {metric.name}, "
                      f"effect {effect:.4g}",
                      ("period", "planned_periods", "replayed_periods", "carryover_periods",
                       "sd_estimate", "aa_false_positive_rate", "power_replayed",
                       "power_planned", "burn_in_share", "recommended"), rows,
                      priority=(0, 2, 3, 2, 3, 1, 1, 0, 3, 0)),),
        figures=figs,
    )


def _fmt(period: timedelta) -> str:
    from causalkit.spec.types import format_duration

    return format_duration(period)


def _power_svg(results: list[Replay], metric: str) -> str:
    from causalkit.report.svg import figure_to_svg, new_figure

    fig, ax = new_figure(6.0, 3.5)
    x = np.arange(len(results))
    ax.plot(x, [r.power_planned for r in results], "o-", color="#08519c", label="power")
    ax.plot(x, [r.false_positive_rate for r in results], "s--", color="#d94801",
            label="A/A false-positive rate")
    ax.set_xticks(x)
    ax.set_xticklabels([_fmt(r.period) for r in results])
    ax.set_ylim(0, 1)
    ax.set_xlabel("period length")
    ax.set_title(f"{metric}: power by period length")
    ax.legend(fontsize=7)
    return figure_to_svg(fig)
