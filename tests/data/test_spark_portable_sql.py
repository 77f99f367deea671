"""The portable grouped-moments SQL (causalkit.data.sql), checked on DuckDB against
independent computations; these tests need no Spark.

The stress data have mean 1e6 and sd 1 (catastrophic cancellation for one-pass sums);
the reference moments are computed in extended precision with numpy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalkit.data import DuckDBEngine, Source
from causalkit.data.sql import MomentsQuery, double_literal
from causalkit.errors import DataError


def stress_frame(n: int = 60_000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.choice(np.array(["control", "treatment", "other"], dtype=object), size=n)
    x = 1e6 + rng.normal(size=n)
    y = 1e6 + 0.5 * (x - 1e6) + rng.normal(size=n)
    k = rng.integers(0, 5, size=n)
    return pd.DataFrame({"g": g, "x": x, "y": y, "k": k, "flag": k > 2})


def reference(frame: pd.DataFrame, by: str, cols: list[str]) -> dict[object, tuple]:
    out = {}
    for key, part in frame.groupby(by, sort=False, dropna=False):
        x = part[cols].to_numpy(dtype=np.longdouble)
        mean = x.mean(axis=0)
        centred = x - mean
        out[key] = (len(part), mean.astype(np.float64), (centred.T @ centred).astype(np.float64))
    return out


def rel(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = np.maximum(np.abs(b), 1e-300)
    return float(np.max(np.abs(a - b) / scale))


def test_two_pass_moments_match_extended_precision_under_cancellation() -> None:
    frame = stress_frame()
    got = DuckDBEngine().grouped_moments(Source.from_frame(frame), by=["g"],
                                         columns=["x", "y", "k", "flag"])
    ref = reference(frame, "g", ["x", "y", "k", "flag"])
    assert set(got) == {(k,) for k in ref}
    for key, (n, mean, com) in ref.items():
        m = got[(key,)]
        assert m.n == n
        assert rel(m.mean, mean) <= 1e-14
        assert rel(m.comoment, com) <= 1e-12


def test_one_pass_covar_pop_would_not_meet_the_bound() -> None:
    """Why the builder uses two passes: DuckDB's one-pass COVAR_POP is off by >1e-12 here."""
    import duckdb

    frame = stress_frame(n=400_000)
    ref = reference(frame, "g", ["x"])
    rows = duckdb.sql("SELECT g, COVAR_POP(x, x) * COUNT(*) FROM frame GROUP BY g").fetchall()
    worst = max(abs(v - ref[g][2][0, 0]) / ref[g][2][0, 0] for g, v in rows)
    assert worst > 1e-12


def test_where_filter_and_int_bool_columns() -> None:
    frame = stress_frame(n=5_000)
    got = DuckDBEngine().grouped_moments(Source.from_frame(frame), by=["g"],
                                         columns=["k", "flag"], where='"k" >= 1')
    sub = frame[frame["k"] >= 1]
    ref = reference(sub, "g", ["k", "flag"])
    for key, (n, mean, com) in ref.items():
        assert got[(key,)].n == n
        np.testing.assert_allclose(got[(key,)].mean, mean, rtol=1e-14)
        np.testing.assert_allclose(got[(key,)].comoment, com, rtol=1e-12, atol=1e-9)


def test_constant_column_has_exactly_zero_variance_and_exact_mean() -> None:
    frame = pd.DataFrame({"g": [1, 1, 1, 2], "x": [0.1, 0.1, 0.1, 7.0], "y": [1.0, 2.0, 4.0, 1.0]})
    got = DuckDBEngine().grouped_moments(Source.from_frame(frame), by=["g"], columns=["x", "y"])
    m = got[(1,)]
    assert m.mean[0] == 0.1
    assert m.comoment[0, 0] == 0.0
    assert m.comoment[0, 1] == 0.0
    assert m.comoment[1, 1] == pytest.approx(14 / 3, rel=1e-15)
    assert got[(2,)].n == 1
    assert got[(2,)].comoment.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_null_group_key_is_its_own_group() -> None:
    frame = pd.DataFrame({"g": ["a", None, None], "x": [1.0, 2.0, 4.0]})
    got = DuckDBEngine().grouped_moments(Source.from_frame(frame), by=["g"], columns=["x"])
    assert got[(None,)].n == 2
    assert got[(None,)].mean.tolist() == [3.0]


def test_no_rows_after_filter() -> None:
    frame = pd.DataFrame({"g": ["a"], "x": [1.0]})
    eng = DuckDBEngine()
    assert eng.grouped_moments(Source.from_frame(frame), by=["g"], columns=["x"],
                               where='"x" > 5') == {}
    whole = eng.grouped_moments(Source.from_frame(frame), by=[], columns=["x"], where='"x" > 5')
    assert whole[()].n == 0


@pytest.mark.parametrize("bad", [float("nan"), None])
def test_nan_or_null_is_a_data_error_naming_the_column(bad: float | None) -> None:
    frame = pd.DataFrame({"g": [1, 2, 2], "x": [1.0, 2.0, 3.0], "y": [1.0, bad, 2.0]})
    with pytest.raises(DataError, match=r"column 'y': 1 missing or NaN"):
        DuckDBEngine().grouped_moments(Source.from_frame(frame), by=["g"], columns=["x", "y"])


def test_double_literal_round_trips_exactly() -> None:
    import duckdb

    values = [0.1, 1e6 + 1e-10, -3.5e-300, 2.0**60 + 2.0**8, 1 / 3]
    sql = "SELECT " + ", ".join(double_literal(v) for v in values)
    assert list(duckdb.sql(sql).fetchall()[0]) == values


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.integers(0, 2), st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)),
        min_size=1, max_size=40),
    offset=st.sampled_from([0.0, 1e4, -1e6]),
)
def test_property_matches_numpy_two_pass(data: list[tuple[int, float, float]],
                                         offset: float) -> None:
    frame = pd.DataFrame(data, columns=["g", "x", "y"])
    frame["x"] += offset
    got = DuckDBEngine().grouped_moments(Source.from_frame(frame), by=["g"], columns=["x", "y"])
    for key, part in frame.groupby("g"):
        x = part[["x", "y"]].to_numpy()
        mean = x.mean(axis=0)
        com = (x - mean).T @ (x - mean)
        m = got[(key,)]
        assert m.n == len(part)
        scale = np.abs(x).max() + 1.0
        np.testing.assert_allclose(m.mean, mean, rtol=1e-12, atol=1e-12 * scale)
        np.testing.assert_allclose(m.comoment, com, rtol=1e-9, atol=1e-9 * scale**2)
        assert np.all(np.diag(m.comoment) >= 0)


def test_query_texts_are_stable() -> None:
    q = MomentsQuery(by=("arm",), columns=("y",), where='"day" < 3')
    assert q.shift_sql() == ('SELECT "arm" AS "__ck_k0", AVG(CAST("y" AS DOUBLE)) AS "__ck_s0" '
                             'FROM src WHERE "day" < 3 GROUP BY "arm"')
    body = q.moments_sql('"shifts"')
    assert body.startswith('SELECT "__ck_r"."arm", COUNT(*), MAX("__ck_m"."__ck_s0")')
    assert 'FROM (SELECT * FROM src WHERE "day" < 3) AS "__ck_r" JOIN "shifts" AS "__ck_m"' in body
    assert body.endswith(' GROUP BY "__ck_r"."arm"')


def test_string_literal_reads_back_in_duckdb() -> None:
    import duckdb

    from causalkit.data.sql import string_literal

    values = ["plain", "it's", "a\\b", "'\\'", ""]
    sql = "SELECT " + ", ".join(string_literal(v) for v in values)
    assert list(duckdb.sql(sql).fetchall()[0]) == values
