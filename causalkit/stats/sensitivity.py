"""Sensitivity to unobserved confounding, the pure numbers: E-values and robustness values.

* E-value (VanderWeele & Ding 2017): the minimum strength of association, on the
  risk-ratio scale, that an unmeasured confounder would need with both the
  treatment and the outcome to explain the estimate away. A continuous outcome
  uses the approximation ``RR ≈ exp(0.91 d)`` for the standardized effect ``d``.
* Robustness value (Cinelli & Hazlett 2020): the partial R² that a confounder
  would need with both treatment and outcome (given the covariates) to bring the
  estimate to zero (``RV``) or to make it insignificant at ``alpha`` (``RV_α``).
* Benchmarks (Cinelli & Hazlett 2020, section 4.4): the bounds on a confounder
  ``k`` times as strong as a measured covariate (:func:`confounder_bounds`), the
  interval adjusted for it (:func:`adjusted_interval`), and the largest ``k`` that
  leaves the interval away from zero (:func:`benchmark_k`). :func:`ols_sensitivity`
  runs the whole summary from arrays (the outcome regression by QR).

Shared by the observational and Aha shapes.

Example:
    >>> round(e_value_rr(3.9), 2)
    7.26
    >>> rv = robustness_value(4.18, 783)   # Darfur example of Cinelli & Hazlett (2020)
    >>> round(rv, 3), round(robustness_value(4.18, 783, alpha=0.05), 3)
    (0.139, 0.076)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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


def confounder_bounds(r2_treatment: float | NDArray[np.float64],
                      r2_outcome: float | NDArray[np.float64],
                      k: float | NDArray[np.float64] = 1.0
                      ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Partial R²s of a confounder ``k`` times as strong as a measured covariate.

    ``r2_treatment`` is the covariate's partial R² with the treatment given the
    other covariates, ``r2_outcome`` its partial R² with the outcome given the
    treatment and the other covariates. Returns ``(R²dz, R²yz)`` of a confounder
    that explains ``k`` times as much of the treatment and of the outcome as the
    covariate (Cinelli & Hazlett 2020, eq. 16-17 with ``kd = ky = k``; R²yz capped
    at 1). Where no such confounder exists (``k >= (1 - r2_treatment) /
    r2_treatment``) both are NaN.

    Example:
        >>> r2dz, r2yz = confounder_bounds(0.00908, 0.10903, 1.0)  # Darfur: 1x female
        >>> round(float(r2dz), 4), round(float(r2yz), 4)
        (0.0092, 0.1246)
    """
    rd = np.asarray(r2_treatment, dtype=np.float64)
    ry = np.asarray(r2_outcome, dtype=np.float64)
    kk = np.asarray(k, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2dz = kk * rd / (1 - rd)
        r2zxj = kk * rd ** 2 / ((1 - kk * rd) * (1 - rd))
        r2yz = ((np.sqrt(kk) + np.sqrt(r2zxj)) / np.sqrt(1 - r2zxj)) ** 2 * (ry / (1 - ry))
    bad = ~((r2dz < 1) & (r2zxj < 1) & (r2zxj >= 0) & (ry < 1))
    r2dz = np.where(bad, np.nan, r2dz)
    r2yz = np.where(bad, np.nan, np.minimum(r2yz, 1.0))
    return np.asarray(r2dz, dtype=np.float64), np.asarray(r2yz, dtype=np.float64)


def adjusted_interval(estimate: float, se: float, dof: int,
                      r2_treatment: float | NDArray[np.float64],
                      r2_outcome: float | NDArray[np.float64], *, alpha: float = 0.05
                      ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """The estimate and its interval after removing a confounder with the given partial R²s.

    The bias moves the estimate toward zero; the standard error becomes
    ``se √((1 - R²yz) / (1 - R²dz)) √(dof / (dof - 1))`` and the interval uses
    ``t(dof - 1)`` (Cinelli & Hazlett 2020, section 4; ``sensemakr``'s
    ``adjusted_estimate``, ``adjusted_se`` and ``adjusted_ci``).

    Example:
        >>> est, lo, hi = adjusted_interval(0.09732, 0.02326, 783, 0.00916, 0.12464)
        >>> round(float(est), 4), round(float(lo), 4), round(float(hi), 4)
        (0.0752, 0.0323, 0.1182)
    """
    r2d = np.asarray(r2_treatment, dtype=np.float64)
    r2y = np.asarray(r2_outcome, dtype=np.float64)
    est = adjusted_estimate(estimate, se, dof, r2d, r2y)
    with np.errstate(divide="ignore", invalid="ignore"):
        se_adj = se * np.sqrt((1 - r2y) / (1 - r2d)) * math.sqrt(dof / max(dof - 1, 1))
    crit = float(stats.t.isf(alpha / 2, max(dof - 1, 1)))
    return est, est - crit * se_adj, est + crit * se_adj


K_CAP = 100.0
""":func:`benchmark_k` looks no further than a confounder 100 times as strong as a covariate."""


def benchmark_k(estimate: float, se: float, dof: int, r2_treatment: float, r2_outcome: float,
                *, alpha: float = 0.05, k_cap: float = K_CAP) -> float:
    """The largest ``k`` such that a confounder ``k`` times as strong as the covariate leaves
    the adjusted interval on the estimate's side of zero.

    0 when the interval already covers zero; ``inf`` when even ``k_cap`` times
    the covariate would not bring it to zero (e.g. a covariate unrelated to the
    treatment). A confounder so strong that it would explain the whole
    treatment (no such confounder exists) counts as explaining the effect away.

    Example:
        >>> round(benchmark_k(0.09732, 0.02326, 783, 0.00908, 0.10903), 2)  # Darfur: female
        2.67
    """
    def excludes(k: NDArray[np.float64]) -> NDArray[np.bool_]:
        r2dz, r2yz = confounder_bounds(r2_treatment, r2_outcome, k)
        _, lo, _ = adjusted_interval(abs(estimate), se, dof, r2dz, r2yz, alpha=alpha)
        return np.asarray(np.isfinite(lo) & (lo > 0), dtype=bool)

    if not (np.isfinite(estimate) and np.isfinite(se) and se > 0 and dof > 1):
        return float("nan")
    if not bool(excludes(np.array([0.0]))[0]):
        return 0.0
    grid = np.concatenate([np.linspace(0.0, 1.0, 51)[1:], np.geomspace(1.0, k_cap, 200)[1:]])
    ok = excludes(grid)
    if ok.all():
        return float("inf")
    first = int(np.argmin(ok))
    lo, hi = (0.0 if first == 0 else float(grid[first - 1])), float(grid[first])
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if bool(excludes(np.array([mid]))[0]):
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-9 * max(hi, 1.0):
            break
    return lo


@dataclass(frozen=True)
class Benchmark:
    """A measured covariate as a yardstick for unmeasured confounding.

    ``r2_treatment``: its partial R² with the treatment given the other
    covariates; ``r2_outcome``: with the outcome given the treatment and the
    other covariates; ``k``: :func:`benchmark_k` (a confounder up to ``k`` times
    as strong leaves the interval away from zero).

    Example:
        >>> Benchmark("age", 0.01, 0.02, 3.5).k
        3.5
    """

    covariate: str
    r2_treatment: float
    r2_outcome: float
    k: float


@dataclass(frozen=True)
class OlsSensitivity:
    """Cinelli-Hazlett summary of ``outcome ~ treatment + covariates`` with benchmarks.

    ``benchmarks`` are ordered from the most dangerous covariate (smallest ``k``).

    Example:
        >>> OlsSensitivity(0.3, 0.1, 3.0, 100, 0.08, 0.25, 0.06, ()).strongest is None
        True
    """

    estimate: float
    se: float
    t_stat: float
    dof: int
    partial_r2: float
    rv: float
    rv_alpha: float
    benchmarks: tuple[Benchmark, ...]

    @property
    def strongest(self) -> Benchmark | None:
        """The benchmark that needs the smallest multiple to explain the effect away."""
        return self.benchmarks[0] if self.benchmarks else None


def _ols_t(design: NDArray[np.float64], y: NDArray[np.float64]
           ) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    """Coefficients, t statistics and residual degrees of freedom, by QR."""
    from scipy.linalg import qr, solve_triangular

    n, p = design.shape
    q, r = qr(design, mode="economic")
    diag = np.abs(np.diag(r))
    if diag.size and (diag.min() <= 1e-10 * diag.max()):
        raise ValueError("the design matrix is rank deficient (collinear columns)")
    coef = solve_triangular(r, q.T @ y)
    resid = y - design @ coef
    dof = n - p
    sigma2 = float(resid @ resid) / max(dof, 1)
    r_inv = solve_triangular(r, np.eye(p))
    se = np.sqrt(sigma2 * np.sum(r_inv ** 2, axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = coef / se
    return coef, np.asarray(t, dtype=np.float64), int(dof)


def ols_sensitivity(treatment: NDArray[np.floating], outcome: NDArray[np.floating],
                    covariates: NDArray[np.floating], names: Sequence[str], *,
                    alpha: float = 0.05, k_cap: float = K_CAP) -> OlsSensitivity:
    """Robustness values and every covariate as a benchmark, from ``y ~ t + covariates``.

    Columns are centred and scaled before the QR (t statistics do not change).

    Raises:
        ValueError: the covariates (with the intercept) are collinear, or too few rows.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(2000, 2)); t = 0.5 * x[:, 0] + rng.normal(size=2000)
        >>> y = 0.3 * t + x @ np.array([1.0, 0.2]) + rng.normal(size=2000)
        >>> s = ols_sensitivity(t, y, x, ["a", "b"])
        >>> round(s.estimate, 3), s.strongest.covariate, round(s.strongest.k, 2)
        (0.322, 'a', 0.48)
        >>> s.benchmarks[1].k   # b barely moves the treatment: no multiple of it explains 0.32
        inf
    """
    t = np.asarray(treatment, dtype=np.float64)
    y = np.asarray(outcome, dtype=np.float64)
    x = np.asarray(covariates, dtype=np.float64).reshape(t.size, -1)
    if t.size <= x.shape[1] + 3:
        raise ValueError("too few rows for the outcome regression")

    def scaled(a: NDArray[np.float64]) -> NDArray[np.float64]:
        c = a - a.mean(axis=0)
        s = np.sqrt((c ** 2).mean(axis=0))
        return np.asarray(c / np.where(s > 0, s, 1.0), dtype=np.float64)

    xs = scaled(x)
    base = np.column_stack([np.ones(t.size), xs])
    coef, tvals, dof = _ols_t(np.column_stack([scaled(t[:, None])[:, 0], base]), y)
    t_stat = float(tvals[0])
    t_sd = float(np.sqrt(((t - t.mean()) ** 2).mean()))
    est = float(coef[0]) / t_sd if t_sd > 0 else float("nan")
    se = abs(est / t_stat) if t_stat != 0 else float("inf")
    r2 = t_stat ** 2 / (t_stat ** 2 + dof)
    bench: list[Benchmark] = []
    if x.shape[1]:
        _, t_d, dof_d = _ols_t(base, t)
        r2_d = t_d[1:] ** 2 / (t_d[1:] ** 2 + dof_d)
        r2_y = tvals[2:] ** 2 / (tvals[2:] ** 2 + dof)
        for j, name in enumerate(names):
            k = benchmark_k(est, se, dof, float(r2_d[j]), float(r2_y[j]), alpha=alpha,
                            k_cap=k_cap)
            bench.append(Benchmark(str(name), float(r2_d[j]), float(r2_y[j]), k))
        bench.sort(key=lambda b: (b.k if np.isfinite(b.k) else math.inf,
                                  -b.r2_treatment * b.r2_outcome))
    return OlsSensitivity(est, se, t_stat, dof, float(r2), robustness_value(t_stat, dof),
                          robustness_value(t_stat, dof, alpha=alpha), tuple(bench))
