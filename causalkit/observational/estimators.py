"""Effect estimators for a binary treatment (ATE and ATT) with influence-function errors.

* :func:`regression_adjustment` — g-computation: one outcome model per arm
  (linear, or logistic for a 0/1 outcome), averaged over the target population.
* :func:`ipw` — normalized (Hájek) inverse probability weighting with a
  logistic propensity; its standard error accounts for the estimated propensity
  (M-estimation), and the conservative fixed-weight "robust" error is kept in
  ``extra["se_fixed_weights"]``.
* :func:`aipw` — augmented IPW (doubly robust) with K-fold cross-fitting.

Every function takes numpy arrays (treatment 0/1, outcome, covariate matrix),
returns a frozen :class:`EffectResult`, and never changes its inputs.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(5000, 2))
    >>> t = (rng.random(5000) < 1 / (1 + np.exp(-x[:, 0]))).astype(float)
    >>> y = 2.0 * t + x @ np.array([1.0, -1.0]) + rng.normal(size=5000)
    >>> r = aipw(t, y, x, seed=0)
    >>> round(r.estimate, 1), bool(r.ci_low < 2.0 < r.ci_high)
    (2.0, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from causalkit.errors import DataError
from causalkit.observational.learners import (
    Array,
    GlmFit,
    add_intercept,
    boosting_predict,
    fit_glm,
    fold_ids,
    is_binary,
)
from causalkit.progress import iterate

Target = Literal["ate", "att"]


@dataclass(frozen=True)
class EffectResult:
    """One estimate: value, standard error, interval, p-value and the per-unit influence.

    ``n_treated`` and ``n_control`` count the rows in each arm of a 0/1 treatment
    (after trimming); for a continuous treatment they split the rows at its median.
    ``mean_treated`` and ``mean_control`` are the mean outcome under treatment and
    under control in the target population, when the estimator gives them
    (``mean_treated - mean_control == estimate``).
    """

    method: str
    target: str
    estimate: float
    se: float
    alpha: float
    n_treated: int
    n_control: int
    influence: Array | None = field(default=None, repr=False, compare=False)
    extra: dict[str, float | str | int | bool] = field(default_factory=dict)
    mean_treated: float | None = None
    mean_control: float | None = None

    @property
    def ci_low(self) -> float:
        """Lower end of the two-sided ``1 - alpha`` interval."""
        return self.estimate - stats.norm.isf(self.alpha / 2) * self.se

    @property
    def ci_high(self) -> float:
        """Upper end of the two-sided ``1 - alpha`` interval."""
        return self.estimate + stats.norm.isf(self.alpha / 2) * self.se

    @property
    def p_value(self) -> float:
        """Two-sided p-value of "no effect" (from the normal survival function)."""
        if self.se <= 0 or not np.isfinite(self.se):
            return float("nan")
        # in log space: 2 sf(z) underflows to 0 beyond z of about 38; the smallest
        # positive double stands for "below any printable p" (never a certain 0)
        log_p = np.log(2.0) + stats.norm.logsf(abs(self.estimate) / self.se)
        return float(max(np.exp(log_p), np.nextafter(0.0, 1.0)))


def _check(t: NDArray[np.generic], y: NDArray[np.generic], x: Array) -> tuple[Array, Array]:
    tt = np.asarray(t, dtype=np.float64)
    yy = np.asarray(y, dtype=np.float64)
    if not is_binary(tt):
        raise DataError("the treatment must be 0/1 with both arms present for this estimator",
                        hint="use the plm estimator for a continuous treatment")
    if len(tt) != len(yy) or len(tt) != x.shape[0]:
        raise DataError("treatment, outcome and covariates differ in length")
    if not np.all(np.isfinite(yy)):
        raise DataError("the outcome has missing or infinite values")
    n1 = int(tt.sum())
    if n1 < 2 or len(tt) - n1 < 2:
        raise DataError("each treatment arm needs at least two units")
    return tt, yy


def _result(method: str, target: str, psi: Array, estimate: float, t: Array, alpha: float,
            *, means: tuple[float, float] | None = None,
            **extra: float | str | int | bool) -> EffectResult:
    n = len(psi)
    se = float(np.sqrt(np.sum(psi ** 2)) / n)
    n1, n0 = arm_counts(t)
    mean1, mean0 = means if means is not None else (None, None)
    return EffectResult(method, target, float(estimate), se, alpha, n1, n0, psi, dict(extra),
                        mean1, mean0)


def arm_counts(t: Array) -> tuple[int, int]:
    """Rows in the treated and control arm of a 0/1 treatment; else above / not above its median.

    Example:
        >>> arm_counts(np.array([1.0, 1, 1, 0])), arm_counts(np.array([0.5, 1.5, 2.5]))
        ((3, 1), (1, 2))
    """
    n = len(t)
    zero_one = bool(np.all((t == 0) | (t == 1)))
    n1 = int(np.sum(t == 1)) if zero_one else int(np.sum(t > np.median(t)))
    return n1, n - n1


def _arm_fit(d: Array, t: Array, y: Array, arm: int, logistic: bool) -> tuple[GlmFit, Array]:
    rows = t == arm
    fit = fit_glm(d[rows], y[rows], logistic=logistic)
    return fit, fit.mean(d)


def regression_adjustment(t: NDArray[np.generic], y: NDArray[np.generic], x: Array, *,
                          target: Target = "ate", logistic: bool | None = None,
                          interactions: Sequence[int] | None = None,
                          alpha: float = 0.05) -> EffectResult:
    """G-computation: fit the outcome model, average the predicted contrast.

    By default (``interactions=None``) one outcome model per arm (every covariate
    interacts with the treatment). ``interactions`` lists the covariate columns
    that interact with the treatment in a single model ``y ~ t + x + t·x[:, k]``
    (``[]``: a constant effect). ``logistic`` defaults to True for a 0/1 outcome.
    The standard error comes from the influence function of the plug-in
    estimator (sandwich form).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(4000, 1))
        >>> t = (rng.random(4000) < 0.5).astype(float)
        >>> y = 1.0 + 0.5 * t + x[:, 0] + rng.normal(size=4000)
        >>> round(regression_adjustment(t, y, x).estimate, 1)
        0.5
        >>> round(regression_adjustment(t, y, x, interactions=[]).estimate, 1)
        0.5
    """
    tt, yy = _check(t, y, x)
    if logistic is None:
        logistic = is_binary(yy)
    d = add_intercept(x)
    n = len(tt)
    model = "logistic" if logistic else "linear"
    if interactions is not None:
        return _single_model(tt, yy, d, list(interactions), target, logistic, alpha, model)
    fit1, m1 = _arm_fit(d, tt, yy, 1, logistic)
    fit0, m0 = _arm_fit(d, tt, yy, 0, logistic)
    s1 = d * (tt * (yy - m1))[:, None]
    s0 = d * ((1 - tt) * (yy - m0))[:, None]
    h1 = fit1.hessian / n
    h0 = fit0.hessian / n
    dm1, dm0 = fit1.dmean(d), fit0.dmean(d)
    if target == "ate":
        est = float(np.mean(m1 - m0))
        g1 = (d * dm1[:, None]).mean(axis=0)
        g0 = (d * dm0[:, None]).mean(axis=0)
        psi = (m1 - m0 - est) + s1 @ np.linalg.solve(h1, g1) - s0 @ np.linalg.solve(h0, g0)
    else:
        pi = tt.mean()
        est = float(np.sum(tt * (yy - m0)) / tt.sum())
        g0 = (d * (tt * dm0)[:, None]).mean(axis=0)
        psi = (tt * (yy - m0 - est) - s0 @ np.linalg.solve(h0, g0)) / pi
    means = ((float(np.mean(m1)), float(np.mean(m0))) if target == "ate" else
             (float(np.mean(yy[tt == 1])), float(np.mean(m0[tt == 1]))))
    return _result("regression", target, psi, est, tt, alpha, means=means, outcome_model=model)


def _single_model(t: Array, y: Array, d: Array, inter: list[int], target: str, logistic: bool,
                  alpha: float, model: str) -> EffectResult:
    def full(arm: Array) -> Array:
        cols = [d, arm[:, None]]
        if inter:
            cols.append(d[:, [k + 1 for k in inter]] * arm[:, None])
        return np.column_stack(cols)

    n = len(t)
    obs = full(t)
    fit = fit_glm(obs, y, logistic=logistic)
    one, zero = full(np.ones(n)), full(np.zeros(n))
    m1, m0 = fit.mean(one), fit.mean(zero)
    score = obs * (y - fit.mean(obs))[:, None]
    h = fit.hessian / n
    w = np.ones(n) if target == "ate" else t / t.mean()
    est = float(np.mean(w * (m1 - m0)))
    g = ((one * fit.dmean(one)[:, None] - zero * fit.dmean(zero)[:, None]) * w[:, None]).mean(axis=0)
    psi = w * (m1 - m0 - est) + score @ np.linalg.solve(h, g)
    return _result("regression", target, psi, est, t, alpha, outcome_model=model,
                   means=(float(np.mean(w * m1)), float(np.mean(w * m0))),
                   interactions=len(inter))


def propensity(t: Array, x: Array) -> tuple[Array, GlmFit, Array]:
    """Logistic propensity scores on all rows, the fit, and the design used.

    Example:
        >>> e, fit, d = propensity(np.array([0.0, 1, 0, 1, 1, 0]), np.zeros((6, 0)))
        >>> e.round(2).tolist()
        [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    """
    d = add_intercept(x)
    fit = fit_glm(d, t, logistic=True)
    return fit.mean(d), fit, d


def ipw(t: NDArray[np.generic], y: NDArray[np.generic], x: Array, *, target: Target = "ate",
        trim: float | None = None, alpha: float = 0.05,
        scores: Array | None = None) -> EffectResult:
    """Normalized (Hájek) inverse probability weighting.

    Weights are ``1/e`` and ``1/(1-e)`` for the ATE, ``1`` and ``e/(1-e)`` for the
    ATT, normalized to sum to one within each arm. ``trim`` (only when given)
    drops units whose propensity lies outside ``[trim, 1 - trim]``. With the
    built-in logistic propensity the standard error includes the correction for
    estimating it; ``extra["se_fixed_weights"]`` is the robust error that treats
    the weights as known (conservative for the ATE; what a weighted regression
    with a sandwich variance reports). With given ``scores`` only the latter exists.

    Example:
        >>> rng = np.random.default_rng(2)
        >>> x = rng.normal(size=(20000, 1))
        >>> t = (rng.random(20000) < 1 / (1 + np.exp(-x[:, 0]))).astype(float)
        >>> y = t + 2 * x[:, 0] + rng.normal(size=20000)
        >>> round(ipw(t, y, x).estimate, 1)
        1.0
    """
    tt, yy = _check(t, y, x)
    fit: GlmFit | None = None
    if scores is None:
        e, fit, d = propensity(tt, x)
    else:
        e, d = np.asarray(scores, dtype=np.float64), add_intercept(x)
    keep = np.ones(len(tt), dtype=bool)
    if trim is not None:
        keep = (e >= trim) & (e <= 1 - trim)
        if keep.sum() < 4:
            raise DataError(f"trimming at {trim} leaves fewer than four units")
    extreme = (e <= 0) | (e >= 1)
    if np.any(extreme & keep):
        raise DataError(
            f"{int(np.sum(extreme & keep))} unit(s) have a propensity of exactly 0 or 1: "
            f"the arms do not overlap", hint="set trim: 0.01 (or adjust the covariates)")
    tk, yk, ek, dk = tt[keep], yy[keep], e[keep], d[keep]
    n = len(tk)
    if target == "ate":
        w1, w0 = tk / ek, (1 - tk) / (1 - ek)
    else:
        w1, w0 = tk.copy(), (1 - tk) * ek / (1 - ek)
    mu1 = float(np.sum(w1 * yk) / np.sum(w1))
    mu0 = float(np.sum(w0 * yk) / np.sum(w0))
    est = mu1 - mu0
    c1, c0 = w1.mean(), w0.mean()
    phi1 = w1 * (yk - mu1) / c1
    phi0 = w0 * (yk - mu0) / c0
    psi_fixed = phi1 - phi0
    psi = psi_fixed
    if fit is not None and trim is None:
        info = fit.hessian / n
        score = dk * (tk - ek)[:, None]
        if target == "ate":
            m1 = -(dk * (w1 * (yk - mu1) * (1 - ek))[:, None]).mean(axis=0) / c1
            m0 = (dk * (w0 * (yk - mu0) * ek)[:, None]).mean(axis=0) / c0
        else:
            m1 = np.zeros(dk.shape[1])
            m0 = (dk * (w0 * (yk - mu0))[:, None]).mean(axis=0) / c0
        psi = psi_fixed + score @ np.linalg.solve(info, m1 - m0)
    se_fixed = float(np.sqrt(np.sum(psi_fixed ** 2)) / n)
    ess1 = float(w1.sum() ** 2 / np.sum(w1 ** 2))
    ess0 = float(w0.sum() ** 2 / np.sum(w0 ** 2))
    return _result("ipw", target, psi, est, tk, alpha, means=(mu1, mu0),
                   se_fixed_weights=se_fixed, ess_treated=ess1, ess_control=ess0,
                   trimmed=int((~keep).sum()))


@dataclass(frozen=True)
class Nuisance:
    """Cross-fitted nuisance predictions: propensity and the two outcome regressions.

    Example:
        >>> rng = np.random.default_rng(0); x = rng.normal(size=(200, 1))
        >>> t = (rng.random(200) < 1 / (1 + np.exp(-x[:, 0]))).astype(float)
        >>> nu = cross_fit(t, x[:, 0] + t, x, folds=2)
        >>> nu.propensity.shape, nu.learner
        ((200,), 'propensity=linear, outcome=linear')
        >>> bool(0 < nu.propensity.min() < nu.propensity.max() < 1)
        True
        >>> round(aipw_from_nuisance(t, x[:, 0] + t, nu).estimate, 6)
        1.0
    """

    propensity: Array
    outcome_treated: Array
    outcome_control: Array
    learner: str


def cross_fit(t: Array, y: Array, x: Array, *, folds: int = 5, seed: int = 0,
              propensity_learner: str = "linear", outcome_learner: str = "linear",
              logistic_outcome: bool | None = None) -> Nuisance:
    """Out-of-fold predictions of ``e(x)``, ``m1(x)`` and ``m0(x)`` (K-fold cross-fitting).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(500, 1)); t = (rng.random(500) < 0.5).astype(float)
        >>> nu = cross_fit(t, x[:, 0] + t, x, folds=2)
        >>> bool(np.allclose(nu.outcome_treated - nu.outcome_control, 1.0))
        True
    """
    if logistic_outcome is None:
        logistic_outcome = is_binary(y)
    n = len(t)
    fold = fold_ids(n, folds, seed)
    d = add_intercept(x)
    e = np.empty(n)
    m1 = np.empty(n)
    m0 = np.empty(n)
    for k in iterate(range(folds), "cross-fitting nuisance models", unit="folds"):
        test = fold == k
        train = ~test
        if propensity_learner == "linear":
            e[test] = fit_glm(d[train], t[train], logistic=True).mean(d[test])
        else:
            e[test] = boosting_predict(x, t, train, classify=True, seed=seed + k)[test]
        for arm, out in ((1, m1), (0, m0)):
            rows = train & (t == arm)
            if outcome_learner == "linear":
                out[test] = fit_glm(d[rows], y[rows], logistic=logistic_outcome).mean(d[test])
            else:
                out[test] = boosting_predict(x, y, rows, classify=logistic_outcome,
                                             seed=seed + k)[test]
    learner = f"propensity={propensity_learner}, outcome={outcome_learner}"
    return Nuisance(e, m1, m0, learner)


def aipw_from_nuisance(t: Array, y: Array, nu: Nuisance, *, target: Target = "ate",
                       trim: float | None = None, alpha: float = 0.05) -> EffectResult:
    """The AIPW estimate and influence-function standard error from given nuisances.

    Example:
        >>> t = np.array([0.0, 1, 0, 1]); y = np.array([0.0, 1, 0, 1])
        >>> nu = Nuisance(np.full(4, 0.5), np.ones(4), np.zeros(4), "fixed")
        >>> aipw_from_nuisance(t, y, nu).estimate
        1.0
    """
    e, m1, m0 = nu.propensity, nu.outcome_treated, nu.outcome_control
    keep = np.ones(len(t), dtype=bool)
    if trim is not None:
        keep = (e >= trim) & (e <= 1 - trim)
    if np.any(((e <= 0) | (e >= 1)) & keep):
        raise DataError("some units have a propensity of exactly 0 or 1: the arms do not overlap",
                        hint="set trim: 0.01 (or adjust the covariates)")
    t, y, e, m1, m0 = t[keep], y[keep], e[keep], m1[keep], m0[keep]
    if target == "ate":
        score = m1 - m0 + t * (y - m1) / e - (1 - t) * (y - m0) / (1 - e)
        est = float(score.mean())
        psi = score - est
        mean1 = float(np.mean(m1 + t * (y - m1) / e))
        means = (mean1, mean1 - est)
    else:
        pi = t.mean()
        score = t * (y - m0) - (1 - t) * e / (1 - e) * (y - m0)
        est = float(score.mean() / pi)
        psi = (score - t * est) / pi
        mean1 = float(np.mean(y[t == 1]))
        means = (mean1, mean1 - est)
    return _result("aipw", target, psi, est, t, alpha, means=means, learners=nu.learner,
                   trimmed=int((~keep).sum()))


def aipw(t: NDArray[np.generic], y: NDArray[np.generic], x: Array, *, target: Target = "ate",
         folds: int = 5, seed: int = 0, trim: float | None = None,
         propensity_learner: str = "linear", outcome_learner: str = "linear",
         alpha: float = 0.05) -> EffectResult:
    """Augmented inverse probability weighting with cross-fitting (doubly robust).

    Consistent when either the propensity or the outcome model is right; with
    both right it reaches the semiparametric efficiency bound. The standard error
    is ``sd(ψ)/√n`` of the efficient influence function ``ψ``.

    Example:
        >>> rng = np.random.default_rng(3)
        >>> x = rng.normal(size=(4000, 1))
        >>> t = (rng.random(4000) < 1 / (1 + np.exp(-x[:, 0]))).astype(float)
        >>> y = 3 * t + x[:, 0] + rng.normal(size=4000)
        >>> round(aipw(t, y, x, target="att").estimate)
        3
    """
    tt, yy = _check(t, y, x)
    nu = cross_fit(tt, yy, x, folds=folds, seed=seed, propensity_learner=propensity_learner,
                   outcome_learner=outcome_learner)
    return aipw_from_nuisance(tt, yy, nu, target=target, trim=trim, alpha=alpha)


def plm(t: NDArray[np.generic], y: NDArray[np.generic], x: Array, *, folds: int = 5,
        seed: int = 0, learner: str = "linear", alpha: float = 0.05) -> EffectResult:
    """Partially linear model ``y = θ t + g(x) + ε`` by cross-fitted residual-on-residual
    regression (Robinson 1988; Chernozhukov et al. 2018); for continuous treatments.

    ``θ`` is the effect of one unit more of the treatment.

    Example:
        >>> rng = np.random.default_rng(4)
        >>> x = rng.normal(size=(5000, 1)); t = x[:, 0] + rng.normal(size=5000)
        >>> y = 0.7 * t + np.sin(x[:, 0]) + rng.normal(size=5000)
        >>> round(plm(t, y, x).estimate, 1)
        0.7
    """
    tt = np.asarray(t, dtype=np.float64)
    yy = np.asarray(y, dtype=np.float64)
    if np.ptp(tt) == 0:
        raise DataError("the treatment does not vary")
    n = len(tt)
    fold = fold_ids(n, folds, seed)
    d = add_intercept(x)
    rt = np.empty(n)
    ry = np.empty(n)
    for k in iterate(range(folds), "cross-fitting the partially linear model", unit="folds"):
        test = fold == k
        train = ~test
        for target_arr, out in ((tt, rt), (yy, ry)):
            if learner == "linear":
                pred = fit_glm(d[train], target_arr[train], logistic=False).mean(d[test])
            else:
                pred = boosting_predict(x, target_arr, train, classify=False,
                                        seed=seed + k)[test]
            out[test] = target_arr[test] - pred
    denom = float(np.mean(rt ** 2))
    theta = float(np.mean(rt * ry) / denom)
    psi = rt * (ry - theta * rt) / denom
    n1, n0 = arm_counts(tt)
    se = float(np.sqrt(np.sum(psi ** 2)) / n)
    return EffectResult("plm", "ate", theta, se, alpha, n1, n0, psi,
                        {"learner": learner, "effect_per": "one unit of treatment"})


def two_stage_least_squares(t: NDArray[np.generic], y: NDArray[np.generic], z: Array, x: Array,
                            *, alpha: float = 0.05) -> EffectResult:
    """Two-stage least squares with instruments ``z`` and exogenous covariates ``x``,
    with a heteroskedasticity-robust (HC0) standard error (the classical one is in
    ``extra["se_classical"]``, with the first-stage F statistic).

    Example:
        >>> rng = np.random.default_rng(5)
        >>> u = rng.normal(size=20000); z = rng.normal(size=(20000, 1))
        >>> t = z[:, 0] + u + rng.normal(size=20000); y = 2 * t - 3 * u + rng.normal(size=20000)
        >>> round(two_stage_least_squares(t, y, z, np.empty((20000, 0))).estimate, 1)
        2.0
    """
    tt = np.asarray(t, dtype=np.float64)
    yy = np.asarray(y, dtype=np.float64)
    n = len(tt)
    # centred and scaled columns span the same spaces (the treatment's coefficient is
    # rescaled below), and keep least squares well conditioned whatever the units
    t_mean, t_sd = _location_scale(tt)
    ts = (tt - t_mean) / t_sd
    exog = add_intercept(x)
    regs = np.column_stack([ts, exog])
    inst = np.column_stack([add_intercept(z)[:, 1:], exog])
    proj = inst @ np.linalg.lstsq(inst, regs, rcond=None)[0]
    beta = np.linalg.lstsq(proj, yy, rcond=None)[0]
    resid = yy - regs @ beta
    bread = np.linalg.inv(proj.T @ proj)
    meat = (proj * (resid ** 2)[:, None]).T @ proj
    cov = bread @ meat @ bread
    first = np.linalg.lstsq(inst, ts, rcond=None)[0]
    fitted = inst @ first
    rss_full = float(np.sum((ts - fitted) ** 2))
    exog_fit = exog @ np.linalg.lstsq(exog, ts, rcond=None)[0]
    rss_red = float(np.sum((ts - exog_fit) ** 2))
    q = z.shape[1]
    f_first = ((rss_red - rss_full) / q) / (rss_full / (n - inst.shape[1]))
    psi = n * (proj * resid[:, None]) @ bread[0] / t_sd
    n1, n0 = arm_counts(tt)
    se_classical = float(np.sqrt(resid @ resid / (n - regs.shape[1]) * bread[0, 0])) / t_sd
    return EffectResult("iv_2sls", "late", float(beta[0]) / t_sd,
                        float(np.sqrt(cov[0, 0])) / t_sd, alpha, n1, n0, psi,
                        {"first_stage_f": float(f_first), "se_classical": se_classical})


def _location_scale(v: Array) -> tuple[float, float]:
    """Mean and a positive scale (the standard deviation; 1 for a constant) of a column."""
    mean = float(v.mean())
    top = float(np.max(np.abs(v - mean))) if v.size else 0.0
    if not top > 0:
        return mean, 1.0
    return mean, float(((v - mean) / top).std()) * top


def frontdoor_linear(t: NDArray[np.generic], y: NDArray[np.generic], m: Array, *,
                     alpha: float = 0.05) -> EffectResult:
    """Front-door estimate under linear models: ``Σ_j b_j δ_j`` where ``δ`` is the effect of
    the treatment on each mediator and ``b`` the mediators' effects on the outcome given
    the treatment; standard error by the delta method on the stacked influence functions.

    Example:
        >>> rng = np.random.default_rng(6)
        >>> u = rng.normal(size=20000); t = u + rng.normal(size=20000)
        >>> med = 0.5 * t + rng.normal(size=20000); y = 2 * med + u + rng.normal(size=20000)
        >>> round(frontdoor_linear(t, y, med[:, None]).estimate, 1)
        1.0
    """
    t_raw = np.asarray(t, dtype=np.float64)
    yy = np.asarray(y, dtype=np.float64)
    n = len(t_raw)
    # the estimate b·δ is invariant to rescaling the mediators; the treatment's scale is undone
    t_mean, t_sd = _location_scale(t_raw)
    tt = (t_raw - t_mean) / t_sd
    m = add_intercept(np.asarray(m, dtype=np.float64))[:, 1:]
    dt = np.column_stack([np.ones(n), tt])
    delta_all = np.linalg.lstsq(dt, m, rcond=None)[0]
    delta = delta_all[1]
    rm = m - dt @ delta_all
    inv_t = np.linalg.inv(dt.T @ dt / n)
    if_delta = (rm[:, :, None] * (dt @ inv_t)[:, None, :])[:, :, 1]
    dy = np.column_stack([np.ones(n), tt, m])
    b_all = np.linalg.lstsq(dy, yy, rcond=None)[0]
    ry = yy - dy @ b_all
    inv_y = np.linalg.inv(dy.T @ dy / n)
    if_b = (ry[:, None] * (dy @ inv_y))[:, 2:]
    b = b_all[2:]
    est = float(b @ delta) / t_sd
    psi = (if_b @ delta + if_delta @ b) / t_sd
    return _result("frontdoor", "ate", psi, est, t_raw, alpha)
