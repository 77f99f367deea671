"""Two-sample comparisons from sufficient statistics: Welch t, z, absolute and relative effects.

Every function takes per-arm summary numbers (means, variances of the mean
estimators, counts), broadcasts over numpy arrays (so thousands of simulated
experiments are analysed in one call) and returns frozen results. p-values come
from survival functions (``t.sf``/``norm.sf``), so they stay exact far below
1e-16 instead of rounding to 0 as ``1 - cdf`` does.

Conventions:

* ``estimate = mean_t - mean_c`` (treatment minus control).
* ``se2_c`` and ``se2_t`` are variances of the *mean estimators*
  (``var / n`` for a plain mean).
* ``df = inf`` gives the normal (z) test; a finite ``df`` gives Student's t.
* The relative effect is ``mean_t / mean_c - 1`` with a delta-method standard
  error ``sqrt(se2_t / mean_c**2 + mean_t**2 * se2_c / mean_c**4)`` and a
  symmetric interval ``relative +- q * se`` using the same quantile ``q`` as
  the absolute interval (GrowthBook's convention). A log-ratio interval
  (tea-tasting's) is ``exp(log(ratio) +- q * se_log) - 1``: asymmetric and never
  below -100 %, but it disagrees with the absolute test near zero; the
  delta-method interval excludes 0 exactly when the relative test rejects.

Example:
    >>> r = welch_from_sums(3407, 1396.87, 52377.9767, 3461, 2422.7, 134698.29)
    >>> round(float(r.estimate), 5), round(float(r.ci_low), 5), round(float(r.ci_high), 5)
    (0.29, 0.04538, 0.53462)
    >>> round(float(r.p_value), 5)
    0.02016
    >>> isinstance(r, Comparison)
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def _f(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


@dataclass(frozen=True)
class Comparison:
    """Result of a two-sample comparison (arrays broadcast over the inputs).

    Attributes:
        mean_c: control level (after any adjustment).
        mean_t: treatment level.
        estimate: ``mean_t - mean_c``.
        se: standard error of ``estimate``.
        df: degrees of freedom (``inf`` for a z-test).
        statistic: ``estimate / se``.
        p_value: two-sided p-value.
        ci_low: lower bound of the ``1 - alpha`` interval.
        ci_high: upper bound.
        relative: ``mean_t / mean_c - 1``.
        relative_se: delta-method standard error of ``relative``.
        relative_ci_low: lower bound of the relative interval.
        relative_ci_high: upper bound of the relative interval.
        relative_p_value: two-sided p-value of ``relative = 0``.
        alpha: the level used for the intervals.
    """

    mean_c: FloatArray
    mean_t: FloatArray
    estimate: FloatArray
    se: FloatArray
    df: FloatArray
    statistic: FloatArray
    p_value: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    relative: FloatArray
    relative_se: FloatArray
    relative_ci_low: FloatArray
    relative_ci_high: FloatArray
    relative_p_value: FloatArray
    alpha: FloatArray


def welch_df(se2_c: ArrayLike, n_c: ArrayLike, se2_t: ArrayLike, n_t: ArrayLike) -> FloatArray:
    """Welch-Satterthwaite degrees of freedom from the variances of the two means.

    Example:
        >>> round(float(welch_df(15.21 / 3407, 3407, 38.44 / 3461, 3461)), 1)
        5841.7
    """
    a, b = _f(se2_c), _f(se2_t)
    nc, nt = _f(n_c), _f(n_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (a + b) ** 2 / (a * a / (nc - 1) + b * b / (nt - 1))


def two_sided_p(statistic: ArrayLike, df: ArrayLike = np.inf) -> FloatArray:
    """Two-sided p-value ``2 * sf(|statistic|)`` from Student's t (or normal when df is inf).

    Exact in the far tail: no ``1 - cdf`` cancellation.

    Example:
        >>> float(two_sided_p(30.0))  # 1 - cdf would give 0.0
        9.81...e-198
        >>> round(float(two_sided_p(1.959963984540054)), 6)
        0.05
    """
    from scipy import stats

    z = np.abs(_f(statistic))
    d = _f(df)
    with np.errstate(invalid="ignore"):
        p_t = 2.0 * stats.t.sf(z, np.where(np.isfinite(d), d, 1.0))
    p = np.where(np.isfinite(d), p_t, 2.0 * stats.norm.sf(z))
    return np.minimum(p, 1.0)


def critical_value(alpha: ArrayLike, df: ArrayLike = np.inf) -> FloatArray:
    """Two-sided critical value ``q`` with ``P(|T| > q) = alpha``.

    Example:
        >>> round(float(critical_value(0.05)), 4)
        1.96
    """
    from scipy import stats

    a = _f(alpha) / 2.0
    d = _f(df)
    q_t = stats.t.isf(a, np.where(np.isfinite(d), d, 1.0))
    return np.where(np.isfinite(d), q_t, stats.norm.isf(a))


def compare(
    mean_c: ArrayLike,
    se2_c: ArrayLike,
    mean_t: ArrayLike,
    se2_t: ArrayLike,
    *,
    df: ArrayLike = np.inf,
    alpha: ArrayLike = 0.05,
) -> Comparison:
    """Compare two independent means given the variances of their estimators.

    Args:
        mean_c: control mean(s).
        se2_c: variance(s) of the control mean estimator.
        mean_t: treatment mean(s).
        se2_t: variance(s) of the treatment mean estimator.
        df: degrees of freedom of the t reference (``inf`` for normal).
        alpha: two-sided level of the intervals.

    Example:
        >>> c = compare(0.41, 3.9**2 / 3407, 0.70, 6.2**2 / 3461, df=5841.7)
        >>> round(float(c.relative), 5), round(float(c.relative_se), 5)
        (0.70732, 0.37879)
    """
    mc, mt = _f(mean_c), _f(mean_t)
    vc, vt = _f(se2_c), _f(se2_t)
    d = _f(df)
    a = _f(alpha)
    est = mt - mc
    se = np.sqrt(vc + vt)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
        q = critical_value(a, d)
        rel = mt / mc - 1.0
        rel_se = np.sqrt(vt / mc**2 + mt**2 * vc / mc**4)
        rel_stat = rel / rel_se
        return Comparison(
            mean_c=mc,
            mean_t=mt,
            estimate=est,
            se=se,
            df=np.broadcast_to(d, est.shape).astype(np.float64),
            statistic=stat,
            p_value=two_sided_p(stat, d),
            ci_low=est - q * se,
            ci_high=est + q * se,
            relative=rel,
            relative_se=rel_se,
            relative_ci_low=rel - q * rel_se,
            relative_ci_high=rel + q * rel_se,
            relative_p_value=two_sided_p(rel_stat, d),
            alpha=np.broadcast_to(a, est.shape).astype(np.float64),
        )


def welch_test(
    mean_c: ArrayLike,
    var_c: ArrayLike,
    n_c: ArrayLike,
    mean_t: ArrayLike,
    var_t: ArrayLike,
    n_t: ArrayLike,
    *,
    alpha: ArrayLike = 0.05,
) -> Comparison:
    """Welch's unequal-variance t-test from per-arm means, sample variances (ddof=1) and counts.

    Example:
        >>> r = welch_test(0.41, 3.9**2, 3407, 0.70, 6.2**2, 3461)
        >>> round(float(r.p_value), 5)
        0.02016
    """
    vc = _f(var_c) / _f(n_c)
    vt = _f(var_t) / _f(n_t)
    return compare(mean_c, vc, mean_t, vt, df=welch_df(vc, n_c, vt, n_t), alpha=alpha)


def welch_from_sums(
    n_c: ArrayLike,
    sum_c: ArrayLike,
    sum_sq_c: ArrayLike,
    n_t: ArrayLike,
    sum_t: ArrayLike,
    sum_sq_t: ArrayLike,
    *,
    alpha: ArrayLike = 0.05,
) -> Comparison:
    """Welch's t-test from counts, sums and sums of squares (GrowthBook's input form).

    Example:
        >>> r = welch_from_sums(3407, 1396.87, 52377.9767, 3461, 2422.7, 134698.29)
        >>> round(float(r.se), 6)
        0.124784
    """
    nc, nt = _f(n_c), _f(n_t)
    mc, mt = _f(sum_c) / nc, _f(sum_t) / nt
    vc = (_f(sum_sq_c) - nc * mc * mc) / (nc - 1)
    vt = (_f(sum_sq_t) - nt * mt * mt) / (nt - 1)
    return welch_test(mc, vc, nc, mt, vt, nt, alpha=alpha)


def proportion_test(
    x_c: ArrayLike, n_c: ArrayLike, x_t: ArrayLike, n_t: ArrayLike, *, alpha: ArrayLike = 0.05
) -> Comparison:
    """Two-proportion z-test with the unpooled variance ``p (1 - p) / n`` per arm.

    The same standard error serves the p-value and the Wald interval, so the
    interval excludes 0 exactly when ``p < alpha``.

    Example:
        >>> r = proportion_test(100, 1000, 130, 1000)
        >>> round(float(r.estimate), 3), round(float(r.p_value), 4)
        (0.03, 0.0353)
    """
    nc, nt = _f(n_c), _f(n_t)
    pc, pt = _f(x_c) / nc, _f(x_t) / nt
    return compare(pc, pc * (1 - pc) / nc, pt, pt * (1 - pt) / nt, df=np.inf, alpha=alpha)
