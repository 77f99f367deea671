"""Portable SQL texts shared by the DuckDB and Spark engines.

Every text here is written in the common subset of DuckDB and Spark SQL (ANSI
mode with double-quoted identifiers, which :class:`~causalkit.data.spark_engine.SparkEngine`
switches on for its own queries): ``CAST(... AS DOUBLE)``, ``AVG``, ``SUM``,
``MIN``/``MAX``, ``COUNT``, ``COUNT_IF``, ``ISNAN``, ``IS NOT DISTINCT FROM``.
The relation ``src`` stands for the source, as in ``engine.query``. Where no common
spelling exists (epoch times, integer division) a helper takes the engine's dialect
(:func:`dialect_of`) and returns that engine's form.

Portable spellings to prefer: ``CAST(x AS STRING)`` (``VARCHAR`` is DuckDB only),
``CAST(x AS DOUBLE)`` (not ``x::DOUBLE``), ``COUNT_IF(cond)``, ``GROUP BY 1``,
``IS NOT DISTINCT FROM``.

Quoting: texts are written in DuckDB's lexical grammar, with every name and value
from a spec or the data quoted by :func:`~causalkit.data.engine.quote_ident`
(``"..."``, inner ``"`` doubled) and :func:`~causalkit.data.engine.quote_literal`
(``'...'``, inner ``'`` doubled); DuckDB reads a backslash as itself. Spark reads a
backslash in either kind of quotes as an escape, so the Spark engine re-spells every
quoted token of a text before it runs it (:func:`to_spark`): identifiers in backticks
(the only Spark quoting without escapes), and string values holding a quote, a
backslash or a control character as ``CAST(X'<utf-8 hex>' AS STRING)``, which no
value can break out of. A name such as ``K\\'R -- x`` thus reaches both engines as
one name, whatever it holds.

Grouped moments are computed in two passes so that both engines return the same
numbers to about 1e-14 relative, whatever their summation order:

1. ``shift_sql``: per group, the mean of each column (any engine's AVG is fine:
   it only serves as a shift close to the mean);
2. ``moments_sql``: per group, the count, the sums ``d = sum(x - s)`` and
   ``C = sum((x - s)(y - s))`` of values shifted by that group's mean, with
   MIN/MAX (to recognise constant columns) and the number of NULL/NaN values.

Then ``mean = s + d / n`` and ``comoment = C - d d^T / n`` (the corrected
two-pass algorithm). The shifted values are O(sd), not O(mean), so there is no
catastrophic cancellation even for a metric with mean 1e6 and sd 1, where one-pass
``COVAR_POP`` differs between the engines by about 1e-10.

Example:
    >>> q = MomentsQuery(by=("g",), columns=("y",))
    >>> print(q.shift_sql())
    SELECT "g" AS "__ck_k0", AVG(CAST("y" AS DOUBLE)) AS "__ck_s0" FROM src GROUP BY "g"
    >>> rows = [("a", 2, 1.5, 1.0, 2.5, 1.0, 3.0, 0)]  # the values 1 and 3
    >>> m = q.parse(rows, source="demo")[("a",)]
    >>> m.n, m.mean.tolist(), m.comoment.tolist()
    (2, [2.0], [[2.0]])
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from causalkit.data.engine import quote_ident
from causalkit.data.moments import Moments
from causalkit.errors import DataError
from causalkit.spec.common import Engine

if TYPE_CHECKING:
    import pyarrow as pa

FLOAT_LIMIT = 1e300
"""Magnitude from which a value is "near the float64 limit": its square overflows."""
OUTCOME_LIMIT = 1e75
"""Magnitude from which the fourth power of a value (or of a sum of values) overflows float64.

Analyses that take powers of outcomes outside the engine (the switch-back estimators
square period outcomes, their confidence sequences multiply squared effects by
variances) refuse data values and period sums from this magnitude on; the A/B scan
detects the overflow of its own sums and reports it as a check."""

_ROW = '"__ck_r"'
_SHIFT = '"__ck_m"'


def as_double(expr: str) -> str:
    """``CAST(expr AS DOUBLE)`` (booleans become 0/1 in both engines).

    Example:
        >>> as_double('"y"')
        'CAST("y" AS DOUBLE)'
    """
    return f"CAST({expr} AS DOUBLE)"


def double_literal(value: float) -> str:
    """A DOUBLE literal that round-trips exactly in both engines (NaN and infinities too).

    A bare ``1.5`` is a DECIMAL in both dialects; the string cast is exact and portable.

    Example:
        >>> double_literal(0.1), double_literal(float("-inf"))
        ("CAST('0.1' AS DOUBLE)", "CAST('-inf' AS DOUBLE)")
    """
    return f"CAST('{float(value)!r}' AS DOUBLE)"


def string_literal(value: str) -> str:
    """A string literal that reads the same in DuckDB and Spark SQL.

    Both read ``''`` as a quote, but Spark reads backslashes as escapes and DuckDB
    does not, so a backslash is spelled ``CHR(92)``.

    Example:
        >>> string_literal("it's"), string_literal("a\\\\b")
        ("'it''s'", "('a' || CHR(92) || 'b')")
    """
    parts = ["'" + p.replace("'", "''") + "'" for p in value.split("\\")]
    return parts[0] if len(parts) == 1 else "(" + " || CHR(92) || ".join(parts) + ")"


_TYPED = ("TIMESTAMP", "TIMESTAMP_NTZ", "TIMESTAMP_LTZ", "DATE", "INTERVAL", "TIME")
_TOKENS = re.compile(r"""'[^']*(?:''[^']*)*'|"[^"]*(?:""[^"]*)*"|--[^\n]*|/\*.*?\*/|['"]""",
                     re.S)
_PLAIN = re.compile(r"[^'\\$\x00-\x1f\x7f]*")


def literal(value: str, dialect: Engine) -> str:
    r"""A string literal that reads back as ``value`` in the engine's dialect.

    DuckDB: ``'...'`` with inner quotes doubled (a backslash is itself). Spark: plain
    text in quotes; text with a quote, a backslash, a ``$`` (``${...}`` is a Spark
    variable) or a control character as its UTF-8 bytes in hex
    (``CAST(X'...' AS STRING)``), which holds no character a value could use to end it.

    Example:
        >>> literal("it's", Engine.DUCKDB), literal("K\\'R", Engine.SPARK)
        ("'it''s'", "CAST(X'4B5C2752' AS STRING)")
        >>> literal("KR", Engine.SPARK)
        "'KR'"
    """
    if dialect is not Engine.SPARK:
        return "'" + value.replace("'", "''") + "'"
    if _PLAIN.fullmatch(value):
        return f"'{value}'"
    return f"CAST(X'{value.encode('utf-8', 'surrogatepass').hex().upper()}' AS STRING)"


def identifier(name: str, dialect: Engine) -> str:
    r"""A quoted identifier in the engine's dialect (DuckDB ``"..."``, Spark backticks).

    Spark reads backslashes inside ``"..."`` as escapes even where it takes them as
    identifiers; inside backticks only a doubled backtick is special.

    Example:
        >>> identifier('a"b', Engine.DUCKDB), identifier("a`b\\", Engine.SPARK)
        ('"a""b"', '`a``b\\`')
    """
    if dialect is Engine.SPARK:
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def to_spark(sql: str) -> str:
    r"""Re-spell a portable text (DuckDB's lexical grammar) for Spark: every quoted token.

    Double-quoted identifiers become backticked ones and string literals become
    :func:`literal` for Spark; comments and everything outside quotes are kept. A
    literal right after a type keyword (``TIMESTAMP '...'``) keeps the quoted form,
    with backslashes and quotes escaped as Spark reads them.

    Raises:
        DataError: for a text with an unterminated quote (never built by causalkit).

    Example:
        >>> print(to_spark('SELECT "a\\" FROM src WHERE "r" IN (\'K\\\'\'R\', \'JP\')'))
        SELECT `a\` FROM src WHERE `r` IN (CAST(X'4B5C2752' AS STRING), 'JP')
        >>> to_spark("SELECT TIMESTAMP '2026-01-01 00:00:00'")
        "SELECT TIMESTAMP '2026-01-01 00:00:00'"
    """

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("'", '"'):
            raise DataError("a query text has an unterminated quote",
                            hint="this is a bug in causalkit; please report it")
        if token[0] == '"':
            return identifier(token[1:-1].replace('""', '"'), Engine.SPARK)
        if token[0] != "'":
            return token
        value = token[1:-1].replace("''", "'")
        before = sql[max(0, match.start() - 32):match.start()].rstrip()
        word = re.search(r"[A-Za-z_]+$", before)
        if word is not None and word.group(0).upper() in _TYPED:
            return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return literal(value, Engine.SPARK)

    return _TOKENS.sub(one, sql)


def dialect_of(engine: object) -> Engine:
    """Which SQL dialect an engine speaks (engines without a ``dialect`` are DuckDB).

    Example:
        >>> from causalkit.data import DuckDBEngine
        >>> dialect_of(DuckDBEngine())
        <Engine.DUCKDB: 'duckdb'>
    """
    value = getattr(engine, "dialect", Engine.DUCKDB)
    return value if isinstance(value, Engine) else Engine(value)


def epoch_us(expr: str, dialect: Engine, *, text: bool = False) -> str:
    """Microseconds since 1970-01-01 UTC of a timestamp (naive timestamps read as UTC).

    There is no portable spelling: DuckDB has ``epoch_us``, Spark ``unix_micros``. With
    ``text=True`` the expression is an ISO 8601 string (an offset such as ``+02:00`` or
    ``Z`` is honoured; none means UTC). The Spark engine runs causalkit's queries with
    the session time zone set to UTC.

    Example:
        >>> epoch_us('"t"', Engine.DUCKDB), epoch_us('"t"', Engine.SPARK)
        ('epoch_us(CAST("t" AS TIMESTAMPTZ))', 'unix_micros(CAST("t" AS TIMESTAMP_LTZ))')
        >>> epoch_us('"s"', Engine.DUCKDB, text=True)
        'epoch_us(CAST("s" AS TIMESTAMPTZ))'
    """
    if dialect is Engine.SPARK:
        return f"unix_micros(CAST({expr} AS TIMESTAMP_LTZ))"
    # Through TIMESTAMPTZ: DuckDB's epoch_us has no TIMESTAMPTZ_NS overload (pandas'
    # zoned nanosecond columns, via Arrow or Parquet); the engine's session zone is UTC,
    # so a naive timestamp is read as UTC, and microseconds reach years 1 to 9999.
    return f"epoch_us(CAST({expr} AS TIMESTAMPTZ))"


def epoch_ns(expr: str, dialect: Engine, *, text: bool = False) -> str:
    """Nanoseconds since 1970-01-01 UTC of a timestamp (BIGINT; microsecond resolution).

    Example:
        >>> epoch_ns('"t"', Engine.SPARK)
        'unix_micros(CAST("t" AS TIMESTAMP_LTZ)) * 1000'
    """
    return f"{epoch_us(expr, dialect, text=text)} * 1000"


def epoch_seconds(expr: str, dialect: Engine, *, text: bool = False) -> str:
    """Seconds since 1970-01-01 UTC of a timestamp, as DOUBLE.

    Example:
        >>> epoch_seconds('"t"', Engine.DUCKDB)
        'CAST(epoch_us(CAST("t" AS TIMESTAMPTZ)) AS DOUBLE) / 1000000.0E0'
    """
    return f"CAST({epoch_us(expr, dialect, text=text)} AS DOUBLE) / 1000000.0E0"


def int_div(numerator: str, denominator: str, dialect: Engine) -> str:
    """Integer division of BIGINTs (truncating; use on non-negative values).

    ``a // b`` is DuckDB only and ``a DIV b`` Spark only; ``/`` gives a DOUBLE in both,
    which is not exact beyond 2**53.

    Example:
        >>> int_div("x", "3", Engine.DUCKDB), int_div("x", "3", Engine.SPARK)
        ('(x) // (3)', '(x) DIV (3)')
    """
    op = "DIV" if dialect is Engine.SPARK else "//"
    return f"({numerator}) {op} ({denominator})"


def hash_number(expr: str, dialect: Engine) -> str:
    """A non-negative BIGINT hash of a string expression, the same in both engines.

    The first 15 hex digits (60 bits) of ``md5(expr)``; DuckDB's ``md5_number`` and
    Spark's ``hash``/``xxhash64`` differ, so neither is portable.

    Example:
        >>> hash_number("k", Engine.SPARK)
        'CAST(conv(substr(md5(k), 1, 15), 16, 10) AS BIGINT)'
        >>> import duckdb, hashlib
        >>> sql = "SELECT " + hash_number("'42:salt'", Engine.DUCKDB)
        >>> duckdb.sql(sql).fetchall()[0][0] == int(hashlib.md5(b"42:salt").hexdigest()[:15], 16)
        True
    """
    if dialect is Engine.SPARK:
        return f"CAST(conv(substr(md5({expr}), 1, 15), 16, 10) AS BIGINT)"
    return f"CAST(('0x' || substr(md5({expr}), 1, 15)) AS BIGINT)"


def count_bad(expr: str) -> str:
    """Number of NULL or NaN values of a numeric expression.

    ``COALESCE``: in a group whose values are all NULL, ``COUNT_IF(ISNAN(...))`` is NULL
    (DuckDB), which would hide the group's NULLs.

    Example:
        >>> count_bad('"y"')
        'COUNT(*) - COUNT(CAST("y" AS DOUBLE)) + COUNT_IF(COALESCE(ISNAN(CAST("y" AS DOUBLE)), FALSE))'
    """
    return _count_bad(as_double(expr))


def _count_bad(x: str) -> str:
    return f"COUNT(*) - COUNT({x}) + COUNT_IF(COALESCE(ISNAN({x}), FALSE))"


def where_clause(where: str | None) -> str:
    """`` WHERE ...`` or nothing.

    Example:
        >>> where_clause('"a" > 1'), where_clause(None)
        (' WHERE "a" > 1', '')
    """
    return f" WHERE {where}" if where else ""


@dataclass(frozen=True)
class MomentsQuery:
    """The two portable statements behind ``grouped_moments`` and the parser of their rows.

    Args:
        by: grouping columns (may be empty: one group with key ``()``).
        columns: numeric columns whose moments are wanted.
        where: an optional filter in portable SQL (identifiers double-quoted).

    Example:
        >>> q = MomentsQuery(by=(), columns=("x", "y"))
        >>> len(q.pairs), q.width
        (3, 14)
    """

    by: tuple[str, ...]
    columns: tuple[str, ...]
    where: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "by", tuple(self.by))
        object.__setattr__(self, "columns", tuple(self.columns))

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """Index pairs ``(i, j)``, ``i <= j``, of the upper triangle of the comoment matrix."""
        return list(itertools.combinations_with_replacement(range(len(self.columns)), 2))

    @property
    def width(self) -> int:
        """Number of value columns in a row of :meth:`moments_sql` (after the group keys)."""
        k = len(self.columns)
        return 1 + 5 * k + len(self.pairs)

    def shift_sql(self) -> str:
        """Pass 1: per group, the AVG of each column, aliased ``__ck_k<i>`` and ``__ck_s<i>``.

        Example:
            >>> print(MomentsQuery(by=(), columns=("y",), where='"g" = 1').shift_sql())
            SELECT AVG(CAST("y" AS DOUBLE)) AS "__ck_s0" FROM src WHERE "g" = 1
        """
        keys = [f"{quote_ident(b)} AS {quote_ident(f'__ck_k{i}')}" for i, b in enumerate(self.by)]
        avgs = [f"AVG({as_double(quote_ident(c))}) AS {quote_ident(f'__ck_s{i}')}"
                for i, c in enumerate(self.columns)]
        group = ", ".join(quote_ident(b) for b in self.by)
        tail = f" GROUP BY {group}" if group else ""
        return f"SELECT {', '.join(keys + avgs)} FROM src{where_clause(self.where)}{tail}"

    def moments_sql(self, shifts: str) -> str:
        """Pass 2: per group, count, shifted sums and cross-products, MIN/MAX, bad values.

        ``shifts`` names a relation holding the result of :meth:`shift_sql` (a registered
        table or temporary view; DuckDB would materialise a CTE read twice).

        Example:
            >>> sql = MomentsQuery(by=("g",), columns=("y",)).moments_sql('"s"')
            >>> "IS NOT DISTINCT FROM" in sql, sql.count("SUM(")
            (True, 2)
        """
        xs = [as_double(f"{_ROW}.{quote_ident(c)}") for c in self.columns]
        ss = [f"{_SHIFT}.{quote_ident(f'__ck_s{i}')}" for i in range(len(self.columns))]
        dev = [f"({x} - {s})" for x, s in zip(xs, ss)]
        keys = [f"{_ROW}.{quote_ident(b)}" for b in self.by]
        aggs = ["COUNT(*)"]
        aggs += [f"MAX({s})" for s in ss]
        aggs += [f"SUM({d})" for d in dev]
        aggs += [f"SUM({dev[i]} * {dev[j]})" for i, j in self.pairs]
        aggs += [f"MIN({x})" for x in xs]
        aggs += [f"MAX({x})" for x in xs]
        aggs += [_count_bad(x) for x in xs]
        if self.by:
            cond = " AND ".join(
                f"{k} IS NOT DISTINCT FROM {_SHIFT}.{quote_ident(f'__ck_k{i}')}"
                for i, k in enumerate(keys))
            join = f"JOIN {shifts} AS {_SHIFT} ON {cond}"
            tail = f" GROUP BY {', '.join(keys)}"
        else:
            join = f"CROSS JOIN {shifts} AS {_SHIFT}"
            tail = ""
        rel = f"(SELECT * FROM src{where_clause(self.where)}) AS {_ROW}"
        return f"SELECT {', '.join(keys + aggs)} FROM {rel} {join}{tail}"

    def parse(self, result: pa.Table | Iterable[Sequence[object]], *, source: str
              ) -> dict[tuple[object, ...], Moments]:
        """The result of :meth:`moments_sql` (an Arrow table or rows) -> ``{key: Moments}``.

        Vectorised over groups, so a million groups parse in about a second.

        Raises:
            DataError: when a column holds NULL or NaN, naming the column and the source.

        Example:
            >>> q = MomentsQuery(by=(), columns=("y",))
            >>> q.parse([(3, 1.0, 0.0, 0.0, 1.0, 1.0, 1)], source="t.csv")
            Traceback (most recent call last):
            ...
            causalkit.errors.DataError: t.csv: column 'y': 1 missing or NaN value(s) (...)
        """
        cols, k, nb = self.columns, len(self.columns), len(self.by)
        keys, vals = _columns(result, nb, self.width)
        g = vals.shape[0]
        if g == 0:
            return {}
        n = np.nan_to_num(vals[:, 0]).astype(np.int64)
        pos = 1
        shift, dsum = vals[:, pos:pos + k], vals[:, pos + k:pos + 2 * k]
        pos += 2 * k
        tri = vals[:, pos:pos + len(self.pairs)]
        pos += len(self.pairs)
        lo, hi = vals[:, pos:pos + k], vals[:, pos + k:pos + 2 * k]
        bad = np.nan_to_num(vals[:, pos + 2 * k:pos + 3 * k]).astype(np.int64).sum(axis=0)
        for c, count in zip(cols, bad):
            if count:
                raise DataError(f"{int(count)} missing or NaN value(s)", column=c,
                                source=source, hint="fill or drop them before the analysis")
        com = np.zeros((g, k, k))
        for p, (i, j) in enumerate(self.pairs):
            com[:, i, j] = com[:, j, i] = tri[:, p]
        safe_n = np.maximum(n, 1).astype(np.float64)
        with np.errstate(invalid="ignore"):
            mean = shift + dsum / safe_n[:, None]
            com -= dsum[:, :, None] * dsum[:, None, :] / safe_n[:, None, None]
            constant = lo == hi
        mean = np.where(constant, lo, mean)
        varying = ~constant
        com = np.where(varying[:, :, None] & varying[:, None, :], com, 0.0)
        diag = np.arange(k)
        com[:, diag, diag] = np.where(np.isnan(com[:, diag, diag]), np.nan,
                                      np.maximum(com[:, diag, diag], 0.0))
        empty = n == 0
        mean[empty] = np.nan
        com[empty] = 0.0
        return {key: Moments(cols, int(n[r]), mean[r], com[r]) for r, key in enumerate(keys)}


def _columns(result: pa.Table | Iterable[Sequence[object]], nb: int, width: int
             ) -> tuple[list[tuple[object, ...]], NDArray[np.float64]]:
    """Group keys as tuples and the value columns as one float matrix (NULL -> NaN)."""
    keys: list[tuple[object, ...]]
    if hasattr(result, "column_names") and hasattr(result, "num_rows"):
        table: Any = result
        rows = int(table.num_rows)
        key_cols = [table.column(i).to_pylist() for i in range(nb)]
        vals = np.empty((rows, width), dtype=np.float64)
        for j in range(width):
            if rows:
                vals[:, j] = table.column(nb + j).cast("double").to_numpy(zero_copy_only=False)
        keys = [tuple(t) for t in zip(*key_cols)] if nb else [()] * rows
        return keys, vals
    rows_list = [tuple(r) for r in result]
    keys = [r[:nb] for r in rows_list]
    mat = np.array([[np.nan if v is None else float(v)
                     for v in r[nb:]] for r in rows_list], dtype=np.float64)
    return keys, mat.reshape(len(rows_list), width)


__all__ = [
    "FLOAT_LIMIT",
    "OUTCOME_LIMIT",
    "MomentsQuery",
    "as_double",
    "count_bad",
    "dialect_of",
    "double_literal",
    "epoch_ns",
    "epoch_seconds",
    "epoch_us",
    "hash_number",
    "identifier",
    "int_div",
    "literal",
    "string_literal",
    "to_spark",
    "where_clause",
]
