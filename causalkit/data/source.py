"""Data sources: a file, a query, a table, a simulator, or a frame from Python.

A :class:`Source` is what an engine scans. It is made from a spec's
``DataSource`` (paths already resolved against the spec's folder), from a
``--data`` override, or from a pandas DataFrame or Arrow table passed in Python.

Example:
    >>> import pandas as pd
    >>> src = Source.from_frame(pd.DataFrame({"x": [1.0, 2.0]}), name="frame")
    >>> src.kind, src.describe()
    ('frame', 'frame')
"""

from __future__ import annotations

import glob
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from causalkit.errors import DataError
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
    """Turn a spec's data source (or a ``--data`` override path) into a :class:`Source`.

    Simulators run here; ``table`` picks one table of a simulator that makes
    several (for example ``events`` or ``users``).

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
    assert spec_source.simulate is not None
    from causalkit.simulate import simulate

    sim = simulate(spec_source.simulate, spec_source.params, spec_source.seed)
    if table not in sim.tables:
        raise DataError(f"simulator {spec_source.simulate.value!r} has no table {table!r}",
                        hint=f"tables: {', '.join(sim.tables)}")
    seed_text = json.dumps(
        {"sim": spec_source.simulate.value, "params": spec_source.params,
         "seed": spec_source.seed, "table": table}, sort_keys=True, default=str)
    return Source.from_frame(sim.tables[table], name=f"simulate:{spec_source.simulate.value}",
                             truth=sim.truth, fingerprint_seed=seed_text)
