"""From contrasts to report estimates: tests, multiplicity, sequential intervals, guardrails.

Families (each corrected separately with the spec's ``analysis.correction``):
primary metrics x treatment arms, and guardrail metrics x treatment arms.
Secondary metrics are reported unadjusted (at ``alpha``).

With ``sequential: msprt`` the interval is the always-valid confidence sequence
and the p-value the always-valid p-value (:mod:`causalkit.stats.sequential`),
with mixture variance ``tau2 = msprt_tau**2 * sigma**2`` when ``msprt_tau`` is
given (``sigma**2`` the mean of the two arms' per-unit variances), else tuned to
be tightest at ``decision.horizon_sample_per_arm`` units per arm (default 5,000,
GrowthBook's default). With ``none`` or ``gst`` both are fixed-horizon.

The *decision interval* of each estimate (what its ``assessment`` and the gate
read, see :mod:`causalkit.report.assessment`):

=============== ==================== ==========================================
``sequential``  reported interval    decision interval (``interval_kind``)
=============== ==================== ==========================================
``msprt``       always-valid         the reported one (``always_valid``)
``none``        fixed-horizon        the interval ``msprt`` would report: same
                                     mixture, levels from the always-valid
                                     p-values (``always_valid``)
``gst``         fixed-horizon        fixed here (``fixed``); the repeated
                                     group-sequential interval is set by
                                     :func:`causalkit.report.intervals.finish`
=============== ==================== ==========================================

``alpha`` is the multiplicity-adjusted level of the decision interval; under
``none`` the reported interval's level is ``extra.fixed_alpha``.

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
from dataclasses import replace

import numpy as np

from causalkit.ab.metrics import Contrast
from causalkit.report import Estimate
from causalkit.report.assessment import IntervalKind, noninferiority_p
from causalkit.spec.common import Analysis, MarginKind, Role, Sequential
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


def margin_abs(k: Contrast) -> float | None:
    """The contrast's non-inferiority margin in the metric's units (``>= 0``), or None.

    A relative margin is multiplied by ``|control level|`` (the unadjusted level).

    Example:
        >>> from causalkit.ab.metrics import Level
        >>> from causalkit.spec.common import Metric
        >>> m = Metric(name="m", type="mean", column="y", direction="increase", margin=0.1,
        ...            margin_kind="relative")
        >>> lv = Level(10, -2.0, -2.0, 1.0)
        >>> margin_abs(Contrast(m, "t", lv, lv, 9.0, "welch"))
        0.2
    """
    m = k.metric
    if m.margin is None:
        return None
    if m.margin_kind is MarginKind.RELATIVE:
        return float(abs(m.margin) * abs(k.control.raw))
    return float(abs(m.margin))


def _families(p: np.ndarray, contrasts: Sequence[Contrast],
              analysis: Analysis) -> tuple[np.ndarray, np.ndarray]:
    """Adjusted p-values and interval levels, corrected within the primary and guardrail families."""
    adj = p.copy()
    levels = np.full(len(contrasts), analysis.alpha)
    for fam in ("primary", "guardrail"):
        idx = [i for i, k in enumerate(contrasts) if family_of(k) == fam]
        if not idx:
            continue
        adj[idx] = adjust_pvalues(p[idx], analysis.correction.value)
        levels[idx] = interval_levels(p[idx], analysis.alpha, analysis.correction.value)
    return adj, levels


def estimates(contrasts: Sequence[Contrast], analysis: Analysis, *, control: str,
              horizon_per_arm: int | None = None, n_unit: str = "units") -> list[Estimate]:
    """Test every contrast, correct within families, and build the report estimates.

    Args:
        contrasts: metric x arm contrasts, in report order.
        analysis: the spec's analysis settings (alpha, correction, sequential, msprt_tau).
        control: name of the control arm (the estimates' ``reference``).
        horizon_per_arm: planned units per arm (tunes the mSPRT mixture).
        n_unit: what ``n`` and ``n_reference`` count.

    Example:
        >>> from causalkit.ab.metrics import Level
        >>> from causalkit.spec.common import Metric
        >>> m = Metric(name="m", type="mean", column="y", role="guardrail",
        ...            direction="decrease", margin=0.5)
        >>> k = Contrast(m, "t", Level(400, 1.0, 1.0, 1.0), Level(400, 1.1, 1.1, 1.0), 798.0, "welch")
        >>> e = estimates([k], Analysis(sequential="msprt"), control="c")[0]
        >>> round(e.estimate, 3), e.assessment.value, e.interval_kind.value, e.contrast
        (0.1, 'non_inferior', 'always_valid', 't - c')
    """
    seq = analysis.sequential
    mixture = seq in (Sequential.MSPRT, Sequential.NONE)  # the decision reads always-valid
    alpha = analysis.alpha
    tau2 = [mixture_tau2(k, analysis, horizon_per_arm) if mixture else math.nan
            for k in contrasts]
    raw_p = np.array([_fixed_p(k) for k in contrasts], dtype=float)
    fixed_adj, fixed_levels = _families(raw_p, contrasts, analysis)
    if mixture:
        av_p = np.array([
            math.nan if k.problem else float(msprt(k.estimate, k.se2, t2, alpha).p_value)
            for k, t2 in zip(contrasts, tau2)], dtype=float)
        av_adj, av_levels = _families(av_p, contrasts, analysis)
    else:
        av_adj, av_levels = fixed_adj, fixed_levels
    out = []
    for i, k in enumerate(contrasts):
        if seq is Sequential.MSPRT:
            e = _estimate(k, float(av_levels[i]), float(av_adj[i]), float(raw_p[i]), tau2[i],
                          control, n_unit, always_valid=True)
        else:
            e = _estimate(k, float(fixed_levels[i]), float(fixed_adj[i]), float(raw_p[i]),
                          tau2[i], control, n_unit, always_valid=False)
            if seq is Sequential.NONE:
                e = _with_sequence(e, k, float(av_levels[i]), tau2[i])
        out.append(e)
    return out


def _with_sequence(e: Estimate, k: Contrast, level: float, tau2: float) -> Estimate:
    """``e`` with the always-valid decision interval ``msprt`` would report (``sequential: none``)."""
    if k.problem is None:
        av = msprt(e.estimate, k.se2, tau2, level)
        low, high = float(av.ci_low), float(av.ci_high)
    else:
        low = high = math.nan
    extra = {**e.extra, "fixed_alpha": e.alpha, "msprt_tau2": tau2}
    return replace(e, alpha=level, extra=extra).with_decision_interval(
        low, high, IntervalKind.ALWAYS_VALID)


def _estimate(k: Contrast, level: float, p_adj: float, p_raw: float, tau2: float,
              control: str, n_unit: str, *, always_valid: bool) -> Estimate:
    c = compare(k.control.mean, k.control.se2, k.treatment.mean, k.treatment.se2,
                df=k.df, alpha=level)
    est = float(c.estimate)
    se = math.sqrt(k.se2) if k.se2 >= 0 else math.nan
    lo, hi = float(c.ci_low), float(c.ci_high)
    rlo, rhi = float(c.relative_ci_low), float(c.relative_ci_high)
    extra: dict[str, str | int | float | bool | None] = {
        "z": est / se if se > 0 else math.nan,
        "df": float(k.df),
        "p_value_unadjusted": p_raw,
    }
    if k.theta is not None:
        extra["cuped_theta"] = k.theta
    if always_valid and k.problem is None:
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
    return Estimate(
        metric=k.metric.name,
        arm=k.arm,
        reference=control,
        method=k.method + ("+msprt" if always_valid else ""),
        estimate=est,
        ci_low=lo,
        ci_high=hi,
        p_value=p_adj,
        relative=float(c.relative),
        relative_ci_low=rlo,
        relative_ci_high=rhi,
        n=k.treatment.n,
        n_reference=k.control.n,
        n_unit=n_unit,
        level=k.treatment.mean,
        level_reference=k.control.mean,
        role=k.metric.role,
        direction=k.metric.direction,
        se=se,
        margin=margin_abs(k),
        p_noninferiority=_noninferiority_p(k, est, se, tau2) if always_valid else None,
        practical_threshold=k.metric.practical_threshold,
        alpha=level,
        interval_kind=IntervalKind.ALWAYS_VALID if always_valid else IntervalKind.FIXED,
        extra=extra,
    )


def _noninferiority_p(k: Contrast, est: float, se: float, tau2: float) -> float | None:
    """The always-valid non-inferiority p-value (read against alpha like the mSPRT interval)."""
    margin = margin_abs(k)
    if margin is None or k.problem is not None or not se > 0:
        return None
    return noninferiority_p(estimate=est, se=se, margin=margin, direction=k.metric.direction,
                            tau2=tau2)
