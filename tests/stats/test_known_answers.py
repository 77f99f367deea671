"""Known answers from published unit tests of peers, and far-tail p-values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from causalkit.stats.effects import compare, two_sided_p, welch_df, welch_from_sums, welch_test
from causalkit.stats.srm import srm_test


def test_growthbook_welch_known_answer() -> None:
    """growthbook/growthbook packages/stats/tests/frequentist/test_tests.py (TwoSidedTTest):
    control n 3407, sum 1396.87, sum sq 52377.9767; treatment n 3461, sum 2422.7,
    sum sq 134698.29 -> absolute effect 0.29, 95% CI [0.04538, 0.53462], p 0.02016."""
    r = welch_from_sums(3407, 1396.87, 52377.9767, 3461, 2422.7, 134698.29)
    assert round(float(r.estimate), 5) == 0.29
    assert round(float(r.ci_low), 5) == 0.04538
    assert round(float(r.ci_high), 5) == 0.53462
    assert round(float(r.p_value), 5) == 0.02016


def test_growthbook_relative_delta_method_known_answer() -> None:
    """growthbook/growthbook packages/stats/tests/frequentist/test_tests.py at commit
    59f39a7002864aeb31f2eca73d8a3a01da972788: control mean 0.41 (sd 3.9, n 3407), treatment
    0.70 (sd 6.2, n 3461), relative uplift by the delta method: expected 0.70732,
    sd 0.37879, 95% CI [-0.03526, 1.44989], p 0.06191 (t with Welch df)."""
    r = welch_test(0.41, 3.9**2, 3407, 0.41 + 0.29, 6.2**2, 3461)
    assert round(float(r.relative), 5) == 0.70732
    assert round(float(r.relative_se), 5) == 0.37879
    assert round(float(r.relative_ci_low), 5) == -0.03526
    assert round(float(r.relative_ci_high), 5) == 1.44989
    assert round(float(r.relative_p_value), 5) == 0.06191


def test_growthbook_srm_known_answer() -> None:
    """growthbook/growthbook packages/stats/tests/test_gbstats.py (test_srm):
    check_srm([1000, 1200], [0.5, 0.5]) == 0.000020079 (9 decimals)."""
    assert round(srm_test([1000, 1200], [0.5, 0.5]).p_value, 9) == 0.000020079


def test_srm_weights_any_scale_and_three_arms() -> None:
    a = srm_test([3300, 3350, 3350], [1, 1, 1])
    b = srm_test([3300, 3350, 3350], [0.2, 0.2, 0.2])
    assert a.p_value == pytest.approx(b.p_value, rel=1e-12)
    assert a.df == 2
    with pytest.raises(ValueError):
        srm_test([1, 2], [1.0])
    with pytest.raises(ValueError):
        srm_test([1, 2], [1.0, 0.0])


def test_p_values_exact_far_below_1e16() -> None:
    z = np.array([10.0, 20.0, 30.0])
    p = two_sided_p(z)
    exact = special.erfc(z / math.sqrt(2.0))
    np.testing.assert_allclose(p, exact, rtol=1e-12)
    assert np.all(p > 0)
    assert np.all(p < 1e-20)
    assert float(1 - special.ndtr(20.0)) == 0.0  # what 1 - cdf would have given
    # Student t in the far tail: against the incomplete beta function
    t, df = 25.0, 30.0
    exact_t = special.betainc(df / 2, 0.5, df / (df + t * t))
    assert float(two_sided_p(t, df)) == pytest.approx(exact_t, rel=1e-10)
    # through a whole Welch test with a huge effect
    r = welch_test(0.0, 1.0, 10_000, 0.5, 1.0, 10_000)
    assert 0 < float(r.p_value) < 1e-200


def test_welch_df_and_z_limit() -> None:
    df = welch_df(1.0 / 50, 50, 4.0 / 30, 30)
    num = (1 / 50 + 4 / 30) ** 2
    den = (1 / 50) ** 2 / 49 + (4 / 30) ** 2 / 29
    assert float(df) == pytest.approx(num / den, rel=1e-14)
    z = compare(0.0, 0.01, 0.2, 0.01)  # df inf -> normal
    assert float(z.ci_high - z.estimate) == pytest.approx(1.959963984540054 * math.sqrt(0.02))


def test_vectorized_matches_scalar() -> None:
    rng = np.random.default_rng(0)
    mc, mt = rng.normal(size=5), rng.normal(size=5)
    r = welch_test(mc, 1.0, 100, mt, 2.0, 120)
    for i in range(5):
        s = welch_test(mc[i], 1.0, 100, mt[i], 2.0, 120)
        assert float(s.p_value) == pytest.approx(float(r.p_value[i]), rel=1e-14)
