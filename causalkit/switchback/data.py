"""Where a switch-back's rows come from, and their region x period outcomes.

Shapes take data, never make them: the entry (``causalkit.analyze``, the CLI)
resolves ``data`` and ``pre_data`` into sources, running the matching-market
simulator on the spec's own schedule for ``simulate: matching_market`` (the
switch-back registers that schedule as its simulation context), so the simulated
switch-back follows exactly the arms the analysis expects. A spec field the entry
did not resolve is read from the spec's file, query or table
(:func:`causalkit.data.pick_source`).

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

import difflib
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from causalkit.data import Source, pick_source
from causalkit.errors import SpecError
from causalkit.metrics import kind_of
from causalkit.registry import RunContext
from causalkit.report import Check, Status
from causalkit.spec.common import Metric
from causalkit.spec.switchback import PeriodOutcome, SwitchbackSpec
from causalkit.switchback.aggregate import PeriodData


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
        kind = kind_of(m)
        if kind.derived(m):
            raise SpecError(f"metric {m.name!r}: type {m.type} needs computed columns, which "
                            "switch-back analyses do not aggregate",
                            hint="use a metric type that reads data columns directly")
        cols += kind.values(m)
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
    kind = kind_of(metric)
    cols = kind.values(metric)
    return kind.period_outcome(metric, {c: agg.total(c, keep) for c in cols},
                               {c: agg.count(c, keep) for c in cols},
                               mode is PeriodOutcome.TOTAL)


def arm_label_check(agg: PeriodData, arm_column: str | None) -> Check | None:
    """``data_unknown_arms`` (``fail``): rows whose logged arm is neither treatment nor control.

    The logged arm (``arm_column``) is read as treatment for ``treatment``, ``1``,
    ``true`` (any case) and as control for ``control``, ``0``, ``false``; rows with
    other labels (``A``/``B``, a typo) would otherwise be left out of the schedule
    adherence check, which would then pass on no rows. NULL labels are not counted.

    Example:
        >>> agg = PeriodData((), np.ones((1, 1, 1), np.int64), {}, {}, np.zeros((1, 1), np.int64),
        ...                  np.zeros((1, 1), np.int64), 0, 0, None, None,
        ...                  other_arm_rows=10, other_arms={"A": 6, "B": 4})
        >>> c = arm_label_check(agg, "arm")
        >>> c.status.value, c.detail
        ('fail', "10 row(s) log an arm in 'arm' that is neither treatment nor control: 'A' (6), 'B' (4) (log treatment/control, 1/0 or true/false)")
        >>> arm_label_check(agg, None) is None
        True
    """
    if arm_column is None or agg.other_arm_rows <= 0:
        return None
    labels = ", ".join(f"{k!r} ({n:,})" for k, n in agg.other_arms.items())
    more = agg.other_arm_rows - sum(agg.other_arms.values())
    if more > 0:
        labels += f" and {more:,} more row(s)"
    known = {"treatment": "treatment", "control": "control"}
    close = [f"{k!r} for {known[m[0]]!r}" for k in agg.other_arms
             for m in [difflib.get_close_matches(k.casefold(), list(known), n=1, cutoff=0.6)]
             if m]
    hint = (f"did you mean {', '.join(close)}?" if close
            else "log treatment/control, 1/0 or true/false")
    return Check("data_unknown_arms", Status.FAIL,
                 f"{agg.other_arm_rows:,} row(s) log an arm in {arm_column!r} that is neither "
                 f"treatment nor control: {labels} ({hint})", value=float(agg.other_arm_rows))


def main_source(spec: SwitchbackSpec, ctx: RunContext) -> Source:
    """The outcome rows: the entry's ``data`` (passed or simulated), else the spec's file.

    Raises:
        DataError: when neither the entry nor the spec gives the data.

    Example:
        >>> from causalkit.entry import load_spec, resolve_sources
        >>> loaded = load_spec({"name": "x", "kind": "switchback", "regions": ["KR"],
        ...     "schedule": {"start": "2026-01-01T00:00Z", "end": "2026-01-01T12:00Z",
        ...                  "period": "1h"},
        ...     "metrics": [{"name": "matches", "type": "mean", "column": "matches"}],
        ...     "data": {"simulate": "matching_market",
        ...              "params": {"pre_days": 0.25, "tick_seconds": 600}}})
        >>> ctx = RunContext(sources=resolve_sources(loaded))
        >>> main_source(loaded.spec, ctx).describe()
        'simulate:matching_market:main'
        >>> main_source(loaded.spec.model_copy(update={"data": None}), RunContext())
        Traceback (most recent call last):
        ...
        causalkit.errors.DataError: the spec has no data: and no data were passed (...)
    """
    return pick_source(ctx.sources, spec.data, "data", "main")


def truth_sources(ctx: RunContext) -> dict[str, Source]:
    """The simulator's all-treatment and all-control worlds (empty unless simulated).

    Example:
        >>> truth_sources(RunContext())
        {}
    """
    treated, control = ctx.source("data", "all_treatment"), ctx.source("data", "all_control")
    if treated is None or control is None:
        return {}
    return {"all_treatment": treated, "all_control": control}


def pre_source(spec: SwitchbackSpec, ctx: RunContext) -> Source | None:
    """The pre-period rows used for centring, or None.

    ``pre_data`` when the spec has it (simulated by the entry, or a file, query or
    table); otherwise the pre-period the entry simulated with ``data`` (none when
    the data were passed in: then ``ctx.sources["data"]`` holds only ``main``).

    Example:
        >>> from causalkit.entry import load_spec, resolve_sources
        >>> loaded = load_spec({"name": "x", "kind": "switchback", "regions": ["KR"],
        ...     "schedule": {"start": "2026-01-01T00:00Z", "end": "2026-01-01T12:00Z",
        ...                  "period": "1h"},
        ...     "metrics": [{"name": "matches", "type": "mean", "column": "matches"}],
        ...     "data": {"simulate": "matching_market",
        ...              "params": {"pre_days": 0.25, "tick_seconds": 600}}})
        >>> pre = pre_source(loaded.spec, RunContext(sources=resolve_sources(loaded)))
        >>> pre.describe(), len(pre.frame)  # pre_days 0.25: 6 h of 10-min buckets
        ('simulate:matching_market:pre_period', 36)
        >>> pre_source(loaded.spec, RunContext(sources={"data": {"main": pre}})) is None
        True
    """
    if spec.pre_data is None:
        return ctx.source("data", "pre_period")
    simulated = ctx.source("pre_data", "pre_period")
    if simulated is not None:
        return simulated
    return pick_source(ctx.sources, spec.pre_data, "pre_data", "main")


def describe_params(params: dict[str, Any]) -> str:
    """Short text of simulator parameters for reports.

    Example:
        >>> describe_params({"days": 7, "scale": 1.0})
        'days=7, scale=1.0'
    """
    return ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
