"""Outcome rows -> region x period sums, in one GROUP BY through the engine.

The query maps each row's time to a period index with integer arithmetic on epoch
nanoseconds (``(ns - start) // period``), tags its offset inside the period with a
burn-in bucket (one bucket per candidate burn-in, so the carryover diagnostic can
try several burn-ins without a second scan), and sums every metric column per
``(region, period, bucket)``. Rows outside the schedule get period ``-1``; rows of
regions the schedule does not know are counted and left out.

Burn-in is dropped after every randomization point, whether or not the arm
actually changed there, so the data kept never depend on the realized assignment
(the estimators stay design-unbiased and the randomization test exact).

Example:
    >>> import pandas as pd
    >>> from causalkit.data import Source, get_engine
    >>> from causalkit.spec.switchback import ScheduleSpec, Region
    >>> from causalkit.switchback.schedule import design_schedule
    >>> s = design_schedule(ScheduleSpec(start="2026-01-01T00:00Z", end="2026-01-01T02:00Z",
    ...     period="1h", design="bernoulli"), [Region(name="A")])
    >>> df = pd.DataFrame({"region": ["A", "A", "A"], "y": [1.0, 2.0, 5.0],
    ...     "timestamp": pd.to_datetime(["2026-01-01T00:05Z", "2026-01-01T00:50Z",
    ...                                  "2026-01-01T01:20Z"])})
    >>> src = Source.from_frame(df)
    >>> agg = aggregate_periods(get_engine(src), src, s, region="region", time="timestamp",
    ...                         columns=["y"], burn_levels_ns=(600 * 10**9,))
    >>> agg.sums["y"].sum(axis=2).tolist(), agg.rows[0, 0].tolist()
    ([[3.0, 5.0]], [1, 1])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from causalkit.data import ColumnKind, EngineProtocol, Source, quote_ident, quote_literal
from causalkit.data.sql import (
    OUTCOME_LIMIT,
    count_bad,
    dialect_of,
    double_literal,
    epoch_ns,
    int_div,
)
from causalkit.errors import DataError
from causalkit.spec.common import Engine
from causalkit.switchback.schedule import Schedule

_UNIT_NS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
TREATMENT_LABELS = ("treatment", "1", "true", "1.0")
"""Logged arm labels (lower-cased) read as treatment."""
CONTROL_LABELS = ("control", "0", "false", "0.0")
"""Logged arm labels (lower-cased) read as control."""
SHOWN_ARMS = 6
"""Other arm labels kept in :attr:`PeriodData.other_arms`."""


@dataclass(frozen=True, eq=False)
class PeriodData:
    """Sums per region x period x burn-in bucket.

    Attributes:
        burn_levels_ns: the candidate burn-ins (bucket ``j`` holds offsets in
            ``[level[j-1], level[j])``; bucket 0 starts at 0).
        rows: ``(R, T, B)`` row counts.
        sums, counts: per column, ``(R, T, B)`` sums and non-null counts.
        treated_rows, control_rows: ``(R, T)`` rows whose logged arm is treatment /
            control (zeros when there is no arm column).
        outside_rows: rows outside the schedule's time window (known regions).
        unknown_rows: rows of regions the schedule does not hold.
        first_ns, last_ns: first and last timestamp inside the schedule (or None).
        other_arm_rows: rows whose logged arm is neither a treatment nor a control label
            (see :data:`TREATMENT_LABELS`, :data:`CONTROL_LABELS`; NULL is not counted).
        other_arms: the most frequent of those labels, as logged, with their rows.

    Example:
        >>> import pandas as pd
        >>> from causalkit.data import Source, get_engine
        >>> from causalkit.spec.switchback import ScheduleSpec, Region
        >>> from causalkit.switchback.schedule import design_schedule
        >>> s = design_schedule(ScheduleSpec(start="2026-01-01T00:00Z", end="2026-01-01T02:00Z",
        ...     period="1h", design="bernoulli"), [Region(name="A")])
        >>> df = pd.DataFrame({"region": ["A", "A", "B"], "y": [1.0, 2.0, 4.0],
        ...     "timestamp": pd.to_datetime(["2026-01-01T00:30Z", "2026-01-01T03:00Z",
        ...                                  "2026-01-01T00:10Z"])})
        >>> src = Source.from_frame(df)
        >>> d = aggregate_periods(get_engine(src), src, s, region="region", time="timestamp",
        ...                       columns=["y"])
        >>> d.rows.shape, d.sums["y"][0, :, 0].tolist(), d.outside_rows, d.unknown_rows
        ((1, 2, 1), [1.0, 0.0], 1, 1)
    """

    burn_levels_ns: tuple[int, ...]
    rows: NDArray[np.int64]
    sums: dict[str, NDArray[np.float64]]
    counts: dict[str, NDArray[np.int64]]
    treated_rows: NDArray[np.int64]
    control_rows: NDArray[np.int64]
    outside_rows: int
    unknown_rows: int
    first_ns: int | None
    last_ns: int | None
    other_arm_rows: int = 0
    other_arms: dict[str, int] = field(default_factory=dict)

    def kept(self, rp: NDArray[np.bool_], level: int) -> NDArray[np.bool_]:
        """``(R, T, B)`` mask of buckets kept when burn-in level ``level`` (0 = none) is
        dropped after the randomization points ``rp`` ``(R, T)``.

        Example:
            >>> d = PeriodData((5,), np.ones((1, 2, 2), np.int64), {}, {},
            ...                np.zeros((1, 2), np.int64), np.zeros((1, 2), np.int64),
            ...                0, 0, None, None)
            >>> d.kept(np.array([[True, False]]), 1)[0].tolist()
            [[False, True], [True, True]]
        """
        n_b = self.rows.shape[2]
        bucket_ok = np.arange(n_b) >= level
        return np.where(rp[..., None], bucket_ok[None, None, :], True)

    def total(self, column: str, keep: NDArray[np.bool_]) -> NDArray[np.float64]:
        """``(R, T)`` sum of ``column`` over the kept buckets."""
        return np.asarray(np.sum(np.where(keep, self.sums[column], 0.0), axis=2))

    def count(self, column: str | None, keep: NDArray[np.bool_]) -> NDArray[np.int64]:
        """``(R, T)`` rows (``column=None``) or non-null values over the kept buckets."""
        src = self.rows if column is None else self.counts[column]
        return np.asarray(np.sum(np.where(keep, src, 0), axis=2))


def _time_expr(kind: ColumnKind, col: str, unit: str, dialect: Engine) -> str:
    q = quote_ident(col)
    if kind is ColumnKind.TIMESTAMP:
        return epoch_ns(q, dialect)
    if kind in (ColumnKind.NUMERIC, ColumnKind.BOOLEAN):
        return f"CAST(floor(CAST({q} AS DOUBLE) * {_UNIT_NS[unit]}) AS BIGINT)"
    if kind is ColumnKind.STRING:
        return epoch_ns(q, dialect, text=True)
    raise DataError("is not a timestamp or an epoch number", column=col,
                    hint="store times as TIMESTAMP or integer epoch seconds (time_unit)")


def aggregate_periods(engine: EngineProtocol, source: Source, schedule: Schedule, *,
                      region: str, time: str, columns: Sequence[str],
                      burn_levels_ns: Sequence[int] = (), arm: str | None = None,
                      time_unit: str = "s") -> PeriodData:
    """Scan the source once and return :class:`PeriodData`.

    Args:
        engine: the engine (``engine.query`` runs the GROUP BY).
        source: outcome rows (events or pre-aggregated buckets).
        schedule: gives the grid and the regions.
        region, time: region and time columns.
        columns: numeric metric columns to sum.
        burn_levels_ns: increasing positive candidate burn-ins (shorter than a period).
        arm: optional column with the logged arm, compared with the schedule.
        time_unit: unit of a numeric time column.

    Raises:
        DataError: for missing, non-numeric or NaN columns, or an unusable time column.

    Example:
        >>> import pandas as pd
        >>> from causalkit.data import Source, get_engine
        >>> from causalkit.spec.switchback import ScheduleSpec, Region
        >>> from causalkit.switchback.schedule import design_schedule
        >>> s = design_schedule(ScheduleSpec(start="2026-01-01T00:00Z", end="2026-01-01T02:00Z",
        ...     period="1h", design="bernoulli"), [Region(name="A")])
        >>> s.arms.tolist()
        [[0, 1]]
        >>> df = pd.DataFrame({"region": ["A"] * 3, "y": [1.0, 2.0, 5.0],
        ...     "arm": ["treatment", "treatment", "control"],
        ...     "timestamp": pd.to_datetime(["2026-01-01T00:05Z", "2026-01-01T00:50Z",
        ...                                  "2026-01-01T01:20Z"])})
        >>> src = Source.from_frame(df)
        >>> agg = aggregate_periods(get_engine(src), src, s, region="region", time="timestamp",
        ...                         columns=["y"], burn_levels_ns=(600 * 10**9,), arm="arm")
        >>> agg.sums["y"][0].tolist()  # per period: [first 10 min, rest]
        [[1.0, 2.0], [0.0, 5.0]]
        >>> agg.treated_rows.tolist(), agg.control_rows.tolist()  # logged arms vs schedule
        ([[2, 0]], [[0, 1]])
    """
    cols = list(dict.fromkeys(columns))
    schema = engine.require_columns(source, numeric=cols, present=[region, time])
    levels = tuple(int(x) for x in burn_levels_ns)
    if any(b <= 0 or b >= schedule.period_ns for b in levels) or list(levels) != sorted(levels):
        raise DataError("burn-in levels must increase and be shorter than the period")
    start, period = schedule.start_ns, schedule.period_ns
    end = start + schedule.n_periods * period
    ns = _time_expr(schema[time], time, time_unit, dialect_of(engine))
    bucket = "0"
    if levels:
        cases = " ".join(f"WHEN off < {b} THEN {j}" for j, b in enumerate(levels))
        bucket = f"CASE {cases} ELSE {len(levels)} END"
    regions = ", ".join(quote_literal(r) for r in schedule.regions)
    treated = ", ".join(quote_literal(a) for a in TREATMENT_LABELS)
    control = ", ".join(quote_literal(a) for a in CONTROL_LABELS)
    arm_sel = "CAST(NULL AS STRING) AS arm_v"
    if arm is not None:
        arm_sel = f"lower(CAST({quote_ident(arm)} AS STRING)) AS arm_v"
    inner = ", ".join(f"{quote_ident(c)} AS c{i}" for i, c in enumerate(cols))
    inner = (", " + inner) if inner else ""
    aggs = []
    for i in range(len(cols)):
        v = f"CAST(c{i} AS DOUBLE)"
        aggs += [f"SUM({v}) AS s{i}", f"COUNT(c{i}) AS n{i}",
                 f"{count_bad(f'c{i}')} AS bad{i}",
                 f"COUNT_IF(ABS({v}) >= {double_literal(OUTCOME_LIMIT)}) AS big{i}"]
    agg_sql = (", " + ", ".join(aggs)) if aggs else ""
    sql = f"""
SELECT r, k, b, COUNT(*) AS rows_n, MIN(ns) AS first_ns, MAX(ns) AS last_ns,
       COUNT_IF(COALESCE(arm_v IN ({treated}), false)) AS arm_t,
       COUNT_IF(COALESCE(arm_v IN ({control}), false)) AS arm_c,
       COUNT_IF(arm_v IS NOT NULL AND NOT arm_v IN ({treated}) AND NOT arm_v IN ({control}))
         AS arm_o{agg_sql}
FROM (
  SELECT r, ns, arm_v{"".join(f", c{i}" for i in range(len(cols)))},
         CASE WHEN r IS NULL OR r NOT IN ({regions}) THEN -2
              WHEN ns IS NULL OR ns < {start} OR ns >= {end} THEN -1
              ELSE {int_div(f"ns - {start}", str(period), dialect_of(engine))} END AS k,
         CASE WHEN ns IS NULL OR ns < {start} OR ns >= {end} THEN 0
              ELSE (SELECT {bucket} FROM (SELECT (ns - {start}) % {period} AS off)) END AS b
  FROM (SELECT CAST({quote_ident(region)} AS STRING) AS r, {ns} AS ns, {arm_sel}{inner}
        FROM src)
)
GROUP BY r, k, b
"""
    table = engine.query(source, sql)
    data = {name: table.column(name).to_numpy(zero_copy_only=False)
            for name in table.column_names}
    n_r, n_t, n_b = len(schedule.regions), schedule.n_periods, len(levels) + 1
    for i, c in enumerate(cols):
        bad = int(np.nansum(data[f"bad{i}"].astype(np.float64))) if len(table) else 0
        if bad:
            raise DataError(f"{bad} missing or NaN value(s)", column=c, source=source.describe(),
                            hint="fill or drop them before the analysis")
        _refuse_extremes(c, int(np.nansum(data[f"big{i}"].astype(np.float64))) if len(table)
                         else 0, data[f"s{i}"] if len(table) else np.zeros(0), source)
    k = data["k"].astype(np.int64) if len(table) else np.zeros(0, np.int64)
    rows_n = data["rows_n"].astype(np.int64) if len(table) else np.zeros(0, np.int64)
    index = {r: i for i, r in enumerate(schedule.regions)}
    r_ix = np.array([index.get(str(x), -1) for x in data.get("r", [])], dtype=np.int64)
    inside = (k >= 0) & (r_ix >= 0)
    b_ix = data["b"].astype(np.int64) if len(table) else np.zeros(0, np.int64)

    def cube(values: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.zeros((n_r, n_t, n_b))
        np.add.at(out, (r_ix[inside], k[inside], b_ix[inside]), values[inside])
        return out

    rows = cube(rows_n.astype(np.float64)).astype(np.int64)
    sums = {c: cube(np.nan_to_num(data[f"s{i}"].astype(np.float64)))
            for i, c in enumerate(cols)}
    counts = {c: cube(data[f"n{i}"].astype(np.float64)).astype(np.int64)
              for i, c in enumerate(cols)}
    arm_t = cube(data["arm_t"].astype(np.float64)).sum(axis=2).astype(np.int64) \
        if len(table) else np.zeros((n_r, n_t), np.int64)
    arm_c = cube(data["arm_c"].astype(np.float64)).sum(axis=2).astype(np.int64) \
        if len(table) else np.zeros((n_r, n_t), np.int64)
    first = data["first_ns"][inside] if len(table) else np.zeros(0)
    last = data["last_ns"][inside] if len(table) else np.zeros(0)
    other_rows = int(np.nansum(data["arm_o"].astype(np.float64))) if len(table) else 0
    other: dict[str, int] = {}
    if other_rows and arm is not None:
        other = _other_arms(engine, source, arm, treated, control)
    return PeriodData(
        burn_levels_ns=levels, rows=rows, sums=sums, counts=counts,
        treated_rows=arm_t, control_rows=arm_c,
        outside_rows=int(rows_n[k == -1].sum()), unknown_rows=int(rows_n[k == -2].sum()),
        first_ns=int(np.min(first)) if len(first) else None,
        last_ns=int(np.max(last)) if len(last) else None,
        other_arm_rows=other_rows, other_arms=other,
    )


def _refuse_extremes(column: str, big: int, sums: NDArray[np.generic], source: Source) -> None:
    """A DataError for infinite values, values of magnitude 1e75 or more, or such sums.

    The switch-back estimators square period outcomes and their confidence sequences
    multiply squared effects by variances: from :data:`~causalkit.data.sql.OUTCOME_LIMIT`
    on, float64 overflows.
    """
    hint = "drop them or fix the logging (a sentinel value?), or rescale the column"
    if big:
        raise DataError(f"{big} infinite value(s) or value(s) of magnitude "
                        f"{OUTCOME_LIMIT:.0e} or more (their powers overflow float64)",
                        column=column, source=source.describe(), hint=hint)
    total = np.asarray(sums, dtype=np.float64)
    total = total[~np.isnan(total)]
    if total.size and not bool(np.all(np.abs(total) < OUTCOME_LIMIT)):
        raise DataError(f"its sums per region-period reach {OUTCOME_LIMIT:.0e} or more "
                        "(their powers overflow float64)", column=column,
                        source=source.describe(), hint="rescale the column")


def _other_arms(engine: EngineProtocol, source: Source, arm: str, treated: str,
                control: str) -> dict[str, int]:
    """The most frequent logged arm labels that are neither treatment nor control."""
    label = f"CAST({quote_ident(arm)} AS STRING)"
    sql = (f"SELECT {label} AS label, COUNT(*) AS n FROM src WHERE {label} IS NOT NULL "
           f"AND NOT lower({label}) IN ({treated}) AND NOT lower({label}) IN ({control}) "
           f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {SHOWN_ARMS}")
    return {str(r["label"]): int(r["n"]) for r in engine.query(source, sql).to_pylist()}


def aggregate_grid(engine: EngineProtocol, source: Source, *, regions: Sequence[str],
                   start_ns: int, period_ns: int, region: str, time: str,
                   columns: Sequence[str], time_unit: str = "s"
                   ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64],
                              dict[str, NDArray[np.float64]], dict[str, NDArray[np.int64]]]:
    """Sums per region and period of an unbounded grid (e.g. a pre-period before ``start``).

    Returns:
        ``(region_index, period_index, rows, sums, counts)``, one entry per non-empty
        region-period of a known region; period indices may be negative.

    Example:
        >>> import pandas as pd
        >>> from causalkit.data import Source, get_engine
        >>> df = pd.DataFrame({"region": ["A", "A"], "y": [1.0, 3.0],
        ...     "timestamp": pd.to_datetime(["2025-12-31T22:10Z", "2025-12-31T23:10Z"])})
        >>> src = Source.from_frame(df)
        >>> r, k, n, s, c = aggregate_grid(get_engine(src), src, regions=["A"],
        ...     start_ns=1767225600 * 10**9, period_ns=3600 * 10**9, region="region",
        ...     time="timestamp", columns=["y"])
        >>> k.tolist(), s["y"].tolist()
        ([-2, -1], [1.0, 3.0])
    """
    cols = list(dict.fromkeys(columns))
    schema = engine.require_columns(source, numeric=cols, present=[region, time])
    ns = _time_expr(schema[time], time, time_unit, dialect_of(engine))
    names = ", ".join(quote_literal(r) for r in regions)
    limit = double_literal(OUTCOME_LIMIT)
    aggs = "".join(f", SUM(CAST({quote_ident(c)} AS DOUBLE)) AS s{i}, "
                   f"COUNT({quote_ident(c)}) AS n{i}, "
                   f"COUNT_IF(ABS(CAST({quote_ident(c)} AS DOUBLE)) >= {limit}) AS big{i}"
                   for i, c in enumerate(cols))
    sql = f"""
SELECT r, k, COUNT(*) AS rows_n{aggs}
FROM (SELECT *, CAST({quote_ident(region)} AS STRING) AS r,
             CAST(floor(({ns} - {start_ns}) / {period_ns}) AS BIGINT) AS k FROM src)
WHERE r IN ({names}) AND k IS NOT NULL
GROUP BY r, k ORDER BY r, k
"""
    table = engine.query(source, sql)
    for i, c in enumerate(cols):
        big = table.column(f"big{i}").to_numpy(zero_copy_only=False).astype(np.float64)
        _refuse_extremes(c, int(np.nansum(big)),
                         table.column(f"s{i}").to_numpy(zero_copy_only=False), source)
    index = {r: i for i, r in enumerate(regions)}
    r_ix = np.array([index[str(x)] for x in table.column("r").to_pylist()], dtype=np.int64)
    k = table.column("k").to_numpy(zero_copy_only=False).astype(np.int64)
    rows = table.column("rows_n").to_numpy(zero_copy_only=False).astype(np.int64)
    sums = {c: np.nan_to_num(table.column(f"s{i}").to_numpy(zero_copy_only=False)
                             .astype(np.float64)) for i, c in enumerate(cols)}
    counts = {c: table.column(f"n{i}").to_numpy(zero_copy_only=False).astype(np.int64)
              for i, c in enumerate(cols)}
    return r_ix, k, rows, sums, counts
