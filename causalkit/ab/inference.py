"""From contrasts to report estimates: tests, multiplicity, sequential intervals, guardrails.

Families (each corrected separately with the spec's ``analysis.correction``):
primary metrics x treatment arms, and guardrail metrics x treatment arms.
Secondary metrics are reported unadjusted (at ``alpha``).

With ``sequential: msprt`` the interval is the always-valid confidence sequence
and the p-value the always-valid p-value (:mod:`causalkit.stats.sequential`),
with mixture variance ``tau2 = msprt_tau**2 * sigma**2`` when ``msprt_tau`` is
given (``sigma**2`` the mean of the two arms' per-unit variances), else tuned to
be tightest at ``decision.horizon_sample_per_arm`` units per arm (default 5,000,
GrowthBook's default). With ``none`` or ``gst`` both are fixed-horizon (the gate
applies group-sequential boundaries from ``extra.z``).

Example:
    >>> import numpy as np
    >>> from causalkit.ab.metrics import contrast
    >>> from causalkit.data import Moments
    >>> from causalkit.spec.common import Analysis, Metric
    >>> m = Metric(name="y", type="mean", column="y", role="primary")
    >>> c = Moments.from_sums(["y"], 3407, [1396.87], [[52377.9767]])
    >>> t = Moments.from_sums(["y"], 3461, [2422.7], [[134698.29]])
    >>> (e,) = estimates([contrast(m, c, t, "treatment")], Analysis(), control="control")
    >>> round(e.estimate, 5), round(e.ci_low, 5), round(e.ci_high, 5), round(e.p_value, 5)
    (0.29, 0.04538, 0.53462, 0.02016)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from causalkit.ab.metrics import Contrast
from causalkit.report import Estimate
from causalkit.spec.common import Analysis, Direction, MarginKind, Role, Sequential
from causalkit.stats.effects import compare, two_sided_p
from causalkit.stats.multiplicity import adjust_pvalues, interval_levels
from causalkit.stats.sequential import GROWTHBOOK_TUNING_N, msprt, msprt_tau2


def family_of(k: Contrast) -> str | None:
    """``primary``, ``guardrail`` or None (secondary metrics are not corrected).

    Example:
        >>> from causalkit.ab.metrics import Level
        >>> from causalkit.spec.common import Metric
        >>> lv = Level(10, 1.0, 1.0, 1.0)
        >>> family_of(Contrast(Metric(name="m", type="mean", column="y"), "t", lv, lv, 9.0, "welch"))
    """
    if k.metric.role is Role.PRIMARY:
        return "primary"
    if k.metric.role is Role.GUARDRAIL:
        return "guardrail"
    return None


def mixture_tau2(k: Contrast, analysis: Analysis, horizon_per_arm: int | None) -> float:
    """The mSPRT mixture variance of a contrast (see the module docstring).

    Example:
        >>> from causalkit.ab.metrics import Level
        >>> from causalkit.spec.common import Metric
        >>> lv = Level(100, 1.0, 1.0, 4.0)
        >>> k = Contrast(Metric(name="m", type="mean", column="y"), "t", lv, lv, 198.0, "welch")
        >>> mixture_tau2(k, Analysis(msprt_tau=0.5), None)
        1.0
    """
    sigma2 = 0.5 * (k.control.var + k.treatment.var)
    if analysis.msprt_tau is not None:
        return float(analysis.msprt_tau**2 * sigma2)
    n_star = horizon_per_arm or GROWTHBOOK_TUNING_N
    return float(msprt_tau2((k.control.var + k.treatment.var) / n_star, analysis.alpha))


def _fixed_p(k: Contrast) -> float:
    if k.problem is not None:
        return math.nan
    return float(two_sided_p(k.estimate / math.sqrt(k.se2), k.df))


def _margin_abs(k: Contrast) -> float | None:
    m = k.metric
    if m.margin is None:
        return None
    if m.margin_kind is MarginKind.RELATIVE:
        return float(m.margin * abs(k.control.raw))
    return float(m.margin)


def estimates(contrasts: Sequence[Contrast], analysis: Analysis, *, control: str,
              horizon_per_arm: int | None = None) -> list[Estimate]:
    """Test every contrast, correct within families, and build the report estimates.

    Args:
        contrasts: metric x arm contrasts, in report order.
        analysis: the spec's analysis settings (alpha, correction, sequential, msprt_tau).
        control: name of the control arm (for ``n`` and the contrast label).
        horizon_per_arm: planned units per arm (tunes the mSPRT mixture).

    Example:
        >>> from causalkit.ab.metrics import Level
        >>> from causalkit.spec.common import Metric
        >>> m = Metric(name="m", type="mean", column="y", role="guardrail",
        ...            direction="decrease", margin=0.5)
        >>> k = Contrast(m, "t", Level(400, 1.0, 1.0, 1.0), Level(400, 1.1, 1.1, 1.0), 798.0, "welch")
        >>> e = estimates([k], Analysis(), control="c")[0]
        >>> round(e.estimate, 3), e.extra["noninferior"], e.extra["significant"]
        (0.1, True, False)
    """
    seq = analysis.sequential is Sequential.MSPRT
    alpha = analysis.alpha
    tau2 = [mixture_tau2(k, analysis, horizon_per_arm) if seq else math.nan for k in contrasts]
    raw_p = np.array([_fixed_p(k) for k in contrasts])
    if seq:
        test_p = np.array([
            math.nan if k.problem else
            float(msprt(k.estimate, k.se2, t2, alpha).p_value)
            for k, t2 in zip(contrasts, tau2)])
    else:
        test_p = raw_p.copy()
    adj_p = test_p.copy()
    levels = np.full(len(contrasts), alpha)
    for fam in ("primary", "guardrail"):
        idx = [i for i, k in enumerate(contrasts) if family_of(k) == fam]
        if not idx:
            continue
        adj_p[idx] = adjust_pvalues(test_p[idx], analysis.correction.value)
        levels[idx] = interval_levels(test_p[idx], alpha, analysis.correction.value)
    return [_estimate(k, float(levels[i]), float(adj_p[i]), float(raw_p[i]), tau2[i], seq,
                      control)
            for i, k in enumerate(contrasts)]


def _estimate(k: Contrast, level: float, p_adj: float, p_raw: float, tau2: float, seq: bool,
              control: str) -> Estimate:
    c = compare(k.control.mean, k.control.se2, k.treatment.mean, k.treatment.se2,
                df=k.df, alpha=level)
    est = float(c.estimate)
    se = math.sqrt(k.se2) if k.se2 >= 0 else math.nan
    lo, hi = float(c.ci_low), float(c.ci_high)
    rlo, rhi = float(c.relative_ci_low), float(c.relative_ci_high)
    extra: dict[str, str | int | float | bool | None] = {
        "z": est / se if se > 0 else math.nan,
        "df": float(k.df),
        "ci_kind": "always_valid" if seq else "fixed",
        "alpha": level,
        "p_value_unadjusted": p_raw,
        "control_level": k.control.mean,
        "treatment_level": k.treatment.mean,
    }
    if k.theta is not None:
        extra["cuped_theta"] = k.theta
    if seq and k.problem is None:
        av = msprt(est, k.se2, tau2, level)
        lo, hi = float(av.ci_low), float(av.ci_high)
        mc = k.control.mean
        rel_tau2 = tau2 / (mc * mc) if mc != 0 else math.nan
        rav = msprt(float(c.relative), float(c.relative_se) ** 2, rel_tau2, level)
        rlo, rhi = float(rav.ci_low), float(rav.ci_high)
        extra["msprt_tau2"] = tau2
        extra["fixed_ci_low"], extra["fixed_ci_high"] = float(c.ci_low), float(c.ci_high)
    if k.problem is not None:
        lo = hi = rlo = rhi = math.nan
        extra["problem"] = k.problem
    _decide(k, lo, hi, extra)
    method = k.method + ("+msprt" if seq else "")
    return Estimate(
        metric=k.metric.name,
        contrast=f"{k.arm} - {control}",
        method=method,
        estimate=est,
        ci_low=lo,
        ci_high=hi,
        p_value=p_adj,
        relative=float(c.relative),
        relative_ci_low=rlo,
        relative_ci_high=rhi,
        n={control: k.control.n, k.arm: k.treatment.n},
        role=k.metric.role.value,
        se=se,
        direction=k.metric.direction.value if k.metric.direction else None,
        extra=extra,
    )


def _decide(k: Contrast, lo: float, hi: float,
            extra: dict[str, str | int | float | bool | None]) -> None:
    """Fill significance, direction and non-inferiority flags from the interval."""
    finite = math.isfinite(lo) and math.isfinite(hi)
    sig = finite and (lo > 0 or hi < 0)
    extra["significant"] = sig
    d = k.metric.direction
    if d is None:
        extra["better"] = extra["worse"] = None
    else:
        up = d is Direction.INCREASE
        extra["better"] = sig and ((lo > 0) if up else (hi < 0))
        extra["worse"] = sig and ((hi < 0) if up else (lo > 0))
    margin = _margin_abs(k)
    extra["margin"] = margin
    if margin is not None and d is not None:
        if d is Direction.INCREASE:  # harm is a decrease
            extra["noninferior"] = finite and lo > -margin
            extra["worse_than_margin"] = finite and hi < -margin
        else:
            extra["noninferior"] = finite and hi < margin
            extra["worse_than_margin"] = finite and lo > margin
    extra["practical_threshold"] = k.metric.practical_threshold
