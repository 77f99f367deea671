"""Group-sequential boundaries and always-valid inference."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from causalkit.stats.sequential import (
    gst_boundaries,
    gst_nominal_alpha,
    msprt,
    msprt_tau2,
    obf_spending,
    pocock_spending,
    running_always_valid,
)


def test_obf_five_equal_looks_published() -> None:
    """Lan-DeMets O'Brien-Fleming-type spending, 5 equally spaced looks, two-sided alpha 0.05
    (0.025 per side): 4.877, 3.357, 2.680, 2.290, 2.031 (Jennison & Turnbull 2000, table 7.6;
    gsDesign sfLDOF / R ldbounds give the same values)."""
    c = gst_boundaries([0.2, 0.4, 0.6, 0.8, 1.0], 0.05)
    np.testing.assert_allclose(c, [4.877, 3.357, 2.680, 2.290, 2.031], atol=1.5e-3)


def test_single_look_is_fixed_horizon() -> None:
    assert float(gst_boundaries([1.0], 0.05)[0]) == pytest.approx(stats.norm.isf(0.025), abs=1e-9)


def test_spending_functions() -> None:
    assert float(obf_spending(1.0, 0.05)) == pytest.approx(0.05)
    assert float(pocock_spending(1.0, 0.05)) == pytest.approx(0.05)
    t = np.linspace(0.01, 1, 50)
    assert np.all(np.diff(obf_spending(t, 0.05)) > 0)
    assert float(obf_spending(0.0, 0.05)) == 0.0


@pytest.mark.parametrize(("fractions", "spending"), [
    ([0.2, 0.4, 0.6, 0.8, 1.0], "obf"),
    ([0.1, 0.35, 0.5, 1.0], "obf"),
    ([0.25, 0.5, 0.75, 1.0], "pocock"),
])
def test_boundaries_spend_alpha_by_simulation(fractions: list[float], spending: str) -> None:
    """Brownian motion at the looks: cumulative crossing rates match the spending function."""
    c = gst_boundaries(fractions, 0.05, spending)
    t = np.asarray(fractions)
    rng = np.random.default_rng(2024)
    reps = 400_000
    inc = rng.standard_normal((reps, t.size)) * np.sqrt(np.diff(np.concatenate([[0], t])))
    z = np.cumsum(inc, axis=1) / np.sqrt(t)
    crossed = np.logical_or.accumulate(np.abs(z) >= c, axis=1)
    rate = crossed.mean(axis=0)
    spent = obf_spending(t, 0.05) if spending == "obf" else pocock_spending(t, 0.05)
    tol = 4 * np.sqrt(spent * (1 - spent) / reps) + 2e-4
    assert np.all(np.abs(rate - spent) <= tol), (rate, spent)


def test_bad_fractions() -> None:
    with pytest.raises(ValueError):
        gst_boundaries([0.5, 0.4], 0.05)
    with pytest.raises(ValueError):
        gst_boundaries([0.5, 1.2], 0.05)
    with pytest.raises(ValueError):
        gst_boundaries([1.0], 0.05, "haybittle")


def test_nominal_alpha() -> None:
    assert float(gst_nominal_alpha([stats.norm.isf(0.005)])[0]) == pytest.approx(0.01)


@settings(max_examples=200, deadline=None)
@given(est=st.floats(-5, 5), se2=st.floats(1e-4, 10), tau2=st.floats(1e-4, 10),
       alpha=st.floats(0.001, 0.3))
def test_msprt_interval_agrees_with_p(est: float, se2: float, tau2: float, alpha: float) -> None:
    r = msprt(est, se2, tau2, alpha)
    excludes = float(r.ci_low) > 0 or float(r.ci_high) < 0
    p = float(r.p_value)
    if abs(p - alpha) > 1e-9 * alpha:  # away from the boundary the two agree exactly
        assert excludes == (p < alpha)
    assert 0 <= p <= 1  # exp(-log L) underflows to 0 only below 1e-308
    assert float(r.ci_low) <= est <= float(r.ci_high)


def test_msprt_wider_than_fixed_and_tau_optimum() -> None:
    se2 = 0.01
    fixed_half = stats.norm.isf(0.025) * math.sqrt(se2)
    t2 = float(msprt_tau2(se2, 0.05))
    r = msprt(0.0, se2, t2, 0.05)
    half = float(r.ci_high)
    assert half > fixed_half
    # the tuned mixture is (close to) the narrowest at that se2
    for other in (t2 / 4, t2 * 4):
        assert float(msprt(0.0, se2, other, 0.05).ci_high) > half


def test_running_always_valid_is_monotone() -> None:
    r = running_always_valid([0.3, 0.1, 0.25, 0.2], [0.05, 0.03, 0.02, 0.01], 0.1)
    assert np.all(np.diff(r.p_value) <= 0)
    assert np.all(np.diff(r.ci_low) >= 0)
    assert np.all(np.diff(r.ci_high) <= 0)
