"""Assignment: documented test vectors, balance, independence, stability under changes, files."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from causalkit.ab.assignment import (
    HOLDOUT,
    Layout,
    assign,
    assign_file,
    buckets_of,
    digest_values,
    variant_of,
)
from causalkit.cli import main
from causalkit.errors import DataError, SpecError
from causalkit.spec.ab import ABSpec

DOCS = Path(__file__).resolve().parents[2] / "docs" / "assignment.md"
HALF = {"control": 0.5, "treatment": 0.5}
THREE = {"control": 1.0, "a": 1.0, "b": 2.0}

# (salt, id, u, h, 50/50, 50/50 with 10 % holdout, control:a:b = 1:1:2) -- also in docs/assignment.md
VECTORS = [
    ("match-filter-v2", 1, 3684516305243944533, 17450450236660740453, "control", "holdout", "a"),
    ("match-filter-v2", 42, 10479660647535591456, 6202696778136530828, "control", "holdout",
     "control"),
    ("match-filter-v2", -5, 10437616407645421311, 5827348889071197420, "control", "control",
     "control"),
    ("match-filter-v2", "alice", 8668222575883686316, 5589285341335660330, "treatment", "holdout",
     "b"),
    ("match-filter-v2", "用户-7", 12130558750079411864, 2118130545896712595, "control", "control",
     "control"),
    ("match-filter-v2", 9007199254740993, 15143348735977800519, 476404831161129430, "control",
     "control", "control"),
    ("checkout-v1", 1, 14747002088974887091, 13821425099708853235, "treatment", "treatment", "b"),
    ("checkout-v1", "alice", 9871795820276430469, 6037042135676878849, "control", "control",
     "control"),
]


def _spec(**kw: object) -> ABSpec:
    base: dict[str, object] = {
        "name": "x", "kind": "ab", "unit": "user_id", "data": {"simulate": "ab"},
        "assignment": {"salt": "match-filter-v2"},
        "metrics": [{"name": "m", "type": "mean", "column": "m", "role": "primary"}]}
    base.update(kw)
    return ABSpec.model_validate(base)


@pytest.mark.parametrize("vector", VECTORS, ids=[f"{v[0]}:{v[1]}" for v in VECTORS])
def test_documented_vectors(vector: tuple) -> None:
    salt, uid, u, h, half, held, three = vector
    digest = hashlib.sha256(f"{salt}:{uid}".encode()).digest()
    assert int.from_bytes(digest[:8], "big") == u
    assert int.from_bytes(digest[8:16], "big") == h
    assert digest_values(uid, salt) == (u, h)
    assert variant_of(uid, HALF, salt=salt) == half
    assert variant_of(uid, HALF, salt=salt, holdout=0.1) == held
    assert variant_of(uid, THREE, salt=salt) == three
    assert assign([uid], HALF, salt=salt, holdout=0.1).tolist() == [held]
    assert assign([uid], THREE, salt=salt).tolist() == [three]


def test_vectors_are_in_the_docs() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for salt, uid, u, h, _half, _held, _three in VECTORS:
        assert str(u) in text, (salt, uid)
        assert str(h) in text, (salt, uid)


def test_vectorized_equals_hashlib_reference() -> None:
    rng = np.random.default_rng(0)
    ints = rng.integers(-(2**62), 2**62, 2000)
    strs = np.array([f"user-{i}-é" for i in rng.integers(0, 10**9, 500)])
    for ids, salt in ((ints, "s1"), (strs, "s2")):
        b, h, _ = buckets_of(ids, salt, 1000)
        ref = np.array([[x % 1000 for x in digest_values(v, salt)] for v in ids.tolist()])
        np.testing.assert_array_equal(b, ref[:, 0])
        np.testing.assert_array_equal(h, ref[:, 1])
    # integers and their decimal text hash alike; uint64 ids too
    assert assign(np.array([7, 2**63 + 5], dtype=np.uint64), HALF, salt="s").tolist() == \
        assign(["7", str(2**63 + 5)], HALF, salt="s").tolist()


def test_layout_boundaries() -> None:
    assert Layout.from_weights(HALF, 10_000).boundaries == (5000, 10_000)
    assert Layout.from_weights({"a": 0.34, "b": 0.33, "c": 0.33}, 10_000).boundaries == \
        (3400, 6700, 10_000)
    assert Layout.from_weights(HALF, 10_000, 0.1).holdout_buckets == 1000
    with pytest.raises(SpecError):
        Layout.from_weights({"a": 1.0}, 100)
    with pytest.raises(SpecError):
        Layout.from_weights({"a": 1.0, "b": -1.0}, 100)


N = 1_000_000


@pytest.fixture(scope="module")
def million() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ids = np.arange(N, dtype=np.int64)
    b1, h1, _ = buckets_of(ids, "salt-one")
    b2, _, _ = buckets_of(ids, "salt-two")
    return b1, h1, b2


def test_split_of_a_million_within_binomial_bounds(million: tuple) -> None:
    b1, h1, _ = million
    for weights in (HALF, {"c": 0.2, "t1": 0.3, "t2": 0.5}):
        layout = Layout.from_weights(weights, 10_000)
        idx = np.searchsorted(np.asarray(layout.boundaries), b1, side="right")
        counts = np.bincount(idx, minlength=len(weights))
        for share, count in zip(np.asarray(list(weights.values())) / sum(weights.values()),
                                counts):
            assert abs(count - N * share) <= 4 * math.sqrt(N * share * (1 - share))
    held = np.mean(h1 < 1000)
    assert abs(held - 0.1) <= 4 * math.sqrt(0.1 * 0.9 / N)
    # buckets uniform: chi-square over 100 coarse buckets
    p = stats.chisquare(np.bincount(b1 // 100, minlength=100)).pvalue
    assert p > 1e-4


def test_independent_across_salts(million: tuple) -> None:
    b1, h1, b2 = million
    table = np.histogram2d(b1 < 5000, b2 < 5000, bins=2)[0]
    assert stats.chi2_contingency(table).pvalue > 1e-3
    table_h = np.histogram2d(b1 < 5000, h1 < 1000, bins=2)[0]  # holdout bits vs variant bits
    assert stats.chi2_contingency(table_h).pvalue > 1e-3


def test_weight_change_moves_only_the_changed_share() -> None:
    ids = np.arange(200_000)
    before = assign(ids, {"control": 0.5, "treatment": 0.5}, salt="ramp")
    after = assign(ids, {"control": 0.4, "treatment": 0.6}, salt="ramp")
    moved = before != after
    assert set(zip(before[moved], after[moved])) == {("control", "treatment")}
    assert abs(moved.mean() - 0.1) < 0.005
    b, _, _ = buckets_of(ids, "ramp")
    np.testing.assert_array_equal(moved, (b >= 4000) & (b < 5000))


def test_adding_a_holdout_switches_nobody() -> None:
    ids = np.arange(200_000)
    base = assign(ids, HALF, salt="h")
    h10 = assign(ids, HALF, salt="h", holdout=0.1)
    h20 = assign(ids, HALF, salt="h", holdout=0.2)
    kept = h10 != HOLDOUT
    np.testing.assert_array_equal(h10[kept], base[kept])
    assert abs((~kept).mean() - 0.1) < 0.005
    assert np.all(h20[h10 == HOLDOUT] == HOLDOUT)  # growing the holdout only adds units
    kept20 = h20 != HOLDOUT
    np.testing.assert_array_equal(h20[kept20], base[kept20])


def test_bad_ids() -> None:
    with pytest.raises(DataError):
        assign(np.array([1.5, 2.0]), HALF, salt="s")
    with pytest.raises(DataError):
        assign(np.array([1, None], dtype=object), HALF, salt="s")
    with pytest.raises(DataError):
        variant_of(1.0, HALF, salt="s")  # type: ignore[arg-type]


@pytest.mark.parametrize(("src", "out"), [("csv", "csv"), ("parquet", "parquet"),
                                          ("parquet", "csv")])
def test_assign_file(tmp_path: Path, src: str, out: str) -> None:
    ids = [1, 42, -5, 9007199254740993]
    frame = pd.DataFrame({"user_id": ids, "other": range(4)})
    path = tmp_path / f"units.{src}"
    if src == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
    dest = tmp_path / "sub" / f"out.{out}"
    spec = _spec(assignment={"salt": "match-filter-v2", "holdout": 0.1})
    assert assign_file(spec, path, dest) == 4
    got = pd.read_csv(dest) if out == "csv" else pd.read_parquet(dest)
    assert got["variant"].tolist() == ["holdout", "holdout", "control", "control"]
    assert [p.name for p in dest.parent.iterdir()] == [dest.name]  # no temp file left


def test_assign_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "u.parquet"
    pd.DataFrame({"uid": [0.5, 1.5]}).to_parquet(path)
    with pytest.raises(DataError, match="column is missing"):
        assign_file(_spec(), path, tmp_path / "o.csv")
    with pytest.raises(DataError, match="cannot be hashed"):
        assign_file(_spec(), path, tmp_path / "o.csv", column="uid")
    with pytest.raises(DataError, match="output format"):
        assign_file(_spec(), path, tmp_path / "o.txt", column="uid")
    with pytest.raises(DataError, match="no such file"):
        assign_file(_spec(), tmp_path / "none.csv", tmp_path / "o.csv")
    pd.DataFrame({"user_id": [1, None]}).to_parquet(path)
    with pytest.raises(DataError, match="missing unit id"):
        assign_file(_spec(), path, tmp_path / "o.csv")


def test_assign_cli(tmp_path: Path) -> None:
    units = tmp_path / "units.csv"
    units.write_text("user_id\nalice\n1\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    design = Path(__file__).resolve().parents[2] / "designs" / "ab_match_filter.yaml"
    res = CliRunner().invoke(main, ["assign", str(design), "--units", str(units),
                                    "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = pd.read_parquet(out)
    assert got["variant"].tolist() == [variant_of("alice", HALF, salt="match-filter-v2"),
                                       variant_of(1, HALF, salt="match-filter-v2")]
    bad = CliRunner().invoke(main, ["assign", str(design), "--units", str(units),
                                    "--out", str(out), "--column", "nope"])
    assert bad.exit_code == 2
    assert "column 'nope'" in bad.output


def test_holdout_variant_name_clash() -> None:
    with pytest.raises(ValueError, match="holdout"):
        _spec(variants={"control": 0.5, "holdout": 0.5}, assignment={"holdout": 0.1})
