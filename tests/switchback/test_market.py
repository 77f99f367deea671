"""The matching-market simulator: switch-back covers the global effect, A/B is biased."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from causalkit.simulate.market import DEFAULT_REGIONS, run_market
from causalkit.switchback.design import block_starts, regular_design
from causalkit.switchback.effect import fit_lag
from causalkit.switchback.estimators import conservative_variance, ht_estimate
from causalkit.switchback.windows import dependent_pairs, lag_windows

HOUR = 3600 * 10**9


def _experiment(reps: int, days: int, regions: int, seed: int) -> dict[str, float]:
    """Run the four worlds, analyse every replication's switch-back, return summary."""
    m, t = 1, 24 * days
    reg = list(DEFAULT_REGIONS[:regions])
    design = regular_design(len(reg), t, block_starts(t, m, optimal=True), q=0.5)
    rng = np.random.default_rng(seed)
    coins = design.draw(rng, reps)
    arms = design.arms(coins)  # (S, R, T)
    run = run_market(regions=reg, start_ns=1_796_083_200 * 10**9, n_seconds=t * 3600,
                     pre_seconds=86400, arms=arms, period_ns=HOUR, replications=reps,
                     tick_seconds=120, bucket_seconds=600, seed=seed)
    per = 6  # buckets per period
    vals = run.values.astype(np.float64).sum(axis=4)  # (W, S, R, B, M)
    pre, exp = vals[:, :, :, :run.n_pre], vals[:, :, :, run.n_pre:]
    w_, s_, r_, _, k_ = exp.shape
    cube = exp.reshape(w_, s_, r_, t, per, k_)
    rp = design.randomization_point[0]
    keep = np.ones((t, per), bool)
    keep[rp, 0] = False  # 10-minute burn-in after each randomization point
    tot = np.where(keep[None, None, None, :, :, None], cube, 0.0).sum(axis=4)
    y = tot[..., 2] / tot[..., 0]  # chat minutes per queue join, per region-period
    centre = (pre[..., 2].sum(axis=3) / pre[..., 0].sum(axis=3))[3]  # switch-back world pre
    w = lag_windows(design, m)
    pairs = dependent_pairs(w)
    truth = float(np.mean((y[1] - y[0])[:, w.region, w.period]))
    z = stats.norm.isf(0.025)
    covered, est_all, covered_default, est_default = [], [], [], []
    for s in range(reps):
        # the default headline: Hajek centred by the pre-period, t interval on runs
        f = fit_lag(design, coins[s], y[3, s], m, center=centre[s], hajek=True)
        covered_default.append(abs(f.estimate - truth) <= stats.t.isf(0.025, f.df) * f.se)
        est_default.append(f.estimate)
        ys = y[3, s] - centre[s][:, None]
        g = w.group_sums(ys[w.region, w.period])
        u, lo = w.indicators(coins[s])
        est = float(ht_estimate(w, u, lo, g, g, w.n_windows))
        se = float(np.sqrt(conservative_variance(w, pairs, u, lo, g, g, w.n_windows)))
        covered.append(abs(est - truth) <= z * se)
        est_all.append(est)
    ab = run.values[2, :, :, run.n_pre:].astype(np.float64).sum(axis=(1, 2))  # (S, arm, M)
    ab_est = ab[:, 1, 2] / ab[:, 1, 0] - ab[:, 0, 2] / ab[:, 0, 0]
    glob = vals[:, :, :, run.n_pre:].sum(axis=(2, 3))  # (W, S, M)
    global_effect = float(np.mean(glob[1, :, 2] / glob[1, :, 0] - glob[0, :, 2] / glob[0, :, 0]))
    return {"coverage": float(np.mean(covered)), "truth": truth,
            "coverage_default": float(np.mean(covered_default)),
            "mean_default": float(np.mean(est_default)), "sd_default": float(np.std(est_default)),
            "mean_estimate": float(np.mean(est_all)), "sd_estimate": float(np.std(est_all)),
            "ab_mean": float(np.mean(ab_est)), "ab_sd": float(np.std(ab_est)),
            "global_effect": global_effect}


def test_switchback_covers_and_ab_is_biased_small() -> None:
    res = _experiment(reps=24, days=2, regions=3, seed=1)
    assert res["coverage"] >= 0.75  # 24 runs: the slow suite checks >= 92% over 200
    assert res["coverage_default"] >= 0.75
    assert abs(res["mean_estimate"] - res["truth"]) < 4 * res["sd_estimate"] / np.sqrt(24)
    assert abs(res["mean_default"] - res["truth"]) < 4 * res["sd_default"] / np.sqrt(24)
    bias = res["ab_mean"] - res["global_effect"]
    assert abs(bias) > 3 * res["ab_sd"]


@pytest.mark.slow
def test_switchback_covers_and_ab_is_biased_200() -> None:
    res = _experiment(reps=200, days=4, regions=5, seed=2)
    assert res["coverage"] >= 0.92
    assert res["coverage_default"] >= 0.92
    assert abs(res["mean_default"] - res["truth"]) < 4 * res["sd_default"] / np.sqrt(200)
    bias = res["ab_mean"] - res["global_effect"]
    assert abs(bias) > 3 * res["ab_sd"]
