"""One scan of the experiment data: per-arm sufficient statistics and data-quality counts.

Everything an A/B analysis needs comes from one grouped aggregate query through
the engine (``engine.query``; the relation ``src`` is the data), plus a check
that every unit appears once:

* per arm: the row count, and for every metric column the sum of ``x - s`` and
  for every column pair the metrics use the sum of ``(x - s_x)(y - s_y)``, where
  the shift ``s`` is the data value closest to the mean of the first 10,000 rows
  (a tiny query). Then ``mean = s + d / n`` and ``comoment = C - d d' / n``: the
  shifted sums are as fast as raw sums (about 0.6 of DuckDB's ``VAR_SAMP``) and,
  because ``s`` is close to the mean, as accurate as a two-pass computation; a
  constant column gives exactly zero variance. Also NULL counts (of the data
  columns), values outside {0, 1} of the columns of binary kinds and the first/last
  exposure time (NaN propagates through the sums and is then counted by a second
  query for the message);
* per arm, for every moment column, its smallest and largest value (the data-quality
  checks of :mod:`causalkit.ab.quality`: one unit's share of a column's variance,
  values near the float64 limit), and for the exposure time the non-NULL count and the
  first and last time as epoch microseconds (times outside :data:`EXPOSURE_RANGE` are
  counted, so a sentinel such as 9999-12-31 is a clear error, not an overflow);
* a virtual column that a metric kind declares (``derived``, e.g. ``y*y``) is the
  product ``CAST(a AS DOUBLE) * CAST(b AS DOUBLE)`` of its two data columns,
  computed in the same query; the data checks name the data columns;
* once: missing unit ids and the number of distinct units. For integer ids
  in a compact range, DuckDB counts them with a bitmap (``bitstring_agg``, about
  half the cost of a scan); otherwise with ``COUNT(DISTINCT ...)``. When rows
  outnumber distinct units, a second query says whether units sit in two arms
  or repeat within an arm, with examples.

The power planner reads its pre-period moments from the same query without
grouping (:func:`moments`).

Example:
    >>> import pandas as pd
    >>> from causalkit.data import Source
    >>> df = pd.DataFrame({"u": [1, 2, 3], "v": ["c", "t", "t"], "y": [1.0, 2.0, 4.0]})
    >>> s = scan(Source.from_frame(df), unit="u", variant="v", columns=["y"], pairs=[("y", "y")])
    >>> s.arms["t"].n, s.arms["t"].mean.tolist(), s.duplicate_rows
    (2, [3.0], 0)
    >>> isinstance(s, Scan)
    True
    >>> sq = scan(Source.from_frame(df), unit="u", variant="v", columns=["y*y"],
    ...           pairs=[("y*y", "y*y")], derived={"y*y": ("y", "y")})
    >>> sq.arms["t"].mean.tolist()
    [10.0]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from causalkit.data import ColumnKind, Moments, Source, get_engine, quote_ident
from causalkit.data.duckdb_engine import DuckDBEngine
from causalkit.data.sql import dialect_of, double_literal, epoch_us
from causalkit.errors import DataError
from causalkit.spec.common import Engine

Derived = Mapping[str, tuple[str, str]]
"""Virtual column -> the two data columns whose product it is."""

_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER",
              "UBIGINT")
BITMAP_MAX_RANGE = 1 << 30
"""Largest id range counted with a bitmap (128 MB of bits); wider ranges use COUNT(DISTINCT)."""


EXPOSURE_RANGE = (datetime(1900, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))
"""Exposure times must fall in ``[1900-01-01, 2200-01-01)`` UTC; others are sentinels."""


@dataclass(frozen=True)
class Scan:
    """The result of :func:`scan`.

    Attributes:
        arms: variant label (as text) -> moments of ``columns`` (pairs not asked
            for are NaN). Rows without a label are not in an arm (``missing_variant``).
        by_day: ``{(variant, day): Moments}`` when a timestamp was given, else empty
            (rows without an exposure time are in no day).
        nonbinary: column -> rows whose value is not 0 or 1 (proportion columns).
        rows: total rows.
        units: distinct unit ids.
        duplicate_rows: ``rows - units`` (0 when every unit appears once).
        first_exposure: earliest timestamp (UTC) or None.
        last_exposure: latest timestamp (UTC) or None.
        ranges: variant -> column -> ``(min, max)`` of the column's values in the arm.
        overflow: columns whose sums overflow float64 (every value finite).
        missing_timestamps: rows without an exposure time.
        missing_variant: rows without an arm label (NULL).
        cells: with ``segments``: ``(arm, value per segment column) -> Moments`` (values
            as text, ``None`` when missing); ``arms`` are their sums. Else empty.
    """

    arms: dict[str, Moments]
    by_day: dict[tuple[str, Any], Moments] = field(default_factory=dict)
    nonbinary: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    units: int = 0
    duplicate_rows: int = 0
    first_exposure: datetime | None = None
    last_exposure: datetime | None = None
    ranges: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)
    overflow: tuple[str, ...] = ()
    missing_timestamps: int = 0
    missing_variant: int = 0
    cells: dict[tuple[Any, ...], Moments] = field(default_factory=dict)


@dataclass
class _Parsed:
    """The parsed rows of one grouped query."""

    moments: dict[tuple[Any, ...], Moments]
    nonbinary: dict[str, int]
    ranges: dict[tuple[Any, ...], dict[str, tuple[float, float]]]
    overflow: tuple[str, ...] = ()
    first_us: int | None = None
    last_us: int | None = None
    timestamps: int = 0
    out_of_range: int = 0


def _x(col: str) -> str:
    return f"CAST({quote_ident(col)} AS DOUBLE)"


def _expr(col: str, derived: Derived) -> str:
    """The DOUBLE expression of a column: the column, or the product of a virtual column's factors."""
    if col in derived:
        a, b = derived[col]
        return f"({_x(a)} * {_x(b)})"
    return _x(col)


def _factors(columns: Sequence[str], derived: Derived) -> list[str]:
    """The data columns behind ``columns`` (virtual ones replaced by their factors)."""
    out: list[str] = []
    for c in columns:
        out.extend(derived.get(c, (c,)))
    return list(dict.fromkeys(out))


SHIFT_ROWS = 10_000


def _shift_sql(exprs: Sequence[str]) -> str:
    v = [quote_ident(f"__ck_v{i}") for i in range(len(exprs))]
    m = [quote_ident(f"__ck_m{i}") for i in range(len(exprs))]
    inner = ", ".join(f"{x} AS {vi}" for x, vi in zip(exprs, v))
    window = ", ".join([*v, *(f"AVG({vi}) OVER () AS {mi}" for vi, mi in zip(v, m))])
    picks = ", ".join(f"MIN_BY({vi}, ABS({vi} - {mi}))" for vi, mi in zip(v, m))
    return (f"SELECT {picks} FROM (SELECT {window} FROM "
            f"(SELECT {inner} FROM src LIMIT {SHIFT_ROWS}) AS s) AS w")


def _grouped_sql(keys: Sequence[str], plan: _Plan, shifts: Sequence[float],
                 timestamp: str | None, dialect: Engine, *, ranges: bool) -> str:
    exprs = plan.exprs
    dev = [f"({x} - {double_literal(v)})" for x, v in zip(exprs, shifts)]
    aggs = ["COUNT(*)"]
    aggs += [f"SUM({d})" for d in dev]
    aggs += [f"SUM({dev[i]} * {dev[j]})" for i, j in plan.pairs]
    aggs += [f"COUNT({quote_ident(c)})" for c in plan.counted]
    aggs += [f"COUNT_IF({_x(c)} <> 0 AND {_x(c)} <> 1)" for c in plan.binary]
    if ranges:
        aggs += [f"MIN({x})" for x in exprs]
        aggs += [f"MAX({x})" for x in exprs]
    if timestamp is not None:
        us = epoch_us(quote_ident(timestamp), dialect)
        lo, hi = (int(t.timestamp()) * 1_000_000 for t in EXPOSURE_RANGE)
        inside = f"{us} >= {lo} AND {us} < {hi}"
        aggs += [f"COUNT({quote_ident(timestamp)})", f"MIN(CASE WHEN {inside} THEN {us} END)",
                 f"MAX(CASE WHEN {inside} THEN {us} END)", f"COUNT_IF(NOT ({inside}))"]
    named = [f"{a} AS {quote_ident(f'__ck_a{i}')}" for i, a in enumerate(aggs)]
    group = ", ".join(str(i + 1) for i in range(len(keys)))
    tail = f" GROUP BY {group}" if keys else ""
    return f"SELECT {', '.join([*keys, *named])} FROM src{tail}"


def _utc(us: int | None) -> datetime | None:
    """Epoch microseconds -> an aware UTC datetime (None stays None)."""
    if us is None:
        return None
    return EXPOSURE_RANGE[0] + timedelta(microseconds=int(us) - _US_1900)


_US_1900 = int(EXPOSURE_RANGE[0].timestamp()) * 1_000_000


def scan(
    source: Source,
    *,
    unit: str,
    variant: str,
    columns: Sequence[str],
    pairs: Sequence[tuple[str, str]],
    binary: Sequence[str] = (),
    derived: Derived | None = None,
    timestamp: str | None = None,
    by_day: bool = False,
    check_duplicates: bool = True,
    segments: Sequence[str] = (),
) -> Scan:
    """Scan the data once for per-arm sufficient statistics and data-quality counts.

    Args:
        source: the data.
        unit: column of unit ids.
        variant: column of arm labels.
        columns: numeric metric columns (virtual ones included).
        pairs: column pairs whose covariance is needed (the diagonal included).
        binary: data columns whose values must be 0 or 1 (of binary kinds).
        derived: virtual column -> the two data columns whose product it is.
        timestamp: exposure-time column (first/last exposure, and days when ``by_day``).
        by_day: also return moments per arm and calendar day (UTC) of ``timestamp``.
        check_duplicates: count distinct units (skip only when uniqueness is
            guaranteed upstream).
        segments: unit attribute columns: the same query groups by arm and every
            segment column (``Scan.cells``); the arms' moments are the cells' sums
            (moments add exactly), so a segment breakdown costs no second scan.

    Raises:
        DataError: for missing or non-numeric columns, NULL/NaN metric values,
            missing unit ids, or a non-timestamp ``timestamp`` column.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"u": [1, 1], "v": ["c", "t"], "y": [1.0, 2.0]})
        >>> scan(Source.from_frame(df), unit="u", variant="v", columns=["y"],
        ...      pairs=[("y", "y")]).duplicate_rows
        1
    """
    engine = get_engine(source)
    plan = _Plan.of(columns, pairs, binary, derived)
    schema = engine.require_columns(source, numeric=plan.counted, present=[unit, variant])
    if timestamp is not None:
        engine.require_columns(source, present=[timestamp])
        if schema[timestamp] is not ColumnKind.TIMESTAMP:
            raise DataError(f"holds {schema[timestamp].value} values, not timestamps",
                            column=timestamp, source=source.describe(),
                            hint="store exposure times as a timestamp column")
    if segments:
        engine.require_columns(source, present=list(segments))
    shifts = plan.shifts(engine, source)
    key = f"CAST({quote_ident(variant)} AS STRING)"
    seg_keys = [f"CAST({quote_ident(c)} AS STRING)" for c in segments]
    main = plan.run(engine, source, [key, *seg_keys], shifts, timestamp, ranges=True)
    cells: dict[tuple[Any, ...], Moments] = {}
    if segments:
        cells = {k: m for k, m in main.moments.items() if k[0] is not None}
        main = _collapse(main)
    if main.out_of_range:
        raise DataError(
            f"{main.out_of_range:,} exposure time(s) outside {EXPOSURE_RANGE[0].year} to "
            f"{EXPOSURE_RANGE[1].year - 1}", column=timestamp, source=source.describe(),
            hint="sentinel times such as 0001-01-01 or 9999-12-31 stand for unknown ones: "
                 "set them to NULL (counted in a check) or drop those rows")
    days: dict[tuple[str, Any], Moments] = {}
    if by_day and timestamp is not None:
        day = f"CAST({quote_ident(timestamp)} AS DATE)"
        parsed = replace(plan, binary=()).run(engine, source, [key, day], shifts, None,
                                              ranges=False).moments
        days = {(str(k[0]), k[1]): m for k, m in parsed.items()
                if k[0] is not None and k[1] is not None}
    labelled = {str(k[0]): m for k, m in main.moments.items() if k[0] is not None}
    rows = sum(m.n for m in main.moments.values())
    units = rows
    if check_duplicates:
        units = _distinct_units(engine, source, unit, schema, rows)
    return Scan(
        arms=labelled,
        by_day=days,
        nonbinary=main.nonbinary,
        rows=rows,
        units=units,
        duplicate_rows=rows - units,
        first_exposure=_utc(main.first_us),
        last_exposure=_utc(main.last_us),
        ranges={str(k[0]): r for k, r in main.ranges.items() if k[0] is not None},
        overflow=main.overflow,
        missing_timestamps=rows - main.timestamps if timestamp is not None else 0,
        missing_variant=sum(m.n for k, m in main.moments.items() if k[0] is None),
        cells=cells,
    )


def _collapse(parsed: _Parsed) -> _Parsed:
    """Cells keyed ``(arm, segments...)`` summed into arms keyed ``(arm,)``."""
    moments: dict[tuple[Any, ...], Moments] = {}
    ranges: dict[tuple[Any, ...], dict[str, tuple[float, float]]] = {}
    for key, m in parsed.moments.items():
        arm = (key[0],)
        moments[arm] = moments[arm] + m if arm in moments else m
        for col, (lo, hi) in parsed.ranges.get(key, {}).items():
            have = ranges.setdefault(arm, {}).get(col)
            ranges[arm][col] = (lo, hi) if have is None else (
                float(np.fmin(have[0], lo)), float(np.fmax(have[1], hi)))
    return replace(parsed, moments=moments, ranges=ranges)


def moments(source: Source, *, columns: Sequence[str], pairs: Sequence[tuple[str, str]],
            binary: Sequence[str] = (), derived: Derived | None = None
            ) -> tuple[Moments, dict[str, int]]:
    """The moments of all rows (no arms) and the non-0/1 counts of ``binary`` columns.

    The same query as :func:`scan` without grouping (the power planner's pre-period data).

    Raises:
        DataError: for missing or non-numeric columns and NULL/NaN values.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"y": [1.0, 2.0, 4.0]})
        >>> m, bad = moments(Source.from_frame(df), columns=["y", "y*y"],
        ...                  pairs=[("y", "y*y")], binary=["y"], derived={"y*y": ("y", "y")})
        >>> m.n, m.mean.tolist(), bad
        (3, [2.3333333333333335, 7.0], {'y': 2})
    """
    engine = get_engine(source)
    plan = _Plan.of(columns, pairs, binary, derived)
    engine.require_columns(source, numeric=plan.counted)
    got = plan.run(engine, source, [], plan.shifts(engine, source), None, ranges=False)
    if got.overflow:
        raise DataError("its sums overflow float64 (values too large)", column=got.overflow[0],
                        source=source.describe(), hint="rescale the column")
    return got.moments.get((), Moments.empty(plan.columns)), got.nonbinary


@dataclass(frozen=True)
class _Plan:
    """The columns of one scan: moment columns, their SQL, pairs, data and 0/1 columns."""

    columns: list[str]
    exprs: list[str]
    pairs: list[tuple[int, int]]
    counted: list[str]
    binary: Sequence[str]
    derived: Derived

    @classmethod
    def of(cls, columns: Sequence[str], pairs: Sequence[tuple[str, str]],
           binary: Sequence[str], derived: Derived | None) -> _Plan:
        virtual = dict(derived or {})
        cols = list(dict.fromkeys(columns))
        index = {c: i for i, c in enumerate(cols)}
        pair_idx = sorted({tuple(sorted((index[a], index[b]))) for a, b in pairs})
        return cls(cols, [_expr(c, virtual) for c in cols],
                   [(int(p[0]), int(p[1])) for p in pair_idx], _factors(cols, virtual),
                   tuple(binary), virtual)

    def shifts(self, engine: Any, source: Source) -> list[float]:
        """Per column, the data value closest to the mean of the first rows (0 if none)."""
        head = engine.query(source, _shift_sql(self.exprs)).to_pylist()
        raw = list(head[0].values()) if head else []
        shifts = [float(v) if v is not None and np.isfinite(float(v)) else 0.0 for v in raw]
        return shifts + [0.0] * (len(self.columns) - len(shifts))

    def run(self, engine: Any, source: Source, keys: Sequence[str], shifts: Sequence[float],
            timestamp: str | None, *, ranges: bool) -> _Parsed:
        """The grouped query and its parsed rows."""
        sql = _grouped_sql(keys, self, shifts, timestamp, dialect_of(engine), ranges=ranges)
        return _parse(engine.query(source, sql).to_pylist(), len(keys), self, shifts,
                      timestamp, source, ranges=ranges)


def _parse(rows: list[dict[str, Any]], nkeys: int, plan: _Plan, shifts: Sequence[float],
           timestamp: str | None, source: Source, *, ranges: bool) -> _Parsed:
    cols, pairs, binary = plan.columns, plan.pairs, plan.binary
    k, kc = len(cols), len(plan.counted)
    shift = np.asarray(shifts, dtype=np.float64)
    out = _Parsed({}, dict.fromkeys(binary, 0), {})
    missing = np.zeros(kc, dtype=np.int64)
    nonfinite = np.zeros(k, dtype=bool)
    firsts: list[int] = []
    lasts: list[int] = []
    for row in rows:
        vals = list(row.values())
        key = tuple(vals[:nkeys])
        v = vals[nkeys:]
        n = int(v[0])
        d = np.array([np.nan if x is None else float(x) for x in v[1:1 + k]])
        pos = 1 + k
        raw = np.full((k, k), np.nan)
        for i, j in pairs:
            raw[i, j] = raw[j, i] = float(v[pos]) if v[pos] is not None else np.nan
            pos += 1
        counts = np.array([int(x or 0) for x in v[pos:pos + kc]], dtype=np.int64)
        missing += n - counts
        pos += kc
        for c in binary:
            out.nonbinary[c] += int(v[pos] or 0)
            pos += 1
        if ranges:
            lo = [np.nan if x is None else float(x) for x in v[pos:pos + k]]
            hi = [np.nan if x is None else float(x) for x in v[pos + k:pos + 2 * k]]
            out.ranges[key] = {c: (a, b) for c, a, b in zip(cols, lo, hi)}
            pos += 2 * k
        if timestamp is not None:
            out.timestamps += int(v[pos] or 0)
            if v[pos + 1] is not None and v[pos + 2] is not None:
                firsts.append(int(v[pos + 1]))
                lasts.append(int(v[pos + 2]))
            out.out_of_range += int(v[pos + 3] or 0)
        if n:
            with np.errstate(invalid="ignore"):
                nonfinite |= ~np.isfinite(d) | ~np.isfinite(np.diag(raw)) & \
                    ~np.isnan(np.diag(raw))
        out.moments[key] = _moments(cols, n, shift, d, raw)
    for c, count in zip(plan.counted, missing):
        if count:
            raise DataError(f"{int(count)} missing value(s)", column=c, source=source.describe(),
                            hint="fill or drop them before the analysis")
    out.overflow = tuple(c for c, bad in zip(cols, nonfinite)
                         if bad and _overflows(source, c, plan.derived))
    out.first_us, out.last_us = min(firsts, default=None), max(lasts, default=None)
    return out


def require_binary(nonbinary: Mapping[str, int], source: Source) -> None:
    """Raise for the first column of a binary kind (a proportion) with values other than 0 and 1.

    Example:
        >>> import pandas as pd
        >>> require_binary({"y": 0}, Source.from_frame(pd.DataFrame()))
        >>> require_binary({"y": 2}, Source.from_frame(pd.DataFrame()))
        Traceback (most recent call last):
        ...
        causalkit.errors.DataError: <dataframe>: column 'y': 2 value(s) other than 0 and 1 in a proportion metric (...)
    """
    for col, count in nonbinary.items():
        if count:
            raise DataError(f"{count} value(s) other than 0 and 1 in a proportion metric",
                            column=col, source=source.describe(),
                            hint="use type: mean for non-binary values")


def _moments(cols: list[str], n: int, shift: np.ndarray, d: np.ndarray,
             raw: np.ndarray) -> Moments:
    """Moments from shifted sums (the corrected two-pass formula; noise-level variance -> 0)."""
    k = len(cols)
    if n == 0:
        return Moments(tuple(cols), 0, np.full(k, np.nan), np.zeros((k, k)))
    with np.errstate(all="ignore"):
        com = raw - np.outer(d, d) / n
        diag = np.diag(raw).copy()
        tiny = np.diag(com) <= 1e-12 * diag
    com[tiny, :] = 0.0
    com[:, tiny] = 0.0
    return Moments(tuple(cols), n, shift + d / n, com)


def _overflows(source: Source, column: str, derived: Derived) -> bool:
    """True when a column's values are finite but its sums overflow float64.

    Raises:
        DataError: naming the data column that holds NaN or infinite values.
    """
    for c in derived.get(column, (column,)):
        x = _x(c)
        inf = double_literal(math.inf)
        row = get_engine(source).query(
            source, f"SELECT COUNT_IF(ISNAN({x})) AS nan, COUNT_IF(ABS({x}) = {inf}) AS inf "
                    "FROM src").to_pylist()[0]
        if row["nan"] or row["inf"]:
            what = (f"{row['nan']} NaN value(s)" if row["nan"] else "") + \
                (" and " if row["nan"] and row["inf"] else "") + \
                (f"{row['inf']} infinite value(s)" if row["inf"] else "")
            raise DataError(what, column=c, source=source.describe(),
                            hint="fill or drop them before the analysis")
    return True


def _distinct_units(engine: Any, source: Source, unit: str, schema: dict[str, ColumnKind],
                    rows: int) -> int:
    u = quote_ident(unit)
    head = engine.query(source, f"SELECT COUNT(*) - COUNT({u}) AS missing, "
                                f"MIN({u}) AS lo, MAX({u}) AS hi FROM src").to_pylist()[0]
    if head["missing"]:
        raise DataError(f"{head['missing']} row(s) without a unit id", column=unit,
                        source=source.describe(), hint="drop rows without an id")
    lo, hi = head["lo"], head["hi"]
    is_int = schema.get(unit) is ColumnKind.NUMERIC and isinstance(lo, int) and \
        isinstance(hi, int) and not isinstance(lo, bool)
    if is_int and isinstance(engine, DuckDBEngine) and 0 <= hi - lo < BITMAP_MAX_RANGE:
        sql = (f"SELECT bit_count(bitstring_agg(CAST({u} AS BIGINT), {int(lo)}, {int(hi)})) "
               f"AS units FROM src")
    else:
        sql = f"SELECT COUNT(DISTINCT {u}) AS units FROM src"
    return int(engine.query(source, sql).to_pylist()[0]["units"])


def duplicate_details(source: Source, *, unit: str, variant: str,
                      examples: int = 5) -> tuple[int, int, list[str]]:
    """Diagnose duplicated ids: ``(units in two or more arms, units repeated within an arm, examples)``.

    Only run when :func:`scan` found duplicates (it groups by unit, a heavier query).

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"u": [1, 1, 2, 2], "v": ["c", "t", "c", "c"]})
        >>> duplicate_details(Source.from_frame(df), unit="u", variant="v")
        (1, 1, ['1', '2'])
    """
    engine = get_engine(source)
    u, v = quote_ident(unit), quote_ident(variant)
    sql = (f"SELECT CAST({u} AS STRING) AS id, COUNT(DISTINCT {v}) AS arms, COUNT(*) AS n "
           f"FROM src GROUP BY {u} HAVING COUNT(*) > 1 ORDER BY 1")
    rows = engine.query(source, sql).to_pylist()
    cross = sum(1 for r in rows if r["arms"] > 1)
    within = sum(1 for r in rows if r["arms"] == 1)
    return cross, within, [r["id"] for r in itertools.islice(rows, examples)]
