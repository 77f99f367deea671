"""Refuters, vectorized: placebo treatment, random common cause, data subsets, dummy outcome.

Each refuter re-estimates the effect many times under a change that should (or
should not) move it, with the AIPW estimator on linear/logistic nuisance models
fitted once on the full sample (the *reference* estimate). Simulations run in
blocks as matrix operations over the same design:

* **placebo** — the treatment is randomly permuted. A permuted treatment is
  independent of everything, so its true propensity is the constant share
  treated and both outcome regressions equal ``E[y | x]``; the AIPW estimate
  with those (correct) nuisances is one matrix product per block.
  p-value: the share of placebo effects at least as large as the real one
  (a permutation test of "no effect").
* **random_common_cause** — an independent standard normal covariate is added
  to the propensity and outcome models; each model is updated by one Newton
  step from its full-sample fit on the augmented design (exact for linear
  models; first-order exact for logistic). The estimate should not move: the
  status uses the mean absolute shift in standard errors (pass below 0.1, fail
  above 0.5); p-value: a t-test that the mean shift is zero.
* **subset** — random subsets (a share ``subset_fraction`` of ``K`` random
  chunks) refit every nuisance model (exact for linear, one Newton step for
  logistic, from chunk-wise sufficient statistics). Across subsets the
  estimate should scatter as the influence function predicts (about
  ``SE·√((1−f)/f)``; exactly, the sampling variance of the chunk means of the
  influence values, ``S²/m·(1−f)`` for ``m`` of ``K`` chunks); p-value:
  a χ² test that the scatter is not larger (a larger one means the standard
  error is too small or the estimate rests on few units).
* **dummy_outcome** — the outcome is replaced by independent noise (true effect
  zero) and the outcome models refit exactly; each dummy estimate is divided by
  its own standard error. p-value: a binomial test that ``|z| > z_{α/2}`` happens
  in a share ``α`` of simulations (checks the calibration of the error).

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(3000, 2))
    >>> t = (rng.random(3000) < 1 / (1 + np.exp(-x[:, 0]))).astype(float)
    >>> y = t + x.sum(axis=1) + rng.normal(size=3000)
    >>> r = placebo(Reference.fit(t, y, x), simulations=50, seed=1)
    >>> r.name, abs(r.mean) < 0.1, r.p_value < 0.05
    ('placebo', True, True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from causalkit.observational.learners import Array, GlmFit, add_intercept, fit_glm, is_binary
from causalkit.progress import iterate, track
from causalkit.report.model import Check, Status, Table

if TYPE_CHECKING:
    from causalkit.observational.estimators import EffectResult
    from causalkit.spec.observational import ObservationalSpec

_BLOCK = 10


@dataclass(frozen=True)
class Reference:
    """Full-sample AIPW with parametric nuisances: the fits the refuters start from."""

    t: Array
    y: Array
    design: Array
    prop: GlmFit
    out1: GlmFit
    out0: GlmFit
    target: str
    estimate: float
    se: float
    influence: Array

    @classmethod
    def fit(cls, t: Array, y: Array, x: Array, *, target: str = "ate") -> Reference:
        """Fit the logistic propensity and one outcome model per arm on all rows.

        Example:
            >>> t = np.array([0.0, 1, 0, 1, 0, 1]); y = np.array([1.0, 2, 1, 3, 0, 2])
            >>> round(Reference.fit(t, y, np.zeros((6, 0))).estimate, 3)
            1.667
        """
        d = add_intercept(x)
        logistic = is_binary(y)
        prop = fit_glm(d, t, logistic=True)
        out1 = fit_glm(d[t == 1], y[t == 1], logistic=logistic)
        out0 = fit_glm(d[t == 0], y[t == 0], logistic=logistic)
        e = np.clip(prop.mean(d), 1e-12, 1 - 1e-12)
        est, psi = aipw_batch(t[:, None], y[:, None], e[:, None], out1.mean(d)[:, None],
                              out0.mean(d)[:, None], target)
        se = float(np.sqrt(np.sum(psi ** 2, axis=0))[0] / len(t))
        return cls(t, y, d, prop, out1, out0, target, float(est[0]), se, psi[:, 0])


def aipw_batch(t: Array, y: Array, e: Array, m1: Array, m0: Array,
               target: str) -> tuple[Array, Array]:
    """AIPW estimates and centred influence values for many columns at once.

    All arguments are ``(n, b)`` (or broadcast to it); returns ``(b,)`` estimates and
    ``(n, b)`` influence values.

    Example:
        >>> one = np.ones((2, 1)); t = np.array([[0.0], [1.0]])
        >>> est, _ = aipw_batch(t, t, 0.5 * one, one, 0 * one, "ate")
        >>> est.tolist()
        [1.0]
    """
    if target == "att":
        pi = t.mean(axis=0)
        score = t * (y - m0) - (1 - t) * e / (1 - e) * (y - m0)
        est = score.mean(axis=0) / pi
        psi = (score - t * est) / pi
        return est, psi
    score = m1 - m0 + t * (y - m1) / e - (1 - t) * (y - m0) / (1 - e)
    est = score.mean(axis=0)
    return est, score - est


@dataclass(frozen=True)
class Refutation:
    """One refuter's simulations: what it tests, the refuted estimates, a p-value, a status.

    Example:
        >>> rng = np.random.default_rng(0); x = rng.normal(size=(500, 1))
        >>> t = (rng.random(500) < 0.5).astype(float)
        >>> y = 0.5 * t + x[:, 0] + rng.normal(size=500)
        >>> r = placebo(Reference.fit(t, y, x), simulations=20)
        >>> r.name, r.simulations, round(r.reference, 2), round(r.p_value, 3), r.status.value
        ('placebo', 20, 0.43, 0.048, 'pass')
    """

    name: str
    simulations: int
    reference: float
    mean: float
    sd: float
    p_value: float
    status: Status
    detail: str


def _blocks(total: int, name: str) -> Iterator[int]:
    """Sizes of the vectorized blocks of ``total`` simulations, tracked as one progress step."""
    sizes = [_BLOCK] * (total // _BLOCK)
    if total % _BLOCK:
        sizes.append(total % _BLOCK)
    with track(f"refuter {name}", total=total, unit="simulations") as step:
        for size in sizes:
            yield size
            step.advance(size)


def placebo(ref: Reference, *, simulations: int = 100, seed: int = 0,
            alpha: float = 0.05, model_p: float | None = None) -> Refutation:
    """Placebo treatment: permute the treatment and re-estimate (see the module docstring).

    Example:
        >>> rng = np.random.default_rng(0); x = rng.normal(size=(500, 1))
        >>> t = (rng.random(500) < 0.5).astype(float); y = x[:, 0] + rng.normal(size=500)
        >>> placebo(Reference.fit(t, y, x), simulations=20).status.value
        'pass'
    """
    rng = np.random.default_rng([seed, 11])
    t, y, d = ref.t, ref.y, ref.design
    n = len(t)
    pooled = fit_glm(d, y, logistic=is_binary(y))
    r = y - pooled.mean(d)
    pi = t.mean()
    n1 = int(t.sum())
    coef = 1 / (n * pi) + 1 / (n * (1 - pi))
    total = r.sum()
    effects = np.empty(simulations)
    pos = 0
    rank = np.empty(n, dtype=np.int64)
    for size in _blocks(simulations, "placebo"):
        keys = rng.random((size, n))
        idx = np.argpartition(keys, n1 - 1, axis=1)[:, :n1]
        sums = r[idx].sum(axis=1)
        effects[pos:pos + size] = sums * coef - total / (n * (1 - pi))
        pos += size
    del rank
    obs = abs(ref.estimate)
    p = float((1 + np.sum(np.abs(effects) >= obs)) / (simulations + 1))
    mean, sd = float(effects.mean()), float(effects.std(ddof=1)) if simulations > 1 else 0.0
    agree = model_p is None or (p < alpha) == (model_p < alpha)
    status = Status.PASS if agree else Status.WARN
    detail = (f"{simulations} permuted treatments: placebo effects average {mean:.4g} "
              f"(sd {sd:.3g}); p = {p:.3g} is the share of placebo effects at least as large as "
              f"the real estimate {ref.estimate:.4g} — a permutation test of no effect")
    if model_p is not None:
        detail += (f"; the estimator's own p-value is {model_p:.3g}, "
                   + ("and the two agree" if agree else
                      "and they disagree at α: the standard error may be wrong"))
    return Refutation("placebo", simulations, ref.estimate, mean, sd, p, status, detail)


@dataclass(frozen=True)
class _StepModel:
    """What one Newton step from a fitted GLM needs, over all rows (zero weight off its rows)."""

    fit: GlmFit
    eta: Array
    v: Array
    r: Array
    a: Array

    @classmethod
    def build(cls, fit: GlmFit, d: Array, y: Array, rows: Array) -> _StepModel:
        eta = d @ fit.coef
        v = np.where(rows, fit.dmean(d), 0.0)
        r = np.where(rows, y - fit.mean(d), 0.0)
        a = np.asarray(np.linalg.solve(fit.hessian, d.T @ r), dtype=np.float64)
        return cls(fit, eta, v, r, a)


def _one_step(model: _StepModel, d: Array, w: Array, w2: Array | None = None) -> Array:
    """Linear predictors on all rows after one Newton step on the design ``[d, w_b]``."""
    vw = model.v[:, None] * w
    h = d.T @ vw
    s = model.v @ (w * w if w2 is None else w2)
    g_b = model.r @ w
    hinv_h = np.linalg.solve(model.fit.hessian, h)
    schur = s - np.sum(h * hinv_h, axis=0)
    dgamma = (g_b - h.T @ model.a) / schur
    dbeta = model.a[:, None] - hinv_h * dgamma[None, :]
    eta = d @ dbeta
    eta += model.eta[:, None]
    eta += w * dgamma[None, :]
    return eta


def _link(fit: GlmFit, eta: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * eta)) if fit.logistic else eta


def random_common_cause(ref: Reference, *, simulations: int = 100, seed: int = 0,
                        alpha: float = 0.05) -> Refutation:
    """Add an independent random covariate to every model; the estimate should not move.

    Example:
        >>> rng = np.random.default_rng(0); x = rng.normal(size=(800, 1))
        >>> t = (rng.random(800) < 0.5).astype(float); y = t + x[:, 0] + rng.normal(size=800)
        >>> random_common_cause(Reference.fit(t, y, x), simulations=20).status.value
        'pass'
    """
    rng = np.random.default_rng([seed, 12])
    t, y, d = ref.t, ref.y, ref.design
    n = len(t)
    models = [_StepModel.build(ref.prop, d, t, np.ones(n, dtype=bool)),
              _StepModel.build(ref.out1, d, y, t == 1),
              _StepModel.build(ref.out0, d, y, t == 0)]
    effects = np.empty(simulations)
    pos = 0
    for size in _blocks(simulations, "random_common_cause"):
        w = rng.standard_normal((n, size))
        w2 = w * w
        e = np.clip(_link(ref.prop, _one_step(models[0], d, w, w2)), 1e-12, 1 - 1e-12)
        m1 = _link(ref.out1, _one_step(models[1], d, w, w2))
        m0 = _link(ref.out0, _one_step(models[2], d, w, w2))
        est, _ = aipw_batch(t[:, None], y[:, None], e, m1, m0, ref.target)
        effects[pos:pos + size] = est
        pos += size
    shifts = effects - ref.estimate
    mean, sd = float(effects.mean()), float(effects.std(ddof=1)) if simulations > 1 else 0.0
    sd_shift = float(shifts.std(ddof=1)) if simulations > 1 else 0.0
    if sd_shift > 0:
        p = float(2 * stats.t.sf(abs(shifts.mean()) / (sd_shift / np.sqrt(simulations)),
                                 simulations - 1))
    else:
        p = 1.0
    typical = float(np.mean(np.abs(shifts))) / ref.se if ref.se > 0 else 0.0
    worst = float(np.max(np.abs(shifts))) / ref.se if ref.se > 0 else 0.0
    status = Status.PASS if typical < 0.1 else Status.WARN if typical < 0.5 else Status.FAIL
    detail = (f"{simulations} random common causes added: estimates average {mean:.4g} against "
              f"{ref.estimate:.4g}; shifts average {typical:.3g} standard errors in size (pass "
              f"below 0.1, fail above 0.5; the largest is {worst:.3g}); p = {p:.3g} tests that "
              f"the mean shift is zero")
    return Refutation("random_common_cause", simulations, ref.estimate, mean, sd, p, status,
                      detail)


def _chunk_stats(fit: GlmFit, d: Array, y: Array, rows: Array, chunk: Array,
                 k: int) -> tuple[Array, Array]:
    hs = np.empty((k, d.shape[1], d.shape[1]))
    gs = np.empty((k, d.shape[1]))
    mu = fit.mean(d)
    v = fit.dmean(d)
    r = np.where(rows, y - mu, 0.0)
    vv = np.where(rows, v, 0.0)
    order = np.argsort(chunk, kind="stable")
    bounds = np.searchsorted(chunk[order], np.arange(k + 1))
    for c in range(k):
        idx = order[bounds[c]:bounds[c + 1]]
        dc = d[idx]
        hs[c] = dc.T @ (vv[idx, None] * dc)
        gs[c] = dc.T @ r[idx]
    return hs, gs


def subset(ref: Reference, *, simulations: int = 100, fraction: float = 0.8, seed: int = 0,
           alpha: float = 0.05) -> Refutation:
    """Re-estimate on random subsets; the scatter should match what the influence function predicts.

    Example:
        >>> rng = np.random.default_rng(0); x = rng.normal(size=(2000, 1))
        >>> t = (rng.random(2000) < 0.5).astype(float); y = t + x[:, 0] + rng.normal(size=2000)
        >>> subset(Reference.fit(t, y, x), simulations=40).status.value
        'pass'
    """
    rng = np.random.default_rng([seed, 13])
    t, y, d = ref.t, ref.y, ref.design
    n = len(t)
    k = int(min(200, n))
    chunk = rng.permutation(np.arange(n) % k)
    fits = [(ref.prop, t, np.ones(n, dtype=bool)), (ref.out1, y, t == 1), (ref.out0, y, t == 0)]
    stats_ = [_chunk_stats(f, d, target, rows, chunk, k) for f, target, rows in fits]
    keep = max(1, round(fraction * k))
    effects = np.empty(simulations)
    pos = 0
    for size in _blocks(simulations, "subset"):
        member = np.zeros((size, k), dtype=bool)
        for b in range(size):
            member[b, rng.choice(k, keep, replace=False)] = True
        preds = []
        for (fit, _, _), (hs, gs) in zip(fits, stats_):
            coefs = np.empty((d.shape[1], size))
            for b in range(size):
                h = hs[member[b]].sum(axis=0)
                g = gs[member[b]].sum(axis=0)
                try:
                    step = np.linalg.solve(h, g)
                except np.linalg.LinAlgError:
                    step = np.linalg.lstsq(h, g, rcond=None)[0]
                coefs[:, b] = fit.coef + step
            preds.append(_link(fit, d @ coefs))
        e = np.clip(preds[0], 1e-12, 1 - 1e-12)
        mask = member[:, chunk].T
        tt = np.broadcast_to(t[:, None], mask.shape)
        yy = np.broadcast_to(y[:, None], mask.shape)
        if ref.target == "att":
            score = tt * (yy - preds[2]) - (1 - tt) * e / (1 - e) * (yy - preds[2])
            est = (score * mask).sum(axis=0) / (tt * mask).sum(axis=0)
        else:
            score = preds[1] - preds[2] + tt * (yy - preds[1]) / e \
                - (1 - tt) * (yy - preds[2]) / (1 - e)
            est = (score * mask).sum(axis=0) / mask.sum(axis=0)
        effects[pos:pos + size] = est
        pos += size
    mean = float(effects.mean())
    sd = float(effects.std(ddof=1)) if simulations > 1 else 0.0
    f = keep / k
    sizes = np.bincount(chunk, minlength=k)
    chunk_means = np.bincount(chunk, weights=ref.influence, minlength=k) / np.maximum(sizes, 1)
    expected = float(np.sqrt(chunk_means.var(ddof=1) / keep * (1 - f))) if k > 1 else 0.0
    ratio = sd / expected if expected > 0 else float("nan")
    p = float(stats.chi2.sf((simulations - 1) * ratio ** 2, simulations - 1)) \
        if simulations > 1 and np.isfinite(ratio) else 1.0
    status = Status.PASS if p >= alpha else Status.WARN
    detail = (f"{simulations} random subsets of {f:.0%} of the data: estimates average {mean:.4g} "
              f"(reference {ref.estimate:.4g}) with sd {sd:.3g}, {ratio:.2f} times the "
              f"{expected:.3g} that the influence function predicts; p = {p:.3g} tests that the "
              f"scatter is not larger than predicted")
    return Refutation("subset", simulations, ref.estimate, mean, sd, p, status, detail)


def dummy_outcome(ref: Reference, *, simulations: int = 100, seed: int = 0,
                  alpha: float = 0.05) -> Refutation:
    """Replace the outcome by independent noise (true effect zero) and re-estimate.

    Example:
        >>> rng = np.random.default_rng(0); x = rng.normal(size=(1000, 1))
        >>> t = (rng.random(1000) < 0.5).astype(float); y = t + x[:, 0] + rng.normal(size=1000)
        >>> dummy_outcome(Reference.fit(t, y, x), simulations=40).status.value
        'pass'
    """
    rng = np.random.default_rng([seed, 14])
    t, d = ref.t, ref.design
    n = len(t)
    sd_y = float(ref.y.std()) or 1.0
    e = np.clip(ref.prop.mean(d), 1e-12, 1 - 1e-12)
    solvers: dict[int, Callable[[Array], Array]] = {}
    for arm in (0, 1):
        rows = t == arm
        dr = d[rows]
        chol = np.linalg.cholesky(dr.T @ dr + 1e-12 * np.eye(d.shape[1]))

        def solve(rhs: Array, chol: Array = chol) -> Array:
            return np.asarray(np.linalg.solve(chol.T, np.linalg.solve(chol, rhs)))

        solvers[arm] = solve
    effects = np.empty(simulations)
    zs = np.empty(simulations)
    pos = 0
    for size in _blocks(simulations, "dummy_outcome"):
        yb = rng.standard_normal((n, size)) * sd_y
        preds = {}
        for arm in (0, 1):
            rows = t == arm
            coef = solvers[arm](d[rows].T @ yb[rows])
            preds[arm] = d @ coef
        est, psi = aipw_batch(t[:, None], yb, e[:, None], preds[1], preds[0], ref.target)
        se = np.sqrt(np.sum(psi ** 2, axis=0)) / n
        effects[pos:pos + size] = est
        zs[pos:pos + size] = est / se
        pos += size
    crit = stats.norm.isf(alpha / 2)
    rejections = int(np.sum(np.abs(zs) > crit))
    p = float(stats.binomtest(rejections, simulations, alpha).pvalue)
    status = Status.PASS if p >= alpha else Status.WARN
    mean = float(effects.mean())
    sd = float(effects.std(ddof=1)) if simulations > 1 else 0.0
    detail = (f"{simulations} dummy outcomes (noise, true effect 0): estimates average {mean:.3g} "
              f"(sd {sd:.3g}); {rejections} of {simulations} were significant at α = {alpha} "
              f"(expected {alpha * simulations:.1f}); p = {p:.3g} is a binomial test that the "
              f"error rate is α")
    return Refutation("dummy_outcome", simulations, 0.0, mean, sd, p, status, detail)


def run_refuters(spec: ObservationalSpec, t: Array, y: Array, x: Array, main: EffectResult, *,
                 seed: int, alpha: float, checks: list[Check], tables: list[Table]) -> None:
    """Run the refuters a spec asks for; append one check each and a summary table.

    Example:
        >>> from causalkit.spec.observational import ObservationalSpec
        >>> from causalkit.observational.estimators import aipw
        >>> rng = np.random.default_rng(0); x = rng.normal(size=(1000, 1))
        >>> t = (rng.random(1000) < 0.5).astype(float); y = t + x[:, 0] + rng.normal(size=1000)
        >>> spec = ObservationalSpec(name="x", kind="observational", graph="digraph {t -> y}",
        ...     treatment="t", outcome="y", simulations=20)
        >>> checks, tables = [], []
        >>> run_refuters(spec, t, y, x, aipw(t, y, x), seed=0, alpha=0.05, checks=checks,
        ...              tables=tables)
        >>> [c.name for c in checks]
        ['refute_placebo', 'refute_random_common_cause', 'refute_subset']
    """
    from causalkit.spec.observational import RefuterName

    ref = Reference.fit(t, y, x, target=main.target)
    runs: list[Refutation] = []
    sims = spec.simulations
    simulated = (RefuterName.PLACEBO, RefuterName.RANDOM_COMMON_CAUSE, RefuterName.SUBSET,
                 RefuterName.DUMMY_OUTCOME)
    names = [name for name in spec.refuters if name in simulated]
    for name in iterate(names, "refuters", unit="refuters"):
        if name is RefuterName.PLACEBO:
            runs.append(placebo(ref, simulations=sims, seed=seed, alpha=alpha,
                                model_p=main.p_value))
        elif name is RefuterName.RANDOM_COMMON_CAUSE:
            runs.append(random_common_cause(ref, simulations=sims, seed=seed, alpha=alpha))
        elif name is RefuterName.SUBSET:
            runs.append(subset(ref, simulations=sims, fraction=spec.subset_fraction, seed=seed,
                               alpha=alpha))
        else:
            runs.append(dummy_outcome(ref, simulations=sims, seed=seed, alpha=alpha))
    for r in runs:
        checks.append(Check(f"refute_{r.name}", r.status, r.detail, value=r.p_value))
    if runs:
        tables.append(Table(
            "refutation", "Refutation (AIPW with linear/logistic nuisances fitted on all rows)",
            ("refuter", "simulations", "reference", "mean", "sd", "p_value", "status"),
            tuple((r.name, r.simulations, r.reference, r.mean, r.sd, r.p_value, r.status.value)
                  for r in runs)))
