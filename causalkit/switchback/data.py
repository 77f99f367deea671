"""Where a switch-back's rows come from, and their region x period outcomes.

A spec whose data is ``simulate: matching_market`` runs the simulator on the
spec's own schedule (so the simulated switch-back follows exactly the arms the
analysis expects); ``data.params`` tune the market. Any other source goes through
:func:`causalkit.data.resolve_source`.

Outcome per region-period (after burn-in): a ratio metric is
``sum(numerator) / sum(denominator)`` (missing when the denominator is 0); a mean
or proportion metric is the average over the period's rows
(``period_outcome: mean``, missing without rows) or their sum
(``period_outcome: total``, 0 without rows).

Example:
    >>> from causalkit.spec.common import Metric
    >>> sorted(metric_columns([Metric(name="r", type="ratio", numerator="a", denominator="b")]))
    ['a', 'b']
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from causalkit.data import Source, resolve_source
from causalkit.registry import RunContext
from causalkit.spec.common import DataSource, Metric, MetricType, Simulator
from causalkit.spec.switchback import PeriodOutcome, SwitchbackSpec
from causalkit.switchback.aggregate import PeriodData
from causalkit.switchback.schedule import Schedule


def metric_columns(metrics: Sequence[Metric]) -> list[str]:
    """The numeric columns the metrics read (covariates are not used by switch-backs).

    Example:
        >>> from causalkit.spec.common import Metric
        >>> metric_columns([Metric(name="m", type="mean", column="x"),
        ...                 Metric(name="r", type="ratio", numerator="a", denominator="x")])
        ['x', 'a']
    """
    cols: list[str] = []
    for m in metrics:
        cols += [c for c in (m.column, m.numerator, m.denominator) if c is not None]
    return list(dict.fromkeys(cols))


def period_outcomes(agg: PeriodData, metric: Metric, keep: NDArray[np.bool_],
                    mode: PeriodOutcome) -> NDArray[np.float64]:
    """``(R, T)`` outcome of ``metric`` per region-period (NaN = missing).

    Example:
        >>> from causalkit.spec.common import Metric
        >>> agg = PeriodData((), np.array([[[2], [0]]]), {"y": np.array([[[6.0], [0.0]]])},
        ...                  {"y": np.array([[[2], [0]]])}, np.zeros((1, 2), np.int64),
        ...                  np.zeros((1, 2), np.int64), 0, 0, None, None)
        >>> m = Metric(name="y", type="mean", column="y")
        >>> keep = np.ones((1, 2, 1), bool)
        >>> period_outcomes(agg, m, keep, PeriodOutcome.MEAN).tolist()
        [[3.0, nan]]
        >>> period_outcomes(agg, m, keep, PeriodOutcome.TOTAL).tolist()
        [[6.0, 0.0]]
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        if metric.type is MetricType.RATIO:
            assert metric.numerator is not None
            assert metric.denominator is not None
            num = agg.total(metric.numerator, keep)
            den = agg.total(metric.denominator, keep)
            return np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)
        assert metric.column is not None
        total = agg.total(metric.column, keep)
        if mode is PeriodOutcome.TOTAL:
            return total
        count = agg.count(metric.column, keep)
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def simulate_for(spec: SwitchbackSpec, source: DataSource, schedule: Schedule
                 ) -> dict[str, Source]:
    """Run the matching-market simulator on the spec's schedule; every table as a Source.

    Raises:
        SpecError: for a parameter the simulator does not take.

    Example:
        >>> from causalkit.spec.switchback import SwitchbackSpec
        >>> from causalkit.switchback.analysis import schedule_of
        >>> spec = SwitchbackSpec(name="x", kind="switchback", regions=["KR"],
        ...     schedule={"start": "2026-01-01T00:00Z", "end": "2026-01-01T12:00Z",
        ...               "period": "1h"}, metrics=[{"name": "matches", "type": "mean",
        ...     "column": "matches"}], data={"simulate": "matching_market",
        ...     "params": {"pre_days": 0.25, "tick_seconds": 600}})
        >>> schedule = schedule_of(spec)
        >>> tables = simulate_for(spec, spec.data, schedule)
        >>> sorted(tables)
        ['ab', 'all_control', 'all_treatment', 'main', 'pre_period']
        >>> tables["main"].describe(), len(tables["main"].frame)  # 12 h of 10-min buckets
        ('simulate:matching_market:main', 72)
        >>> simulate_for(spec, spec.data.model_copy(update={"params": {"dayz": 1}}), schedule)
        Traceback (most recent call last):
        ...
        causalkit.errors.SpecError: data.params: ... has no parameter 'dayz' (parameters: ...)
    """
    from causalkit.simulate import simulate

    seed = 0 if source.seed is None else source.seed
    sim = simulate(Simulator.MATCHING_MARKET, source.params, seed,
                   context={"schedule": schedule})
    base = json.dumps({"sim": "matching_market", "params": source.params, "seed": seed,
                       "schedule": schedule.sha256}, sort_keys=True, default=str)
    return {name: Source.from_frame(frame, name=f"simulate:matching_market:{name}",
                                    truth=sim.truth, fingerprint_seed=f"{base}|{name}")
            for name, frame in sim.tables.items()}


def resolve(spec: SwitchbackSpec, ctx: RunContext, schedule: Schedule
            ) -> tuple[Source, dict[str, Source]]:
    """The main source and, for simulated data, the other simulated tables.

    Example:
        >>> from causalkit.registry import RunContext
        >>> from causalkit.spec.switchback import SwitchbackSpec
        >>> from causalkit.switchback.analysis import schedule_of
        >>> spec = SwitchbackSpec(name="x", kind="switchback", regions=["KR"],
        ...     schedule={"start": "2026-01-01T00:00Z", "end": "2026-01-01T12:00Z",
        ...               "period": "1h"}, metrics=[{"name": "matches", "type": "mean",
        ...     "column": "matches"}], data={"simulate": "matching_market",
        ...     "params": {"pre_days": 0.25, "tick_seconds": 600}})
        >>> schedule = schedule_of(spec)
        >>> main, others = resolve(spec, RunContext(), schedule)
        >>> main.describe(), "all_treatment" in others
        ('simulate:matching_market:main', True)
    """
    if ctx.data is not None:
        return resolve_source(spec.data, override=ctx.data), {}
    if spec.data.simulate is Simulator.MATCHING_MARKET:
        tables = simulate_for(spec, spec.data, schedule)
        return tables["main"], tables
    return resolve_source(spec.data), {}


def resolve_pre(spec: SwitchbackSpec, ctx: RunContext, schedule: Schedule,
                simulated: dict[str, Source]) -> Source | None:
    """The pre-period source: ``pre_data``, or the simulator's pre-period table.

    Example:
        >>> from pathlib import Path
        >>> from causalkit.registry import RunContext
        >>> from causalkit.spec.switchback import SwitchbackSpec
        >>> from causalkit.switchback.analysis import schedule_of
        >>> spec = SwitchbackSpec(name="x", kind="switchback", regions=["KR"],
        ...     schedule={"start": "2026-01-01T00:00Z", "end": "2026-01-01T12:00Z",
        ...               "period": "1h"}, metrics=[{"name": "matches", "type": "mean",
        ...     "column": "matches"}], data={"simulate": "matching_market",
        ...     "params": {"pre_days": 0.25, "tick_seconds": 600}})
        >>> schedule = schedule_of(spec)
        >>> _, simulated = resolve(spec, RunContext(), schedule)
        >>> pre = resolve_pre(spec, RunContext(), schedule, simulated)
        >>> pre.describe(), len(pre.frame)  # pre_days 0.25: 6 h before the start
        ('simulate:matching_market:pre_period', 36)
        >>> resolve_pre(spec, RunContext(data=Path("rows.csv")), schedule, {}) is None
        True
    """
    if spec.pre_data is None:
        return simulated.get("pre_period") if ctx.data is None else None
    if spec.pre_data.simulate is Simulator.MATCHING_MARKET:
        if "pre_period" in simulated and spec.pre_data == spec.data:
            return simulated["pre_period"]
        return simulate_for(spec, spec.pre_data, schedule)["pre_period"]
    return resolve_source(spec.pre_data)


def describe_params(params: dict[str, Any]) -> str:
    """Short text of simulator parameters for reports.

    Example:
        >>> describe_params({"days": 7, "scale": 1.0})
        'days=7, scale=1.0'
    """
    return ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
