"""The data layer's own guards: NULL-only groups, unreadable column types, fingerprints.

(Issue 12, classes 7 and 9: complex or sparse pandas dtypes and other unsupported Arrow
types raised raw engine errors; a group whose values were all NULL hid its NULLs.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from causalkit.data import ColumnKind, DuckDBEngine, Source
from causalkit.data.duckdb_engine import _kind_of
from causalkit.errors import DataError


def test_a_group_of_only_nulls_is_counted() -> None:
    df = pd.DataFrame({"g": [1, 2, 2], "y": [None, 1.0, 2.0]})
    with pytest.raises(DataError, match="column 'y': 1 missing or NaN"):
        DuckDBEngine().grouped_moments(Source.from_frame(df), by=["g"], columns=["y"])


@pytest.mark.parametrize("type_name", ["DOUBLE[]", "BIGINT[3]", "STRUCT(x INTEGER)",
                                       "MAP(VARCHAR, INTEGER)", "UNION(a INTEGER)"])
def test_nested_types_are_not_numbers(type_name: str) -> None:
    assert _kind_of(type_name) is ColumnKind.OTHER


@pytest.mark.parametrize(("values", "word"), [
    (np.array([1 + 1j, 2j]), "complex"),
    (pd.arrays.SparseArray([0.0, 1.0]), "Sparse"),
    (pd.period_range("2020-01", periods=2, freq="M"), "period"),
    (pd.interval_range(0, 2), "interval"),
])
def test_unreadable_pandas_dtypes_name_the_column(values: object, word: str) -> None:
    df = pd.DataFrame({"ok": [1.0, 2.0], "bad": values})
    with pytest.raises(DataError, match=rf"<dataframe>: column 'bad': has pandas dtype .*{word}"):
        Source.from_frame(df)


def test_arrow_type_the_engine_cannot_read_is_named() -> None:
    table = pa.table({"ok": [1.0, 2.0], "half": pa.array(np.ones(2, dtype=np.float16))})
    with pytest.raises(DataError, match="column 'half': has a type the engine cannot read"):
        DuckDBEngine().schema(Source.from_frame(table))


def test_fingerprint_of_nested_arrow_columns() -> None:
    table = pa.table({"m": pa.array([[("a", 1)]], type=pa.map_(pa.string(), pa.int64()))})
    other = pa.table({"m": pa.array([[("a", 2)]], type=pa.map_(pa.string(), pa.int64()))})
    assert Source.from_frame(table).fingerprint() != Source.from_frame(other).fingerprint()
    assert Source.from_frame(table).fingerprint() == Source.from_frame(table).fingerprint()
