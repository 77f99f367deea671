"""Sources and engines: scans that return sufficient statistics or numpy arrays.

Example:
    >>> import pandas as pd
    >>> src = Source.from_frame(pd.DataFrame({"y": [1.0, 3.0]}))
    >>> get_engine(src).grouped_moments(src, by=[], columns=["y"])[()].mean.tolist()
    [2.0]
"""

from __future__ import annotations

from typing import Any

from causalkit.data.duckdb_engine import DuckDBEngine
from causalkit.data.engine import ColumnKind, EngineProtocol, quote_ident, quote_literal
from causalkit.data.moments import Moments
from causalkit.data.source import Source, pick_source, resolve_source
from causalkit.spec.common import Engine

_ENGINES: dict[Engine, Any] = {}


def get_engine(source: Source | None = None, kind: Engine | None = None) -> EngineProtocol:
    """The engine for a source (DuckDB unless the source asks for Spark).

    Example:
        >>> type(get_engine()).__name__
        'DuckDBEngine'
    """
    which = kind or (source.engine if source is not None else Engine.DUCKDB)
    if which is Engine.SPARK:
        try:
            from causalkit.data.spark_engine import SparkEngine
        except ImportError as exc:  # pragma: no cover - depends on the extra
            from causalkit.errors import DataError

            raise DataError(
                f"engine: spark needs the spark extra ({exc})",
                hint="pip install -e '.[spark]' in a causalkit checkout, and a Java runtime",
            ) from None
        if which not in _ENGINES:
            _ENGINES[which] = SparkEngine()
        engine: EngineProtocol = _ENGINES[which]
        return engine
    if which not in _ENGINES:
        _ENGINES[which] = DuckDBEngine()
    default: EngineProtocol = _ENGINES[which]
    return default


__all__ = [
    "ColumnKind",
    "DuckDBEngine",
    "EngineProtocol",
    "Moments",
    "Source",
    "get_engine",
    "pick_source",
    "quote_ident",
    "quote_literal",
    "resolve_source",
]
