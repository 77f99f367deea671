"""Segments and targeting on Spark equal the independent per-segment computation (issue 15).

The same data as ``tests/ab/test_segments.py`` analysed through the Spark engine: every
segment estimate, interval and p-value (mean, proportion, ratio, CUPED) equals the
numpy/scipy computation from the rows to 1e-9, and a targeting rule with quotes and
unicode selects the same units and finds the same leak as on DuckDB.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from causalkit.ab.analysis import analyze_source
from causalkit.data import Source
from causalkit.data.spark_engine import SparkEngine, use_spark
from causalkit.spec.ab import ABSpec
from causalkit.spec.common import Engine
from tests.ab.test_segments import check_exact, frame, spec

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark_default(spark_engine: SparkEngine) -> Iterator[SparkEngine]:
    """Route ``engine: spark`` sources to the shared session."""
    engine = use_spark(spark_engine.spark)
    yield engine
    engine.close()


def on_spark(df: object) -> Source:
    return replace(Source.from_frame(df), engine=Engine.SPARK)


def test_segment_estimates_on_spark_equal_numpy(spark_default: SparkEngine) -> None:
    df = frame(n=3000)
    rep = analyze_source(spec(), on_spark(df), figures=False)
    assert check_exact(rep, df, ("country", "platform")) == 4 * (4 + 2)


def test_targeting_on_spark_matches_duckdb(spark_default: SparkEngine) -> None:
    df = frame(n=3000)
    df["country"] = df["country"].replace({"KR": "한국 it's \"q\"\\"})
    df.loc[df.index[:5], "variant"] = "treatment"  # some of them leak
    rule = 'country in ["한국 it\'s \\"q\\"\\\\", "JP"] and x >= 1'
    s = ABSpec.model_validate({**spec(segments=["platform"]).model_dump(), "targeting": rule})
    duck = analyze_source(s, Source.from_frame(df), figures=False)
    spark = analyze_source(s, on_spark(df), figures=False)
    for a, b in zip(duck.checks, spark.checks):
        assert (a.name, a.status) == (b.name, b.status)
        assert a.value == pytest.approx(b.value, rel=1e-9)
    assert {c.name: c.value for c in duck.checks}["targeting"] > 0
    for a, b in zip(duck.estimates, spark.estimates):
        assert (a.segment, a.n, a.n_reference) == (b.segment, b.n, b.n_reference)
        assert a.estimate == pytest.approx(b.estimate, rel=1e-9, abs=1e-12)
