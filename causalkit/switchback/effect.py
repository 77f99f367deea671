"""One metric's switch-back analysis on region x period outcomes (numbers in, numbers out).

* point estimate of the lag-m effect: Horvitz-Thompson on outcomes centred by a
  per-region constant fixed before assignment (or not centred), or Hajek;
* conservative variance (pooled across regions through the shared design), normal
  interval and p-value; the relative effect by the delta method;
* Fisher randomization test (same design, vectorized draws);
* two-way fixed-effects regression with cluster-robust and HAC errors;
* carryover diagnostic: the estimate at lags ``0..max_lag`` and the order tests.

Example:
    >>> from causalkit.spec.switchback import ScheduleSpec, Region
    >>> from causalkit.switchback.schedule import design_schedule
    >>> s = design_schedule(ScheduleSpec(start="2026-01-01T00:00Z", end="2026-01-11T00:00Z",
    ...     period="1h", carryover=1, seed=1), [Region(name="A"), Region(name="B")])
    >>> y = 10 + 2.0 * s.arms + np.random.default_rng(0).normal(0, 1, s.arms.shape)
    >>> res = analyze_outcomes(s, y, center=np.full(2, 11.0), draws=500)
    >>> abs(res.estimate - 2.0) < 3 * res.se, res.randomization.p_value < 0.01
    (True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from causalkit.switchback.carryover import OrderTest, order_test
from causalkit.switchback.estimators import (
    RandomizationResult,
    conservative_variance,
    hajek_estimate,
    ht_estimate,
    randomization_test,
)
from causalkit.switchback.regression import FEResult, fe_regression
from causalkit.switchback.schedule import Schedule
from causalkit.switchback.windows import Windows, dependent_pairs, lag_windows

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class LagEstimate:
    """The estimate at one lag (and burn-in level) for the carryover diagnostic.

    Example:
        >>> from causalkit.spec.switchback import ScheduleSpec, Region
        >>> from causalkit.switchback.schedule import design_schedule
        >>> s = design_schedule(ScheduleSpec(start="2026-01-01T00:00Z",
        ...     end="2026-01-02T00:00Z", period="1h", carryover=1), [Region(name="A")])
        >>> y = 10 + 2.0 * s.arms + np.random.default_rng(0).normal(0, 0.5, s.arms.shape)
        >>> res = analyze_outcomes(s, y, center=np.array([11.0]), draws=100, max_lag=2,
        ...                        by_burn_in={600.0: y})  # outcomes after a 10-min burn-in
        >>> [(lg.lag, lg.burn_in_seconds) for lg in res.lags]
        [(0, 0.0), (1, 0.0), (2, 0.0), (1, 600.0)]
        >>> res.lags[1].estimate == res.estimate  # lag m = 1 is the main estimate
        True
    """

    lag: int
    burn_in_seconds: float
    estimate: float
    se: float


@dataclass(frozen=True, eq=False)
class OutcomeResult:
    """Everything one metric's analysis produces (see the module docstring).

    Example:
        >>> from causalkit.spec.switchback import ScheduleSpec, Region
        >>> from causalkit.switchback.schedule import design_schedule
        >>> s = design_schedule(ScheduleSpec(start="2026-01-01T00:00Z",
        ...     end="2026-01-02T00:00Z", period="1h"), [Region(name="A")])
        >>> y = (10 + 2.0 * s.arms).astype(float)
        >>> y[0, 5] = np.nan  # one region-period without data
        >>> res = analyze_outcomes(s, y, hajek=True, draws=200)
        >>> res.estimate, res.mu0, res.mu1, res.relative, res.missing
        (2.0, 10.0, 12.0, 0.2, 1)
        >>> res.randomization.p_value < 0.05, res.fe.note
        (True, 'one region: period fixed effects dropped')
    """

    estimate: float
    se: float
    mu0: float
    mu1: float
    relative: float
    relative_se: float
    n_treated: int
    n_control: int
    n_windows: int
    missing: int
    randomization: RandomizationResult
    fe: FEResult
    lags: tuple[LagEstimate, ...]
    order_tests: tuple[OrderTest, ...]
    periods: NDArray[np.int64] = field(repr=False)
    contribution: FloatArray = field(repr=False)


@dataclass(frozen=True)
class _Fit:
    estimate: float
    se: float
    mu0: float
    mu1: float
    relative: float
    relative_se: float
    n_treated: int
    n_control: int


def _fit(w: Windows, treated: NDArray[np.bool_], control: NDArray[np.bool_],
         y_level: FloatArray, centre: FloatArray, hajek: bool) -> _Fit:
    """Point estimate, conservative SE, control level and relative effect for one lag."""
    n = w.n_windows
    pairs = dependent_pairs(w)
    yc_w = y_level - centre  # centred outcome per window
    g_level = w.group_sums(y_level)
    size = w.size.astype(np.float64)
    mu1, mu0, _ = hajek_estimate(w, treated, control, g_level)
    mu1f, mu0f = float(mu1), float(mu0)
    if hajek:
        est = mu1f - mu0f
        yt = w.group_sums(y_level) - mu1f * size
        yc = w.group_sums(y_level) - mu0f * size
    else:
        g = w.group_sums(yc_w)
        est = float(ht_estimate(w, treated, control, g, g, n))
        yt = yc = g
    var = float(conservative_variance(w, pairs, treated, control, yt, yc, n))
    se = float(np.sqrt(max(var, 0.0)))
    rel = rel_se = float("nan")
    if np.isfinite(mu0f) and mu0f != 0:
        rel = est / mu0f
        # delta method: (est - tau)/mu0 - tau (mu0_hat - mu0)/mu0^2, mu0_hat linearized
        lin_c = (g_level - mu0f * size) * (est / mu0f ** 2)
        rt = yt / mu0f
        rc = yc / mu0f + lin_c
        rv = float(conservative_variance(w, pairs, treated, control, rt, rc, n))
        rel_se = float(np.sqrt(max(rv, 0.0)))
    n_t = int(np.sum(np.where(treated, w.size, 0)))
    n_c = int(np.sum(np.where(control, w.size, 0)))
    return _Fit(est, se, mu0f, mu1f, rel, rel_se, n_t, n_c)


def analyze_outcomes(schedule: Schedule, y: FloatArray, *, center: FloatArray | None = None,
                     hajek: bool = False, draws: int = 10_000, seed: int = 0,
                     max_lag: int = 3, by_burn_in: dict[float, FloatArray] | None = None
                     ) -> OutcomeResult:
    """Analyse ``(R, T)`` outcomes (NaN = missing) under the schedule's design.

    Args:
        schedule: the realized schedule (design, coins, carryover ``m``).
        y: outcomes per region-period, after burn-in.
        center: per-region constants subtracted before the HT estimator (fixed
            before assignment, e.g. pre-period means); ``None`` = no centring.
        hajek: use the Hajek estimator instead (location invariant; ``center`` unused).
        draws: randomization-test draws.
        seed: seed of the randomization test.
        max_lag: largest lag of the carryover diagnostic.
        by_burn_in: other burn-ins (seconds -> outcomes) for the diagnostic table.

    Example:
        >>> from causalkit.spec.switchback import ScheduleSpec, Region
        >>> from causalkit.switchback.schedule import design_schedule
        >>> s = design_schedule(ScheduleSpec(start="2026-01-01T00:00Z",
        ...     end="2026-01-03T00:00Z", period="1h"), [Region(name="A"), Region(name="B")])
        >>> y = 10 + 2.0 * s.arms + np.random.default_rng(0).normal(0, 0.5, s.arms.shape)
        >>> for kw in ({}, {"center": np.full(2, 11.0)}, {"hajek": True}):
        ...     r = analyze_outcomes(s, y, draws=100, **kw)
        ...     print(f"{r.estimate:.1f} (se {r.se:.2f})")  # uncentred HT, centred HT, Hajek
        6.1 (se 4.96)
        2.4 (se 0.50)
        2.1 (se 0.19)
    """
    m = schedule.carryover
    design, coins = schedule.design, schedule.coins
    ok = ~np.isnan(y)
    centre_r = np.zeros(y.shape[0]) if center is None or hajek else np.asarray(center, float)
    y0 = np.where(ok, y, 0.0)

    def fit(lag: int, yy: FloatArray, mask: NDArray[np.bool_]) -> tuple[Windows, _Fit]:
        w = lag_windows(design, lag, mask)
        u, lo = w.indicators(coins)
        yw = np.where(mask, yy, 0.0)[w.region, w.period]
        return w, _fit(w, u, lo, yw, centre_r[w.region], hajek)

    w, main = fit(m, y0, ok)
    u, lo = w.indicators(coins)
    yw = y0[w.region, w.period] - (0.0 if hajek else centre_r[w.region])
    g = w.group_sums(yw)
    frt = randomization_test(w, design.n_coins, g, main.estimate, n=w.n_windows, draws=draws,
                             hajek=hajek, rng=np.random.default_rng(seed))
    fe = fe_regression(y, schedule.arms, m)
    lags: list[LagEstimate] = []
    burn_s = schedule.burn_in_ns / 1e9
    for lag in range(min(max(max_lag, m), schedule.n_periods - 1) + 1):
        fl = main if lag == m else fit(lag, y0, ok)[1]
        lags.append(LagEstimate(lag, burn_s, fl.estimate, fl.se))
    for seconds, yb in sorted((by_burn_in or {}).items()):
        okb = ~np.isnan(yb)
        fb = fit(m, np.where(okb, yb, 0.0), okb)[1]
        lags.append(LagEstimate(m, float(seconds), fb.estimate, fb.se))
    yc_full = np.where(ok, y - centre_r[:, None], np.nan) if not hajek else \
        np.where(ok, y - np.nanmean(y), np.nan)
    tests = tuple(order_test(design, coins, yc_full, lag)
                  for lag in range(min(max_lag, schedule.n_periods - 2) + 1))
    # per-period HT terms averaged over regions (for the effect-over-time figure)
    pi1 = w.pi1[w.group]
    pi0 = w.pi0[w.group]
    term = np.where(u[w.group], yw / pi1, 0.0) - np.where(lo[w.group], yw / pi0, 0.0)
    n_t = schedule.n_periods
    sums = np.bincount(w.period, weights=term, minlength=n_t)
    cnt = np.bincount(w.period, minlength=n_t)
    with np.errstate(invalid="ignore", divide="ignore"):
        contribution = np.where(cnt > 0, sums / cnt, np.nan)
    return OutcomeResult(
        estimate=main.estimate, se=main.se, mu0=main.mu0, mu1=main.mu1,
        relative=main.relative, relative_se=main.relative_se, n_treated=main.n_treated,
        n_control=main.n_control, n_windows=w.n_windows,
        missing=int((~ok).sum()), randomization=frt, fe=fe, lags=tuple(lags),
        order_tests=tests, periods=np.arange(n_t, dtype=np.int64), contribution=contribution,
    )


def normal_interval(estimate: float, se: float, alpha: float) -> tuple[float, float, float]:
    """``(low, high, two-sided p)`` of a normal interval.

    Example:
        >>> [round(x, 3) for x in normal_interval(1.0, 0.5, 0.05)]
        [0.02, 1.98, 0.046]
    """
    if not (np.isfinite(se) and se > 0):
        return float("nan"), float("nan"), float("nan")
    zc = float(stats.norm.isf(alpha / 2))
    p = float(2 * stats.norm.sf(abs(estimate) / se))
    return estimate - zc * se, estimate + zc * se, p
