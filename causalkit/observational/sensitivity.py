"""Sensitivity to unobserved confounding: E-values, robustness values and the OLS behind them.

The pure formulas live in :mod:`causalkit.stats.sensitivity` (re-exported here);
this module adds the Cinelli-Hazlett summary of an outcome regression.

* E-value (VanderWeele & Ding 2017): the minimum strength of association, on the
  risk-ratio scale, that an unmeasured confounder would need with both the
  treatment and the outcome to explain the estimate away. A continuous outcome
  uses the approximation ``RR ≈ exp(0.91 d)`` for the standardized effect ``d``.
* Robustness value (Cinelli & Hazlett 2020): the partial R² that a confounder
  would need with both treatment and outcome (given the covariates) to bring the
  estimate to zero (``RV``) or to make it insignificant at ``alpha`` (``RV_α``),
  from the OLS regression of outcome on treatment and the adjustment set.

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

from causalkit.observational.learners import Array, add_intercept
from causalkit.stats.sensitivity import (
    EValue,
    adjusted_estimate,
    e_value,
    e_value_rr,
    robustness_value,
)

__all__ = ["EValue", "OmittedVariable", "adjusted_estimate", "e_value", "e_value_rr",
           "omitted_variable", "robustness_value"]


@dataclass(frozen=True)
class OmittedVariable:
    """Cinelli-Hazlett summary of the OLS regression of outcome on treatment and covariates.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(500, 1)); t = 0.5 * x[:, 0] + rng.normal(size=500)
        >>> y = 0.3 * t + x[:, 0] + rng.normal(size=500)
        >>> ov = omitted_variable(t, y, x, ("age",))
        >>> round(ov.estimate, 2), ov.dof, round(ov.rv, 2), round(ov.rv_alpha, 2)
        (0.27, 497, 0.22, 0.15)
        >>> [(label, round(r2d, 2)) for label, r2d, _ in ov.benchmarks]  # as strong as age
        [('1x age', 0.3)]
    """

    estimate: float
    se: float
    t_stat: float
    dof: int
    partial_r2: float
    rv: float
    rv_alpha: float
    benchmarks: tuple[tuple[str, float, float], ...]


def _ols_t(design: Array, y: Array) -> tuple[Array, Array, int]:
    n, p = design.shape
    gram = design.T @ design
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    resid = y - design @ coef
    dof = n - p
    sigma2 = float(resid @ resid) / max(dof, 1)
    cov = sigma2 * np.linalg.pinv(gram)
    return (np.asarray(coef, dtype=np.float64),
            np.asarray(coef / np.sqrt(np.diag(cov)), dtype=np.float64), int(dof))


def omitted_variable(t: Array, y: Array, x: Array, names: tuple[str, ...], *,
                     alpha: float = 0.05, n_benchmarks: int = 3) -> OmittedVariable:
    """Robustness values and benchmark bounds from ``y ~ t + x`` (Cinelli & Hazlett 2020).

    Benchmarks: a confounder as strong as each of the ``n_benchmarks`` covariates
    most related to the outcome (``kd = ky = 1``), as (label, R²dz, R²yz).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(1000, 2)); t = 0.5 * x[:, 0] + rng.normal(size=1000)
        >>> y = 0.3 * t + x @ np.array([1.0, 0.5]) + rng.normal(size=1000)
        >>> ov = omitted_variable(t, y, x, ("a", "b"))
        >>> round(ov.estimate, 1), ov.rv > ov.rv_alpha > 0, [b[0] for b in ov.benchmarks]
        (0.3, True, ['1x a', '1x b'])
    """
    base = add_intercept(x)
    d = np.column_stack([t, base])
    coef, tvals, dof = _ols_t(d, y)
    t_stat = float(tvals[0])
    se = float(abs(coef[0] / t_stat)) if t_stat != 0 else float("inf")
    r2 = t_stat ** 2 / (t_stat ** 2 + dof)
    bench: list[tuple[str, float, float]] = []
    if x.shape[1]:
        _, t_d, dof_d = _ols_t(base, t)
        r2_dx = t_d[1:] ** 2 / (t_d[1:] ** 2 + dof_d)
        r2_yx = tvals[2:] ** 2 / (tvals[2:] ** 2 + dof)
        for j in np.argsort(-r2_yx)[:n_benchmarks]:
            rd, ry = float(r2_dx[j]), float(r2_yx[j])
            if rd >= 1 or ry >= 1:
                continue
            r2dz = rd / (1 - rd)
            r2zxj = rd ** 2 / ((1 - rd) * (1 - rd))
            if r2dz >= 1 or r2zxj >= 1:
                continue
            r2yz = ((1 + np.sqrt(r2zxj)) / np.sqrt(1 - r2zxj)) ** 2 * (ry / (1 - ry))
            bench.append((f"1x {names[j]}", float(r2dz), float(min(r2yz, 1.0))))
    return OmittedVariable(float(coef[0]), se, t_stat, dof, float(r2),
                           robustness_value(t_stat, dof), robustness_value(t_stat, dof,
                                                                           alpha=alpha),
                           tuple(bench))
