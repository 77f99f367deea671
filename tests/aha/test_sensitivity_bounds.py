"""Cinelli-Hazlett benchmarks behind the Aha verdict: known answers and an independent OLS.

Known answers: the Darfur example of Cinelli & Hazlett (2020), with the partial R²s
of ``female`` computed by statsmodels and the bounds, adjusted estimates and
intervals computed by PySensemakr 0.0.8 (``ovb_partial_r2_bound``,
``adjusted_estimate``, ``adjusted_se``); the multiple ``k`` that brings the lower
limit to zero was found by bisecting PySensemakr's own functions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalkit.stats.sensitivity import (
    adjusted_interval,
    benchmark_k,
    confounder_bounds,
    ols_sensitivity,
    robustness_value,
)

# Darfur: peacefactor ~ directlyharmed + covariates; benchmark female
EST, SE, DOF = 0.09731581928495575, 0.023256537809811115, 783
R2D, R2Y = 0.009081065190331078, 0.1090339154278416
SENSEMAKR = {  # k: (r2dz, r2yz, adjusted estimate, lower, upper)
    1: (0.00916428667505009, 0.12464092303637023, 0.07522027121444788,
        0.032282880724952084, 0.11815766170394368),
    2: (0.01832857335010018, 0.2493240641999761, 0.05291517238444893,
        0.012967955748590207, 0.09286238902030765),
    3: (0.027492860025150268, 0.3740504710380958, 0.030396023464150282,
        -0.0062533548520727, 0.06704540178037327),
}
SENSEMAKR_K = 2.6738900982563476


@pytest.mark.parametrize("k", [1, 2, 3])
def test_bounds_and_adjusted_interval_match_sensemakr(k: int) -> None:
    r2dz, r2yz = confounder_bounds(R2D, R2Y, float(k))
    want = SENSEMAKR[k]
    assert float(r2dz) == pytest.approx(want[0], rel=1e-12)
    assert float(r2yz) == pytest.approx(want[1], rel=1e-12)
    est, lo, hi = adjusted_interval(EST, SE, DOF, r2dz, r2yz, alpha=0.05)
    assert float(est) == pytest.approx(want[2], rel=1e-10)
    assert float(lo) == pytest.approx(want[3], rel=1e-9)
    assert float(hi) == pytest.approx(want[4], rel=1e-10)


def test_benchmark_k_matches_sensemakr_bisection() -> None:
    assert benchmark_k(EST, SE, DOF, R2D, R2Y) == pytest.approx(SENSEMAKR_K, rel=1e-7)
    # the sign of the estimate does not matter
    assert benchmark_k(-EST, SE, DOF, R2D, R2Y) == pytest.approx(SENSEMAKR_K, rel=1e-7)


def test_benchmark_k_edges() -> None:
    assert benchmark_k(0.01, 0.1, 500, 0.1, 0.1) == 0.0            # already covers zero
    assert benchmark_k(1.0, 0.1, 500, 0.0, 0.3) == math.inf         # unrelated to treatment
    assert math.isnan(benchmark_k(1.0, float("nan"), 500, 0.1, 0.1))
    # no confounder can be k >= (1 - R²d) / R²d times as strong: k stays below that
    assert benchmark_k(5.0, 0.1, 10_000, 0.6, 0.05) < (1 - 0.6) / 0.6
    r2dz, _ = confounder_bounds(0.6, 0.05, 1.0)
    assert np.isnan(r2dz)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.5, 20.0), st.floats(1e-4, 0.3), st.floats(1e-4, 0.3),
       st.integers(50, 50_000))
def test_benchmark_k_is_where_the_lower_limit_reaches_zero(t_stat: float, r2d: float,
                                                          r2y: float, dof: int) -> None:
    se = 0.1
    k = benchmark_k(t_stat * se, se, dof, r2d, r2y)
    if k == 0.0 or math.isinf(k):
        return
    _, lo_before, _ = adjusted_interval(t_stat * se, se, dof, *confounder_bounds(r2d, r2y, k))
    _, lo_after, _ = adjusted_interval(t_stat * se, se, dof,
                                       *confounder_bounds(r2d, r2y, k * (1 + 1e-6)))
    assert float(lo_before) >= -1e-9
    assert float(lo_after) <= 1e-6 * se


def test_ols_sensitivity_matches_statsmodels() -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    n = 3_000
    x = np.column_stack([rng.normal(30, 8, n), rng.binomial(1, 0.3, n), rng.normal(size=n)])
    t = (rng.random(n) < 1 / (1 + np.exp(-(0.05 * (x[:, 0] - 30) + x[:, 1])))).astype(float)
    y = 0.2 * t + 0.01 * x[:, 0] + 0.3 * x[:, 1] + rng.normal(size=n)
    s = ols_sensitivity(t, y, x, ["age", "ios", "noise"])
    full = sm.OLS(y, sm.add_constant(np.column_stack([t, x]))).fit()
    treat = sm.OLS(t, sm.add_constant(x)).fit()
    assert s.estimate == pytest.approx(full.params[1], rel=1e-10)
    assert s.se == pytest.approx(full.bse[1], rel=1e-10)
    assert s.t_stat == pytest.approx(full.tvalues[1], rel=1e-10)
    assert s.dof == int(full.df_resid)
    assert s.rv == pytest.approx(robustness_value(full.tvalues[1], int(full.df_resid)), rel=1e-10)
    by_name = {b.covariate: b for b in s.benchmarks}
    for j, name in enumerate(["age", "ios", "noise"]):
        ty, td = full.tvalues[2 + j], treat.tvalues[1 + j]
        assert by_name[name].r2_outcome == pytest.approx(ty**2 / (ty**2 + full.df_resid), rel=1e-8)
        assert by_name[name].r2_treatment == pytest.approx(td**2 / (td**2 + treat.df_resid),
                                                           rel=1e-8)
    # the strongest benchmark is the one a confounder needs the smallest multiple of
    assert s.strongest is not None
    assert s.strongest.k == min(b.k for b in s.benchmarks)


def test_ols_sensitivity_refuses_collinear_covariates() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 1))
    with pytest.raises(ValueError, match="collinear"):
        ols_sensitivity(rng.normal(size=200), rng.normal(size=200), np.hstack([x, 2 * x]),
                        ["a", "b"])
