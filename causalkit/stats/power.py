"""Sample size, minimum detectable effect (MDE) and power for two-arm comparisons.

Normal approximation for a two-sided test at level ``alpha``: with per-unit
variances ``var_c`` and ``var_t`` and traffic shares ``share_c`` and ``share_t``
of ``n_total`` units,

``se(n_total) = sqrt((var_c / share_c + var_t / share_t) / n_total)``

and a true effect ``delta`` is detected with power
``Phi(|delta| / se - z_{1-alpha/2}) + Phi(-|delta| / se - z_{1-alpha/2})``.
Solving ``|delta| = (z_{1-alpha/2} + z_power) se`` gives the MDE and the sample
size. Per-unit variances are those of the metric's linearization: ``sd**2`` for
a mean, ``p (1 - p)`` for a proportion, the delta-method variance for a ratio,
times ``1 - rho**2`` with CUPED. (The t correction changes n by less than 1 %
above 100 units per arm.)

Example:
    >>> round(float(required_total(1.0, 1.0, 0.1, alpha=0.05, power=0.8)))
    3140
    >>> round(float(mde(1.0, 1.0, 3140, alpha=0.05, power=0.8)), 4)
    0.1
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def _f(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def _unit_variance(var_c: ArrayLike, var_t: ArrayLike, share_c: ArrayLike,
                   share_t: ArrayLike) -> FloatArray:
    """Variance of the difference in means times the total units."""
    return _f(var_c) / _f(share_c) + _f(var_t) / _f(share_t)


def z_sum(alpha: ArrayLike, power: ArrayLike) -> FloatArray:
    """``z_{1-alpha/2} + z_power``.

    Example:
        >>> round(float(z_sum(0.05, 0.8)), 4)
        2.8016
    """
    from scipy import stats

    return stats.norm.isf(_f(alpha) / 2.0) + stats.norm.ppf(_f(power))


def required_total(
    var_c: ArrayLike,
    var_t: ArrayLike,
    effect: ArrayLike,
    *,
    alpha: ArrayLike = 0.05,
    power: ArrayLike = 0.8,
    share_c: ArrayLike = 0.5,
    share_t: ArrayLike = 0.5,
) -> FloatArray:
    """Total units (all arms) needed to detect ``effect`` with the given power.

    ``share_c`` and ``share_t`` are the fractions of all units that land in the
    two arms compared (with three arms at equal weight, 1/3 each).

    Example:
        >>> round(float(required_total(1.0, 1.0, 0.1, share_c=1/3, share_t=1/3)))
        4709
    """
    k = z_sum(alpha, power)
    with np.errstate(divide="ignore"):
        return k * k * _unit_variance(var_c, var_t, share_c, share_t) / _f(effect) ** 2


def mde(
    var_c: ArrayLike,
    var_t: ArrayLike,
    n_total: ArrayLike,
    *,
    alpha: ArrayLike = 0.05,
    power: ArrayLike = 0.8,
    share_c: ArrayLike = 0.5,
    share_t: ArrayLike = 0.5,
) -> FloatArray:
    """Smallest absolute effect detected with the given power at ``n_total`` units.

    Example:
        >>> round(float(mde(0.25, 0.25, 10_000)), 5)
        0.02802
    """
    se = np.sqrt(_unit_variance(var_c, var_t, share_c, share_t) / _f(n_total))
    return z_sum(alpha, power) * se


def power_at(
    effect: ArrayLike,
    var_c: ArrayLike,
    var_t: ArrayLike,
    n_total: ArrayLike,
    *,
    alpha: ArrayLike = 0.05,
    share_c: ArrayLike = 0.5,
    share_t: ArrayLike = 0.5,
) -> FloatArray:
    """Power of the two-sided test to detect ``effect`` at ``n_total`` units.

    Example:
        >>> round(float(power_at(0.1, 1.0, 1.0, 3140)), 3)
        0.8
    """
    from scipy import stats

    se = np.sqrt(_unit_variance(var_c, var_t, share_c, share_t) / _f(n_total))
    za = stats.norm.isf(_f(alpha) / 2.0)
    d = np.abs(_f(effect)) / se
    return stats.norm.sf(za - d) + stats.norm.cdf(-za - d)


def proportion_required_total(
    p_c: ArrayLike,
    effect: ArrayLike,
    *,
    alpha: ArrayLike = 0.05,
    power: ArrayLike = 0.8,
    share_c: ArrayLike = 0.5,
    share_t: ArrayLike = 0.5,
) -> FloatArray:
    """Total units to detect an absolute change ``effect`` of a proportion ``p_c``.

    Uses the unpooled variances ``p_c (1 - p_c)`` and ``p_t (1 - p_t)``.

    Example:
        >>> round(float(proportion_required_total(0.10, 0.01)))
        29496
    """
    pc = _f(p_c)
    pt = np.clip(pc + _f(effect), 0.0, 1.0)
    return required_total(pc * (1 - pc), pt * (1 - pt), effect, alpha=alpha, power=power,
                          share_c=share_c, share_t=share_t)


def proportion_mde(
    p_c: ArrayLike,
    n_total: ArrayLike,
    *,
    alpha: ArrayLike = 0.05,
    power: ArrayLike = 0.8,
    share_c: ArrayLike = 0.5,
    share_t: ArrayLike = 0.5,
    increase: bool = True,
) -> FloatArray:
    """Smallest absolute change of a proportion detected at ``n_total`` units.

    Solved by fixed-point iteration on the treatment variance ``p_t (1 - p_t)``.

    Example:
        >>> round(float(proportion_mde(0.10, 29496)), 4)
        0.01
    """
    pc = _f(p_c)
    sign = 1.0 if increase else -1.0
    d = mde(pc * (1 - pc), pc * (1 - pc), n_total, alpha=alpha, power=power,
            share_c=share_c, share_t=share_t)
    for _ in range(50):
        pt = np.clip(pc + sign * d, 0.0, 1.0)
        d = mde(pc * (1 - pc), pt * (1 - pt), n_total, alpha=alpha, power=power,
                share_c=share_c, share_t=share_t)
    return d
