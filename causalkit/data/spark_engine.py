"""The Spark engine: the same scans as DuckDB, run as Spark jobs (optional ``spark`` extra).

A spec points at Spark with ``engine: spark`` in its ``data`` section; the source is a
Parquet or CSV path (or glob, or folder), a table known to the session's catalog
(``table: db.events``), or a Spark SQL query (``sql: ...``). From Python, an existing
session is used: either the active one, or one passed in with :func:`use_spark`.
When no session is active, a local one is started (``local[2]``, few shuffle
partitions, no UI, bound to 127.0.0.1).

The texts that engines run are portable (see :mod:`causalkit.data.sql`): while it runs
causalkit's own queries the engine switches the session to ANSI SQL, timestamps
without time zone (``TIMESTAMP_NTZ``) and the UTC time zone, so ``TIMESTAMP '...'`` and
the functions mean what they mean in DuckDB, and with variable substitution off, so a
``${...}`` in a name or value is text. The texts are written in DuckDB's lexical
grammar; before running one, the engine re-spells its quoted tokens for Spark
(:func:`causalkit.data.sql.to_spark`): identifiers in backticks and values holding a
quote, a backslash or a control character as UTF-8 hex, so no name or value from a spec
or the data (a region, an event, a column) can end its quotes and change a query. The
caller's settings are restored afterwards, and a user's own ``sql:`` source is parsed
with the session's settings untouched.

Example:
    >>> SparkEngine.dialect_settings()["spark.sql.ansi.doubleQuotedIdentifiers"]
    'true'
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from causalkit.data.engine import ColumnKind, arrays_from_arrow, check_columns, quote_ident
from causalkit.data.moments import Moments
from causalkit.data.settings import spark_master
from causalkit.data.source import unreadable_column
from causalkit.data.sql import MomentsQuery, to_spark, where_clause
from causalkit.errors import DataError
from causalkit.progress import track
from causalkit.spec.common import Engine, FileFormat

if TYPE_CHECKING:
    import pyarrow as pa

    from causalkit.data.source import Source

_counter = itertools.count()

_DIALECT = {
    "spark.sql.ansi.enabled": "true",
    "spark.sql.ansi.doubleQuotedIdentifiers": "true",
    "spark.sql.parser.escapedStringLiterals": "false",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.variable.substitute": "false",  # ${x} in a name or value stays as written
}

_LOCAL_CONFIG = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.adaptive.enabled": "true",
}

_NOISY_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")

_JAVA_HINT = ("install the spark extra (pip install -e '.[spark]' in a causalkit checkout) and a "
              "Java 17+ runtime (java on PATH or JAVA_HOME); .ci/install-java.sh installs one "
              "with apt-get")


def _kind_of(data_type: Any) -> ColumnKind:
    from pyspark.sql import types as T

    if isinstance(data_type, T.BooleanType):
        return ColumnKind.BOOLEAN
    if isinstance(data_type, T.NumericType):
        return ColumnKind.NUMERIC
    if isinstance(data_type, T.StringType | T.VarcharType | T.CharType):
        return ColumnKind.STRING
    if isinstance(data_type, T.TimestampType | T.TimestampNTZType | T.DateType):
        return ColumnKind.TIMESTAMP
    return ColumnKind.OTHER


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_HINTS = (
    ("TIMESTAMP(NANOS", "Spark reads Parquet timestamps in micro- or milliseconds; rewrite the "
                        "file with microseconds (pandas: df.to_parquet(path, "
                        "coerce_timestamps='us', allow_truncated_timestamps=True))"),
    ("UNRESOLVED_ROUTINE", "the query uses a function Spark does not have (a DuckDB-only "
                           "function?); see the portable forms in docs/scale.md"),
    ("DATATYPE_MISSING_SIZE", "write CAST(x AS STRING), not CAST(x AS VARCHAR)"),
    ("PATH_NOT_FOUND", "check the data path"),
)


def _read_error(exc: BaseException, source: Source) -> DataError:
    """A DataError for a failed Spark read or query, with a hint for known causes."""
    text = str(exc)
    hint = next((h for key, h in _HINTS if key in text), None)
    return DataError(f"the engine could not read the data: {_first_line(exc)}",
                     source=source.describe(), hint=hint)


class SparkEngine:
    """Scans run by a SparkSession: grouped moments, arrays and portable SQL over ``src``.

    Args:
        spark: the session to use; default: the active session, else a local one
            (started on first use, master from ``CAUSALKIT_SPARK_MASTER``, default
            ``local[2]``).
        config: extra Spark settings for a locally started session.

    Example:
        >>> eng = SparkEngine(config={"spark.driver.memory": "2g"})
        >>> eng.started
        False
    """

    dialect = Engine.SPARK

    def __init__(self, spark: Any = None, *, config: dict[str, str] | None = None) -> None:
        self._spark = spark
        self._config = dict(config or {})
        self._lock = threading.RLock()
        self._views: dict[tuple[object, ...], tuple[str, Any, Any]] = {}

    # -- session ---------------------------------------------------------------------------
    @staticmethod
    def dialect_settings() -> dict[str, str]:
        """The SQL settings in force while causalkit's portable queries run."""
        return dict(_DIALECT)

    @property
    def started(self) -> bool:
        """Whether this engine holds a session yet (sessions start on first use)."""
        return self._spark is not None

    @property
    def spark(self) -> Any:
        """The SparkSession (the active one, or a local one started now)."""
        if self._spark is None:
            with self._lock:
                if self._spark is None:
                    self._spark = self._start()
        return self._spark

    def _start(self) -> Any:
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise DataError(f"engine: spark needs pyspark ({exc})", hint=_JAVA_HINT) from None
        active = SparkSession.getActiveSession()
        if active is not None:
            return active
        builder = SparkSession.builder.master(spark_master()).appName("causalkit")
        for key, value in {**_LOCAL_CONFIG, **self._config}.items():
            builder = builder.config(key, value)
        try:
            with track("starting Spark"):
                session = builder.getOrCreate()
        except Exception as exc:  # Java missing or broken: py4j/pyspark raise various types
            raise DataError(f"could not start a local Spark session: {_first_line(exc)}",
                            hint=_JAVA_HINT) from None
        session.sparkContext.setLogLevel("FATAL")  # failures become DataErrors with a hint
        return session

    @contextmanager
    def _portable(self) -> Iterator[Any]:
        """Switch the session to the portable dialect; restore the caller's settings."""
        spark = self.spark
        with self._lock:
            conf = spark.conf
            old = {key: conf.get(key, None) for key in _DIALECT}
            for key, value in _DIALECT.items():
                conf.set(key, value)
            # pyspark logs every failed query with a stack trace; ours become DataErrors
            loggers = [logging.getLogger(name) for name in _NOISY_LOGGERS]
            disabled = [lg.disabled for lg in loggers]
            for lg in loggers:
                lg.disabled = True
            try:
                yield spark
            finally:
                for lg, was in zip(loggers, disabled):
                    lg.disabled = was
                for key, value in old.items():
                    if value is None:
                        conf.unset(key)
                    else:
                        conf.set(key, value)

    # -- relations -------------------------------------------------------------------------
    def _frame(self, source: Source) -> Any:
        spark = self.spark
        if source.kind == "file":
            assert source.path is not None
            if source.format is FileFormat.PARQUET:
                return spark.read.parquet(source.path)
            return (spark.read.option("header", "true").option("inferSchema", "true")
                    .csv(source.path))
        if source.kind == "sql":
            assert source.sql is not None
            return spark.sql(source.sql)  # the user's own Spark SQL, session settings as they are
        if source.kind == "table":
            assert source.table is not None
            return spark.table(source.table)
        if source.kind == "frame":
            frame = source.frame
            if hasattr(frame, "sparkSession") and hasattr(frame, "createOrReplaceTempView"):
                return frame  # a Spark DataFrame
            import pyarrow as pa

            try:
                table = frame if isinstance(frame, pa.Table) else \
                    pa.Table.from_pandas(frame, preserve_index=False)
            except Exception:  # pyarrow raises many types for unreadable columns
                raise unreadable_column(
                    frame, lambda f: pa.Table.from_pandas(f, preserve_index=False),
                    source.describe()) from None
            with self._portable():  # naive timestamps stay naive (TIMESTAMP_NTZ)
                return spark.createDataFrame(table)
        raise DataError(f"unknown source kind {source.kind!r}")

    def _key(self, source: Source) -> tuple[object, ...]:
        if source.kind == "file":
            assert source.path is not None
            return ("file", source.path, source.format, _file_stamp(source.path))
        if source.kind == "frame":
            return ("frame", id(source.frame))
        return (source.kind, source.sql, source.table)

    def _view(self, source: Source) -> tuple[str, Any]:
        key = self._key(source)
        with self._lock:
            hit = self._views.get(key)
            if hit is None:
                try:
                    frame = self._frame(source)
                except DataError:
                    raise
                except Exception as exc:
                    raise _read_error(exc, source) from None
                name = f"__ck_src_{next(_counter)}"
                frame.createOrReplaceTempView(name)
                hit = (name, frame, source.frame if source.kind == "frame" else None)
                self._views[key] = hit
        return hit[0], hit[1]

    def relation_sql(self, source: Source) -> str:
        """The name of the temporary view of ``source`` (to join two sources in one query).

        Example:
            >>> from causalkit.data.source import Source
            >>> SparkEngine().relation_sql(Source(kind="table", table="t"))  # doctest: +SKIP
            '"__ck_src_0"'
        """
        view, _ = self._view(source)
        return quote_ident(view)

    def forget(self, source: Source) -> None:
        """Drop the temporary view registered for ``source``."""
        with self._lock:
            hit = self._views.pop(self._key(source), None)
            if hit is not None and self._spark is not None:
                self._spark.catalog.dropTempView(hit[0])

    def _sql(self, source: Source, body: str) -> Any:
        """A lazy DataFrame of ``WITH src AS (SELECT * FROM <view>) body``."""
        view, _ = self._view(source)
        return self.spark.sql(to_spark(f"WITH src AS (SELECT * FROM {quote_ident(view)}) {body}"))

    def _collect(self, source: Source, body: str) -> pa.Table:
        with self._portable():
            try:
                return self._sql(source, body).toArrow()
            except DataError:
                raise
            except Exception as exc:
                raise _read_error(exc, source) from None

    # -- interface -------------------------------------------------------------------------
    def schema(self, source: Source) -> dict[str, ColumnKind]:
        """Column name -> coarse kind.

        Example:
            >>> from causalkit.data.source import Source
            >>> SparkEngine().schema(Source(kind="sql", sql="SELECT 1 AS a, 'x' AS b"))
            ... # doctest: +SKIP
            {'a': <ColumnKind.NUMERIC: 'numeric'>, 'b': <ColumnKind.STRING: 'string'>}
        """
        _, frame = self._view(source)
        return {f.name: _kind_of(f.dataType) for f in frame.schema.fields}

    def require_columns(
        self, source: Source, *, numeric: Sequence[str] = (), present: Sequence[str] = ()
    ) -> dict[str, ColumnKind]:
        """Check that columns exist and that ``numeric`` ones hold numbers or booleans.

        Raises:
            DataError: naming the first missing or non-numeric column and the source
                (the same messages as the DuckDB engine).

        Example:
            >>> from causalkit.data.source import Source
            >>> SparkEngine().require_columns(Source(kind="sql", sql="SELECT 'x' AS a"),
            ...                               numeric=["a"])  # doctest: +SKIP
            Traceback (most recent call last):
            ...
            causalkit.errors.DataError: sql query: column 'a': holds string values, not numbers (...)
        """
        return check_columns(self.schema(source), source.describe(), numeric=numeric,
                             present=present)

    def grouped_moments(
        self, source: Source, *, by: Sequence[str], columns: Sequence[str],
        where: str | None = None,
    ) -> dict[tuple[object, ...], Moments]:
        """Per group: count, means and centred cross-products, as one Spark job.

        The same two-pass texts as the DuckDB engine (:class:`~causalkit.data.sql.MomentsQuery`);
        the per-group shifts are a temporary view joined by broadcast.

        Example:
            >>> import pandas as pd
            >>> from causalkit.data.source import Source
            >>> src = Source.from_frame(pd.DataFrame({"g": [1, 1], "y": [1.0, 3.0]}))
            >>> SparkEngine().grouped_moments(src, by=["g"], columns=["y"])  # doctest: +SKIP
            {(1,): Moments(columns=('y',), n=2, mean=[2.0])}
        """
        self.require_columns(source, numeric=columns, present=by)
        q = MomentsQuery(tuple(by), tuple(columns), where)
        name = f"__ck_shift_{next(_counter)}"
        with self._portable():
            try:
                self._sql(source, q.shift_sql()).createOrReplaceTempView(name)
            except Exception as exc:
                raise _read_error(exc, source) from None
            try:
                table = self._collect(source, q.moments_sql(quote_ident(name)))
            finally:
                self.spark.catalog.dropTempView(name)
        return q.parse(table, source=source.describe())

    def arrays(
        self, source: Source, columns: Sequence[str], *, where: str | None = None
    ) -> dict[str, NDArray[np.generic]]:
        """Selected columns as numpy arrays (one job, through Arrow).

        Example:
            >>> import pandas as pd
            >>> from causalkit.data.source import Source
            >>> src = Source.from_frame(pd.DataFrame({"a": [1, 2], "b": [3.0, 4.0]}))
            >>> SparkEngine().arrays(src, ["b"], where='"a" > 1')["b"].tolist()  # doctest: +SKIP
            [4.0]
        """
        self.require_columns(source, present=columns)
        sel = ", ".join(quote_ident(c) for c in columns)
        table = self._collect(source, f"SELECT {sel} FROM src{where_clause(where)}")
        return arrays_from_arrow(table, columns, source.describe())

    def query(self, source: Source, sql: str) -> pa.Table:
        """Run portable ``sql`` where the relation ``src`` stands for the source; return Arrow.

        Example:
            >>> import pandas as pd
            >>> from causalkit.data.source import Source
            >>> src = Source.from_frame(pd.DataFrame({"a": [1, 2, 3]}))
            >>> SparkEngine().query(src, 'SELECT COUNT(*) AS "s" FROM src').to_pylist()
            ... # doctest: +SKIP
            [{'s': 3}]
        """
        return _plain(self._collect(source, sql))

    def close(self) -> None:
        """Drop this engine's temporary views (a session passed in is left running)."""
        with self._lock:
            if self._spark is not None:
                for name, _, _ in self._views.values():
                    self._spark.catalog.dropTempView(name)
            self._views.clear()


def _file_stamp(path: str) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of the files behind a path, glob or folder."""
    import glob
    import os

    found = sorted(glob.glob(path)) or [path]
    stamp = []
    for p in found:
        files = [os.path.join(d, f) for d, _, fs in os.walk(p) for f in fs] \
            if os.path.isdir(p) else [p]
        for f in sorted(files):
            try:
                st = os.stat(f)
            except OSError:
                continue
            stamp.append((f, st.st_size, st.st_mtime_ns))
    return tuple(stamp)


def _plain(table: pa.Table) -> pa.Table:
    """Drop Spark's per-field metadata so results look like DuckDB's."""
    import pyarrow as pa

    fields = [pa.field(f.name, f.type, f.nullable) for f in table.schema]
    return table.cast(pa.schema(fields))


def use_spark(spark: Any) -> SparkEngine:
    """Make ``engine: spark`` sources run on this SparkSession; return the engine.

    Example:
        >>> from causalkit.data import get_engine
        >>> eng = use_spark(None)  # None: the active session, else a local one on first use
        >>> get_engine(kind=Engine.SPARK) is eng
        True
    """
    from causalkit import data

    engine = SparkEngine(spark)
    data._ENGINES[Engine.SPARK] = engine
    return engine


def spark_source(data: Any, *, name: str | None = None) -> Source:
    """A :class:`~causalkit.data.source.Source` over a Spark DataFrame or a table name.

    Example:
        >>> spark_source("db.events").table, spark_source("db.events").engine
        ('db.events', <Engine.SPARK: 'spark'>)
    """
    from causalkit.data.source import Source

    if isinstance(data, str):
        return Source(kind="table", table=data, engine=Engine.SPARK, name=name or data)
    return Source(kind="frame", frame=data, engine=Engine.SPARK,
                  name=name or "<spark dataframe>")


__all__ = ["SparkEngine", "spark_source", "use_spark"]
