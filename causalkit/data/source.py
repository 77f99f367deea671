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
        """A source over an in-memory pandas DataFrame or Arrow table (not copied, not mutated)."""
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
            import pandas as pd

            frame = self.frame
            if not isinstance(frame, pd.DataFrame):
                frame = frame.to_pandas()
            h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
            h.update(",".join(map(str, frame.columns)).encode())
        else:
            h.update((self.sql or self.table or "").encode())
        return "sha256:" + h.hexdigest()[:16]


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
