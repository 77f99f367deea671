"""Data sources: a file, a query, a table, or a frame from Python.

A :class:`Source` is what an engine scans. It is made from a spec's
``DataSource`` (paths already resolved against the spec's folder), from a
``--data`` override, or from a pandas DataFrame or Arrow table passed in Python
(simulated tables arrive as frames: the simulators run above this layer).

Example:
    >>> import pandas as pd
    >>> src = Source.from_frame(pd.DataFrame({"x": [1.0, 2.0]}), name="frame")
    >>> src.kind, src.describe()
    ('frame', 'frame')
"""

from __future__ import annotations

import glob
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from causalkit.errors import CausalkitError, DataError
from causalkit.spec.common import DataSource, Engine, FileFormat

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


@dataclass(frozen=True, eq=False)
class Source:
    """One table to scan.

    ``kind`` is ``file``, ``sql``, ``table`` or ``frame``. ``truth`` holds the
    known answers of simulated data (for example the true effect).
    """

    kind: str
    path: str | None = None
    format: FileFormat | None = None
    sql: str | None = None
    table: str | None = None
    frame: Any = None
    engine: Engine = Engine.DUCKDB
    name: str | None = None
    truth: dict[str, Any] = field(default_factory=dict)
    fingerprint_seed: str | None = None

    @classmethod
    def from_frame(cls, frame: pd.DataFrame | pa.Table, *, name: str = "<dataframe>",
                   truth: dict[str, Any] | None = None,
                   fingerprint_seed: str | None = None) -> Source:
        """A source over an in-memory pandas DataFrame or Arrow table (not copied, not mutated).

        Raises:
            DataError: naming a pandas column of a type no engine reads (complex,
                sparse, period, interval).

        Example:
            >>> import pandas as pd
            >>> Source.from_frame(pd.DataFrame({"z": [1 + 2j]}))
            Traceback (most recent call last):
            ...
            causalkit.errors.DataError: <dataframe>: column 'z': has pandas dtype complex128, which causalkit cannot read (complex numbers are not metric values: keep .real, .imag or abs())
        """
        check_frame(frame, name)
        return cls(kind="frame", frame=frame, name=name, truth=dict(truth or {}),
                   fingerprint_seed=fingerprint_seed)

    @classmethod
    def from_path(cls, path: str | Path, *, engine: Engine = Engine.DUCKDB,
                  format: FileFormat | None = None) -> Source:
        """A source over a CSV or Parquet file (the format comes from the suffix).

        Raises:
            DataError: when the file does not exist or its format is unknown.

        Example:
            >>> Source.from_path("/nonexistent.csv")
            Traceback (most recent call last):
            ...
            causalkit.errors.DataError: /nonexistent.csv: no such file (check the data path)
        """
        text = str(path)
        has_glob = any(ch in text for ch in "*?[")
        if not has_glob and not Path(text).exists():
            raise DataError("no such file", source=text, hint="check the data path")
        fmt = format or _infer_format(text)
        return cls(kind="file", path=text, format=fmt, engine=engine, name=text)

    def describe(self) -> str:
        """A short name for error messages."""
        if self.name:
            return self.name
        if self.kind == "sql":
            return "sql query"
        return self.table or self.kind

    def fingerprint(self) -> str:
        """A short hash that changes when the data changes.

        Files hash their path, size and modification time; simulated data hashes
        the generator and its parameters; frames hash their contents.
        """
        h = hashlib.sha256()
        if self.fingerprint_seed is not None:
            h.update(self.fingerprint_seed.encode())
        elif self.kind == "file" and self.path is not None:
            paths = ([Path(p) for p in sorted(glob.glob(self.path))]
                     if any(c in self.path for c in "*?[") else [Path(self.path)])
            for p in paths:
                st = p.stat()
                h.update(f"{p}|{st.st_size}|{st.st_mtime_ns}".encode())
        elif self.kind == "frame":
            _hash_frame(h, self.frame)
        else:
            h.update((self.sql or self.table or "").encode())
        return "sha256:" + h.hexdigest()[:16]


def _hash_frame(h: Any, frame: Any) -> None:
    """Feed a frame's contents to a hash (pandas hashing; Arrow IPC bytes when it cannot)."""
    import pandas as pd

    try:
        table = frame if isinstance(frame, pd.DataFrame) else frame.to_pandas()
        h.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
        h.update(",".join(map(str, table.columns)).encode())
        return
    except Exception:  # nested, map or union columns: pandas cannot hash or hold them
        pass
    import pyarrow as pa

    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    h.update(sink.getvalue().to_pybytes())


def _unreadable(dtype: Any) -> str | None:
    """A hint for a pandas dtype that no engine reads, or None."""
    import pandas as pd

    if isinstance(dtype, pd.SparseDtype):
        return "convert it with df[column].sparse.to_dense()"
    if pd.api.types.is_complex_dtype(dtype):
        return "complex numbers are not metric values: keep .real, .imag or abs()"
    if isinstance(dtype, pd.PeriodDtype):
        return "convert it with df[column].dt.to_timestamp()"
    if isinstance(dtype, pd.IntervalDtype):
        return "keep its bounds as two columns (.array.left, .array.right)"
    return None


def check_frame(frame: Any, name: str = "<dataframe>") -> None:
    """Refuse a pandas frame with a column of a type no engine reads, naming the column.

    Arrow tables and other frames pass (their types are checked by the engine).

    Raises:
        DataError: for a complex, sparse, period or interval column.

    Example:
        >>> import pandas as pd
        >>> check_frame(pd.DataFrame({"y": [1.0]}))
        >>> check_frame(pd.DataFrame({"y": pd.arrays.SparseArray([0.0, 1.0])}), "d")
        Traceback (most recent call last):
        ...
        causalkit.errors.DataError: d: column 'y': has pandas dtype Sparse[float64, nan], which causalkit cannot read (convert it with df[column].sparse.to_dense())
    """
    dtypes = getattr(frame, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return
    for column, dtype in dtypes.items():
        hint = _unreadable(dtype)
        if hint is not None:
            raise DataError(f"has pandas dtype {dtype}, which causalkit cannot read",
                            column=str(column), source=name, hint=hint)


def unreadable_column(frame: Any, probe: Any, name: str) -> DataError:
    """The DataError for a frame an engine could not take: the first column ``probe`` fails on.

    ``probe(one_column_frame)`` raises for a column the engine cannot read.

    Example:
        >>> import pandas as pd
        >>> def probe(f):
        ...     if "bad" in f.columns:
        ...         raise TypeError("no")
        >>> str(unreadable_column(pd.DataFrame({"ok": [1], "bad": [2]}), probe, "d"))
        "d: column 'bad': has a type the engine cannot read (no) (cast it to numbers, text or timestamps, or drop it)"
    """
    arrow = hasattr(frame, "column_names") and hasattr(frame, "select")
    names = list(frame.column_names) if arrow else list(getattr(frame, "columns", []))
    for column in names:
        try:
            probe(frame.select([column]) if arrow else frame[[column]])
        except Exception as exc:  # the engines raise many types for unreadable columns
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return DataError(f"has a type the engine cannot read ({text})", column=str(column),
                             source=name, hint="cast it to numbers, text or timestamps, or "
                                               "drop it")
    return DataError("the engine cannot read the frame", source=name,
                     hint="pass a pandas DataFrame or an Arrow table of numbers, text and "
                          "timestamps")


def _infer_format(path: str) -> FileFormat:
    lower = path.lower()
    if lower.endswith((".parquet", ".pq", ".parquet/")) or Path(path).is_dir():
        return FileFormat.PARQUET
    if lower.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
        return FileFormat.CSV
    raise DataError(
        "cannot tell the file format from the name", source=path,
        hint="use a .csv or .parquet suffix, or set format: csv|parquet in the spec",
    )


def resolve_source(spec_source: DataSource, *, table: str = "main",
                   override: str | Path | None = None) -> Source:
    """Turn a spec's file, query or table (or a ``--data`` path) into a :class:`Source`.

    Simulated data (``simulate:``) are made at the entry (``causalkit.analyze``, the
    CLI), never here: this layer only wraps frames, files, SQL and tables.
    ``table`` names the table asked for (in messages).

    Raises:
        CausalkitError: for a ``simulate:`` source that reached this layer.

    Example:
        >>> from causalkit.spec.common import DataSource
        >>> resolve_source(DataSource(sql="select 1 as x")).kind
        'sql'
    """
    if override is not None:
        return Source.from_path(override, engine=spec_source.engine)
    if spec_source.path is not None:
        return Source.from_path(spec_source.path, engine=spec_source.engine,
                                format=spec_source.format)
    if spec_source.sql is not None:
        return Source(kind="sql", sql=spec_source.sql, engine=spec_source.engine)
    if spec_source.table is not None:
        return Source(kind="table", table=spec_source.table, engine=spec_source.engine)
    raise CausalkitError(
        f"simulated data (simulate: {spec_source.simulate}) for table {table!r} were not made",
        hint="analyse through causalkit.analyze or the CLI, which run the simulators")


def pick_source(sources: Mapping[str, Mapping[str, Source]], spec_source: DataSource | None,
                spec_field: str = "data", table: str = "main") -> Source:
    """The source of a spec field's table: resolved at the entry, else the spec's own.

    Args:
        sources: what the entry resolved (``RunContext.sources``): spec field -> table
            -> Source.
        spec_source: the spec's ``DataSource`` for the field (None when absent).
        spec_field: the spec field (``data``, ``pre_data``, ``events``, ``users``).
        table: the table of that field (``main``, ``pre_period``, ``users``, ...).

    Raises:
        DataError: when neither the entry nor the spec gives the data.

    Example:
        >>> import pandas as pd
        >>> src = Source.from_frame(pd.DataFrame({"x": [1.0]}))
        >>> pick_source({"data": {"main": src}}, None) is src
        True
        >>> pick_source({}, None)
        Traceback (most recent call last):
        ...
        causalkit.errors.DataError: the spec has no data: and no data were passed (...)
    """
    found = sources.get(spec_field, {}).get(table)
    if found is not None:
        return found
    if spec_source is None:
        raise DataError(f"the spec has no {spec_field}: and no data were passed",
                        hint="pass data= to causalkit.analyze (or --data), or add "
                             f"{spec_field}: to the spec")
    return resolve_source(spec_source, table=table)
