"""Targeting rules: the parser, its errors, and the same answer from DuckDB SQL and the predicate.

The SQL and the in-memory predicate are two independent evaluations of one tree; random
rules over random data (text with quotes, backslashes, unicode and missing values; numbers
with missing values) must select the same rows. Printing a rule and parsing it again gives
the same tree.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from causalkit.data.targeting import check_types, eligible, where_sql
from causalkit.spec.targeting import (
    MAX_DEPTH,
    And,
    Compare,
    InList,
    Not,
    Or,
    TargetingError,
    parse,
)

TEXTS = st.text(alphabet=st.sampled_from(list("KRJPus'\"\\`é한 \t;-")), max_size=4)
NUMBERS = st.one_of(st.integers(-5, 5), st.floats(-5, 5, allow_nan=False).map(lambda x: round(x, 2)))


def _rules(depth: int = 2) -> st.SearchStrategy:
    text_cmp = st.builds(Compare, st.just("country"), st.sampled_from(["==", "!="]), TEXTS)
    num_cmp = st.builds(Compare, st.just("age"),
                        st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), NUMBERS)
    text_in = st.builds(InList, st.just("country"),
                        st.lists(TEXTS, min_size=1, max_size=3, unique=True).map(tuple),
                        st.booleans())
    num_in = st.builds(InList, st.just("age"),
                       st.lists(st.integers(-5, 5), min_size=1, max_size=3,
                                unique=True).map(tuple), st.booleans())
    leaf = st.one_of(text_cmp, num_cmp, text_in, num_in)
    return st.recursive(leaf, lambda inner: st.one_of(
        st.builds(Not, inner),
        st.builds(And, st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.builds(Or, st.lists(inner, min_size=2, max_size=3).map(tuple))), max_leaves=6)


FRAMES = st.integers(1, 12).flatmap(lambda n: st.builds(
    lambda c, a: pd.DataFrame({"country": pd.Series(c, dtype=object),
                               "age": pd.Series(a, dtype="float64")}),
    st.lists(st.one_of(st.none(), TEXTS), min_size=n, max_size=n),
    st.lists(st.one_of(st.none(), st.integers(-5, 5).map(float)), min_size=n, max_size=n)))



@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=_rules(), frame=FRAMES)
def test_duckdb_sql_and_predicate_select_the_same_rows(rule, frame):
    con = duckdb.connect()
    con.register("units", frame.assign(__i=np.arange(len(frame))))
    rows = con.execute(f'SELECT "__i" FROM units WHERE {where_sql(rule)} ORDER BY 1').fetchall()
    in_sql = np.zeros(len(frame), bool)
    in_sql[[r[0] for r in rows]] = True
    assert in_sql.tolist() == eligible(rule, frame).tolist(), (str(rule), frame)


@settings(max_examples=200, deadline=None)
@given(rule=_rules())
def test_printing_and_parsing_again_gives_the_same_tree(rule):
    again = parse(str(rule))
    assert str(again) == str(rule)
    frame = pd.DataFrame({"country": ["KR", "a'b", None, "\\"], "age": [1.0, -2.0, None, 3.0]})
    assert eligible(again, frame).tolist() == eligible(rule, frame).tolist()


def test_missing_values_are_never_eligible_even_under_not():
    frame = pd.DataFrame({"country": [None, "KR"], "age": [None, 1.0]})
    for text in ('country == "KR"', 'not country == "KR"', 'country not in ["US"]',
                 "age > 0", "not age > 0"):
        assert not eligible(parse(text), frame)[0], text


@pytest.mark.parametrize(("text", "where", "words"), [
    ("country = 'KR'", 9, "write =="),
    ('country in ["KR", 3]', 12, "mixes text and numbers"),
    ('country in "KR"', 12, "expected '['"),
    ("country == KR", 12, 'text values are quoted: "KR"'),
    ('country == "KR', 12, "close the text value"),
    ('country == "K\\qR"', 15, "unknown escape"),
    ("(a == 1", 8, "expected ')'"),
    ("a == 1 b == 2", 8, "join conditions"),
    ("and == 1", 1, "expected a column name"),
    ("", None, "the rule is empty"),
])
def test_errors_name_the_character_and_what_to_write(text, where, words):
    with pytest.raises(TargetingError) as exc:
        parse(text)
    msg = str(exc.value)
    assert words in msg
    if where is not None:
        assert f"character {where}:" in msg


def test_depth_and_size_are_bounded():
    with pytest.raises(TargetingError, match="nests deeper"):
        parse("not " * (MAX_DEPTH + 5) + "a == 1")
    with pytest.raises(TargetingError, match="nests deeper"):
        parse("(" * (MAX_DEPTH + 5) + "a == 1" + ")" * (MAX_DEPTH + 5))
    with pytest.raises(TargetingError, match="longer than"):
        parse("a == 1 or " * 2000 + "a == 1")


def test_types_are_checked_against_the_data():
    schema = {"country": "VARCHAR", "age": "BIGINT", "vip": "BOOLEAN", "signup": "TIMESTAMP"}
    check_types(parse('country in ["KR"] and age >= 7 and vip == true and signup >= "2026-01-01"'),
                schema)
    with pytest.raises(TargetingError, match="has no column 'platform'"):
        check_types(parse('platform == "ios"'), schema)
    with pytest.raises(TargetingError, match='quote it: "3"'):
        check_types(parse("country == 3"), schema)
    with pytest.raises(TargetingError, match="write 7 without quotes"):
        check_types(parse('age >= "7"'), schema)


@pytest.mark.parametrize("name", ['we"ird', "it's", "back\\slash", "한국 국가", "a`b"])
def test_any_column_name_reads_through_backquotes(name):
    rule = parse(f"`{name.replace('`', '``')}` == \"x\"")
    assert rule == Compare(name, "==", "x")
    frame = pd.DataFrame({name: ["x", "y"]})
    con = duckdb.connect()
    con.register("units", frame)
    assert con.execute(f"SELECT COUNT(*) FROM units WHERE {where_sql(rule)}").fetchone()[0] == 1
    assert eligible(rule, frame).tolist() == [True, False]
