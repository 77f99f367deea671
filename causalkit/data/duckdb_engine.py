"""The embedded default engine: DuckDB over CSV, Parquet, SQL and in-memory frames.

Identifiers are quoted, file paths are SQL literals with quotes doubled; nothing
from a spec is pasted into SQL as raw text except a user's own ``sql:`` query.

Example:
    >>> import pandas as pd
    >>> from causalkit.data.source import Source
    >>> eng = DuckDBEngine()
    >>> src = Source.from_frame(pd.DataFrame({"y": [1.0, 2.0, 4.0]}))
    >>> eng.arrays(src, ["y"])["y"].tolist()
    [1.0, 2.0, 4.0]
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from causalkit.data.engine import (
    ColumnKind,
    arrays_from_arrow,
    check_columns,
    quote_ident,
    quote_literal,
)
from causalkit.data.moments import Moments
from causalkit.data.settings import duckdb_settings
from causalkit.data.source import unreadable_column
from causalkit.data.sql import MomentsQuery, where_clause
from causalkit.errors import DataError
from causalkit.spec.common import FileFormat

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from causalkit.data.source import Source

_counter = itertools.count()


def _kind_of(type_name: str) -> ColumnKind:
    t = type_name.upper()
    if "[" in t or t.startswith(("STRUCT", "MAP", "UNION", "LIST")):
        return ColumnKind.OTHER  # DOUBLE[] is a list, not a number
    if t == "BOOLEAN":
        return ColumnKind.BOOLEAN
    if any(t.startswith(p) for p in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                                      "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
                                      "FLOAT", "DOUBLE", "DECIMAL", "REAL")):
        return ColumnKind.NUMERIC
    if t.startswith(("VARCHAR", "STRING", "TEXT", "ENUM")):
        return ColumnKind.STRING
    if t.startswith(("TIMESTAMP", "DATE")):
        return ColumnKind.TIMESTAMP
    return ColumnKind.OTHER


def _probe(frame: Any) -> None:
    """Register a one-column frame on a scratch connection (raises if DuckDB cannot)."""
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        con.register("probe", frame)
        con.execute("SELECT * FROM probe LIMIT 0")
    finally:
        con.close()


class DuckDBEngine:
    """Scans through an embedded DuckDB connection (one per engine, thread-safe by lock).

    Args:
        memory_limit: DuckDB's memory limit, e.g. ``"2GB"``; DuckDB spills to disk beyond it
            (default: ``CAUSALKIT_DUCKDB_MEMORY_LIMIT``, else DuckDB's choice).
        threads: worker threads (default: ``CAUSALKIT_DUCKDB_THREADS``, else DuckDB's choice).
        temp_directory: where DuckDB spills (default: ``CAUSALKIT_DUCKDB_TEMP_DIRECTORY``,
            else DuckDB's choice).
    """

    def __init__(self, *, memory_limit: str | None = None, threads: int | None = None,
                 temp_directory: str | None = None) -> None:
        import duckdb

        env = duckdb_settings()
        memory_limit = memory_limit if memory_limit is not None else env.memory_limit
        threads = threads if threads is not None else env.threads
        temp_directory = temp_directory if temp_directory is not None else env.temp_directory
        self._con: duckdb.DuckDBPyConnection = duckdb.connect(":memory:")
        self._con.execute("SET TimeZone = 'UTC'")  # naive timestamps are UTC (data.sql)
        if memory_limit is not None:
            self._con.execute(f"SET memory_limit = {quote_literal(memory_limit)}")
        if threads is not None:
            self._con.execute(f"SET threads = {int(threads)}")
        if temp_directory is not None:
            self._con.execute(f"SET temp_directory = {quote_literal(temp_directory)}")
        self._lock = threading.RLock()
        self._frames: dict[int, str] = {}

    def _drop(self, key: int) -> None:
        name = self._frames.pop(key, None)
        if name is not None:
            with self._lock, contextlib.suppress(Exception):
                self._con.unregister(name)

    def forget(self, source: Source) -> None:
        """Drop the in-memory frame registered for ``source`` now (else when it is collected).

        Example:
            >>> import pandas as pd
            >>> from causalkit.data.source import Source
            >>> eng = DuckDBEngine()
            >>> src = Source.from_frame(pd.DataFrame({"y": [1.0]}))
            >>> _ = eng.schema(src)
            >>> eng.forget(src)
            >>> len(eng._frames)
            0
        """
        self._drop(id(source))

    # -- relations -------------------------------------------------------------------------
    def relation_sql(self, source: Source) -> str:
        """The SQL relation text of ``source`` in this engine (to join two sources in one query).

        Example:
            >>> import pandas as pd
            >>> from causalkit.data.source import Source
            >>> eng = DuckDBEngine()
            >>> eng.relation_sql(Source(kind="table", table="s.t"))
            '"s"."t"'
        """
        with self._lock:
            return self._relation_sql(source)

    def _relation_sql(self, source: Source) -> str:
        if source.kind == "file":
            assert source.path is not None
            if source.format is FileFormat.PARQUET:
                return f"read_parquet({quote_literal(source.path)})"
            return f"read_csv({quote_literal(source.path)}, header = true)"
        if source.kind == "sql":
            return f"({source.sql})"
        if source.kind == "table":
            assert source.table is not None
            return ".".join(quote_ident(p) for p in source.table.split("."))
        if source.kind == "frame":
            # one registration per Source object, dropped when the Source is collected:
            # a new Source over a changed frame never sees a stale view, and the engine
            # keeps no frame alive
            key = id(source)
            name = self._frames.get(key)
            if name is None:
                name = f"__ck_frame_{next(_counter)}"
                try:
                    self._con.register(name, source.frame)
                except Exception:  # duckdb and pandas raise many types for unreadable columns
                    raise unreadable_column(source.frame, _probe, source.describe()) from None
                self._frames[key] = name
                weakref.finalize(source, self._drop, key)
            return quote_ident(name)
        raise DataError(f"unknown source kind {source.kind!r}")

    def _run(self, source: Source, body: str, params: Sequence[Any] = (),
             *, describe: bool = False, arrow: bool = False) -> Any:
        import duckdb

        with self._lock:
            rel = self._relation_sql(source)
            if describe:
                sql = f"DESCRIBE SELECT * FROM {rel}"
            else:
                sql = f"WITH src AS (SELECT * FROM {rel}) {body}"
            try:
                if arrow:
                    return self._con.sql(sql).to_arrow_table()
                return self._con.execute(sql, list(params))
            except duckdb.Error as exc:
                msg = str(exc).splitlines()[0]
                raise DataError(f"the engine could not read the data: {msg}",
                                source=source.describe()) from None

    # -- interface -------------------------------------------------------------------------
    def schema(self, source: Source) -> dict[str, ColumnKind]:
        """Column name -> coarse kind.

        Example:
            >>> import pandas as pd
            >>> from causalkit.data.source import Source
            >>> DuckDBEngine().schema(Source.from_frame(pd.DataFrame({"a": [1], "b": ["x"]})))
            {'a': <ColumnKind.NUMERIC: 'numeric'>, 'b': <ColumnKind.STRING: 'string'>}
        """
        cur = self._run(source, "", describe=True)
        return {row[0]: _kind_of(row[1]) for row in cur.fetchall()}

    def require_columns(
        self, source: Source, *, numeric: Sequence[str] = (), present: Sequence[str] = ()
    ) -> dict[str, ColumnKind]:
        """Check that columns exist and that ``numeric`` ones hold numbers or booleans.

        Raises:
            DataError: naming the first missing or non-numeric column and the source.

        Example:
            >>> import pandas as pd
            >>> from causalkit.data.source import Source
            >>> src = Source.from_frame(pd.DataFrame({"a": ["x"]}), name="t.csv")
            >>> DuckDBEngine().require_columns(src, numeric=["a"])
            Traceback (most recent call last):
            ...
            causalkit.errors.DataError: t.csv: column 'a': holds string values, not numbers (...)
        """
        return check_columns(self.schema(source), source.describe(), numeric=numeric,
                             present=present)

    def grouped_moments(
        self, source: Source, *, by: Sequence[str], columns: Sequence[str],
        where: str | None = None,
    ) -> dict[tuple[object, ...], Moments]:
        """Per group: count, means and centred cross-products (two streaming scans).

        The portable two-pass texts of :class:`~causalkit.data.sql.MomentsQuery` make the
        numbers agree with the Spark engine to about 1e-14 relative.

        NULL or NaN in any of ``columns`` is a :class:`DataError` naming the column.

        Example:
            >>> import pandas as pd
            >>> from causalkit.data.source import Source
            >>> src = Source.from_frame(pd.DataFrame({"g": [1, 1], "y": [1.0, float("nan")]}))
            >>> DuckDBEngine().grouped_moments(src, by=["g"], columns=["y"])
            Traceback (most recent call last):
            ...
            causalkit.errors.DataError: <dataframe>: column 'y': 1 missing or NaN value(s) (...)
        """
        self.require_columns(source, numeric=columns, present=by)
        q = MomentsQuery(tuple(by), tuple(columns), where)
        shifts = self._run(source, q.shift_sql(), arrow=True)
        name = f"__ck_shift_{next(_counter)}"
        with self._lock:
            self._con.register(name, shifts)
        try:
            result = self._run(source, q.moments_sql(quote_ident(name)), arrow=True)
        finally:
            with self._lock:
                self._con.unregister(name)
        return q.parse(result, source=source.describe())

    def arrays(
        self, source: Source, columns: Sequence[str], *, where: str | None = None
    ) -> dict[str, NDArray[np.generic]]:
        """Selected columns as numpy arrays (one scan).

        Example:
            >>> import pandas as pd
            >>> from causalkit.data.source import Source
            >>> src = Source.from_frame(pd.DataFrame({"a": [1, 2], "b": [3.0, 4.0]}))
            >>> DuckDBEngine().arrays(src, ["b"], where='"a" > 1')["b"].tolist()
            [4.0]
        """
        self.require_columns(source, present=columns)
        sel = ", ".join(quote_ident(c) for c in columns)
        table = self._run(source, f"SELECT {sel} FROM src{where_clause(where)}", arrow=True)
        return arrays_from_arrow(table, columns, source.describe())

    def query(self, source: Source, sql: str) -> pa.Table:
        """Run ``sql`` where the relation ``src`` stands for the source; return Arrow.

        Example:
            >>> import pandas as pd
            >>> from causalkit.data.source import Source
            >>> src = Source.from_frame(pd.DataFrame({"a": [1, 2, 3]}))
            >>> DuckDBEngine().query(src, "SELECT COUNT(*) AS s FROM src").to_pylist()
            [{'s': 3}]
        """
        table: pa.Table = self._run(source, sql, arrow=True)
        return table

    def close(self) -> None:
        """Close the connection."""
        self._con.close()
