"""Designs: randomization points, exact variance (known answers), enumeration checks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalkit.errors import SpecError
from causalkit.switchback.design import (
    CoinDesign,
    balanced_design,
    block_starts,
    randomization_points,
    regular_design,
)
from causalkit.switchback.estimators import conservative_variance, exact_variance, ht_estimate
from causalkit.switchback.windows import dependent_pairs, lag_windows


def all_coin_vectors(design: CoinDesign) -> tuple[np.ndarray, np.ndarray]:
    """Every coin vector of a small design with its probability."""
    coins = np.array(list(itertools.product([False, True], repeat=design.n_coins)), dtype=bool)
    ones = coins.sum(axis=1)
    return coins, design.q ** ones * (1 - design.q) ** (design.n_coins - ones)


def test_paper_randomization_points() -> None:
    assert randomization_points(12, 2) == [1, 5, 7, 9]
    assert len(randomization_points(120, 2)) == 58
    assert randomization_points(120, 2)[:3] == [1, 5, 7]
    assert randomization_points(120, 2)[-1] == 117


def test_too_short_for_optimal_design() -> None:
    with pytest.raises(SpecError, match="at least 4"):
        block_starts(7, 2, optimal=True)


def test_remainder_joins_last_block() -> None:
    # T = 13, m = 3: n = 4 -> points {1, 7}; the leftover period joins the last block
    starts = block_starts(13, 3, optimal=True)
    assert starts.tolist() == [0, 6]
    d = regular_design(1, 13, starts, q=0.5)
    assert np.bincount(d.coin_of[0]).tolist() == [6, 7]


@settings(max_examples=60, deadline=None)
@given(m=st.integers(1, 6), n=st.integers(4, 30), extra=st.integers(0, 5))
def test_optimal_block_structure(m: int, n: int, extra: int) -> None:
    extra = extra % m if m > 1 else 0
    t = n * m + extra
    starts = block_starts(t, m, optimal=True)
    lengths = np.diff(np.r_[starts, t])
    assert len(starts) == n - 2
    assert lengths[0] == 2 * m
    assert lengths[-1] == 2 * m + extra
    assert np.all(lengths[1:-1] == m)


def _const_variance(design_starts: np.ndarray, t: int, m: int, b: float) -> float:
    d = regular_design(1, t, design_starts, q=0.5)
    w = lag_windows(d, m)
    y = w.group_sums(np.full(w.n_windows, b))
    return exact_variance(w, dependent_pairs(w), y, y, w.n_windows)


@pytest.mark.parametrize(("t", "m", "b"), [(12, 2, 1.0), (120, 2, 3.0), (60, 3, -2.5),
                                           (40, 1, 7.0), (100, 5, 0.3)])
def test_exact_variance_constant_outcome(t: int, m: int, b: float) -> None:
    n = t // m
    expected = 16 * m**2 * (n - 2) * b**2 / (t - m) ** 2
    v_opt = _const_variance(block_starts(t, m, optimal=True), t, m, b)
    assert v_opt == pytest.approx(expected, rel=1e-12)
    v_every = _const_variance(np.arange(t), t, m, b)
    assert v_opt < v_every


def _enumerate(design, p, y1, y0):  # type: ignore[no-untyped-def]
    """Independent check: every schedule, its estimate and variance estimate."""
    w = lag_windows(design, p)
    pairs = dependent_pairs(w)
    coins, prob = all_coin_vectors(design)
    arms = design.arms(coins)  # (D, R, T)
    est, vhat = [], []
    for a in arms:
        # window all treated / all control, from the arms themselves (not the coins)
        win = np.stack([a[:, t - p:t + 1] for t in range(p, a.shape[1])], axis=1)
        all_t = win.all(axis=2)
        all_c = (~win.astype(bool)).all(axis=2)
        u = np.zeros(w.n_groups, bool)
        lo = np.zeros(w.n_groups, bool)
        u[w.group] = all_t[w.region, w.period - p]
        lo[w.group] = all_c[w.region, w.period - p]
        yobs = np.where(all_t, y1[:, p:], np.where(all_c, y0[:, p:], 0.0))
        g = w.group_sums(yobs[w.region, w.period - p])
        est.append(float(ht_estimate(w, u, lo, g, g, w.n_windows)))
        vhat.append(float(conservative_variance(w, pairs, u, lo, g, g, w.n_windows)))
    est_a, vhat_a = np.array(est), np.array(vhat)
    mean = float(np.sum(prob * est_a))
    var = float(np.sum(prob * (est_a - mean) ** 2))
    g1 = w.group_sums(y1[w.region, w.period])
    g0 = w.group_sums(y0[w.region, w.period])
    return mean, var, float(np.sum(prob * vhat_a)), exact_variance(w, pairs, g1, g0,
                                                                    w.n_windows)


@pytest.mark.parametrize("kind", ["optimal", "bernoulli", "complementary", "balanced"])
def test_unbiased_exact_and_conservative_by_enumeration(kind: str) -> None:
    rng = np.random.default_rng(7)
    m = 1
    if kind == "optimal":
        d = regular_design(2, 12, block_starts(12, 2, optimal=True), q=0.5)
        m = 2
    elif kind == "bernoulli":
        d = regular_design(1, 9, np.arange(9), q=0.3)
    elif kind == "complementary":
        d = regular_design(2, 10, block_starts(10, 1, optimal=True), q=0.5, complementary=True)
    else:
        slots = np.tile(np.arange(4), 3)[None, :].repeat(2, axis=0)  # 4 slots, 3 weeks
        d = balanced_design(slots, q=0.5, complementary=True)
    r, t = d.shape
    y1 = rng.normal(5, 2, (r, t))
    y0 = y1 - rng.normal(1, 1, (r, t))
    mean, var, e_vhat, exact = _enumerate(d, m, y1, y0)
    truth = float(np.mean((y1 - y0)[:, m:]))
    assert mean == pytest.approx(truth, abs=1e-10)
    assert var == pytest.approx(exact, rel=1e-9)
    assert e_vhat >= exact * (1 - 1e-12)


def test_balanced_design_equal_time_per_slot() -> None:
    rng = np.random.default_rng(0)
    slots = np.tile(np.arange(24 * 7), 4)[None, :]  # 4 weeks of hourly slots
    d = balanced_design(slots, q=0.5)
    for _ in range(5):
        arms = d.arms(d.draw(rng))[0]
        per_slot = np.bincount(slots[0], weights=arms)
        assert np.all(per_slot == 2)


def test_complementary_pairs_are_opposite() -> None:
    d = regular_design(5, 40, block_starts(40, 2, optimal=True), q=0.5, complementary=True)
    arms = d.arms(d.draw(np.random.default_rng(1)))
    assert np.all(arms[0] + arms[1] == 1)
    assert np.all(arms[2] + arms[3] == 1)
    assert d.n_coins == 3 * len(block_starts(40, 2, optimal=True))
