"""Quoting of names and values per dialect (issue 12, class 2), without Spark.

DuckDB reads ``'...'`` with doubled quotes and ``"..."`` with doubled double quotes, a
backslash being itself; Spark reads backslashes as escapes in both, so its engine
re-spells every quoted token of a portable text (:func:`causalkit.data.sql.to_spark`).
These tests check the round trip on DuckDB and the re-spelling as text; the Spark round
trip is in ``tests/hostile/test_spark_quoting.py``.
"""

from __future__ import annotations

import re

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalkit.data import quote_ident, quote_literal
from causalkit.data.sql import identifier, literal, to_spark
from causalkit.errors import DataError
from causalkit.spec.common import Engine

NAMES = st.text(min_size=1, max_size=12).filter(lambda s: "\x00" not in s)
VALUES = st.text(max_size=12)


@settings(max_examples=150, deadline=None)
@given(value=VALUES, name=NAMES)
def test_duckdb_reads_back_every_value_and_name(value: str, name: str) -> None:
    got = duckdb.sql(f"SELECT {quote_literal(value)} AS {quote_ident(name)}")
    assert got.columns == [name]
    assert got.fetchall() == [(value,)]


def _spark_tokens(text: str) -> list[str]:
    """Decode the quoted tokens of a Spark text (backticks, hex literals, plain literals)."""
    out = []
    for m in re.finditer(r"`((?:[^`]|``)*)`|CAST\(X'([0-9A-F]*)' AS STRING\)|'([^'\\]*)'", text):
        if m.group(1) is not None:
            out.append(m.group(1).replace("``", "`"))
        elif m.group(2) is not None:
            out.append(bytes.fromhex(m.group(2)).decode())
        else:
            out.append(m.group(3))
    return out


@settings(max_examples=300, deadline=None)
@given(values=st.lists(VALUES, min_size=1, max_size=4), names=st.lists(NAMES, min_size=1,
                                                                        max_size=4))
def test_to_spark_keeps_every_token_and_nothing_else(values: list[str], names: list[str]) -> None:
    """Re-spelled texts hold the same names and values, and no backslash or quote of theirs
    reaches Spark outside a backticked name."""
    parts = [f"{quote_literal(v)} AS {quote_ident(n)}" for v, n in zip(values, names)]
    text = "SELECT " + ", ".join(parts) + " FROM src -- it's"
    spark = to_spark(text)
    expected = [t for v, n in zip(values, names) for t in (v, n)]
    assert _spark_tokens(spark.rsplit(" FROM src", 1)[0]) == expected
    outside = re.sub(r"`(?:[^`]|``)*`|CAST\(X'[0-9A-F]*' AS STRING\)|'[^'\\]*'", "",
                     spark.rsplit(" FROM src", 1)[0])
    assert not set(outside) & set("\\'\"`"), outside
    assert spark.endswith(" FROM src -- it's")


def test_literal_and_identifier_per_dialect() -> None:
    assert literal("K\\'R", Engine.DUCKDB) == "'K\\''R'"
    assert literal("K\\'R", Engine.SPARK) == "CAST(X'4B5C2752' AS STRING)"
    assert literal("é", Engine.SPARK) == "'é'"
    assert literal("a\nb", Engine.SPARK) == "CAST(X'610A62' AS STRING)"
    assert identifier("x\\", Engine.SPARK) == "`x\\`"
    assert identifier('x"', Engine.DUCKDB) == '"x"""'


def test_typed_literals_keep_their_quotes() -> None:
    assert to_spark("SELECT TIMESTAMP '2026-01-01 00:00:00', DATE '2026-01-01'") == \
        "SELECT TIMESTAMP '2026-01-01 00:00:00', DATE '2026-01-01'"
    assert to_spark("SELECT INTERVAL 'a''b\\c'") == "SELECT INTERVAL 'a\\'b\\\\c'"


def test_comments_and_unterminated_quotes() -> None:
    assert to_spark("SELECT 1 /* it's \"x\" */") == "SELECT 1 /* it's \"x\" */"
    with pytest.raises(DataError, match="unterminated quote"):
        to_spark("SELECT 'abc")


def test_duckdb_engine_reads_hostile_names_from_a_frame() -> None:
    import pandas as pd

    from causalkit.data import DuckDBEngine, Source

    names = ["K\\'R", "x'); --", 'a"b', "é\n中", "\\"]
    df = pd.DataFrame({n: [float(i)] for i, n in enumerate(names)})
    got = DuckDBEngine().arrays(Source.from_frame(df), names)
    assert [float(got[n][0]) for n in names] == [0.0, 1.0, 2.0, 3.0, 4.0]
