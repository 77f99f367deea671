"""Calibration by simulation: A/A false-positive rates, interval coverage, repeated looks.

Every simulation is vectorized over replications: the data of each replication
are reduced to sufficient statistics along an axis and fed to the pure functions
of ``causalkit.stats``. Seeds are fixed; tolerances are three binomial standard
errors of the number of simulated tests. The fast versions use 2,000 tests per
method; the slow ones 20,000.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from causalkit.stats.cuped import cuped_adjust, cuped_theta
from causalkit.stats.delta import ratio_covariance, ratio_moments
from causalkit.stats.effects import Comparison, compare, proportion_test, welch_df, welch_test
from causalkit.stats.sequential import GROWTHBOOK_TUNING_N, msprt, msprt_tau2

ALPHA = 0.05


def _tol(p: float, reps: int) -> float:
    return 3.0 * math.sqrt(p * (1 - p) / reps)


def _cov(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    n = a.shape[1]
    return ((a - a.mean(1, keepdims=True)) * (b - b.mean(1, keepdims=True))).sum(1) / (n - 1)


def sim_mean(rng: np.random.Generator, reps: int, n: int, effect: float) -> Comparison:
    yc = rng.exponential(2.0, (reps, n))
    yt = rng.exponential(2.0, (reps, n)) + effect
    return welch_test(yc.mean(1), yc.var(1, ddof=1), n, yt.mean(1), yt.var(1, ddof=1), n)


def sim_proportion(rng: np.random.Generator, reps: int, n: int, effect: float) -> Comparison:
    xc = rng.binomial(n, 0.1, reps)
    xt = rng.binomial(n, 0.1 + effect, reps)
    return proportion_test(xc, n, xt, n)


def _ratio_arm(rng: np.random.Generator, reps: int, n: int, rate: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    activity = rng.gamma(2.0, 1.5, (reps, n))
    den = rng.poisson(activity) + 1
    num = rng.binomial(den, rate)
    return num.astype(float), den.astype(float), activity, activity


def sim_ratio(rng: np.random.Generator, reps: int, n: int, effect: float) -> Comparison:
    out = []
    for rate in (0.3, 0.3 + effect):
        num, den, _, _ = _ratio_arm(rng, reps, n, rate)
        r, v = ratio_moments(num.mean(1), den.mean(1), num.var(1, ddof=1), den.var(1, ddof=1),
                             _cov(num, den))
        out.append((r, v / n))
    (rc, vc), (rt, vt) = out
    return compare(rc, vc, rt, vt, df=welch_df(vc, n, vt, n))


def sim_cuped(rng: np.random.Generator, reps: int, n: int, effect: float) -> Comparison:
    xc, xt = rng.gamma(2.0, 3.0, (reps, n)), rng.gamma(2.0, 3.0, (reps, n))
    yc = 0.8 * xc + rng.exponential(3.0, (reps, n))
    yt = 0.8 * xt + rng.exponential(3.0, (reps, n)) + effect
    x, y = np.concatenate([xc, xt], 1), np.concatenate([yc, yt], 1)
    theta = cuped_theta(_cov(y, x), x.var(1, ddof=1))
    arms = []
    for ya, xa in ((yc, xc), (yt, xt)):
        m, v = cuped_adjust(ya.mean(1), xa.mean(1), x.mean(1), ya.var(1, ddof=1),
                            xa.var(1, ddof=1), _cov(ya, xa), theta)
        arms.append((m, v / n))
    (mc, vc), (mt, vt) = arms
    return compare(mc, vc, mt, vt, df=welch_df(vc, n, vt, n))


def sim_cuped_ratio(rng: np.random.Generator, reps: int, n: int, effect: float) -> Comparison:
    arms = []
    data = []
    for rate in (0.3, 0.3 + effect):
        activity = rng.gamma(2.0, 1.5, (reps, n))
        den, pre_den = rng.poisson(activity) + 1, rng.poisson(activity) + 1
        num, pre_num = rng.binomial(den, rate), rng.binomial(pre_den, 0.3)
        data.append([a.astype(float) for a in (num, den, pre_num, pre_den)])
    pooled = [np.concatenate([a, b], 1) for a, b in zip(*data)]

    def parts(nm: np.ndarray, dn: np.ndarray, xn: np.ndarray, xd: np.ndarray
              ) -> tuple[np.ndarray, ...]:
        r, v = ratio_moments(nm.mean(1), dn.mean(1), nm.var(1, ddof=1), dn.var(1, ddof=1),
                             _cov(nm, dn))
        rx, vx = ratio_moments(xn.mean(1), xd.mean(1), xn.var(1, ddof=1), xd.var(1, ddof=1),
                               _cov(xn, xd))
        c = ratio_covariance(nm.mean(1), dn.mean(1), xn.mean(1), xd.mean(1), _cov(nm, xn),
                             _cov(nm, xd), _cov(dn, xn), _cov(dn, xd))
        return r, v, rx, vx, c

    _, _, rxp, vxp, cp = parts(*pooled)
    theta = cuped_theta(cp, vxp)
    for arm in data:
        r, v, rx, vx, c = parts(*arm)
        m, va = cuped_adjust(r, rx, rxp, v, vx, c, theta)
        arms.append((m, va / n))
    (mc, vc), (mt, vt) = arms
    return compare(mc, vc, mt, vt, df=welch_df(vc, n, vt, n))


SIMS: dict[str, tuple[Callable[..., Comparison], int, float]] = {
    # name: (simulator, units per arm, true effect for coverage)
    "mean": (sim_mean, 400, 0.3),
    "proportion": (sim_proportion, 2000, 0.02),
    "ratio": (sim_ratio, 400, 0.02),
    "cuped": (sim_cuped, 400, 0.5),
    "cuped_ratio": (sim_cuped_ratio, 300, 0.02),
}


def _check_calibration(name: str, reps: int, seed: int) -> None:
    fn, n, effect = SIMS[name]
    rng = np.random.default_rng(seed)
    aa = fn(rng, reps, n, 0.0)
    fpr = float(np.mean(aa.p_value < ALPHA))
    assert abs(fpr - ALPHA) <= _tol(ALPHA, reps), f"{name}: A/A false-positive rate {fpr}"
    ab = fn(rng, reps, n, effect)
    cover = float(np.mean((ab.ci_low <= effect) & (effect <= ab.ci_high)))
    assert abs(cover - 0.95) <= _tol(0.95, reps), f"{name}: coverage {cover}"


@pytest.mark.parametrize("name", list(SIMS))
def test_calibration_fast(name: str) -> None:
    _check_calibration(name, 2000, seed=101)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SIMS))
def test_calibration_slow(name: str) -> None:
    _check_calibration(name, 20_000, seed=202)


def test_relative_interval_coverage() -> None:
    rng = np.random.default_rng(7)
    reps, n, effect = 2000, 2000, 0.3
    r = sim_mean(rng, reps, n, effect)
    truth = effect / 2.0
    cover = float(np.mean((r.relative_ci_low <= truth) & (truth <= r.relative_ci_high)))
    assert abs(cover - 0.95) <= _tol(0.95, reps)


def _daily_looks(reps: int, days: int, per_day: int, seed: int) -> tuple[float, float]:
    """A/A test looked at every day: (always-valid rejection rate, naive fixed-horizon rate)."""
    rng = np.random.default_rng(seed)
    shape = (reps, days, per_day)
    yc, yt = rng.exponential(2.0, shape), rng.exponential(2.0, shape)
    av_reject = np.zeros(reps, dtype=bool)
    naive_reject = np.zeros(reps, dtype=bool)
    for d in range(1, days + 1):
        c, t = yc[:, :d].reshape(reps, -1), yt[:, :d].reshape(reps, -1)
        n = c.shape[1]
        vc, vt = c.var(1, ddof=1), t.var(1, ddof=1)
        fixed = welch_test(c.mean(1), vc, n, t.mean(1), vt, n)
        naive_reject |= fixed.p_value < ALPHA
        tau2 = msprt_tau2((vc + vt) / GROWTHBOOK_TUNING_N, ALPHA)
        av = msprt(fixed.estimate, fixed.se**2, tau2, ALPHA)
        av_reject |= av.p_value < ALPHA
    return float(av_reject.mean()), float(naive_reject.mean())


def test_fourteen_daily_looks_fast() -> None:
    reps = 2000
    av, naive = _daily_looks(reps, 14, 100, seed=5)
    assert av <= ALPHA + _tol(ALPHA, reps), av
    assert naive > ALPHA + _tol(ALPHA, reps), naive


@pytest.mark.slow
def test_fourteen_daily_looks_slow() -> None:
    reps = 20_000
    av, naive = _daily_looks(reps, 14, 200, seed=6)
    assert av <= ALPHA + _tol(ALPHA, reps), av
    assert naive > ALPHA + _tol(ALPHA, reps), naive
