"""The engine interface: what every backend (DuckDB, Spark) answers.

Analyses ask an engine for column types, grouped sufficient statistics and
selected columns as numpy arrays; they never see a row-per-unit frame unless a
model needs the rows.

Example:
    >>> import pandas as pd
    >>> from causalkit.data import Source, get_engine
    >>> src = Source.from_frame(pd.DataFrame({"g": ["a", "b", "a"], "y": [1.0, 2.0, 3.0]}))
    >>> stats = get_engine(src).grouped_moments(src, by=["g"], columns=["y"])
    >>> {k: (m.n, m.mean.tolist()) for k, m in sorted(stats.items())}
    {('a',): (2, [2.0]), ('b',): (1, [2.0])}
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa
    from numpy.typing import NDArray

    from causalkit.data.moments import Moments
    from causalkit.data.source import Source


class ColumnKind(StrEnum):
    """Coarse column types that analyses care about."""

    NUMERIC = "numeric"
    BOOLEAN = "boolean"
    STRING = "string"
    TIMESTAMP = "timestamp"
    OTHER = "other"


class EngineProtocol(Protocol):
    """What an engine does. DuckDB is the embedded default; Spark is an optional extra.

    Example:
        >>> from causalkit.data import DuckDBEngine
        >>> engine: EngineProtocol = DuckDBEngine()
        >>> callable(engine.grouped_moments)
        True
    """

    def schema(self, source: Source) -> dict[str, ColumnKind]:
        """Column name -> coarse kind."""
        ...

    def require_columns(
        self, source: Source, *, numeric: Sequence[str] = (), present: Sequence[str] = ()
    ) -> dict[str, ColumnKind]:
        """Check that columns exist (and that ``numeric`` ones are numbers or booleans)."""
        ...

    def grouped_moments(
        self, source: Source, *, by: Sequence[str], columns: Sequence[str],
        where: str | None = None,
    ) -> dict[tuple[object, ...], Moments]:
        """One scan: per group, count, means and centred cross-products of ``columns``."""
        ...

    def arrays(
        self, source: Source, columns: Sequence[str], *, where: str | None = None
    ) -> dict[str, NDArray[np.generic]]:
        """Selected columns as numpy arrays."""
        ...

    def query(self, source: Source, sql: str) -> pa.Table:
        """Run ``sql`` in which the relation ``src`` stands for the source; return Arrow."""
        ...

    def relation_sql(self, source: Source) -> str:
        """The SQL relation text of ``source`` in this engine (to join two sources)."""
        ...


def check_columns(schema: dict[str, ColumnKind], source: str, *, numeric: Sequence[str] = (),
                  present: Sequence[str] = ()) -> dict[str, ColumnKind]:
    """Check a schema for the columns an analysis needs; the same messages on every engine.

    Raises:
        DataError: naming the first missing (with a close match) or non-numeric column.

    Example:
        >>> check_columns({"chat_minute": ColumnKind.NUMERIC}, "d.csv", numeric=["chat_minutes"])
        Traceback (most recent call last):
        ...
        causalkit.errors.DataError: d.csv: column 'chat_minutes': column is missing (did you mean 'chat_minute'?)
    """
    import difflib

    from causalkit.errors import DataError

    for col in [*present, *numeric]:
        if col not in schema:
            close = difflib.get_close_matches(col, list(schema), n=1)
            hint = (f"did you mean {close[0]!r}?" if close else
                    f"columns are: {', '.join(list(schema)[:20])}")
            raise DataError("column is missing", column=col, source=source, hint=hint)
    for col in numeric:
        if schema[col] not in (ColumnKind.NUMERIC, ColumnKind.BOOLEAN):
            raise DataError(
                f"holds {schema[col].value} values, not numbers", column=col, source=source,
                hint="metric columns must be numeric; cast or fix the column",
            )
    return schema


def arrays_from_arrow(table: pa.Table, columns: Sequence[str],
                      source: str) -> dict[str, NDArray[np.generic]]:
    """The columns of an Arrow result as numpy arrays; NULL or NaN is a DataError, never a 0.

    Every engine returns :meth:`EngineProtocol.arrays` through this function.

    Example:
        >>> import pyarrow as pa
        >>> arrays_from_arrow(pa.table({"y": [1.0, 2.0]}), ["y"], "d.csv")["y"].tolist()
        [1.0, 2.0]
        >>> arrays_from_arrow(pa.table({"y": [1, None]}), ["y"], "d.csv")
        Traceback (most recent call last):
        ...
        causalkit.errors.DataError: d.csv: column 'y': 1 missing or NaN value(s) (fill or drop them before the analysis)
    """
    import numpy as np
    import pyarrow.compute as pc
    import pyarrow.types as pt

    from causalkit.errors import DataError

    out: dict[str, NDArray[np.generic]] = {}
    for i, c in enumerate(columns):
        col = table.column(i)
        missing = col.null_count
        if pt.is_floating(col.type):
            missing += int(pc.sum(pc.is_nan(col)).as_py() or 0)
        if missing:
            raise DataError(f"{missing} missing or NaN value(s)", column=c, source=source,
                            hint="fill or drop them before the analysis")
        out[c] = np.asarray(col.to_numpy(zero_copy_only=False))
    return out


def quote_ident(name: str) -> str:
    """Quote an identifier for SQL (double quotes, inner quotes doubled).

    Example:
        >>> quote_ident('we"ird')
        '"we""ird"'
    """
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Quote a string literal for SQL (single quotes, inner quotes doubled).

    Example:
        >>> quote_literal("it's")
        "'it''s'"
    """
    return "'" + text.replace("'", "''") + "'"
