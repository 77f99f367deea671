"""Segment statistics against independent computations, with calibration and invariants.

Cochran's Q and I² equal statsmodels' meta-analysis (`combine_effects`); the post-stratified variance
equals the variance of the weighted sum computed by simulation; Q's size under equal effects
is within the binomial band of alpha.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from causalkit.stats.segments import (
    cochran_q,
    mix_shift,
    pool_small,
    post_stratified,
    segment_srm,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-5, 5), st.floats(0.01, 3)), min_size=2, max_size=20),
       st.floats(-10, 10))
def test_cochran_q_equals_statsmodels_and_ignores_a_common_shift(pairs, shift):
    from statsmodels.stats.meta_analysis import combine_effects

    th = np.array([a for a, _ in pairs])
    se = np.array([b for _, b in pairs])
    ours = cochran_q(th, se)
    ref = combine_effects(th, se**2)
    assert ours.q == pytest.approx(ref.q, rel=1e-9, abs=1e-9)
    assert ours.df == len(th) - 1
    if ref.q > 0:
        assert ours.i2 == pytest.approx(max(0.0, ref.i2), rel=1e-9, abs=1e-12)
    assert cochran_q(th + shift, se).q == pytest.approx(ours.q, rel=1e-7, abs=1e-7)


def test_cochran_q_size_is_alpha_under_equal_effects():
    rng = np.random.default_rng(11)
    sims, k, alpha = 4000, 10, 0.05
    se = rng.uniform(0.05, 0.3, k)
    rejections = sum(cochran_q(rng.normal(0.2, se), se).p_value < alpha for _ in range(sims))
    band = 3 * np.sqrt(alpha * (1 - alpha) / sims)
    assert abs(rejections / sims - alpha) < band


def test_post_stratified_variance_matches_simulation():
    rng = np.random.default_rng(5)
    effects, var, n = np.array([1.0, 2.0, -1.0]), np.array([0.04, 0.09, 0.01]), [100, 300, 600]
    ps = post_stratified(effects, var, n)
    draws = rng.normal(effects, np.sqrt(var), size=(200_000, 3)) @ np.array(ps.weights)
    assert ps.estimate == pytest.approx(draws.mean(), abs=4 * ps.se / np.sqrt(200_000))
    assert ps.se == pytest.approx(draws.std(), rel=0.01)


def test_mix_shift_flags_a_simpsons_paradox_and_not_a_balanced_mix():
    # treatment lands mostly in the low-baseline segment: pooled effect negative,
    # within-segment effects positive
    counts = [[800, 200], [200, 800]]
    m = mix_shift(counts, pooled=-0.15, within=0.05)
    assert m.reversed
    assert m.flagged
    assert m.p_value < 1e-10
    balanced = mix_shift([[500, 500], [505, 495]], pooled=-0.01, within=0.02)
    assert balanced.reversed
    assert not balanced.flagged


def test_pool_small_and_segment_srm():
    assert pool_small({"a": 5, "b": 500}, 100) == {"a": "a", "b": "b"}
    assert set(pool_small({"a": 5, "b": 6, "c": 500}, 100).values()) == {"other", "c"}
    p = segment_srm([[500, 500], [560, 440]], [0.5, 0.5])
    assert p[0] == pytest.approx(1.0)
    assert p[1] == pytest.approx(stats.chisquare([560, 440]).pvalue)
