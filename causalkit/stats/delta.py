"""The delta method for ratios of means (e.g. matches per session).

A ratio metric divides two per-unit sums, ``R = mean(N) / mean(D)``, where the
randomization unit (the user) is the independent observation, not the session.
Linearizing ``R`` around the means gives the per-unit influence
``(N - R * D) / mean(D)``, whose variance is

``var_R = (var_N - 2 R cov_ND + R**2 var_D) / mean_D**2``,

and ``var_R / n`` is the variance of the ratio estimator (Deng, Knoblich & Lu,
"Applying the Delta Method in Metric Analytics", KDD 2018). The covariance of
two ratios (needed by CUPED for ratios) linearizes the same way.

All functions broadcast over numpy arrays.

Example:
    >>> r, v = ratio_moments(2.0, 4.0, 1.0, 2.0, 0.5)
    >>> float(r), float(v)
    (0.5, 0.0625)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def _f(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def ratio_moments(
    mean_num: ArrayLike,
    mean_den: ArrayLike,
    var_num: ArrayLike,
    var_den: ArrayLike,
    cov_num_den: ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """Ratio of means and the per-unit variance of its linearization.

    Args:
        mean_num: mean of the numerator per unit.
        mean_den: mean of the denominator per unit.
        var_num: variance of the numerator (ddof=1).
        var_den: variance of the denominator.
        cov_num_den: covariance of numerator and denominator.

    Returns:
        ``(ratio, var_unit)``; the ratio estimator's variance is ``var_unit / n``.

    Example:
        >>> import numpy as np
        >>> r, v = ratio_moments(np.array([1.0, 2.0]), 2.0, 1.0, 1.0, 0.0)
        >>> r.tolist(), v.tolist()
        ([0.5, 1.0], [0.3125, 0.5])
    """
    mn, md = _f(mean_num), _f(mean_den)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = mn / md
        v = (_f(var_num) - 2.0 * r * _f(cov_num_den) + r * r * _f(var_den)) / (md * md)
    return r, v


def ratio_covariance(
    mean_num_a: ArrayLike,
    mean_den_a: ArrayLike,
    mean_num_b: ArrayLike,
    mean_den_b: ArrayLike,
    cov_na_nb: ArrayLike,
    cov_na_db: ArrayLike,
    cov_da_nb: ArrayLike,
    cov_da_db: ArrayLike,
) -> FloatArray:
    """Per-unit covariance of the linearizations of two ratios ``a`` and ``b``.

    ``cov(R_a, R_b) ~ [cov(Na,Nb) - Rb cov(Na,Db) - Ra cov(Da,Nb) + Ra Rb cov(Da,Db)]
    / (mean(Da) mean(Db))``, divided by ``n`` for the estimators.

    Example:
        >>> float(ratio_covariance(2.0, 4.0, 2.0, 4.0, 1.0, 0.5, 0.5, 2.0))
        0.0625
    """
    ra = _f(mean_num_a) / _f(mean_den_a)
    rb = _f(mean_num_b) / _f(mean_den_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (
            _f(cov_na_nb) - rb * _f(cov_na_db) - ra * _f(cov_da_nb) + ra * rb * _f(cov_da_db)
        ) / (_f(mean_den_a) * _f(mean_den_b))


def linear_moments(
    mean: ArrayLike, cov: ArrayLike, gradient_a: ArrayLike, gradient_b: ArrayLike | None = None
) -> FloatArray:
    """``g_a' Sigma g_b``: the covariance of two linearized statistics (matrix form).

    A helper for metrics given as a full covariance matrix (from
    :class:`~causalkit.data.Moments`); ``mean`` is unused but kept for symmetry.

    Example:
        >>> import numpy as np
        >>> float(linear_moments([0, 0], np.eye(2), [1.0, -1.0]))
        2.0
    """
    s = _f(cov)
    ga = _f(gradient_a)
    gb = ga if gradient_b is None else _f(gradient_b)
    return np.asarray(ga @ s @ gb, dtype=np.float64)
