"""One metric's switch-back analysis on region x period outcomes (numbers in, numbers out).

* point estimate of the lag-m effect: Horvitz-Thompson or Hajek, on outcomes
  centred by a per-region constant fixed before assignment (or not centred);
* conservative variance (pooled across regions through the shared design), normal
  interval and p-value (never 0: survival functions, floored at the smallest
  double); the relative effect by the delta method; both estimators' fits are kept
  so a report can show the unbiased HT beside an efficient Hajek headline;
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
from causalkit.switchback.design import CoinDesign
from causalkit.switchback.estimators import (
    RandomizationResult,
    conservative_variance,
    hajek_estimate,
    ht_estimate,
    randomization_test,
    two_sided_p,
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
    df: float = float("inf")


@dataclass(frozen=True)
class LagFit:
    """One estimator's fit of the lag-``p`` effect.

    ``estimate`` and ``se`` (conservative) in the outcome's units; ``mu1``/``mu0`` the
    Hajek levels of the all-treated / all-control windows (not centred);
    ``relative = estimate / mu0`` with its delta-method ``relative_se``; ``n_treated``
    and ``n_control`` count region-periods in all-treated / all-control windows.
    ``df`` is the degrees of freedom of the interval: infinite (normal) for
    Horvitz-Thompson, whose conservative variance needs no small-sample help; for
    Hajek, whose variance is a linearization around estimated arm means, the number
    of independent runs of the smaller arm minus one (see :func:`arm_runs`).

    Example:
        >>> from causalkit.switchback.design import regular_design
        >>> d = regular_design(1, 24, np.arange(24), q=0.5)
        >>> coins = d.draw(np.random.default_rng(0))
        >>> y = 10.0 + 2.0 * d.arms(coins)
        >>> f = fit_lag(d, coins, y, 0, hajek=True)
        >>> f.estimate, f.mu0, f.relative, f.n_treated + f.n_control, f.df
        (2.0, 10.0, 0.2, 24, 4.0)
    """

    estimate: float
    se: float
    mu0: float
    mu1: float
    relative: float
    relative_se: float
    n_treated: int
    n_control: int
    df: float = float("inf")


def arm_runs(w: Windows, treated: NDArray[np.bool_], control: NDArray[np.bool_]
             ) -> tuple[int, int]:
    """Independent runs of all-treated and of all-control windows.

    A run is a maximal stretch of consecutive windows of one region in the same
    arm; windows within a run share coins and move together, windows of different
    runs share none (regions are independent unless paired). Hajek's interval uses
    Student's t with ``min(runs) - 1`` degrees of freedom, as a cluster-robust
    interval does with its clusters: with few runs the linearized variance is noisy
    and a normal interval covers too little (simulated in
    ``tests/switchback/test_default_estimator.py``).

    Example:
        >>> from causalkit.switchback.design import regular_design
        >>> d = regular_design(1, 8, np.arange(8), q=0.5)
        >>> w = lag_windows(d, 0)
        >>> arm_runs(w, *w.indicators(np.array([1, 1, 0, 1, 0, 0, 1, 1], bool)))
        (3, 2)
    """
    order = np.lexsort((w.period, w.region))
    reg, per = w.region[order], w.period[order]
    nxt = np.r_[False, (reg[1:] == reg[:-1]) & (per[1:] == per[:-1] + 1)]
    out = []
    for arm in (treated, control):
        a = np.asarray(arm)[w.group][order]
        cont = nxt & np.r_[False, a[:-1]]
        out.append(int(np.sum(a & ~cont)))
    return out[0], out[1]

@dataclass(frozen=True, eq=False)
class OutcomeResult:
    """Everything one metric's analysis produces (see the module docstring).

    The main estimate (``estimate``, ``se``, ...) is the requested estimator's;
    ``ht`` and ``hajek`` are both estimators' lag-m fits on the same (centred or
    not) outcomes, so a report can show the other one beside the headline.

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
        >>> res.hajek.estimate == res.estimate, round(res.ht.estimate, 1)  # HT is uncentred
        (True, -3.6)
    """

    estimate: float
    se: float
    df: float
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
    ht: LagFit | None = None
    hajek: LagFit | None = None
    centred: bool = False


def _fit(w: Windows, treated: NDArray[np.bool_], control: NDArray[np.bool_],
         y_level: FloatArray, centre: FloatArray, hajek: bool) -> LagFit:
    """Point estimate, conservative SE, control level and relative effect for one lag.

    Both estimators read the outcomes minus ``centre`` (per window); the levels and the
    relative effect's denominator are the uncentred Hajek levels.
    """
    n = w.n_windows
    pairs = dependent_pairs(w)
    g_level = w.group_sums(y_level)
    g = w.group_sums(y_level - centre)  # centred outcome per group
    size = w.size.astype(np.float64)
    mu1, mu0, _ = hajek_estimate(w, treated, control, g_level)
    mu1f, mu0f = float(mu1), float(mu0)
    if hajek:
        c1, c0, diff = hajek_estimate(w, treated, control, g)
        est = float(diff)
        yt = g - float(c1) * size
        yc = g - float(c0) * size
    else:
        est = float(ht_estimate(w, treated, control, g, g, n))
        yt = yc = g
    var = float(conservative_variance(w, pairs, treated, control, yt, yc, n))
    se = float(np.sqrt(max(var, 0.0)))
    rel = rel_se = float("nan")
    if np.isfinite(mu0f) and mu0f != 0 and np.isfinite(est):
        rel = est / mu0f
        # delta method: (est - tau)/mu0 - tau (mu0_hat - mu0)/mu0^2, mu0_hat linearized
        lin_c = (g_level / mu0f - size) * (est / mu0f)  # no mu0**2: tiny levels underflow
        rt = yt / mu0f
        rc = yc / mu0f + lin_c
        rv = float(conservative_variance(w, pairs, treated, control, rt, rc, n))
        rel_se = float(np.sqrt(max(rv, 0.0)))
        if not (np.isfinite(rel) and np.isfinite(rel_se)):
            rel = rel_se = float("nan")
    n_t = int(np.sum(np.where(treated, w.size, 0)))
    n_c = int(np.sum(np.where(control, w.size, 0)))
    df = float("inf")
    if hajek:
        df = float(max(min(arm_runs(w, treated, control)) - 1, 1))
    return LagFit(est, se, mu0f, mu1f, rel, rel_se, n_t, n_c, df)


def fit_lag(design: CoinDesign, coins: NDArray[np.bool_], y: FloatArray, lag: int, *,
            center: FloatArray | None = None, hajek: bool = False) -> LagFit:
    """Fit the lag-``lag`` effect of ``(R, T)`` outcomes (NaN = missing) under a design.

    The estimate alone, without the randomization test, the regression and the
    diagnostics of :func:`analyze_outcomes` (which calls it): fast enough to replay
    thousands of schedules.

    Args:
        design: the coin design.
        coins: the realized coins.
        y: outcomes per region-period, after burn-in.
        lag: the carryover order ``m`` of the estimand.
        center: per-region constants fixed before assignment, subtracted from the
            outcomes (``None``: not centred).
        hajek: the Hajek estimator instead of Horvitz-Thompson.

    Example:
        >>> from causalkit.switchback.design import block_starts, regular_design
        >>> d = regular_design(2, 48, block_starts(48, 1, optimal=True), q=0.5)
        >>> coins = d.draw(np.random.default_rng(3))
        >>> y = 100.0 + 1.0 * d.arms(coins) + np.random.default_rng(4).normal(0, 1, (2, 48))
        >>> ht, hj = fit_lag(d, coins, y, 1), fit_lag(d, coins, y, 1, hajek=True)
        >>> ht.se > 10 * hj.se  # uncentred HT carries the level 100 in its variance
        True
        >>> centred = fit_lag(d, coins, y, 1, center=np.full(2, 100.0))
        >>> centred.se < 2 * hj.se
        True
    """
    ok = ~np.isnan(y)
    centre_r = np.zeros(y.shape[0]) if center is None else np.asarray(center, float)
    w = lag_windows(design, lag, ok)
    u, lo = w.indicators(coins)
    yw = np.where(ok, y, 0.0)[w.region, w.period]
    return _fit(w, u, lo, yw, centre_r[w.region], hajek)


def analyze_outcomes(schedule: Schedule, y: FloatArray, *, center: FloatArray | None = None,
                     hajek: bool = False, draws: int = 10_000, seed: int = 0,
                     max_lag: int = 3, by_burn_in: dict[float, FloatArray] | None = None
                     ) -> OutcomeResult:
    """Analyse ``(R, T)`` outcomes (NaN = missing) under the schedule's design.

    Args:
        schedule: the realized schedule (design, coins, carryover ``m``).
        y: outcomes per region-period, after burn-in.
        center: per-region constants subtracted before estimation (fixed before
            assignment, e.g. pre-period means); ``None`` = no centring. Horvitz-Thompson
            needs it (its variance carries the outcome level); Hajek is invariant to a
            common shift but gains from per-region constants too.
        hajek: use the Hajek estimator (self-normalized) for the main estimate.
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
    centred = center is not None
    centre_r = np.asarray(center, float) if centred else np.zeros(y.shape[0])
    y0 = np.where(ok, y, 0.0)

    def fit(lag: int, yy: FloatArray, mask: NDArray[np.bool_], hj: bool = hajek
            ) -> tuple[Windows, LagFit]:
        w = lag_windows(design, lag, mask)
        u, lo = w.indicators(coins)
        yw = np.where(mask, yy, 0.0)[w.region, w.period]
        return w, _fit(w, u, lo, yw, centre_r[w.region], hj)

    w, main = fit(m, y0, ok)
    other = fit(m, y0, ok, not hajek)[1]
    u, lo = w.indicators(coins)
    yw = y0[w.region, w.period] - centre_r[w.region]
    g = w.group_sums(yw)
    frt = randomization_test(w, design.n_coins, g, main.estimate, n=w.n_windows, draws=draws,
                             hajek=hajek, rng=np.random.default_rng(seed))
    fe = fe_regression(y, schedule.arms, m)
    lags: list[LagEstimate] = []
    burn_s = schedule.burn_in_ns / 1e9
    for lag in range(min(max(max_lag, m), schedule.n_periods - 1) + 1):
        fl = main if lag == m else fit(lag, y0, ok)[1]
        lags.append(LagEstimate(lag, burn_s, fl.estimate, fl.se, fl.df))
    for seconds, yb in sorted((by_burn_in or {}).items()):
        okb = ~np.isnan(yb)
        fb = fit(m, np.where(okb, yb, 0.0), okb)[1]
        lags.append(LagEstimate(m, float(seconds), fb.estimate, fb.se, fb.df))
    shift = centre_r[:, None] if centred or not hajek else np.nanmean(y)
    yc_full = np.where(ok, y - shift, np.nan)
    tests = tuple(order_test(design, coins, yc_full, lag)
                  for lag in range(min(max_lag, schedule.n_periods - 2) + 1))
    # per-period HT terms averaged over regions (for the effect-over-time figure); for
    # Hajek, of the outcomes less the midpoint of its arm means, so the terms average
    # to about its estimate rather than carry the outcome level
    pi1 = w.pi1[w.group]
    pi0 = w.pi0[w.group]
    yf = yw
    if hajek:
        c1, c0, _ = hajek_estimate(w, u, lo, g)
        mid = 0.5 * (float(c1) + float(c0))
        yf = yw - (mid if np.isfinite(mid) else 0.0)
    term = np.where(u[w.group], yf / pi1, 0.0) - np.where(lo[w.group], yf / pi0, 0.0)
    n_t = schedule.n_periods
    sums = np.bincount(w.period, weights=term, minlength=n_t)
    cnt = np.bincount(w.period, minlength=n_t)
    with np.errstate(invalid="ignore", divide="ignore"):
        contribution = np.where(cnt > 0, sums / cnt, np.nan)
    ht, hj = (other, main) if hajek else (main, other)
    return OutcomeResult(
        estimate=main.estimate, se=main.se, df=main.df, mu0=main.mu0, mu1=main.mu1,
        relative=main.relative, relative_se=main.relative_se, n_treated=main.n_treated,
        n_control=main.n_control, n_windows=w.n_windows,
        missing=int((~ok).sum()), randomization=frt, fe=fe, lags=tuple(lags),
        order_tests=tests, periods=np.arange(n_t, dtype=np.int64), contribution=contribution,
        ht=ht, hajek=hj, centred=centred,
    )


def normal_interval(estimate: float, se: float, alpha: float, df: float = float("inf")
                    ) -> tuple[float, float, float]:
    """``(low, high, two-sided p)`` of a normal interval (Student's t when ``df`` is finite).

    Example:
        >>> [round(x, 3) for x in normal_interval(1.0, 0.5, 0.05)]
        [0.02, 1.98, 0.046]
        >>> [round(x, 3) for x in normal_interval(1.0, 0.5, 0.05, df=4)]
        [-0.388, 2.388, 0.116]
    """
    if not (np.isfinite(se) and se > 0 and np.isfinite(estimate)):
        return float("nan"), float("nan"), float("nan")
    crit = float(stats.norm.isf(alpha / 2) if np.isinf(df) else stats.t.isf(alpha / 2, df))
    return estimate - crit * se, estimate + crit * se, two_sided_p(estimate / se, df)


def df_adjusted_se(se: float, df: float, alpha: float) -> float:
    """The standard error whose normal interval at ``alpha`` is the t(``df``) interval.

    Example:
        >>> round(df_adjusted_se(1.0, 4.0, 0.05), 4), df_adjusted_se(1.0, float("inf"), 0.05)
        (1.4166, 1.0)
    """
    if np.isinf(df) or not np.isfinite(se):
        return float(se)
    return float(se * stats.t.isf(alpha / 2, df) / stats.norm.isf(alpha / 2))
