"""Sequential tests: always-valid inference (mSPRT) and group-sequential boundaries.

**Always-valid (mixture SPRT).** For an asymptotically normal estimate
``theta_hat`` with variance ``V`` (``se**2``) and a normal mixture ``N(0, tau2)``
over the effect, the mixture likelihood ratio against ``theta = 0`` is

``L = sqrt(V / (V + tau2)) * exp(tau2 * theta_hat**2 / (2 V (V + tau2)))``

(Johari, Koomen, Pekelis & Walsh, "Always valid inference", 2022; Robbins 1970).
``p = min(1, 1/L)`` is an always-valid p-value and

``theta_hat +- sqrt(V (V + tau2) / tau2 * (2 log(1/alpha) + log((V + tau2) / V)))``

is a confidence sequence: the chance that *any* look, however many and whenever
taken, excludes the true effect is at most ``alpha`` (it is the asymptotic CS
of Waudby-Smith et al. with ``rho**2 = tau2 / sigma**2``). ``tau2`` must not be
chosen from the outcome; :func:`msprt_tau2` tunes it to be tightest at a planned
sample size.

**Group-sequential (Lan-DeMets).** :func:`obf_spending` is the two-sided
O'Brien-Fleming-type spending function ``4 - 4 Phi(z_{1-alpha/4} / sqrt(t))``
(each side spends ``alpha / 2`` by ``2 - 2 Phi(z_{1-alpha/4} / sqrt(t))``, as in
gsDesign's ``sfLDOF`` and ldbounds); :func:`pocock_spending` is
``alpha log(1 + (e - 1) t)``. :func:`gst_boundaries` turns a spending function
and the information fractions of the looks into symmetric two-sided z critical
values by the Armitage-McPherson-Rowe recursion: the sub-density of ``Z_k`` on
the continuation region is propagated look to look by numerical integration
(Simpson's rule on a grid; Jennison & Turnbull 2000, ch. 19) and each boundary is
solved so that the exit probability at that look equals the alpha spent there.

Example:
    >>> gst_boundaries([0.2, 0.4, 0.6, 0.8, 1.0], 0.05).round(3).tolist()
    [4.877, 3.357, 2.68, 2.29, 2.031]
    >>> r = msprt(estimate=0.4, se2=0.01, tau2=0.05, alpha=0.05)
    >>> bool(r.p_value < 0.05), bool(r.ci_low > 0)
    (True, True)
    >>> isinstance(r, AlwaysValid)
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

GROWTHBOOK_TUNING_N = 5000
"""Default sample size (per arm) at which the mixture is tuned (GrowthBook's default N*)."""


def _f(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


# -- always-valid inference ----------------------------------------------------------------


@dataclass(frozen=True)
class AlwaysValid:
    """Always-valid p-value and confidence sequence at one look (arrays broadcast).

    Attributes:
        log_lr: log of the mixture likelihood ratio ``L``.
        p_value: ``min(1, 1/L)``.
        ci_low: lower end of the confidence sequence.
        ci_high: upper end.
    """

    log_lr: FloatArray
    p_value: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray


def msprt(
    estimate: ArrayLike, se2: ArrayLike, tau2: ArrayLike, alpha: ArrayLike = 0.05
) -> AlwaysValid:
    """The normal-mixture SPRT at one look (see the module docstring for the formulas).

    Args:
        estimate: the effect estimate(s).
        se2: variance(s) of the estimate at this look.
        tau2: mixture variance over the effect (fixed in advance).
        alpha: level of the confidence sequence.

    Example:
        >>> r = msprt(0.0, 0.01, 0.05)
        >>> float(r.p_value)
        1.0
        >>> round(float(r.ci_high), 4)
        0.3056
    """
    est, v, t2, a = _f(estimate), _f(se2), _f(tau2), _f(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_lr = 0.5 * np.log(v / (v + t2)) + t2 * est * est / (2.0 * v * (v + t2))
        p = np.exp(np.minimum(0.0, -log_lr))
        half = np.sqrt(v * (v + t2) / t2 * (2.0 * np.log(1.0 / a) + np.log((v + t2) / v)))
    return AlwaysValid(log_lr=log_lr, p_value=p, ci_low=est - half, ci_high=est + half)


def msprt_tau2(se2_at_horizon: ArrayLike, alpha: ArrayLike = 0.05) -> FloatArray:
    """Mixture variance that makes the confidence sequence tightest when ``se2`` reaches a value.

    ``tau2 = se2* (-2 log alpha + log(1 - 2 log alpha))`` (Waudby-Smith et al.'s
    optimum for the normal mixture), where ``se2*`` is the variance of the
    estimate at the planned horizon.

    Example:
        >>> round(float(msprt_tau2(1.0, 0.05)), 3)
        7.936
    """
    la = -2.0 * np.log(_f(alpha))
    return _f(se2_at_horizon) * (la + np.log1p(la))


def sequence_interval(estimate: float, se: float, alpha: float, fraction: float
                      ) -> tuple[float, float]:
    """An always-valid interval from a fixed-horizon estimate, its se and the information fraction.

    The normal-mixture confidence sequence of :func:`msprt`, with the mixture tuned
    at the planned horizon: the estimator's variance there is ``se**2 * fraction``.
    NaN bounds when ``se`` or the estimate is not finite or ``fraction <= 0``.

    Example:
        >>> low, high = sequence_interval(0.4, 0.1, 0.05, 1.0)
        >>> round(0.4 - low, 4)  # at the horizon: 3.035 se
        0.3035
    """
    if not (math.isfinite(se) and se > 0 and math.isfinite(estimate)) or not fraction > 0:
        return (math.nan, math.nan)
    se2 = se * se
    av = msprt(estimate, se2, float(msprt_tau2(se2 * fraction, alpha)), alpha)
    return (float(av.ci_low), float(av.ci_high))


def running_always_valid(
    estimate: ArrayLike, se2: ArrayLike, tau2: ArrayLike, alpha: ArrayLike = 0.05
) -> AlwaysValid:
    """Always-valid inference over a sequence of looks (last axis = time).

    The p-value is the running minimum and the interval the running
    intersection, both still valid at every look.

    Example:
        >>> r = running_always_valid([0.5, 0.1, 0.2], [0.04, 0.02, 0.01], 0.05)
        >>> bool(np.all(np.diff(r.p_value) <= 0)), bool(np.all(np.diff(r.ci_high) <= 0))
        (True, True)
    """
    r = msprt(estimate, se2, tau2, alpha)
    return AlwaysValid(
        log_lr=r.log_lr,
        p_value=np.minimum.accumulate(r.p_value, axis=-1),
        ci_low=np.maximum.accumulate(r.ci_low, axis=-1),
        ci_high=np.minimum.accumulate(r.ci_high, axis=-1),
    )


# -- group-sequential boundaries ------------------------------------------------------------


def obf_spending(t: ArrayLike, alpha: float = 0.05) -> FloatArray:
    """Two-sided Lan-DeMets O'Brien-Fleming-type cumulative alpha spent by information ``t``.

    Example:
        >>> obf_spending([0.0, 0.5, 1.0], 0.05).round(5).tolist()
        [0.0, 0.00305, 0.05]
    """
    from scipy import stats

    tt = np.clip(_f(t), 0.0, 1.0)
    z = stats.norm.isf(alpha / 4.0)
    with np.errstate(divide="ignore"):
        return np.where(tt > 0, 4.0 * stats.norm.sf(z / np.sqrt(np.where(tt > 0, tt, 1.0))), 0.0)


def pocock_spending(t: ArrayLike, alpha: float = 0.05) -> FloatArray:
    """Lan-DeMets Pocock-type cumulative alpha ``alpha log(1 + (e - 1) t)``.

    Example:
        >>> pocock_spending([0.5, 1.0], 0.05).round(4).tolist()
        [0.031, 0.05]
    """
    tt = np.clip(_f(t), 0.0, 1.0)
    return alpha * np.log1p((math.e - 1.0) * tt)


SPENDING: dict[str, Callable[[ArrayLike, float], FloatArray]] = {
    "obf": obf_spending,
    "pocock": pocock_spending,
}


def _simpson(lo: float, hi: float, points: int) -> tuple[FloatArray, FloatArray]:
    n = points if points % 2 == 1 else points + 1
    z = np.linspace(lo, hi, n)
    h = (hi - lo) / (n - 1)
    w = np.ones(n)
    w[1:-1:2] = 4.0
    w[2:-1:2] = 2.0
    return z, w * h / 3.0


def gst_boundaries(
    information_fractions: ArrayLike,
    alpha: float = 0.05,
    spending: str = "obf",
    *,
    grid_points: int = 1201,
) -> FloatArray:
    """Symmetric two-sided z critical values for looks at the given information fractions.

    Args:
        information_fractions: increasing fractions in ``(0, 1]`` (the last is
            usually 1; a plan that stops early spends only part of ``alpha``).
        alpha: two-sided level of the whole plan.
        spending: ``"obf"`` (O'Brien-Fleming type) or ``"pocock"``.
        grid_points: Simpson nodes per look (accuracy about 1e-4 at the default).

    Returns:
        ``c_k`` per look: reject at look ``k`` when ``|Z_k| >= c_k`` (``inf``
        where no alpha is spent).

    Raises:
        ValueError: for fractions that are not increasing in ``(0, 1]``, an
            unknown spending function, or ``alpha`` outside ``(0, 1)``.

    Example:
        >>> gst_boundaries([1.0], 0.05).round(4).tolist()
        [1.96]
        >>> gst_boundaries([0.5, 1.0], 0.05, "pocock").round(3).tolist()
        [2.157, 2.201]
    """
    from scipy import optimize, stats

    t = _f(information_fractions).reshape(-1)
    if t.size == 0 or np.any(t <= 0) or np.any(t > 1) or np.any(np.diff(t) <= 0):
        raise ValueError("information fractions must increase strictly within (0, 1]")
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie in (0, 1)")
    if spending not in SPENDING:
        raise ValueError(f"unknown spending function {spending!r}; use obf or pocock")
    spent = SPENDING[spending](t, alpha)
    inc = np.diff(np.concatenate([[0.0], spent]))
    c = np.empty(t.size)
    c[0] = stats.norm.isf(inc[0] / 2.0) if inc[0] > 0 else np.inf
    lim = float(min(c[0], 9.0))
    z, w = _simpson(-lim, lim, grid_points)
    dens = stats.norm.pdf(z)
    for k in range(1, t.size):
        sk, sk1 = math.sqrt(t[k]), math.sqrt(t[k - 1])
        sd = math.sqrt(t[k] - t[k - 1])
        mass = w * dens
        shift = z * sk1

        def exit_prob(ck: float, mass: FloatArray = mass, shift: FloatArray = shift,
                      sk: float = sk, sd: float = sd) -> float:
            up = stats.norm.sf((ck * sk - shift) / sd)
            down = stats.norm.sf((ck * sk + shift) / sd)
            return float(np.sum(mass * (up + down)))

        if inc[k] <= 0:
            c[k] = np.inf
        elif exit_prob(0.0) <= inc[k]:
            c[k] = 0.0
        else:
            target = float(inc[k])
            c[k] = optimize.brentq(lambda x, a=target: exit_prob(x) - a, 0.0, 40.0, xtol=1e-10)
        lim = float(min(c[k], 9.0))
        z_new, w_new = _simpson(-lim, lim, grid_points)
        kern = stats.norm.pdf((z_new[:, None] * sk - shift[None, :]) / sd) * (sk / sd)
        dens = kern @ mass
        z, w = z_new, w_new
    return c


def gst_nominal_alpha(boundaries: ArrayLike) -> FloatArray:
    """Two-sided nominal p-value thresholds ``2 (1 - Phi(c_k))`` of boundaries.

    Example:
        >>> gst_nominal_alpha([1.959963984540054]).round(4).tolist()
        [0.05]
    """
    from scipy import stats

    return 2.0 * stats.norm.sf(_f(boundaries))
