"""Targeting strings with quotes, backslashes and unicode select the same rows on DuckDB and Spark.

The rule is compiled once (:func:`causalkit.data.targeting.where_sql`, DuckDB's quoting) and
the Spark engine re-spells it (:func:`causalkit.data.sql.to_spark`): no value or name can
break out of its quotes on either engine (issue 15: "no injection").
"""

from __future__ import annotations

import pandas as pd
import pytest

from causalkit.data.duckdb_engine import DuckDBEngine
from causalkit.data.source import Source
from causalkit.data.targeting import eligible, where_sql
from causalkit.spec.targeting import parse

pytestmark = pytest.mark.spark

NASTY = ["KR", "it's", 'say "hi"', "back\\slash", "\\'; DROP TABLE src; --", "한국",
         "tab\there", "' OR '1'='1", "é\u0301", "`tick`"]


def _rules() -> list[str]:
    out = []
    for v in NASTY:
        lit = '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '"'
        out += [f"`we\"ird name` == {lit}", f"`we\"ird name` != {lit}",
                f"`we\"ird name` in [{lit}, \"KR\"] and age >= 3",
                f"not `we\"ird name` not in [{lit}] or age < 0"]
    return out


def test_same_rows_on_duckdb_spark_and_in_memory(spark_engine):
    frame = pd.DataFrame({"we\"ird name": [*NASTY, None], "age": [*list(range(len(NASTY))), 5]})
    src = Source.from_frame(frame)
    texts = _rules()
    rules = [parse(t) for t in texts]
    cols = ", ".join(f'CASE WHEN {where_sql(r)} THEN 1 ELSE 0 END AS "r{i}"'
                     for i, r in enumerate(rules))
    sql = f'SELECT "age", {cols} FROM src ORDER BY "age"'
    duck = DuckDBEngine().query(src, sql).to_pylist()
    spark = spark_engine.query(src, sql).to_pylist()
    order = frame.sort_values("age", kind="stable")
    for i, (text, rule) in enumerate(zip(texts, rules)):
        mem = eligible(rule, order).astype(int).tolist()
        assert [row[f"r{i}"] for row in duck] == mem, text
        assert [row[f"r{i}"] for row in spark] == mem, text
    assert sum(row["r0"] for row in duck) == 1  # "KR" selects its one row
