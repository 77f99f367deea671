"""The paper's simulation model, the conservative interval and the randomization test."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from causalkit.switchback.design import block_starts, regular_design
from causalkit.switchback.estimators import (
    conservative_variance,
    ht_estimate,
    randomization_test,
)
from causalkit.switchback.windows import dependent_pairs, lag_windows

T, M = 120, 2
DELTA = (2.0, 1.0, 0.5)


def _paper_outcomes(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Y_t = log t + d1 w_t + d2 w_{t-1} + d3 w_{t-2} + noise, for all-1 and all-0 paths."""
    t = np.arange(1, T + 1)
    base = np.log(t) + rng.normal(0, 1, T)
    return base + sum(DELTA), base


def test_paper_model_unbiased_and_covers() -> None:
    runs = 5000
    rng = np.random.default_rng(2023)
    y1, y0 = _paper_outcomes(rng)
    d = regular_design(1, T, block_starts(T, M, optimal=True), q=0.5)
    w = lag_windows(d, M)
    pairs = dependent_pairs(w)
    g1 = w.group_sums(y1[w.period])
    g0 = w.group_sums(y0[w.period])
    u, lo = w.indicators(d.draw(rng, runs))
    est = ht_estimate(w, u, lo, g1, g0, w.n_windows)
    var = conservative_variance(w, pairs, u, lo, np.broadcast_to(g1, u.shape),
                                np.broadcast_to(g0, u.shape), w.n_windows)
    truth = sum(DELTA)
    mc_se = est.std() / np.sqrt(runs)
    assert abs(est.mean() - truth) < 4 * mc_se
    z = stats.norm.isf(0.025)
    covered = np.abs(est - truth) <= z * np.sqrt(var)
    assert covered.mean() >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / runs)
    # the bound is conservative on average, not wildly so
    assert var.mean() >= est.var() * 0.98
    assert var.mean() <= est.var() * 6


def test_randomization_pvalues_uniform_under_sharp_null() -> None:
    sims = 500
    rng = np.random.default_rng(5)
    d = regular_design(1, T, block_starts(T, M, optimal=True), q=0.5)
    w = lag_windows(d, M)
    pvals = np.empty(sims)
    for i in range(sims):
        y = np.log(np.arange(1, T + 1)) + rng.normal(0, 1, T)  # no effect at all
        g = w.group_sums(y[w.period])
        u, lo = w.indicators(d.draw(rng))
        obs = float(ht_estimate(w, u, lo, g, g, w.n_windows))
        res = randomization_test(w, d.n_coins, g, obs, n=w.n_windows, draws=1000, rng=rng)
        pvals[i] = res.p_value
    assert stats.kstest(pvals, "uniform").pvalue > 0.01
    rate = np.mean(pvals <= 0.05)
    assert abs(rate - 0.05) <= 3 * np.sqrt(0.05 * 0.95 / sims)


def test_randomization_detects_an_effect() -> None:
    rng = np.random.default_rng(9)
    d = regular_design(1, T, block_starts(T, M, optimal=True), q=0.5)
    w = lag_windows(d, M)
    coins = d.draw(rng)
    arms = d.arms(coins)[0]
    base = np.log(np.arange(1, T + 1)) + rng.normal(0, 0.5, T)
    y = base - np.log(T) + 1.5 * arms  # centred by a constant fixed in advance
    g = w.group_sums(y[w.period])
    u, lo = w.indicators(coins)
    obs = float(ht_estimate(w, u, lo, g, g, w.n_windows))
    res = randomization_test(w, d.n_coins, g, obs, n=w.n_windows, draws=10_000, rng=rng)
    assert res.draws == 10_000
    assert not res.exact
    assert res.p_value < 0.01


def test_exact_enumeration_matches_brute_force() -> None:
    d = regular_design(1, 12, block_starts(12, 2, optimal=True), q=0.5)
    w = lag_windows(d, 2)
    y = np.linspace(1.0, 3.0, 12)
    g = w.group_sums(y[w.period])
    obs = 0.4
    res = randomization_test(w, d.n_coins, g, obs, n=w.n_windows, draws=10_000)
    assert res.exact
    assert res.draws == 16
    count = 0
    for coins in itertools.product([False, True], repeat=d.n_coins):
        arms = d.arms(np.array(coins))[0]
        stat = 0.0
        for t in range(2, 12):
            win = arms[t - 2:t + 1]
            p1 = w.pi1[w.group[t - 2]]
            if win.all():
                stat += y[t] / p1
            elif not win.any():
                stat -= y[t] / p1
        count += abs(stat / 10) >= obs - 1e-12
    assert res.p_value == pytest.approx(count / 16)


def test_vectorized_draws_match_a_loop() -> None:
    rng = np.random.default_rng(3)
    d = regular_design(2, 48, np.arange(48), q=0.5)
    w = lag_windows(d, 1)
    y = rng.normal(0, 1, (2, 48))
    g = w.group_sums(y[w.region, w.period])
    coins = d.draw(np.random.default_rng(11), 200)
    u, lo = w.indicators(coins)
    fast = ht_estimate(w, u, lo, g, g, w.n_windows)
    for k in (0, 57, 199):
        arms = d.arms(coins[k])
        total = 0.0
        for r in range(2):
            for t in range(1, 48):
                if arms[r, t] and arms[r, t - 1]:
                    total += y[r, t] / 0.25
                elif not arms[r, t] and not arms[r, t - 1]:
                    total -= y[r, t] / 0.25
        assert fast[k] == pytest.approx(total / w.n_windows)
