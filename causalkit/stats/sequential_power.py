"""Plan a gated experiment: power and sample size when the gate looks many times.

A gate that re-reads the data at every CI run needs more data than a single
fixed-horizon test for the same power, because its boundary is wider at every
look. For looks at information fractions ``t_1 < ... < t_K = 1`` and z
boundaries ``c_k`` (reject when ``|Z_k| >= c_k``), :func:`sequential_power` is
the chance that the standardized statistic ``Z_k = W(t_k) / sqrt(t_k)`` (``W``
a Brownian motion with drift ``theta`` per unit information, so
``E Z_K = theta``) crosses the *upper* boundary at some look before it crosses
the lower one: the chance that the gate ships a true improvement of size
``theta`` standard errors (at the horizon). It is computed exactly (up to
quadrature error) by the Armitage-McPherson-Rowe recursion (Jennison and
Turnbull, 2000, ch. 19), the same recursion that gives the boundaries.

:func:`inflation_factor` is the ratio of the sample size the sequential plan
needs to the fixed-horizon one for the same power; multiply the fixed sample
size from ``causalkit power`` by it to set ``decision.horizon_sample_per_arm``.

Boundaries for both methods of the gate:

* ``gst``: Lan-DeMets O'Brien-Fleming spending, :func:`gst_z_boundaries`.
* ``msprt``: the normal-mixture confidence sequence, whose half-width in z units
  at a look with estimator variance ``V`` is
  ``sqrt((V + tau2) / tau2 * (2 log(1/alpha) + log((V + tau2) / V)))``;
  with the mixture tuned at the horizon (``tau2 = V_K * (-2 log alpha +
  log(1 - 2 log alpha))``, :func:`causalkit.stats.sequential.msprt_tau2`) it
  depends only on ``t_k`` and ``alpha`` (:func:`msprt_z_boundaries`).

Example:
    >>> looks = [0.5, 1.0]
    >>> round(inflation_factor(gst_z_boundaries(looks, 0.05), looks, 0.05, 0.8), 3)
    1.004
    >>> round(inflation_factor(msprt_z_boundaries(looks, 0.05), looks, 0.05, 0.8), 2)
    1.89
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from causalkit.stats.sequential import _simpson, gst_boundaries

FloatArray = NDArray[np.float64]


def _fractions(information_fractions: ArrayLike) -> FloatArray:
    t = np.asarray(information_fractions, dtype=np.float64).reshape(-1)
    if t.size == 0 or np.any(t <= 0) or np.any(t > 1) or np.any(np.diff(t) <= 0):
        raise ValueError("information fractions must increase strictly within (0, 1]")
    return t


def gst_z_boundaries(information_fractions: ArrayLike, alpha: float = 0.05) -> FloatArray:
    """Lan-DeMets O'Brien-Fleming z boundaries (from :mod:`causalkit.stats.sequential`).

    Example:
        >>> gst_z_boundaries([0.5, 1.0], 0.05).round(3).tolist()
        [2.963, 1.969]
    """
    return np.asarray(gst_boundaries(_fractions(information_fractions), alpha), dtype=float)


def msprt_z_boundaries(information_fractions: ArrayLike, alpha: float = 0.05,
                       tau2_ratio: float | None = None) -> FloatArray:
    """Half-widths, in standard errors, of the mixture-SPRT confidence sequence at each look.

    Args:
        information_fractions: looks as fractions of the horizon's information.
        alpha: level of the confidence sequence.
        tau2_ratio: ``tau2 / V_K`` (mixture variance over the estimator's variance
            at the horizon); the default tunes the mixture at the horizon.

    Example:
        >>> msprt_z_boundaries([1.0], 0.05).round(3).tolist()
        [3.035]
    """
    t = _fractions(information_fractions)
    la = -2.0 * math.log(alpha)
    ratio = la + math.log1p(la) if tau2_ratio is None else float(tau2_ratio)
    v = 1.0 / t  # V_k / V_K
    return np.sqrt((v + ratio) / ratio * (la + np.log((v + ratio) / v)))


def _pdf(x: FloatArray) -> FloatArray:
    return np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def sequential_power(theta: float, boundaries: ArrayLike, information_fractions: ArrayLike,
                     *, grid_points: int = 301) -> float:
    """Chance of crossing the upper boundary first, at some look, under drift ``theta``.

    Args:
        theta: the true effect in standard errors at the horizon (``delta / se_K``).
        boundaries: ``c_k`` per look (symmetric: the lower boundary is ``-c_k``).
        information_fractions: ``t_k`` per look.
        grid_points: quadrature nodes per look (Simpson's rule; the default is
            accurate to about 1e-5 in power).

    Example:
        >>> round(sequential_power(2.8016, [1.959964], [1.0]), 3)
        0.8
    """
    from scipy.special import ndtr

    t = _fractions(information_fractions)
    c = np.asarray(boundaries, dtype=np.float64).reshape(-1)
    if c.size != t.size:
        raise ValueError("one boundary per look")
    s0 = math.sqrt(t[0])
    power = float(ndtr(theta * s0 - c[0]))
    if t.size == 1:
        return power
    z, w = _simpson(max(-c[0], theta * s0 - 10.0), min(c[0], theta * s0 + 10.0), grid_points)
    mass = w * _pdf(z - theta * s0)
    for k in range(1, t.size):
        sk, sk1 = math.sqrt(t[k]), math.sqrt(t[k - 1])
        dt = t[k] - t[k - 1]
        sd = math.sqrt(dt)
        # W(t_k) = W(t_{k-1}) + N(theta * dt, dt); Z_k = W(t_k) / sqrt(t_k)
        mean_next = z * sk1 + theta * dt
        power += float(np.sum(mass * ndtr((mean_next - c[k] * sk) / sd)))
        if k == t.size - 1:
            break
        centre = theta * sk
        z, w = _simpson(max(-c[k], centre - 10.0), min(c[k], centre + 10.0), grid_points)
        kern = _pdf((z[:, None] * sk - mean_next[None, :]) / sd) * (sk / sd)
        mass = w * (kern @ mass)
    return min(power, 1.0)


def required_theta(boundaries: ArrayLike, information_fractions: ArrayLike,
                   power: float = 0.8) -> float:
    """The drift (effect in horizon standard errors) that the plan ships with ``power``.

    Example:
        >>> round(required_theta([1.959964], [1.0], 0.8), 3)
        2.802
    """
    from scipy import optimize

    if not 0 < power < 1:
        raise ValueError("power must lie in (0, 1)")
    return float(optimize.brentq(
        lambda th: sequential_power(th, boundaries, information_fractions) - power,
        0.0, 40.0, xtol=1e-8))


def inflation_factor(boundaries: ArrayLike, information_fractions: Sequence[float] | ArrayLike,
                     alpha: float = 0.05, power: float = 0.8) -> float:
    """Sample size of the sequential plan over the fixed-horizon sample size, same power.

    The fixed-horizon test is two-sided at ``alpha``; the sequential plan ships
    on an upper crossing.

    Example:
        >>> round(inflation_factor([1.959964], [1.0]), 4)
        1.0
    """
    from scipy import stats

    fixed = stats.norm.isf(alpha / 2) + stats.norm.ppf(power)
    return float((required_theta(boundaries, information_fractions, power) / fixed) ** 2)
