"""Sensitivity to unobserved confounding, the pure numbers: E-values and robustness values.

* E-value (VanderWeele & Ding 2017): the minimum strength of association, on the
  risk-ratio scale, that an unmeasured confounder would need with both the
  treatment and the outcome to explain the estimate away. A continuous outcome
  uses the approximation ``RR ≈ exp(0.91 d)`` for the standardized effect ``d``.
* Robustness value (Cinelli & Hazlett 2020): the partial R² that a confounder
  would need with both treatment and outcome (given the covariates) to bring the
  estimate to zero (``RV``) or to make it insignificant at ``alpha`` (``RV_α``).

Shared by the observational and Aha shapes (the regression that feeds the
robustness value lives in :mod:`causalkit.observational.sensitivity`).

Example:
    >>> round(e_value_rr(3.9), 2)
    7.26
    >>> rv = robustness_value(4.18, 783)   # Darfur example of Cinelli & Hazlett (2020)
    >>> round(rv, 3), round(robustness_value(4.18, 783, alpha=0.05), 3)
    (0.139, 0.076)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats


def e_value_rr(rr: float) -> float:
    """The E-value of a risk ratio: ``RR + sqrt(RR (RR - 1))`` (``1/RR`` first when below 1).

    Example:
        >>> e_value_rr(1.0), round(e_value_rr(0.5), 3)
        (1.0, 3.414)
    """
    if not np.isfinite(rr) or rr <= 0:
        return float("nan")
    r = rr if rr >= 1 else 1 / rr
    return float(r + np.sqrt(r * (r - 1)))


@dataclass(frozen=True)
class EValue:
    """E-values of the point estimate and of the confidence limit nearest the null.

    Example:
        >>> ev = e_value(0.5, -0.1, 1.1, outcome_sd=2.0)  # the interval includes 0
        >>> round(ev.risk_ratio, 2), round(ev.e_value, 2), ev.e_value_ci
        (1.26, 1.82, 1.0)
        >>> ev.scale
        'approximate risk ratio exp(0.91·d) of the standardized effect d'
    """

    risk_ratio: float
    e_value: float
    e_value_ci: float
    scale: str


def e_value(estimate: float, ci_low: float, ci_high: float, *, outcome_sd: float | None = None,
            baseline: float | None = None) -> EValue:
    """E-value of an additive effect.

    Give ``baseline`` (the mean outcome under control) for a 0/1 outcome: the risk
    ratio is ``(baseline + effect) / baseline``. Otherwise give ``outcome_sd``: the
    standardized difference ``d = effect / sd`` maps to ``RR = exp(0.91 d)``.

    Example:
        >>> ev = e_value(0.1, 0.05, 0.15, baseline=0.2)
        >>> round(ev.risk_ratio, 2), round(ev.e_value, 2), round(ev.e_value_ci, 2)
        (1.5, 2.37, 1.81)
    """
    if baseline is not None and baseline > 0:
        def to_rr(v: float) -> float:
            return (baseline + v) / baseline
        scale = "risk ratio (0/1 outcome)"
    else:
        sd = outcome_sd if outcome_sd and outcome_sd > 0 else 1.0

        def to_rr(v: float) -> float:
            return float(np.exp(0.91 * v / sd))
        scale = "approximate risk ratio exp(0.91·d) of the standardized effect d"
    rr = to_rr(estimate)
    lo, hi = to_rr(ci_low), to_rr(ci_high)
    ev_ci = 1.0 if lo <= 1 <= hi else e_value_rr(lo if rr > 1 else hi)
    return EValue(float(rr), e_value_rr(rr), ev_ci, scale)


def robustness_value(t_stat: float, dof: int, *, q: float = 1.0, alpha: float = 1.0) -> float:
    """Cinelli-Hazlett robustness value ``RV_q`` (alpha = 1) or ``RV_{q,α}``.

    Example:
        >>> round(robustness_value(2.0, 100), 3)
        0.181
    """
    if dof <= 1:
        return 0.0
    fq = q * abs(t_stat) / np.sqrt(dof)
    f_crit = 0.0 if alpha >= 1 else abs(stats.t.ppf(alpha / 2, dof - 1)) / np.sqrt(dof - 1)
    fqa = fq - f_crit
    if fqa < 0:
        return 0.0
    if f_crit > 0 and fq > 1 / f_crit:
        return float((fq ** 2 - f_crit ** 2) / (1 + fq ** 2))
    return float(0.5 * (np.sqrt(fqa ** 4 + 4 * fqa ** 2) - fqa ** 2))


def adjusted_estimate(estimate: float, se: float, dof: int, r2_treatment: NDArray[np.float64],
                      r2_outcome: NDArray[np.float64]) -> NDArray[np.float64]:
    """The estimate after removing the bias of a confounder with the given partial R²s
    (its magnitude moves toward zero): ``|bias| = se √dof √(R²yz R²dz / (1 - R²dz))``.

    Example:
        >>> float(adjusted_estimate(1.0, 0.1, 100, np.array(0.0), np.array(0.3)))
        1.0
    """
    r2d = np.asarray(r2_treatment, dtype=np.float64)
    r2y = np.asarray(r2_outcome, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        bias = se * np.sqrt(dof) * np.sqrt(r2y * r2d / (1 - r2d))
    return np.asarray(estimate - np.sign(estimate) * bias, dtype=np.float64)
