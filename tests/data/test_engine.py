"""The engine's sufficient statistics equal numpy's, from CSV, Parquet and a DataFrame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from causalkit.data import DuckDBEngine, Moments, Source
from causalkit.errors import DataError

ENGINE = DuckDBEngine()
COLS = ["y", "x", "z"]


def _frame(values: np.ndarray, groups: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"arm": groups, "y": values[:, 0], "x": values[:, 1], "z": values[:, 2]})


def _check(stats: dict[tuple[object, ...], Moments], frame: pd.DataFrame) -> None:
    assert {k[0] for k in stats} == set(frame["arm"].unique())
    for (arm,), m in stats.items():
        rows = frame.loc[frame["arm"] == arm, COLS].to_numpy(dtype=np.float64)
        assert m.n == len(rows)
        mean = rows.mean(axis=0)
        np.testing.assert_allclose(m.mean, mean, rtol=1e-9, atol=1e-9)
        centred = rows - mean
        scale = max(1.0, float(np.abs(centred).max()) ** 2 * len(rows))
        np.testing.assert_allclose(m.comoment, centred.T @ centred, rtol=1e-9,
                                   atol=1e-9 * scale)
        np.testing.assert_allclose(m.sums, rows.sum(axis=0), rtol=1e-9, atol=1e-6)


values_strategy = hnp.arrays(
    np.float64, st.tuples(st.integers(2, 60), st.just(3)),
    elements=st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False, width=32),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=values_strategy, seed=st.integers(0, 1000))
def test_moments_match_numpy_from_dataframe(values: np.ndarray, seed: int) -> None:
    groups = np.random.default_rng(seed).choice(["control", "treatment", "b"], len(values))
    frame = _frame(values, groups)
    stats = ENGINE.grouped_moments(Source.from_frame(frame), by=["arm"], columns=COLS)
    _check(stats, frame)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(values=values_strategy, seed=st.integers(0, 1000))
def test_moments_match_numpy_from_csv_and_parquet(tmp_path: Path, values: np.ndarray,
                                                  seed: int) -> None:
    groups = np.random.default_rng(seed).choice(["control", "treatment"], len(values))
    frame = _frame(values, groups)
    csv = tmp_path / f"d{seed}.csv"
    pq = tmp_path / f"d{seed}.parquet"
    frame.to_csv(csv, index=False, float_format="%.17g")
    frame.to_parquet(pq, index=False)
    for path in (csv, pq):
        stats = ENGINE.grouped_moments(Source.from_path(path), by=["arm"], columns=COLS)
        _check(stats, frame)


@settings(max_examples=50, deadline=None)
@given(values=values_strategy, cut=st.integers(0, 60))
def test_moments_add_exactly(values: np.ndarray, cut: int) -> None:
    cut = min(cut, len(values))
    whole = Moments.from_array(COLS, values)
    parts = Moments.from_array(COLS, values[:cut]) + Moments.from_array(COLS, values[cut:])
    assert parts.n == whole.n
    np.testing.assert_allclose(parts.mean, whole.mean, rtol=1e-9, atol=1e-9)
    scale = max(1.0, float(np.abs(values).max()) ** 2 * len(values))
    np.testing.assert_allclose(parts.comoment, whole.comoment, rtol=1e-9, atol=1e-12 * scale)


def test_from_sums_matches_from_array() -> None:
    x = np.random.default_rng(1).normal(5, 2, size=(500, 2))
    a = Moments.from_array(["a", "b"], x)
    b = Moments.from_sums(["a", "b"], 500, x.sum(axis=0), x.T @ x)
    np.testing.assert_allclose(a.cov(), b.cov(), rtol=1e-9)


def test_cancellation_resistance() -> None:
    """Mean 1e6 and sd 1: raw sums of squares would lose every digit of the variance."""
    x = 1e6 + np.random.default_rng(2).normal(0, 1, size=(10_000, 1))
    frame = pd.DataFrame({"arm": "a", "y": x[:, 0]})
    m = ENGINE.grouped_moments(Source.from_frame(frame), by=["arm"], columns=["y"])[("a",)]
    np.testing.assert_allclose(m.var()[0], x.var(ddof=1), rtol=1e-9)


def test_missing_column_names_it(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    pd.DataFrame({"arm": ["a"], "y": [1.0]}).to_csv(path, index=False)
    with pytest.raises(DataError) as info:
        ENGINE.grouped_moments(Source.from_path(path), by=["arm"], columns=["chat_minutes"])
    assert "chat_minutes" in str(info.value)
    assert str(path) in str(info.value)


def test_non_numeric_column_names_it(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pd.DataFrame({"arm": ["a"], "y": ["lots"]}).to_parquet(path)
    with pytest.raises(DataError, match=r"column 'y': holds string values"):
        ENGINE.grouped_moments(Source.from_path(path), by=["arm"], columns=["y"])


def test_nan_values_are_an_error() -> None:
    frame = pd.DataFrame({"arm": ["a", "a"], "y": [1.0, np.nan]})
    with pytest.raises(DataError, match="1 missing or NaN"):
        ENGINE.grouped_moments(Source.from_frame(frame), by=["arm"], columns=["y"])


def test_identifiers_are_quoted() -> None:
    frame = pd.DataFrame({'we"ird col': [1.0, 2.0], "select": ["a", "a"]})
    stats = ENGINE.grouped_moments(Source.from_frame(frame), by=["select"],
                                   columns=['we"ird col'])
    assert stats[("a",)].mean.tolist() == [1.5]


def test_paths_are_literals(tmp_path: Path) -> None:
    path = tmp_path / "it's.csv"
    pd.DataFrame({"y": [1.0, 3.0]}).to_csv(path, index=False)
    assert ENGINE.arrays(Source.from_path(path), ["y"])["y"].tolist() == [1.0, 3.0]


def test_caller_frame_not_mutated() -> None:
    frame = pd.DataFrame({"arm": ["a", "b"], "y": [1.0, 2.0]})
    before = frame.copy()
    ENGINE.grouped_moments(Source.from_frame(frame), by=["arm"], columns=["y"])
    pd.testing.assert_frame_equal(frame, before)


def test_missing_file_is_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        Source.from_path(tmp_path / "nope.parquet")


def test_corrupt_parquet_is_data_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataError, match="could not read"):
        ENGINE.schema(Source.from_path(path))


def test_arrays_refuse_nulls_instead_of_zeros() -> None:
    frame = pd.DataFrame({"a": pd.array([1, None, 3], dtype="Int64"), "b": [1.0, np.nan, 2.0]})
    src = Source.from_frame(frame)
    with pytest.raises(DataError, match=r"column 'a': 1 missing"):
        ENGINE.arrays(src, ["a"])
    with pytest.raises(DataError, match=r"column 'b': 1 missing"):
        ENGINE.arrays(src, ["b"])
    assert ENGINE.arrays(src, ["a"], where='"a" IS NOT NULL')["a"].tolist() == [1, 3]


def test_frame_changed_in_place_is_seen_by_a_new_source() -> None:
    frame = pd.DataFrame({"arm": ["a", "a"], "y": [1.0, 3.0]})
    first = ENGINE.grouped_moments(Source.from_frame(frame), by=["arm"], columns=["y"])
    frame["y"] += 10.0
    second = ENGINE.grouped_moments(Source.from_frame(frame), by=["arm"], columns=["y"])
    assert first[("a",)].mean.tolist() == [2.0]
    assert second[("a",)].mean.tolist() == [12.0]


def test_engine_keeps_no_frame_alive() -> None:
    import gc
    import weakref

    engine = DuckDBEngine()
    frame = pd.DataFrame({"y": np.arange(10.0)})
    ref = weakref.ref(frame)
    src = Source.from_frame(frame)
    engine.schema(src)
    assert len(engine._frames) == 1
    del src, frame
    gc.collect()
    assert ref() is None
    assert engine._frames == {}


def test_absolute_glob_source_fingerprint_changes_with_files(tmp_path: Path) -> None:
    for i in range(2):
        pd.DataFrame({"y": [float(i)]}).to_parquet(tmp_path / f"part{i}.parquet")
    src = Source.from_path(str(tmp_path / "*.parquet"))
    before = src.fingerprint()
    assert ENGINE.arrays(src, ["y"])["y"].tolist() == [0.0, 1.0]
    pd.DataFrame({"y": [2.0]}).to_parquet(tmp_path / "part2.parquet")
    assert src.fingerprint() != before
