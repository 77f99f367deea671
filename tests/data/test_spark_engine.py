"""The Spark engine against the DuckDB engine on the same data (local Spark).

Sufficient statistics must agree to 1e-12 relative, including on data built to stress
cancellation (mean 1e6, sd 1). All tests share one local session (tests/data/conftest.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from causalkit.data import DuckDBEngine, Moments, Source, get_engine
from causalkit.data.spark_engine import SparkEngine, spark_source, use_spark
from causalkit.data.sql import string_literal
from causalkit.errors import DataError
from causalkit.spec.common import DataSource, Engine

pytestmark = pytest.mark.spark

TOL = 1e-12


def stress_frame(n: int = 40_000, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = rng.choice(np.array(["control", "treatment", "holdout"], dtype=object), size=n)
    arm[rng.random(n) < 0.01] = None  # a NULL group key
    x = 1e6 + rng.normal(size=n)
    y = 1e6 + 0.5 * (x - 1e6) + rng.normal(size=n)
    clicks = rng.poisson(3.0, size=n)
    return pd.DataFrame({
        "arm": arm, "x": x, "y": y, "clicks": clicks.astype(np.int64),
        "converted": clicks > 3, "day": rng.integers(0, 7, size=n).astype(np.int32),
    })


@pytest.fixture(scope="module")
def stress_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spark") / "stress.parquet"
    pq.write_table(pa.Table.from_pandas(stress_frame(), preserve_index=False), path,
                   row_group_size=10_000)
    return path


def rel(a: Any, b: Any) -> float:
    """Element-wise relative difference (0 where both are 0)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    both_zero = (a == 0) & (b == 0)
    scale = np.where(both_zero, 1.0, np.maximum(np.abs(a), np.abs(b)))
    return float(np.max(np.abs(a - b) / scale))


def moments_rel(a: Moments, b: Moments) -> float:
    """Relative difference of two moments, each entry on its natural scale.

    Means relative to max(|mean|, sd); comoments relative to sqrt(C_ii C_jj) (so an
    off-diagonal entry near 0, e.g. of two independent columns, is compared on the scale
    of the columns, not of itself). Diagonal entries are plain relative differences.
    """
    diag = np.maximum(np.diag(a.comoment), np.diag(b.comoment))
    sd = np.sqrt(diag / max(a.n, 1))
    mean_scale = np.maximum(np.maximum(np.abs(a.mean), np.abs(b.mean)), sd)
    mean_scale = np.where(mean_scale == 0, 1.0, mean_scale)
    com_scale = np.sqrt(np.outer(diag, diag))
    com_scale = np.where(com_scale == 0, 1.0, com_scale)
    return float(max(np.max(np.abs(a.mean - b.mean) / mean_scale),
                     np.max(np.abs(a.comoment - b.comoment) / com_scale)))


def assert_same_moments(a: dict[tuple[object, ...], Moments],
                        b: dict[tuple[object, ...], Moments]) -> float:
    assert set(a) == set(b)
    worst = 0.0
    for key in a:
        assert a[key].n == b[key].n, key
        worst = max(worst, moments_rel(a[key], b[key]))
    assert worst <= TOL, f"relative difference {worst:.3g} > {TOL}"
    return worst


def test_stress_moments_equal_duckdb(spark_engine: SparkEngine, stress_parquet: Path) -> None:
    src_d = Source.from_path(stress_parquet)
    src_s = Source.from_path(stress_parquet, engine=Engine.SPARK)
    cols = ["x", "y", "clicks", "converted"]
    duck = DuckDBEngine().grouped_moments(src_d, by=["arm"], columns=cols)
    spark = spark_engine.grouped_moments(src_s, by=["arm"], columns=cols)
    assert (None,) in spark
    assert_same_moments(duck, spark)
    xy = ["x", "y"]  # strongly correlated: element-wise relative difference too
    for key in duck:
        assert rel(duck[key].select(xy).comoment, spark[key].select(xy).comoment) <= TOL
        assert rel(duck[key].mean, spark[key].mean) <= TOL
    # and both are right: extended-precision reference for one group
    frame = stress_frame()
    part = frame[frame["arm"] == "control"][cols].to_numpy(dtype=np.longdouble)
    centred = part - part.mean(axis=0)
    assert rel(spark[("control",)].comoment, (centred.T @ centred).astype(float)) <= TOL


def test_two_keys_where_and_no_group(spark_engine: SparkEngine, stress_parquet: Path) -> None:
    src_d = Source.from_path(stress_parquet)
    src_s = Source.from_path(stress_parquet, engine=Engine.SPARK)
    kw: dict[str, Any] = {"by": ["arm", "day"], "columns": ["y", "clicks"],
                          "where": '"clicks" > 0 AND "arm" IS NOT NULL'}
    assert_same_moments(DuckDBEngine().grouped_moments(src_d, **kw),
                        spark_engine.grouped_moments(src_s, **kw))
    kw = {"by": [], "columns": ["x"]}
    assert_same_moments(DuckDBEngine().grouped_moments(src_d, **kw),
                        spark_engine.grouped_moments(src_s, **kw))


def test_frames_csv_sql_and_tables(spark_engine: SparkEngine, spark: Any,
                                   tmp_path: Path) -> None:
    frame = stress_frame(n=3_000, seed=5)
    csv = tmp_path / "small.csv"
    frame.to_csv(csv, index=False)
    want = DuckDBEngine().grouped_moments(Source.from_frame(frame), by=["day"],
                                          columns=["y", "converted"])
    spark.createDataFrame(frame).createOrReplaceTempView("ck_small")
    sources = [
        Source.from_frame(frame),
        Source.from_frame(pa.Table.from_pandas(frame, preserve_index=False)),
        Source.from_path(csv, engine=Engine.SPARK),
        Source(kind="table", table="ck_small", engine=Engine.SPARK),
        Source(kind="sql", sql="SELECT * FROM ck_small WHERE day >= 0", engine=Engine.SPARK),
        spark_source(spark.table("ck_small")),
    ]
    for src in sources:
        assert_same_moments(want, spark_engine.grouped_moments(src, by=["day"],
                                                               columns=["y", "converted"]))


def test_constant_column_and_errors_match_duckdb(spark_engine: SparkEngine) -> None:
    frame = pd.DataFrame({"g": [1, 1, 1, 2], "x": [0.1, 0.1, 0.1, 7.0],
                          "s": ["a", "b", "c", "d"], "z": [1.0, np.nan, 2.0, 3.0]})
    src = Source.from_frame(frame, name="t.parquet")
    got = spark_engine.grouped_moments(src, by=["g"], columns=["x"])
    assert got[(1,)].mean[0] == 0.1
    assert got[(1,)].comoment[0, 0] == 0.0
    duck = DuckDBEngine()
    for kwargs in ({"by": ["g"], "columns": ["z"]}, {"by": ["g"], "columns": ["s"]},
                   {"by": ["nope"], "columns": ["x"]}, {"by": ["g"], "columns": ["xx"]}):
        with pytest.raises(DataError) as want:
            duck.grouped_moments(src, **kwargs)
        with pytest.raises(DataError) as got_err:
            spark_engine.grouped_moments(src, **kwargs)
        assert str(got_err.value) == str(want.value)


def test_schema_and_arrays_match_duckdb(spark_engine: SparkEngine) -> None:
    frame = pd.DataFrame({
        "i": np.array([3, 1, 2], dtype=np.int64), "f": [0.5, 1.5, -2.0], "b": [True, False, True],
        "s": ["x", "y", "z"], "t": pd.to_datetime(["2026-01-01 00:00", "2026-01-01 01:00",
                                                   "2026-01-02 00:00"]).as_unit("us"),
    })
    src = Source.from_frame(frame)
    duck = DuckDBEngine()
    assert spark_engine.schema(src) == duck.schema(src)
    got = spark_engine.arrays(src, ["i", "f", "b", "s", "t"], where='"f" < 1')
    want = duck.arrays(src, ["i", "f", "b", "s", "t"], where='"f" < 1')
    order = np.argsort(got["i"])
    for col in want:
        np.testing.assert_array_equal(got[col][order], want[col][np.argsort(want["i"])])
        assert got[col].dtype == want[col].dtype, col


def test_query_portable_sql_and_bad_sql(spark_engine: SparkEngine) -> None:
    frame = pd.DataFrame({"g": ["a", "b", "a"], "y": [1, 2, 3], "w": ["it's", "a\\b", "c"]})
    src = Source.from_frame(frame)
    sql = ("SELECT \"g\", COUNT(*) AS \"n\", SUM(\"y\") AS \"s\", "
           f"COUNT_IF(\"w\" = {string_literal('it' + chr(39) + 's')} "
           f"OR \"w\" = {string_literal('a' + chr(92) + 'b')}) AS \"quoted\" "
           "FROM src GROUP BY \"g\" ORDER BY \"g\"")
    got = spark_engine.query(src, sql).to_pylist()
    want = DuckDBEngine().query(src, sql).to_pylist()
    assert got == want == [{"g": "a", "n": 2, "s": 4, "quoted": 1},
                           {"g": "b", "n": 1, "s": 2, "quoted": 1}]
    with pytest.raises(DataError, match="could not read the data"):
        spark_engine.query(src, "SELECT nope FROM src")


def test_caller_session_settings_are_restored(spark_engine: SparkEngine, spark: Any) -> None:
    key = "spark.sql.ansi.doubleQuotedIdentifiers"
    spark.conf.set(key, "false")
    try:
        src = Source.from_frame(pd.DataFrame({"a": [1.0]}))
        assert spark_engine.query(src, 'SELECT "a" FROM src').to_pylist() == [{"a": 1.0}]
        assert spark.conf.get(key) == "false"
        assert spark.sql('SELECT "a" AS v').collect()[0][0] == "a"  # a string again
    finally:
        spark.conf.unset(key)


def test_use_spark_routes_engine_spark_sources(spark: Any, stress_parquet: Path) -> None:
    engine = use_spark(spark)
    try:
        src = Source.from_path(stress_parquet, engine=Engine.SPARK)
        assert get_engine(src) is engine
        from causalkit.data import resolve_source

        spec_src = resolve_source(DataSource(path=str(stress_parquet), engine=Engine.SPARK))
        assert get_engine(spec_src) is engine
        got = get_engine(spec_src).grouped_moments(spec_src, by=["arm"], columns=["clicks"])
        want = DuckDBEngine().grouped_moments(Source.from_path(stress_parquet), by=["arm"],
                                              columns=["clicks"])
        assert_same_moments(want, got)
    finally:
        engine.close()


def test_missing_file_is_a_data_error(spark_engine: SparkEngine, tmp_path: Path) -> None:
    src = Source(kind="file", path=str(tmp_path / "none*.parquet"),
                 format=DataSource(path="x.parquet").format or None, engine=Engine.SPARK)
    with pytest.raises(DataError, match="could not read the data"):
        spark_engine.schema(src)


def test_dialect_helpers_give_the_same_values(spark_engine: SparkEngine) -> None:
    from causalkit.data import sql

    frame = pd.DataFrame({
        "t": pd.to_datetime(["2026-01-01 01:00:00.000", "1969-12-31 23:59:59.500"]).as_unit("us"),
        "tz": pd.to_datetime(["2026-01-01 01:00", "2026-06-01 12:30"]).tz_localize(
            "Asia/Seoul").as_unit("us"),
        "s": ["2026-01-01T01:00:00+02:00", "2026-01-01 00:00:00Z"],
        "n": np.array([7, 1_700_000_000_123], dtype=np.int64),
        "k": ["user-1", "it's"],
    })
    src = Source.from_frame(frame)
    rows = []
    for eng in (DuckDBEngine(), spark_engine):
        d = sql.dialect_of(eng)
        text = ", ".join([
            f"{sql.epoch_us(chr(34) + 't' + chr(34), d)} AS a",
            f"{sql.epoch_ns(chr(34) + 'tz' + chr(34), d)} AS b",
            f"{sql.epoch_seconds(chr(34) + 's' + chr(34), d, text=True)} AS c",
            f"{sql.int_div(chr(34) + 'n' + chr(34), '1000', d)} AS q",
            f"{sql.hash_number(chr(34) + 'k' + chr(34) + ' || ' + sql.string_literal(':s'), d)}"
            " % 1000000 AS h",
        ])
        got = eng.query(src, f'SELECT {text} FROM src ORDER BY "n"').to_pylist()
        rows.append([{k: (int(v) if k != "c" else v) for k, v in r.items()} for r in got])
    assert rows[0] == rows[1]
    assert rows[0][0]["a"] == 1767229200000000
    assert rows[0][1]["c"] == 1767225600.0
