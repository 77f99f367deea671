"""Peeking safety and power of the gate, by simulation (seeds fixed, binomial tolerances).

The gate is re-run on 30 daily snapshots of each simulated experiment (its looks
kept as history, as the state file keeps them). Under no true effect the share of
experiments that *ever* ship stays at or below alpha; a naive gate that trusts
fixed-horizon intervals at every look ships far more often. With the effect the
plan was powered for, the gate ships in the planned share of experiments by the
planned horizon.
"""

from __future__ import annotations

import numpy as np
import pytest

from causalkit.stats.power import required_total
from causalkit.stats.sequential_power import (
    gst_z_boundaries,
    inflation_factor,
    msprt_z_boundaries,
    required_theta,
)

from .gate_sim import Plan, binomial_tolerance, daily_stats, intervals, run_gate

ALPHA = 0.05
DAYS = 30
PER_DAY = 200
HORIZON = DAYS * PER_DAY
FRACTIONS = [k / DAYS for k in range(1, DAYS + 1)]


def _null(experiments: int, seed: int, methods: tuple[str, ...]) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    stats = daily_stats(rng, experiments=experiments, days=DAYS, per_day=PER_DAY, effect=0.0)
    iv = intervals(stats, alpha=ALPHA, horizon_n=HORIZON)
    out = {}
    msprt_rules = Plan(alpha=ALPHA, horizon_sample_per_arm=HORIZON, min_sample_per_arm=100)
    if "msprt" in methods:
        out["msprt"] = float(np.mean(run_gate(iv, stats.n, msprt_rules)[0] >= 0))
    if "naive" in methods:
        out["naive"] = float(np.mean(run_gate(iv, stats.n, msprt_rules, use="fixed")[0] >= 0))
    if "gst" in methods:
        gst_rules = Plan(sequential="gst", alpha=ALPHA, horizon_sample_per_arm=HORIZON,
                              min_sample_per_arm=100)
        out["gst"] = float(np.mean(run_gate(iv, stats.n, gst_rules, use="gst")[0] >= 0))
    return out


def _check_null(rates: dict[str, float], experiments: int) -> None:
    tol = binomial_tolerance(ALPHA, experiments)
    for method in ("msprt", "gst"):
        if method in rates:
            assert rates[method] <= ALPHA + tol, (method, rates)
    if "naive" in rates:
        # A fixed-horizon 95% interval read daily for 30 days: about 3-4 times alpha/2.
        assert rates["naive"] >= ALPHA + tol, rates
        assert rates["naive"] >= 2.5 * max(rates.get("msprt", 0.0), 1.0 / experiments), rates


def test_null_daily_reruns_fast():
    rates = _null(200, seed=11, methods=("msprt", "naive"))
    _check_null(rates, 200)


@pytest.mark.slow
def test_null_daily_reruns_1000_experiments():
    rates = _null(1000, seed=12, methods=("msprt", "naive", "gst"))
    print(rates)
    _check_null(rates, 1000)


def _powered(method: str, experiments: int, seed: int) -> tuple[float, float]:
    """Share of experiments shipped by the horizon with the effect the plan is powered for."""
    bounds = (msprt_z_boundaries(FRACTIONS, ALPHA) if method == "msprt"
              else gst_z_boundaries(FRACTIONS, ALPHA))
    theta = required_theta(bounds, FRACTIONS, power=0.8)
    effect = theta * np.sqrt(2.0 / HORIZON)  # sd 1
    # the same effect needs `inflation` times the fixed-horizon sample for 80 % power
    inflation = inflation_factor(bounds, FRACTIONS, ALPHA, 0.8)
    fixed_n = float(required_total(1.0, 1.0, effect, alpha=ALPHA, power=0.8)) / 2
    assert pytest.approx(fixed_n * inflation, rel=1e-6) == HORIZON
    rng = np.random.default_rng(seed)
    stats = daily_stats(rng, experiments=experiments, days=DAYS, per_day=PER_DAY,
                        effect=effect)
    iv = intervals(stats, alpha=ALPHA, horizon_n=HORIZON)
    rules = Plan(sequential=method, alpha=ALPHA, horizon_sample_per_arm=HORIZON,
                      min_sample_per_arm=100)
    first, final = run_gate(iv, stats.n, rules, use="always_valid" if method == "msprt"
                            else "gst")
    assert set(final) <= {"ship", "inconclusive", "rollback"}  # the horizon ends every run
    return float(np.mean(first >= 0)), inflation


def test_power_msprt_fast():
    rate, inflation = _powered("msprt", 200, seed=21)
    assert rate >= 0.8 - binomial_tolerance(0.8, 200)
    assert rate <= 0.8 + binomial_tolerance(0.8, 200)
    assert 1.5 < inflation < 2.0


@pytest.mark.slow
@pytest.mark.parametrize("method", ["msprt", "gst"])
def test_power_1000_experiments(method):
    rate, inflation = _powered(method, 1000, seed=22)
    print(method, rate, inflation)
    assert abs(rate - 0.8) <= binomial_tolerance(0.8, 1000)
