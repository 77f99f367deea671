"""The causal check: a chosen condition becomes the treatment of an observational analysis.

The default diagram says what the check assumes: signup covariates and early
activity (events of *other* actions in the first ``proxy_days`` days, a proxy
for the user's intent) cause both reaching the condition and retention, and
nothing else does. The analysis is handed to the registered ``observational``
analysis (:func:`causalkit.registry.analyzer`: AIPW, IPW, regression, with
refuters and sensitivity); when it is not available or fails, a built-in
cross-fitted AIPW is used.

The verdict is graded and benchmarked, never a plain ``pass``: an effect from
observational data is at best *robust to confounding as strong as k× the
strongest measured covariate* (Cinelli & Hazlett's bounds on the regression
adjustment, with every covariate as a yardstick), next to the E-value (how
strongly a hidden confounder would have to be associated, as a risk ratio, with
both reaching the condition and retention). Only a randomized test settles
whether reaching the condition causes retention; ``experiment:`` takes one.

Example:
    >>> print(default_graph(["age", "ios"]))
    digraph aha {
      age -> reached; age -> retained; age -> early_activity;
      ios -> reached; ios -> retained; ios -> early_activity;
      early_activity -> reached; early_activity -> retained;
      reached -> retained;
    }
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from causalkit.aha.metrics import normal_two_sided_p
from causalkit.errors import CausalkitError, DataError, SpecError
from causalkit.report.model import Check, Estimate, Report, Scalar, Status
from causalkit.spec.common import Direction, Role
from causalkit.stats.sensitivity import K_CAP, OlsSensitivity, e_value_rr, ols_sensitivity

if TYPE_CHECKING:
    import pandas as pd

    from causalkit.aha.search import Key
    from causalkit.spec.aha import CausalCheck

TREATMENT = "reached"
ARM = "reached"
REFERENCE = "not reached"
OUTCOME = "retained"
PROXY = "early_activity"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _node(name: str) -> str:
    return name if _IDENT.match(name) else '"' + name.replace('"', '\\"') + '"'


def default_graph(covariates: Sequence[str]) -> str:
    """The default diagram (DOT) of the causal check.

    Nodes: the covariates, ``early_activity``, ``reached`` (the condition) and
    ``retained``. A ``graph:`` in the spec replaces it and may use these nodes
    (and latent ones).

    Example:
        >>> default_graph([]).splitlines()[1]
        '  early_activity -> reached; early_activity -> retained;'
    """
    lines = ["digraph aha {"]
    for c in covariates:
        n = _node(c)
        lines.append(f"  {n} -> {TREATMENT}; {n} -> {OUTCOME}; {n} -> {PROXY};")
    lines.append(f"  {PROXY} -> {TREATMENT}; {PROXY} -> {OUTCOME};")
    lines.append(f"  {TREATMENT} -> {OUTCOME};")
    lines.append("}")
    return "\n".join(lines)


def causal_frame(reached: NDArray[np.bool_], retained: NDArray[np.integer],
                 early_other: NDArray[np.integer], covariates: NDArray[np.float64],
                 covariate_names: Sequence[str]) -> pd.DataFrame:
    """The per-user frame of the check: covariates, early activity, condition, retention.

    ``early_activity`` is ``log1p`` of the user's events of other actions in the
    first days.

    Example:
        >>> f = causal_frame(np.array([True, False]), np.array([1, 0]), np.array([3, 0]),
        ...                  np.array([[30.0], [41.0]]), ["age"])
        >>> f.columns.tolist()
        ['age', 'early_activity', 'reached', 'retained']
    """
    import pandas as pd

    data: dict[str, Any] = {name: covariates[:, i] for i, name in enumerate(covariate_names)}
    data[PROXY] = np.log1p(np.maximum(early_other, 0).astype(np.float64))
    data[TREATMENT] = reached.astype(np.int64)
    data[OUTCOME] = np.asarray(retained, dtype=np.int64)
    return pd.DataFrame(data)


@dataclass(frozen=True)
class AipwResult:
    """A cross-fitted AIPW estimate with the potential-outcome means and the log risk ratio.

    Example:
        >>> AipwResult(0.1, 0.02, 0.4, 0.3, 0.29, 0.05, 100, 200).ate
        0.1
    """

    ate: float
    se: float
    mean_treated: float
    mean_control: float
    log_rr: float
    log_rr_se: float
    n_treated: int
    n_control: int


def _sigmoid(z: NDArray[np.float64]) -> NDArray[np.float64]:
    out: NDArray[np.float64] = 0.5 * (1.0 + np.tanh(0.5 * z))
    return out


def logistic_fit(x: NDArray[np.floating], y: NDArray[np.floating], *, ridge: float = 1e-6,
                 iterations: int = 50) -> NDArray[np.float64]:
    """Logistic regression coefficients (intercept first) by Newton-Raphson (IRLS).

    A tiny ridge keeps separated data finite.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> x = rng.normal(size=(20_000, 1))
        >>> y = (rng.random(20_000) < 1 / (1 + np.exp(-(0.5 + 2 * x[:, 0])))).astype(float)
        >>> logistic_fit(x, y).round(1).tolist()
        [0.5, 2.0]
    """
    d = np.column_stack([np.ones(x.shape[0]), x]).astype(np.float64)
    beta = np.zeros(d.shape[1])
    pen = ridge * np.eye(d.shape[1])
    pen[0, 0] = 0.0
    for _ in range(iterations):
        p = _sigmoid(d @ beta)
        w = np.maximum(p * (1 - p), 1e-10)
        grad = d.T @ (y - p) - pen @ beta
        hess = (d * w[:, None]).T @ d + pen
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return beta


def aipw_binary(t: NDArray[np.floating], y: NDArray[np.floating], x: NDArray[np.floating],
                *, folds: int = 5, seed: int = 0, clip: float = 0.01) -> AipwResult:
    """Cross-fitted AIPW of a binary treatment on a binary outcome (logistic nuisances).

    The built-in fallback when the observational analysis is not available or fails,
    and the source of the risk ratio behind the E-value.

    Propensities are clipped to ``[clip, 1 - clip]``; the standard errors come
    from the efficient influence functions (of the difference and of the log
    risk ratio).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(4000, 1))
        >>> t = (rng.random(4000) < 1 / (1 + np.exp(-x[:, 0]))).astype(float)
        >>> y = (rng.random(4000) < 0.2 + 0.2 * t + 0.1 * (x[:, 0] > 0)).astype(float)
        >>> r = aipw_binary(t, y, x)
        >>> abs(r.ate - 0.2) < 3 * r.se
        True
    """
    n = t.size
    rng = np.random.default_rng(seed)
    fold = rng.permutation(np.arange(n) % folds)
    e = np.empty(n)
    m1 = np.empty(n)
    m0 = np.empty(n)

    def _fit(xs: NDArray[np.floating], ys: NDArray[np.floating], xt: NDArray[np.floating]
             ) -> NDArray[np.float64]:
        if ys.size == 0:
            return np.full(xt.shape[0], np.nan)
        if ys.min() == ys.max():
            return np.full(xt.shape[0], float(ys[0]))
        beta = logistic_fit(xs, ys)
        return _sigmoid(np.column_stack([np.ones(xt.shape[0]), xt]) @ beta)

    mu, sd = x.mean(axis=0), x.std(axis=0)
    xz = (x - mu) / np.where(sd > 0, sd, 1.0)
    for k in range(folds):
        test, train = fold == k, fold != k
        e[test] = _fit(xz[train], t[train], xz[test])
        tr1, tr0 = train & (t == 1), train & (t == 0)
        m1[test] = _fit(xz[tr1], y[tr1], xz[test])
        m0[test] = _fit(xz[tr0], y[tr0], xz[test])
    e = np.clip(e, clip, 1 - clip)
    s1 = m1 + t * (y - m1) / e
    s0 = m0 + (1 - t) * (y - m0) / (1 - e)
    mean1, mean0 = float(s1.mean()), float(s0.mean())
    psi = s1 - s0
    ate = float(psi.mean())
    se = float(psi.std(ddof=1) / math.sqrt(n))
    if mean1 > 0 and mean0 > 0:
        if_rr = (s1 - mean1) / mean1 - (s0 - mean0) / mean0
        log_rr, log_rr_se = math.log(mean1 / mean0), float(if_rr.std(ddof=1) / math.sqrt(n))
    else:
        log_rr, log_rr_se = float("nan"), float("nan")
    return AipwResult(ate, se, mean1, mean0, log_rr, log_rr_se, int(t.sum()),
                      int(n - t.sum()))


e_value = e_value_rr
"""The E-value of a risk ratio (VanderWeele and Ding, 2017): the shared implementation of
:func:`causalkit.stats.sensitivity.e_value_rr`, e.g. ``e_value(3.9)`` is about 7.26."""


def e_value_interval(rr_low: float, rr_high: float) -> float:
    """The E-value of the interval limit closest to 1 (1 when the interval covers 1).

    Example:
        >>> e_value_interval(0.9, 1.4), round(e_value_interval(1.2, 1.9), 3)
        (1.0, 1.69)
    """
    if rr_low <= 1 <= rr_high:
        return 1.0
    return e_value(rr_low if rr_low > 1 else rr_high)


def collinear_covariates(x: NDArray[np.floating], names: Sequence[str], *,
                         tol: float = 1e-9) -> list[tuple[str, tuple[str, ...]]]:
    """Covariates that are constant or an exact linear combination of others.

    Returns ``(name, partners)`` pairs: ``partners`` are the covariates it is a
    combination of (empty for a constant column). Columns are taken in order,
    centred and scaled; one whose residual on the earlier independent ones has a
    root mean square below ``sqrt(tol)`` is a combination of them.

    Example:
        >>> x = np.array([[1.0, 2.0, 5.0, 3.0], [2.0, 4.0, 5.0, 1.0], [3.0, 6.0, 5.0, 4.0]])
        >>> collinear_covariates(x, ["age", "age_x2", "one", "other"])
        [('one', ()), ('age_x2', ('age',))]
    """
    from scipy.linalg import lstsq

    xs = np.asarray(x, dtype=np.float64)
    if xs.ndim != 2 or xs.shape[1] == 0:
        return []
    centred = xs - xs.mean(axis=0)
    scale = np.sqrt((centred ** 2).mean(axis=0))
    out: list[tuple[str, tuple[str, ...]]] = []
    const = ~(scale > 1e-12 * np.maximum(np.abs(xs).max(axis=0), 1e-300))
    out += [(names[int(j)], ()) for j in np.flatnonzero(const)]
    basis: list[int] = []
    for j in (int(i) for i in np.flatnonzero(~const)):
        zj = centred[:, j] / scale[j]
        if basis:
            zb = centred[:, basis] / scale[basis]
            coef = lstsq(zb, zj)[0]
            resid = zj - zb @ coef
            if float(np.sqrt(np.mean(resid ** 2))) <= tol ** 0.5:
                partners = tuple(names[b] for b, c in zip(basis, coef) if abs(c) > 1e-6)
                out.append((names[j], partners))
                continue
        basis.append(int(j))
    return out


def _check_covariates(frame: pd.DataFrame, covs: Sequence[str], label: str) -> list[str]:
    """The constant covariates; a clean error for non-finite or collinear ones.

    A constant covariate adjusts for nothing and is only reported; one that is an
    exact linear combination of others makes the adjustment unidentifiable.
    """
    x = frame[list(covs)].to_numpy(dtype=np.float64)
    bad = [c for c, ok in zip(covs, np.isfinite(x).all(axis=0)) if not ok]
    if bad:
        raise DataError(f"the causal check of {label} needs finite covariates; "
                        f"{', '.join(bad)} have missing or infinite values",
                        hint="fill or drop those users, or leave the covariate out")
    found = collinear_covariates(x, covs)
    combos = [(name, partners) for name, partners in found if partners]
    if combos:
        parts = [f"{name} is a linear combination of {', '.join(partners)}"
                 for name, partners in combos]
        raise DataError(
            f"collinear covariates in the causal check of {label}: {'; '.join(parts)} — "
            "their separate parts cannot be estimated",
            hint="drop the redundant covariates from covariates: (or from graph:)")
    return [name for name, partners in found if not partners]


class Verdict(StrEnum):
    """The graded causal verdict of a condition on observational data (never a plain pass).

    Example:
        >>> Verdict.ROBUST.value
        'robust_to_benchmark'
    """

    NO_EVIDENCE = "no_evidence"
    """The interval covers zero: no evidence that reaching the condition raises retention."""
    FRAGILE = "fragile"
    """A hidden confounder weaker than the strongest measured covariate (k < 1), or with a
    risk ratio below ``check.fragile_e_value``, could explain the effect away."""
    ROBUST = "robust_to_benchmark"
    """Robust to confounding as strong as k >= 1 times the strongest measured covariate."""
    NOT_BENCHMARKED = "not_benchmarked"
    """No covariate to benchmark against (only the E-value speaks)."""


def grade(*, covers_zero: bool, k: float, e_value_ci: float, fragile_e_value: float
          ) -> Verdict:
    """The verdict from the interval, the benchmark multiple ``k`` and the limit's E-value.

    Example:
        >>> grade(covers_zero=False, k=3.2, e_value_ci=3.0, fragile_e_value=2.0).value
        'robust_to_benchmark'
        >>> grade(covers_zero=False, k=0.6, e_value_ci=3.0, fragile_e_value=2.0).value
        'fragile'
    """
    if covers_zero:
        return Verdict.NO_EVIDENCE
    if e_value_ci < fragile_e_value or (not math.isnan(k) and k < 1):
        return Verdict.FRAGILE
    if math.isnan(k):
        return Verdict.NOT_BENCHMARKED
    return Verdict.ROBUST


def times(k: float) -> str:
    """A benchmark multiple as text: ``2.4×``, ``more than 100×``.

    Example:
        >>> times(2.44), times(float("inf")), times(0.0)
        ('2.4×', 'more than 100×', '0×')
    """
    if math.isinf(k):
        return f"more than {K_CAP:g}×"
    if k == 0:
        return "0×"
    return f"{k:.2g}×" if k < 1 else f"{k:.1f}×"


RANDOMIZED_ONLY = ("only a randomized test settles whether reaching the condition causes "
                   "retention")
"""What every causal verdict on observational data says."""


def _benchmark_text(sens: OlsSensitivity | None, k: float) -> str:
    if sens is None or sens.strongest is None:
        return "no measured covariate to benchmark a hidden confounder against"
    b = sens.strongest
    strength = (f"{b.covariate} explains {b.r2_treatment:.1%} of the residual variance of "
                f"reaching the condition and {b.r2_outcome:.1%} of retention's")
    rv = (f"robustness value RV = {sens.rv:.3f}, RV_α = {sens.rv_alpha:.3f}: a confounder "
          f"explaining {sens.rv_alpha:.1%} of the residual variance of both would make the "
          "regression estimate insignificant")
    if k == 0:
        return (f"the regression-adjusted (OLS) interval around {sens.estimate:+.3f} already "
                f"includes zero ({strength}; {rv}; Cinelli & Hazlett 2020)")
    return (f"a hidden confounder {times(k)} as strong as {b.covariate} ({strength}) would "
            f"bring the regression-adjusted (OLS) interval around {sens.estimate:+.3f} to "
            f"include zero ({rv}; Cinelli & Hazlett 2020)")


def verdict_text(verdict: Verdict, k: float, sens: OlsSensitivity | None) -> str:
    """The verdict in words, with the benchmark multiple and the covariate.

    Example:
        >>> verdict_text(Verdict.NO_EVIDENCE, 0.0, None)
        'no evidence that it raises retention (the interval covers zero)'
    """
    name = sens.strongest.covariate if sens is not None and sens.strongest else None
    if verdict is Verdict.NO_EVIDENCE:
        return "no evidence that it raises retention (the interval covers zero)"
    if verdict is Verdict.NOT_BENCHMARKED:
        return "not benchmarked against a measured covariate"
    if verdict is Verdict.FRAGILE:
        if name is not None and not math.isnan(k) and k < 1:
            return (f"fragile: confounding {times(k)} as strong as the strongest measured "
                    f"covariate ({name}) would explain it away")
        return "fragile: a hidden confounder of moderate strength could explain it away"
    return (f"robust to confounding as strong as {times(k)} the strongest measured "
            f"covariate ({name})")


@dataclass(frozen=True)
class CausalResult:
    """The causal check of one condition.

    ``effect``/``ci_*`` are the main estimate's (AIPW when available);
    ``verdict`` is the graded verdict (:class:`Verdict`), ``robust_k`` the
    multiple of the strongest measured covariate (``benchmark``) that a hidden
    confounder would need to bring the regression-adjusted interval to zero
    (``inf`` beyond 100, 0 when it already covers zero, NaN when not
    benchmarked); ``rv``/``rv_alpha`` the robustness values; ``fragile``: the
    limit's E-value is below ``check.fragile_e_value`` or ``robust_k < 1``.

    Example:
        >>> CausalResult.__dataclass_fields__["e_value_ci"].type
        'float'
    """

    key: Key
    estimates: tuple[Estimate, ...]
    checks: tuple[Check, ...]
    effect: float
    ci_low: float
    ci_high: float
    e_value: float
    e_value_ci: float
    fragile: bool
    engine: str
    raw_difference: float
    n_treated: int
    n_control: int
    verdict: Verdict = Verdict.NOT_BENCHMARKED
    robust_k: float = float("nan")
    benchmark: str | None = None
    rv: float = float("nan")
    rv_alpha: float = float("nan")
    verdict_words: str = ""


def _raw_difference(t: NDArray[np.floating], y: NDArray[np.floating], z: float
                    ) -> tuple[float, float, float]:
    p1, p0 = float(y[t == 1].mean()), float(y[t == 0].mean())
    n1, n0 = int((t == 1).sum()), int((t == 0).sum())
    se = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    return p1 - p0, p1 - p0 - z * se, p1 - p0 + z * se


def _observational(frame: pd.DataFrame, graph: str, check: CausalCheck, alpha: float,
                   seed: int, name: str) -> Report | None:
    """The observational analysis of the check's frame, through the registry.

    None when no observational analysis is installed (then the built-in AIPW is used).
    """
    from causalkit.data import Source, get_engine
    from causalkit.registry import RunContext, analyzer
    from causalkit.spec.common import Analysis
    from causalkit.spec.loader import LoadedSpec
    from causalkit.spec.observational import ObservationalSpec

    try:
        run = analyzer("observational")
    except ImportError:
        return None
    spec = ObservationalSpec(
        name=name, kind="observational", graph=graph, treatment=TREATMENT, outcome=OUTCOME,
        estimators=list(check.estimators), refuters=list(check.refuters),
        simulations=check.simulations, analysis=Analysis(alpha=alpha, seed=seed),
    )
    sha = hashlib.sha256(json.dumps(spec.model_dump(mode="json"), sort_keys=True)
                         .encode()).hexdigest()
    source = Source.from_frame(frame, name=name)
    try:
        return run(LoadedSpec(spec, None, sha, {}),
                   RunContext(sources={"data": {"main": source}}, seed=seed))
    finally:
        forget = getattr(get_engine(source), "forget", None)
        if forget is not None:
            forget(source)


def condition_metric(outcome_label: str, key: Key) -> str:
    """The metric name of a checked condition's estimates: the outcome and the condition.

    Example:
        >>> from causalkit.aha.search import Key
        >>> condition_metric("retained_d28_35", Key("add_friend", 7, 3))
        'retained_d28_35 by add_friend >= 3 in 7d'
    """
    return f"{outcome_label} by {key.label}"


ASSOCIATION = "association"
"""The method of the plain (unadjusted) difference in retention."""
BUILTIN_AIPW = "causal:aipw-builtin"
"""The method of the built-in cross-fitted AIPW (used when the observational analysis fails)."""


def causal_method(method: str) -> str:
    """The method name of an observational estimator's row: ``causal:<estimator>``.

    Example:
        >>> causal_method("aipw")
        'causal:aipw'
    """
    return f"causal:{method}"


def check_condition(key: Key, frame: pd.DataFrame, *, graph: str, check: CausalCheck,
                    alpha: float = 0.05, seed: int = 0, role: Role = Role.PRIMARY,
                    outcome_label: str = OUTCOME) -> CausalResult:
    """Estimate the effect of reaching ``key`` on retention, with refuters and sensitivity.

    The estimates compare users who reached the condition (arm ``reached``) with
    those who did not (reference ``not reached``) on the metric
    :func:`condition_metric` (the outcome and the condition): the plain difference
    (method ``association``), then each estimator of the observational analysis
    (``causal:aipw``, ``causal:ipw``, ...; ``causal:aipw-builtin`` when that
    analysis fails). ``level`` and ``level_reference`` are the retention among
    those who reached the condition and those who did not.

    Args:
        key: the condition.
        frame: from :func:`causal_frame`.
        graph: the diagram (DOT).
        check: the spec's causal-check settings.
        alpha: 1 - the interval level.
        seed: cross-fitting and refuter seed.
        role: ``primary`` for the chosen condition, else ``secondary``.
        outcome_label: the outcome's name in the report.

    Raises:
        DataError: when nobody (or everybody) reached the condition, or a covariate is
            missing, infinite or an exact linear combination of others (named).

    Example:
        >>> from causalkit.aha.search import Key
        >>> from causalkit.spec.aha import CausalCheck
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(2000, 1))
        >>> t = rng.random(2000) < 1 / (1 + np.exp(-x[:, 0]))
        >>> y = (rng.random(2000) < 0.3 + 0.2 * t).astype(int)
        >>> frame = causal_frame(t, y, np.zeros(2000, dtype=int), x, ["age"])
        >>> res = check_condition(Key("a", 7, 1), frame, graph=default_graph(["age"]),
        ...                       check=CausalCheck(refuters=[], estimators=["aipw"]))
        >>> bool(res.ci_low < 0.2 < res.ci_high)
        True
        >>> [e.label for e in res.estimates]
        ['retained by a >= 1 in 7d: reached - not reached (association)', \
'retained by a >= 1 in 7d: reached - not reached (causal:aipw)']
    """
    from scipy.stats import norm

    t = frame[TREATMENT].to_numpy(dtype=np.float64)
    y = frame[OUTCOME].to_numpy(dtype=np.float64)
    n1, n0 = int(t.sum()), int(t.size - t.sum())
    if n1 < 10 or n0 < 10:
        raise DataError(f"too few users on one side of {key.label} for a causal check "
                        f"({n1} reached, {n0} did not)",
                        hint="use more users or a condition with more coverage")
    covs = [c for c in frame.columns if c not in (TREATMENT, OUTCOME)]
    constant = _check_covariates(frame, covs, key.label)
    z = float(norm.isf(alpha / 2))
    common: dict[str, Scalar] = {"condition": key.label, "action": key.action,
                                 "window_days": key.window, "threshold": key.threshold}
    shared: dict[str, Any] = {
        "metric": condition_metric(outcome_label, key), "arm": ARM, "reference": REFERENCE,
        "n_unit": "users", "level": float(y[t == 1].mean()),
        "level_reference": float(y[t == 0].mean()), "direction": Direction.INCREASE, "alpha": alpha,
    }
    raw, raw_lo, raw_hi = _raw_difference(t, y, z)
    raw_se = (raw_hi - raw) / z
    estimates = [Estimate(
        **shared, method=ASSOCIATION, estimate=raw, ci_low=raw_lo, ci_high=raw_hi,
        p_value=float(normal_two_sided_p(raw / raw_se)) if raw_hi > raw else None,
        n=n1, n_reference=n0, role=Role.SECONDARY, se=raw_se, extra=common,
    )]
    checks: list[Check] = []
    if constant:
        checks.append(Check(
            "causal_constant_covariates", Status.WARN,
            f"{key.label}: {', '.join(constant)} "
            + ("is the same for every checked user and adjusts" if len(constant) == 1 else
               "are the same for every checked user and adjust")
            + " for nothing", metric=key.label))
    x = frame[covs].to_numpy(dtype=np.float64)
    own = aipw_binary(t, y, x, seed=seed)
    report = None
    try:
        report = _observational(frame, graph, check, alpha, seed, f"aha:{key.label}")
    except CausalkitError as exc:
        checks.append(Check("causal_observational_failed", Status.WARN,
                            f"the observational analysis failed ({exc}); built-in AIPW used",
                            metric=key.label))
    main: Estimate | None = None
    engine = "builtin_aipw"
    if report is not None:
        engine = "observational"
        for e in report.estimates:
            p_value = e.p_value
            if p_value == 0.0 and e.se is not None and e.se > 0:  # a normal tail that underflowed
                p_value = float(normal_two_sided_p(e.estimate / e.se))
            row = Estimate(
                **shared, method=causal_method(e.method), estimate=e.estimate,
                ci_low=e.ci_low, ci_high=e.ci_high, p_value=p_value, relative=e.relative,
                relative_ci_low=e.relative_ci_low, relative_ci_high=e.relative_ci_high,
                n=n1 if e.n is None else e.n, n_reference=n0 if e.n_reference is None
                else e.n_reference, role=role, se=e.se, extra={**dict(e.extra), **common},
            )
            estimates.append(row)
            if main is None or (e.method == "aipw" and main.method != causal_method("aipw")):
                main = row
        for c in report.checks:
            if c.name in SUPERSEDED:  # the graded sensitivity check below replaces them
                continue
            checks.append(Check(f"causal_{c.name}", c.status, f"{key.label}: {c.detail}",
                                metric=key.label, value=c.value))
    if main is None or main.ci_low is None or main.ci_high is None:
        engine = "builtin_aipw" if main is None else engine
        lo, hi = own.ate - z * own.se, own.ate + z * own.se
        main = Estimate(
            **shared, method=BUILTIN_AIPW, estimate=own.ate, ci_low=lo, ci_high=hi,
            p_value=float(normal_two_sided_p(own.ate / own.se)) if own.se > 0 else None,
            relative=own.mean_treated / own.mean_control - 1 if own.mean_control > 0 else None,
            n=n1, n_reference=n0, role=role, se=own.se,
            extra={**common, "engine": "builtin cross-fitted AIPW (5 folds, logistic)",
                   "mean_reached": own.mean_treated, "mean_not_reached": own.mean_control},
        )
        estimates.append(main)
    assert main.ci_low is not None
    assert main.ci_high is not None
    varying = [i for i, c in enumerate(covs) if c not in constant]
    sens = _ols_sensitivity(t, y, x[:, varying], [covs[i] for i in varying], alpha)
    check_row, result = _sensitivity(key, main, own, sens, check, z, alpha)
    checks.append(check_row)
    return CausalResult(
        key=key, estimates=tuple(estimates), checks=tuple(checks), effect=main.estimate,
        ci_low=main.ci_low, ci_high=main.ci_high, engine=engine, raw_difference=raw,
        n_treated=n1, n_control=n0, **result,
    )


SUPERSEDED = ("e_value", "robustness_value")
"""Checks of the observational analysis that the graded ``causal_sensitivity`` replaces."""


def _ols_sensitivity(t: NDArray[np.float64], y: NDArray[np.float64], x: NDArray[np.float64],
                     names: Sequence[str], alpha: float) -> OlsSensitivity | None:
    try:
        return ols_sensitivity(t, y, x, names, alpha=alpha)
    except (ValueError, np.linalg.LinAlgError):
        return None


def _sensitivity(key: Key, main: Estimate, own: AipwResult, sens: OlsSensitivity | None,
                 check: CausalCheck, z: float, alpha: float
                 ) -> tuple[Check, dict[str, Any]]:
    """The graded ``causal_sensitivity`` check and the verdict fields of the result."""
    assert main.ci_low is not None
    assert main.ci_high is not None
    # E-value on the risk-ratio scale from the AIPW potential-outcome means
    rr = math.exp(own.log_rr)
    rr_lo = math.exp(own.log_rr - z * own.log_rr_se)
    rr_hi = math.exp(own.log_rr + z * own.log_rr_se)
    ev, ev_ci = e_value(rr), e_value_interval(rr_lo, rr_hi)
    covers_zero = main.ci_low <= 0 <= main.ci_high
    strongest = sens.strongest if sens is not None else None
    k = strongest.k if strongest is not None else float("nan")
    if covers_zero:
        k = 0.0 if strongest is not None else k
    verdict = grade(covers_zero=covers_zero, k=k, e_value_ci=ev_ci,
                    fragile_e_value=check.fragile_e_value)
    words = verdict_text(verdict, k, sens)
    detail = (
        f"{key.label}: {words}. Effect {main.estimate:+.3f} [{main.ci_low:+.3f}, "
        f"{main.ci_high:+.3f}] ({main.method}); "
        + ("" if covers_zero else _benchmark_text(sens, k) + "; ")
        + f"risk ratio {rr:.2f} [{rr_lo:.2f}, {rr_hi:.2f}], E-value {ev:.2f} ({ev_ci:.2f} for "
        "the interval limit: the risk ratio a hidden confounder would need with both reaching "
        "the condition and retention, VanderWeele & Ding 2017). "
        + ("This is an observational estimate" if covers_zero else
           "This is an observational estimate: it holds only if no unmeasured common cause "
           "is stronger than that")
        + f"; {RANDOMIZED_ONLY} (nudge {key.action} in an A/B test and point experiment: at "
        "its report)"
    )
    status = Status.WARN  # never a plain pass for a causal claim from observational data
    row = Check("causal_sensitivity", status, detail, metric=key.label,
                value=None if math.isnan(k) else k)
    return row, {
        "e_value": ev, "e_value_ci": ev_ci,
        "fragile": ev_ci < check.fragile_e_value or (not math.isnan(k) and k < 1),
        "verdict": verdict, "robust_k": k,
        "benchmark": strongest.covariate if strongest is not None else None,
        "rv": sens.rv if sens is not None else float("nan"),
        "rv_alpha": sens.rv_alpha if sens is not None else float("nan"),
        "verdict_words": words,
    }


def experiment_evidence(path: Path, metric: str | None = None) -> tuple[Estimate, Check]:
    """The estimate of a randomized experiment (an A/B report JSON) as causal evidence.

    Takes the estimate of ``metric``, else the first primary estimate, else the first.

    Raises:
        SpecError: the file is missing, not a report, or has no such estimate.

    Example:
        >>> import tempfile
        >>> from causalkit.report.model import Experiment
        >>> ab = Report(experiment=Experiment(name="nudge", kind="ab"), estimates=(Estimate(
        ...     metric="retained", arm="t", reference="c", method="welch", estimate=0.04,
        ...     ci_low=0.01, ci_high=0.07, role="primary"),))
        >>> path = Path(tempfile.mkdtemp()) / "ab.json"
        >>> _ = path.write_text(ab.to_json())
        >>> est, check = experiment_evidence(path)
        >>> est.method, check.status.value
        ('experiment:welch', 'pass')
    """
    try:
        report = Report.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError("no such file", field="experiment", file=str(path),
                        hint="point experiment: to the JSON report of the A/B test") from None
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise SpecError(f"not a causalkit report ({exc})", field="experiment",
                        file=str(path), hint="use `causalkit run --format json`") from None
    pool = [e for e in report.estimates if metric is None or e.metric == metric]
    if not pool:
        names = ", ".join(sorted({e.metric for e in report.estimates})) or "none"
        raise SpecError(f"the report has no estimate of {metric!r}" if metric else
                        "the report has no estimates", field="experiment_metric",
                        file=str(path), hint=f"metrics: {names}")
    est = next((e for e in pool if e.role is Role.PRIMARY), pool[0])
    # the A/B estimate with its own (fixed-horizon) interval: the Aha report decides nothing
    out = Estimate(
        metric=est.metric, arm=est.arm, reference=est.reference,
        method=f"experiment:{est.method}", estimate=est.estimate, ci_low=est.ci_low,
        ci_high=est.ci_high, p_value=est.p_value, relative=est.relative,
        relative_ci_low=est.relative_ci_low, relative_ci_high=est.relative_ci_high,
        n=est.n, n_reference=est.n_reference, n_unit=est.n_unit, level=est.level,
        level_reference=est.level_reference, role=Role.PRIMARY, direction=est.direction,
        se=est.se, alpha=est.alpha,
        extra={"experiment": report.experiment.name},
    )
    covers = est.ci_low is not None and est.ci_high is not None and est.ci_low <= 0 <= est.ci_high
    status = Status.WARN if covers else Status.PASS
    detail = (f"randomized experiment {report.experiment.name!r}: {est.metric} "
              f"{est.estimate:+.4g} [{est.ci_low}, {est.ci_high}] "
              + ("covers zero" if covers else "excludes zero"))
    return out, Check("causal_experiment", status, detail, metric=est.metric)
