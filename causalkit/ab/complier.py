"""Complier effects of an encouragement experiment: first stage and CACE from the A/B scan.

A metric with ``received: <column>`` (the treatment each unit actually received:
0/1 or a dose) is a complier-effect metric. The arms are *encouragements* (a nudge,
a prompt): they are randomized, the received treatment is not. Per treatment arm
the report then holds three estimates:

* the **intent-to-treat effect** (ITT) -- the metric's usual A/B estimate, CUPED
  included, with the metric's own role: the randomized comparison, the only one the
  gate decides on;
* the **first stage** ``<metric> [first stage]``: the arm's effect on ``received``
  (OLS on ``(1, arm, covariate)``), its robust F statistic and a weak-instrument check
  (``weak_instrument``: warns when F < :data:`causalkit.stats.iv.WEAK_F` = 10);
* the **complier average causal effect** ``<metric> [CACE]``: 2SLS of the outcome on
  ``received`` with the arm as instrument and the metric's CUPED covariate as an
  exogenous regressor (without one, the Wald ratio ITT / first stage), with a robust
  (HC0 sandwich) interval, and in ``extra`` the Anderson-Rubin set (``ar_set``,
  ``ar_low``, ``ar_high``, ``ar_text``), which stays valid when the first stage is
  weak and may be unbounded; the shares of compliers, always-takers and never-takers
  (0/1 ``received``), and the assumptions in words.

The first stage and the CACE have role ``secondary``: they are reported, never used
to ship (the gate reads only primary and guardrail estimates).

Everything comes from the one scan of the A/B analysis: :func:`complier_needs` adds the
received column, and with a covariate ``x`` the products ``y*x``, ``d*x``, ``x*x``, to
the scanned columns; all their pairwise co-moments give the per-arm sums the robust
sandwich needs (:class:`causalkit.stats.iv.IVSums`). So it runs on DuckDB and Spark.

Example:
    >>> import numpy as np, pandas as pd
    >>> import causalkit
    >>> rng = np.random.default_rng(1)
    >>> z = rng.integers(0, 2, 4000)
    >>> d = (rng.random(4000) < 0.1 + 0.5 * z).astype(int)
    >>> df = pd.DataFrame({"user_id": range(4000), "variant": np.where(z, "treatment", "control"),
    ...                    "reached": d, "retained": (rng.random(4000) < 0.3 + 0.2 * d).astype(int)})
    >>> rep = causalkit.analyze({"name": "nudge", "kind": "ab", "unit": "user_id",
    ...     "metrics": [{"name": "retained", "type": "proportion", "column": "retained",
    ...                  "received": "reached", "role": "primary", "direction": "increase"}]},
    ...     data=df)
    >>> [(e.metric, e.role.value) for e in rep.estimates]  # doctest: +NORMALIZE_WHITESPACE
    [('retained', 'primary'), ('retained [first stage]', 'secondary'),
     ('retained [CACE]', 'secondary')]
    >>> cace = rep.estimates[2]
    >>> cace.ci_low < 0.2 < cace.ci_high, cace.extra["ar_set"]
    (True, 'interval')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from causalkit.ab.metrics import Needs
from causalkit.data import Moments
from causalkit.report import Check, Estimate, Status, Table
from causalkit.spec.common import Direction, Metric, Role
from causalkit.stats.iv import WEAK_F, IVResult, IVSums, iv_fit

FIRST_STAGE = "first stage"
CACE = "CACE"
COV_TYPE: Literal["HC0", "HC1"] = "HC0"
"""The sandwich of the CACE interval (linearmodels' ``IV2SLS`` robust default)."""


def received_of(metric: Metric) -> str | None:
    """The metric's ``received`` column, or None (plain metrics and other shapes' metrics).

    Example:
        >>> received_of(Metric(name="m", type="mean", column="y")) is None
        True
    """
    value = getattr(metric, "received", None)
    return str(value) if value is not None else None


def product(a: str, b: str) -> str:
    """The name of the virtual product column ``a * b`` (the scan computes it).

    Example:
        >>> product("y", "x")
        'y*x'
    """
    return f"{a}*{b}"


def _variables(metric: Metric) -> tuple[list[str], list[str]]:
    """``(v, x)``: the columns ``(y, d, x...)`` and the covariates ``x``."""
    received = received_of(metric)
    assert received is not None
    assert metric.column is not None
    xs = [metric.covariate] if metric.covariate is not None else []
    return [metric.column, received, *xs], xs


def _products(v: Sequence[str], xs: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``name -> (a, b)`` of every ``v_j * x_l`` (``x_l * x_m`` once)."""
    out: dict[str, tuple[str, str]] = {}
    for a in v:
        for x in xs:
            if a in xs and xs.index(a) > xs.index(x):
                continue
            out[product(a, x)] = (a, x)
    return out


def complier_needs(base: Needs, metrics: Sequence[Metric]) -> Needs:
    """``base`` plus the columns, products and pairs the complier-effect metrics need.

    Example:
        >>> from causalkit.ab.metrics import needs
        >>> from causalkit.spec.ab import ABMetric
        >>> ms = [ABMetric(name="r", type="mean", column="y", covariate="x", received="d")]
        >>> n = complier_needs(needs(ms), ms)
        >>> n.columns, sorted(n.derived)
        (('y', 'x', 'd', 'y*x', 'd*x', 'x*x'), ['d*x', 'x*x', 'y*x'])
        >>> len(n.pairs)  # every pair of the six columns
        21
    """
    columns = list(base.columns)
    pairs = list(base.pairs)
    derived = dict(base.derived)
    for metric in metrics:
        if received_of(metric) is None:
            continue
        v, xs = _variables(metric)
        prods = _products(v, xs)
        cols = [*v, *prods]
        columns += cols
        pairs += [(a, b) for i, a in enumerate(cols) for b in cols[i:]]
        derived.update(prods)
    return Needs(tuple(dict.fromkeys(columns)), tuple(dict.fromkeys(pairs)), derived,
                 base.binary)


def iv_sums(metric: Metric, m: Moments) -> IVSums:
    """The per-arm sums of ``(y, d, x)`` for :func:`causalkit.stats.iv.iv_fit` from scan moments.

    ``sum a b = comoment[a, b] + n mean_a mean_b``; the cubic and quartic sums are
    co-moments of the product columns.

    Example:
        >>> import numpy as np
        >>> from causalkit.spec.ab import ABMetric
        >>> met = ABMetric(name="r", type="mean", column="y", covariate="x", received="d")
        >>> data = np.array([[1.0, 0.0, 2.0], [3.0, 1.0, 1.0]])
        >>> y, d, x = data.T
        >>> cols = ["y", "d", "x", "y*x", "d*x", "x*x"]
        >>> m = Moments.from_array(cols, np.column_stack([y, d, x, y * x, d * x, x * x]))
        >>> s = iv_sums(met, m)
        >>> np.allclose(s.vvxx, IVSums.from_data(y, d, x[:, None]).vvxx)
        True
    """
    v, xs = _variables(metric)
    n = m.n

    def total(a: str, b: str) -> float:
        i, j = m.index(a), m.index(b)
        return float(m.comoment[i, j] + n * m.mean[i] * m.mean[j])

    def prod(a: str, x: str) -> str:
        if a in xs and xs.index(a) > xs.index(x):
            return product(x, a)
        return product(a, x)

    p, k = len(v), len(xs)
    vv = np.array([[total(a, b) for b in v] for a in v])
    vvx = np.array([[[total(a, prod(b, x)) for x in xs] for b in v] for a in v]).reshape(p, p, k)
    vvxx = np.array([[[[total(prod(a, x), prod(b, w)) for w in xs] for x in xs] for b in v]
                     for a in v]).reshape(p, p, k, k)
    sums = np.array([n * float(m.mean[m.index(a)]) for a in v])
    return IVSums(n, sums, vv, vvx, vvxx)


def _binary(m: Moments, d: str, ranges: tuple[float, float] | None) -> bool:
    """Whether ``d`` holds only 0 and 1 in the arm (range in [0, 1] and ``sum d^2 = sum d``)."""
    if ranges is None or not (ranges[0] >= 0 and ranges[1] <= 1):
        return False
    i = m.index(d)
    mu = float(m.mean[i])
    expected = m.n * mu * (1 - mu)
    return abs(expected - float(m.comoment[i, i])) <= 1e-9 * max(1.0, expected)


@dataclass(frozen=True)
class ComplierResults:
    """What the complier-effect metrics add to an A/B report.

    Attributes:
        estimates: per metric and arm, the first stage and the CACE (role secondary).
        checks: per metric and arm, ``weak_instrument`` (pass, or warn when F < 10;
            warn also when the CACE could not be computed).
        tables: the ``complier`` table (empty when no metric has ``received``).
        fits: ``(metric, arm) -> IVResult`` (None when not computable).

    Example:
        >>> import numpy as np
        >>> from causalkit.spec.ab import ABMetric
        >>> met = ABMetric(name="y", type="mean", column="y", received="d")
        >>> c = Moments.from_array(["y", "d"], np.array([[1.0, 0], [2, 0], [3, 1], [2, 0]]))
        >>> t = Moments.from_array(["y", "d"], np.array([[3.0, 1], [4, 1], [2, 0], [5, 1]]))
        >>> r = complier_results([met], {"c": c, "t": t}, {}, control="c", treatments=["t"])
        >>> fit = r.fits[("y", "t")]
        >>> fit.beta, fit.weak, [tab.name for tab in r.tables]
        (3.0, True, ['complier'])
    """

    estimates: tuple[Estimate, ...] = ()
    checks: tuple[Check, ...] = ()
    tables: tuple[Table, ...] = ()
    fits: dict[tuple[str, str], IVResult | None] | None = None


def assumptions(metric: Metric, received: str, binary: bool) -> str:
    """The identifying assumptions of the CACE in words.

    Example:
        >>> assumptions(Metric(name="retained", type="proportion", column="r"), "reached",
        ...             True)[:60]
        'The CACE is the effect of reached on retained for compliers '
    """
    who = ("compliers (the units whose reached state the arm changed)" if binary else
           "compliers, weighted by how much the arm moved their dose")
    who = who.replace("reached", received)
    dose = "" if binary else (
        " With a dose, it is a weighted average of the effects of one more unit of dose "
        "(Angrist and Imbens, 1995).")
    return (f"The CACE is the effect of {received} on {metric.name} for {who}; it need not "
            "hold for units that would (or would not) take it anyway. It assumes: "
            "randomized arms (see the sample-ratio check); exclusion: the arm changes "
            f"{metric.name} only through {received}; monotonicity: the arm lowers no unit's "
            f"{received} (no defiers); relevance: the arm moves {received} (the first-stage "
            f"F; below {WEAK_F:g} the Wald interval is unreliable and the Anderson-Rubin set "
            f"is the interval to read).{dose}")


def complier_results(metrics: Sequence[Metric], arms: dict[str, Moments],
                     ranges: dict[str, dict[str, tuple[float, float]]], *, control: str,
                     treatments: Sequence[str], problems: dict[str, str] | None = None,
                     alpha: float = 0.05, n_unit: str = "units") -> ComplierResults:
    """The first stage, the CACE, the weak-instrument checks and the complier table.

    Args:
        metrics: the spec's metrics (those without ``received`` are skipped).
        arms: the scan's moments per arm (:attr:`causalkit.ab.scan.Scan.arms`).
        ranges: the scan's per-arm column ranges (to tell a 0/1 ``received`` from a dose).
        control: the control arm.
        treatments: the treatment arms to compare with control (each with 2+ units).
        problems: metric -> data problem found by the value checks (skipped, NaN).
        alpha: level of the intervals and of the Anderson-Rubin set.
        n_unit: what ``n`` counts.

    Example:
        >>> import numpy as np
        >>> from causalkit.spec.ab import ABMetric
        >>> met = ABMetric(name="y", type="mean", column="y", received="d")
        >>> c = Moments.from_array(["y", "d"], np.array([[1.0, 0], [2, 0], [3, 1], [2, 0]]))
        >>> t = Moments.from_array(["y", "d"], np.array([[3.0, 1], [4, 1], [2, 0], [5, 1]]))
        >>> r = complier_results([met], {"c": c, "t": t}, {}, control="c", treatments=["t"])
        >>> [(e.metric, e.estimate) for e in r.estimates]
        [('y [first stage]', 0.5), ('y [CACE]', 3.0)]
        >>> r.checks[0].name, r.checks[0].status.value
        ('weak_instrument', 'warn')
    """
    ests: list[Estimate] = []
    checks: list[Check] = []
    rows: list[tuple[str | int | float | bool | None, ...]] = []
    fits: dict[tuple[str, str], IVResult | None] = {}
    problems = problems or {}
    zq = float(stats.norm.isf(alpha / 2))
    for metric in metrics:
        received = received_of(metric)
        if received is None or control not in arms:
            continue
        for arm in treatments:
            mc, mt = arms[control], arms[arm]
            binary = all(_binary(m, received, ranges.get(a, {}).get(received))
                         for a, m in ((control, mc), (arm, mt)))
            fit: IVResult | None = None
            why = problems.get(metric.name)
            if why is None:
                try:
                    with np.errstate(all="ignore"):
                        fit = iv_fit(iv_sums(metric, mc), iv_sums(metric, mt), alpha=alpha,
                                     cov_type=COV_TYPE)
                except (ValueError, np.linalg.LinAlgError):
                    why = f"the arm does not move {received}"
                if fit is not None and not (np.isfinite(fit.beta) and np.isfinite(fit.se)):
                    fit, why = None, f"the arm does not move {received}"
            fits[(metric.name, arm)] = fit
            dc = float(mc.mean[mc.index(received)])
            dt = float(mt.mean[mt.index(received)])
            shares = _shares(dc, dt) if binary else {}
            common: dict[str, str | int | float | bool | None] = {
                "received": received, "binary_received": binary, **shares}
            ests += _estimates(metric, arm, control, fit, dc, dt, mc.n, mt.n, common, alpha, zq,
                               n_unit, received, binary)
            checks.append(_check(metric, arm, control, received, fit, why))
            rows.append(_row(metric, arm, fit, shares))
    tables = (_table(rows, alpha),) if rows else ()
    return ComplierResults(tuple(ests), tuple(checks), tables, fits)


def _shares(dc: float, dt: float) -> dict[str, float]:
    """Compliers, always- and never-takers (0/1 received, monotonicity)."""
    return {"complier_share": dt - dc, "always_taker_share": dc, "never_taker_share": 1.0 - dt}


def _estimates(metric: Metric, arm: str, control: str, fit: IVResult | None, dc: float,
               dt: float, nc: int, nt: int, common: dict[str, str | int | float | bool | None],
               alpha: float, zq: float, n_unit: str, received: str,
               binary: bool) -> list[Estimate]:
    cuped = "+cuped" if metric.covariate is not None else ""
    nan = math.nan
    if fit is None:
        fs = fs_se = f = beta = se = lo = hi = p = fp = nan
        ar: dict[str, str | int | float | bool | None] = {"ar_set": None, "ar_low": None,
                                                         "ar_high": None,
                                                         "ar_text": "not computable"}
        weak: bool | None = None
    else:
        fs, fs_se, f = fit.first_stage, fit.first_stage_se, fit.first_stage_f
        beta, se, lo, hi, p = fit.beta, fit.se, fit.ci_low, fit.ci_high, fit.p_value
        fp = float(2 * stats.norm.sf(abs(fs / fs_se))) if fs_se > 0 else nan
        ar = {"ar_set": fit.ar.kind,
              "ar_low": fit.ar.low if np.isfinite(fit.ar.low) else None,
              "ar_high": fit.ar.high if np.isfinite(fit.ar.high) else None,
              "ar_text": fit.ar.text(), "ar_p_value_zero": fit.ar_p0}
        weak = fit.weak
    base = {"first_stage_f": f, "weak_instrument": weak, "weak_f_threshold": WEAK_F, **common}
    first = Estimate(
        metric=f"{metric.name} [{FIRST_STAGE}]", arm=arm, reference=control,
        method=f"ols{cuped}+robust", estimate=fs, ci_low=fs - zq * fs_se,
        ci_high=fs + zq * fs_se, p_value=fp, n=nt, n_reference=nc, n_unit=n_unit, level=dt,
        level_reference=dc, role=Role.SECONDARY, direction=Direction.INCREASE, se=fs_se,
        alpha=alpha, extra={**base, "cov_type": COV_TYPE})
    cace = Estimate(
        metric=f"{metric.name} [{CACE}]", arm=arm, reference=control,
        method=f"2sls{cuped}+robust", estimate=beta, ci_low=lo, ci_high=hi, p_value=p, n=nt,
        n_reference=nc, n_unit=n_unit, role=Role.SECONDARY, direction=metric.direction, se=se,
        alpha=alpha,
        extra={**base, **ar, "cov_type": COV_TYPE,
               "itt_adjusted": fit.itt if fit is not None else nan,
               "assumptions": assumptions(metric, received, binary)})
    return [first, cace]


def _check(metric: Metric, arm: str, control: str, received: str, fit: IVResult | None,
           why: str | None) -> Check:
    where = f"{metric.name}: {arm} vs {control}"
    if fit is None:
        return Check("weak_instrument", Status.WARN,
                     f"{where}: the complier effect is not computable ({why or 'no data'}); "
                     "the intent-to-treat estimate is unaffected", metric=metric.name)
    f = fit.first_stage_f
    if fit.weak:
        return Check("weak_instrument", Status.WARN,
                     f"{where}: first stage on {received} has robust F = {f:.3g} < {WEAK_F:g}: "
                     "a weak instrument; the CACE's Wald interval may undercover, read the "
                     f"Anderson-Rubin set {fit.ar.text()}", metric=metric.name, value=f)
    return Check("weak_instrument", Status.PASS,
                 f"{where}: first stage on {received} has robust F = {f:.3g} >= {WEAK_F:g}",
                 metric=metric.name, value=f)


def _row(metric: Metric, arm: str, fit: IVResult | None,
         shares: dict[str, float]) -> tuple[str | int | float | bool | None, ...]:
    share = shares.get("complier_share")
    if fit is None:
        return (metric.name, arm, None, None, None, share, None, None, None, "not computable")
    return (metric.name, arm, fit.itt, fit.first_stage, fit.first_stage_f, share, fit.beta,
            fit.ci_low, fit.ci_high, fit.ar.text())


def _table(rows: list[tuple[str | int | float | bool | None, ...]], alpha: float) -> Table:
    level = f"{100 * (1 - alpha):g}%"
    return Table(
        "complier",
        "Complier effects (encouragement arms): ITT (regression-adjusted) = first stage x CACE",
        ("metric", "arm", "ITT", "first stage", "first-stage F", "complier share", "CACE",
         f"CACE {level} low", f"CACE {level} high", f"Anderson-Rubin {level} set"),
        tuple(rows), priority=(0, 0, 1, 1, 0, 2, 0, 1, 1, 0))
