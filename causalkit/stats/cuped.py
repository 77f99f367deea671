"""CUPED: variance reduction with a pre-period covariate (Deng, Xu, Kohavi & Walker, WSDM 2013).

The adjusted metric of arm ``a`` is ``Y_a - theta * (X_a - X_pool)`` where
``X_pool`` is the covariate mean of the pooled sample of the two arms compared
and ``theta = cov(Y, X) / var(X)`` is estimated on that pooled sample (the
convention of tea-tasting; pooling arms keeps ``theta`` identical for both arms,
so the difference stays unbiased). ``Y`` and ``X`` may be plain means or ratios
(then covariances are those of the delta-method linearizations). The adjusted
per-unit variance is ``var_Y + theta**2 var_X - 2 theta cov_YX``; with the optimal
``theta`` it equals ``var_Y (1 - rho**2)``.

Example:
    >>> theta = cuped_theta(cov_yx=2.0, var_x=4.0)
    >>> m, v = cuped_adjust(10.0, 5.0, 4.0, 9.0, 4.0, 2.0, theta)
    >>> float(theta), float(m), float(v)
    (0.5, 9.5, 8.0)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def _f(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def cuped_theta(cov_yx: ArrayLike, var_x: ArrayLike) -> FloatArray:
    """The CUPED coefficient ``cov(Y, X) / var(X)`` (0 where ``var(X) == 0``).

    Example:
        >>> cuped_theta([1.0, 1.0], [2.0, 0.0]).tolist()
        [0.5, 0.0]
    """
    c, v = _f(cov_yx), _f(var_x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(v > 0, c / np.where(v > 0, v, 1.0), 0.0)


def cuped_adjust(
    mean_y: ArrayLike,
    mean_x: ArrayLike,
    pool_mean_x: ArrayLike,
    var_y: ArrayLike,
    var_x: ArrayLike,
    cov_yx: ArrayLike,
    theta: ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """Adjusted mean and adjusted per-unit variance of one arm.

    Args:
        mean_y: the arm's metric (a mean or a ratio).
        mean_x: the arm's covariate level.
        pool_mean_x: covariate level of the pooled sample (centring point).
        var_y: per-unit variance of the metric (ddof=1; delta-method for ratios).
        var_x: per-unit variance of the covariate.
        cov_yx: per-unit covariance of metric and covariate.
        theta: the CUPED coefficient (from :func:`cuped_theta`).

    Returns:
        ``(mean_adj, var_adj)``; the adjusted mean's variance is ``var_adj / n``.

    Example:
        >>> m, v = cuped_adjust(1.0, 0.0, 0.0, 1.0, 1.0, 0.6, 0.6)
        >>> round(float(v), 12)
        0.64
    """
    t = _f(theta)
    m = _f(mean_y) - t * (_f(mean_x) - _f(pool_mean_x))
    v = _f(var_y) + t * t * _f(var_x) - 2.0 * t * _f(cov_yx)
    return m, v


def variance_reduction(cov_yx: ArrayLike, var_y: ArrayLike, var_x: ArrayLike) -> FloatArray:
    """Share of variance CUPED removes with the optimal theta: ``rho**2``.

    Example:
        >>> float(variance_reduction(0.5, 1.0, 1.0))
        0.25
    """
    c, vy, vx = _f(cov_yx), _f(var_y), _f(var_x)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho2 = c * c / (vy * vx)
    return np.where(np.isfinite(rho2), np.clip(rho2, 0.0, 1.0), 0.0)
