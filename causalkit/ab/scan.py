"""One scan of the experiment data: per-arm sufficient statistics and data-quality counts.

Everything an A/B analysis needs comes from one grouped aggregate query through
the engine (``engine.query``; the relation ``src`` is the data), plus a check
that every unit appears once:

* per arm: the row count, the mean of every metric column and the centred
  cross-products of the column pairs the metrics use (``COVAR_POP * COUNT``,
  DuckDB's numerically stable streaming covariance), NULL/NaN counts, values
  outside {0, 1} of proportion columns, and the first/last exposure time;
* once: missing unit ids and the number of distinct units. For integer ids
  in a compact range, DuckDB counts them with a bitmap (``bitstring_agg``, about
  half the cost of a scan); otherwise with ``COUNT(DISTINCT ...)``. When rows
  outnumber distinct units, a second query says whether units sit in two arms
  or repeat within an arm, with examples.

Example:
    >>> import pandas as pd
    >>> from causalkit.data import Source
    >>> df = pd.DataFrame({"u": [1, 2, 3], "v": ["c", "t", "t"], "y": [1.0, 2.0, 4.0]})
    >>> s = scan(Source.from_frame(df), unit="u", variant="v", columns=["y"], pairs=[("y", "y")])
    >>> s.arms["t"].n, s.arms["t"].mean.tolist(), s.duplicate_rows
    (2, [3.0], 0)
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from causalkit.data import ColumnKind, Moments, Source, get_engine, quote_ident
from causalkit.data.duckdb_engine import DuckDBEngine
from causalkit.errors import DataError

_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER",
              "UBIGINT")
BITMAP_MAX_RANGE = 1 << 30
"""Largest id range counted with a bitmap (128 MB of bits); wider ranges use COUNT(DISTINCT)."""


@dataclass(frozen=True)
class Scan:
    """The result of :func:`scan`.

    Attributes:
        arms: variant label (as text) -> moments of ``columns`` (pairs not asked
            for are NaN).
        by_day: ``{(variant, day): Moments}`` when a timestamp was given, else empty.
        nonbinary: column -> rows whose value is not 0 or 1 (proportion columns).
        rows: total rows.
        units: distinct unit ids.
        duplicate_rows: ``rows - units`` (0 when every unit appears once).
        first_exposure: earliest timestamp (UTC) or None.
        last_exposure: latest timestamp (UTC) or None.
    """

    arms: dict[str, Moments]
    by_day: dict[tuple[str, Any], Moments] = field(default_factory=dict)
    nonbinary: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    units: int = 0
    duplicate_rows: int = 0
    first_exposure: datetime | None = None
    last_exposure: datetime | None = None


def _x(col: str) -> str:
    return f"CAST({quote_ident(col)} AS DOUBLE)"


def _grouped_sql(keys: Sequence[str], columns: Sequence[str], pairs: Sequence[tuple[int, int]],
                 binary: Sequence[str], timestamp: str | None) -> str:
    xs = [_x(c) for c in columns]
    aggs = ["COUNT(*)"]
    aggs += [f"AVG({x})" for x in xs]
    aggs += [f"COALESCE(COVAR_POP({xs[i]}, {xs[j]}), 0) * COUNT(*)" for i, j in pairs]
    aggs += [f"COUNT(*) - COUNT({x}) + COUNT_IF(ISNAN({x}))" for x in xs]
    aggs += [f"COUNT_IF({_x(c)} <> 0 AND {_x(c)} <> 1)" for c in binary]
    if timestamp is not None:
        t = quote_ident(timestamp)
        aggs += [f"MIN({t})", f"MAX({t})"]
    group = ", ".join(str(i + 1) for i in range(len(keys)))
    return f"SELECT {', '.join([*keys, *aggs])} FROM src GROUP BY {group}"


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return None


def scan(
    source: Source,
    *,
    unit: str,
    variant: str,
    columns: Sequence[str],
    pairs: Sequence[tuple[str, str]],
    binary: Sequence[str] = (),
    timestamp: str | None = None,
    by_day: bool = False,
    check_duplicates: bool = True,
) -> Scan:
    """Scan the data once for per-arm sufficient statistics and data-quality counts.

    Args:
        source: the data.
        unit: column of unit ids.
        variant: column of arm labels.
        columns: numeric metric columns.
        pairs: column pairs whose covariance is needed (the diagonal included).
        binary: proportion columns whose values must be 0 or 1.
        timestamp: exposure-time column (first/last exposure, and days when ``by_day``).
        by_day: also return moments per arm and calendar day (UTC) of ``timestamp``.
        check_duplicates: count distinct units (skip only when uniqueness is
            guaranteed upstream).

    Raises:
        DataError: for missing or non-numeric columns, NULL/NaN metric values,
            missing unit ids, or a non-timestamp ``timestamp`` column.
    """
    engine = get_engine(source)
    schema = engine.require_columns(source, numeric=columns, present=[unit, variant])
    if timestamp is not None:
        engine.require_columns(source, present=[timestamp])
        if schema[timestamp] is not ColumnKind.TIMESTAMP:
            raise DataError(f"holds {schema[timestamp].value} values, not timestamps",
                            column=timestamp, source=source.describe(),
                            hint="store exposure times as a timestamp column")
    cols = list(dict.fromkeys(columns))
    index = {c: i for i, c in enumerate(cols)}
    pair_idx = sorted({tuple(sorted((index[a], index[b]))) for a, b in pairs})
    pair_list: list[tuple[int, int]] = [(int(p[0]), int(p[1])) for p in pair_idx]
    arms_sql = _grouped_sql([f"CAST({quote_ident(variant)} AS VARCHAR)"], cols, pair_list,
                            binary, timestamp)
    arms, nonbinary, first, last = _parse(
        engine.query(source, arms_sql).to_pylist(), 1, cols, pair_list, binary, timestamp,
        source.describe())
    days: dict[tuple[str, Any], Moments] = {}
    if by_day and timestamp is not None:
        day_sql = _grouped_sql([f"CAST({quote_ident(variant)} AS VARCHAR)",
                                f"CAST({quote_ident(timestamp)} AS DATE)"], cols, pair_list, (),
                               None)
        parsed = _parse(engine.query(source, day_sql).to_pylist(), 2, cols, pair_list, (), None,
                        source.describe())[0]
        days = {(str(k[0]), k[1]): m for k, m in parsed.items()}
    rows = sum(m.n for m in arms.values())
    units = rows
    if check_duplicates:
        units = _distinct_units(engine, source, unit, schema, rows)
    return Scan(
        arms={str(k[0]): m for k, m in arms.items()},
        by_day=days,
        nonbinary=nonbinary,
        rows=rows,
        units=units,
        duplicate_rows=rows - units,
        first_exposure=first,
        last_exposure=last,
    )


def _parse(rows: list[dict[str, Any]], nkeys: int, cols: list[str],
           pairs: list[tuple[int, int]], binary: Sequence[str], timestamp: str | None,
           where: str) -> tuple[dict[tuple[Any, ...], Moments], dict[str, int],
                                datetime | None, datetime | None]:
    k = len(cols)
    out: dict[tuple[Any, ...], Moments] = {}
    bad = np.zeros(k, dtype=np.int64)
    nonbinary = dict.fromkeys(binary, 0)
    firsts: list[datetime] = []
    lasts: list[datetime] = []
    for row in rows:
        vals = list(row.values())
        key = tuple(vals[:nkeys])
        v = vals[nkeys:]
        n = int(v[0])
        mean = np.array([np.nan if x is None else float(x) for x in v[1:1 + k]])
        pos = 1 + k
        com = np.full((k, k), np.nan)
        for i, j in pairs:
            com[i, j] = com[j, i] = float(v[pos] or 0.0)
            pos += 1
        bad += np.array([int(x or 0) for x in v[pos:pos + k]], dtype=np.int64)
        pos += k
        for c in binary:
            nonbinary[c] += int(v[pos] or 0)
            pos += 1
        if timestamp is not None:
            lo, hi = _utc(v[pos]), _utc(v[pos + 1])
            if lo is not None and hi is not None:
                firsts.append(lo)
                lasts.append(hi)
        out[key] = Moments(tuple(cols), n, mean, com)
    for c, count in zip(cols, bad):
        if count:
            raise DataError(f"{int(count)} missing or NaN value(s)", column=c, source=where,
                            hint="fill or drop them before the analysis")
    return out, nonbinary, min(firsts, default=None), max(lasts, default=None)


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
    sql = (f"SELECT CAST({u} AS VARCHAR) AS id, COUNT(DISTINCT {v}) AS arms, COUNT(*) AS n "
           f"FROM src GROUP BY {u} HAVING COUNT(*) > 1 ORDER BY 1")
    rows = engine.query(source, sql).to_pylist()
    cross = sum(1 for r in rows if r["arms"] > 1)
    within = sum(1 for r in rows if r["arms"] == 1)
    return cross, within, [r["id"] for r in itertools.islice(rows, examples)]
