"""The one reading of an estimate: better, worse, non-inferior, inferior, ...

Every estimate in a :class:`~causalkit.report.Report` carries an
:class:`Assessment`, computed here and nowhere else, from the *decision
interval* (the interval the decision uses: always-valid, group-sequential or
fixed-horizon, see :class:`IntervalKind`), the metric's ``direction``, its
non-inferiority ``margin`` and its ``practical_threshold``. Renderers, JUnit,
plots and the gate read the field; none of them re-derives it.

On the "good is positive" scale (the interval ``[g_low, g_high]`` is the decision
interval, negated and swapped for ``direction: decrease``):

========================== ==============================================================
assessment                 meaning
========================== ==============================================================
``better``                 ``g_low > 0`` and, when set, ``g_est >= practical_threshold``
``better_below_threshold`` ``g_low > 0`` but the estimate is below the practical threshold
``worse``                  ``g_high < 0`` (no margin set): significant harm
``not_significant``        the interval covers 0 (no margin set)
``non_inferior``           margin ``m`` set: ``g_low > -m`` and the interval covers 0
``worse_within_margin``    margin set: ``g_high < 0`` but ``g_low > -m`` (worse, shown
                           within the margin: not harm)
``not_shown_non_inferior`` margin set: the interval reaches past ``-m`` and past 0...
                           (``g_low <= -m <= g_high``): neither shown safe nor harmful
``inferior``               margin set: ``g_high < -m``, the whole interval beyond the margin
``significant``            no direction: the interval excludes 0
``not_computable``         a non-finite estimate or bound
========================== ==============================================================

A margin-set metric that is significantly better is ``better``. *Harm*
(:func:`is_harm`) is ``worse`` or ``inferior`` on a ``primary`` or ``guardrail``
metric: that is what the gate rolls back on and what JUnit counts as a failure.

Example:
    >>> assess(estimate=0.0005, low=-0.0004, high=0.0014, direction=Direction.DECREASE,
    ...        margin=0.002)
    <Assessment.NON_INFERIOR: 'non_inferior'>
    >>> assess(estimate=-0.004, low=-0.006, high=-0.002, direction=Direction.INCREASE,
    ...        margin=0.01).value
    'worse_within_margin'
"""

from __future__ import annotations

import math
from enum import StrEnum

from causalkit.spec.common import Direction, Role


class Assessment(StrEnum):
    """What an estimate's decision interval shows (see the module table)."""

    BETTER = "better"
    BETTER_BELOW_THRESHOLD = "better_below_threshold"
    WORSE = "worse"
    NOT_SIGNIFICANT = "not_significant"
    NON_INFERIOR = "non_inferior"
    WORSE_WITHIN_MARGIN = "worse_within_margin"
    NOT_SHOWN_NON_INFERIOR = "not_shown_non_inferior"
    INFERIOR = "inferior"
    SIGNIFICANT = "significant"
    NOT_COMPUTABLE = "not_computable"


class IntervalKind(StrEnum):
    """Where an estimate's decision interval comes from.

    ``fixed``: a fixed-horizon interval (valid at one planned look);
    ``always_valid``: a confidence sequence, valid at every look (mSPRT);
    ``repeated_gst``: a repeated confidence interval at the group-sequential boundary
    of the current look.
    """

    FIXED = "fixed"
    ALWAYS_VALID = "always_valid"
    REPEATED_GST = "repeated_gst"


HARM = frozenset({Assessment.WORSE, Assessment.INFERIOR})
"""Assessments that are harm on a deciding (primary or guardrail) metric."""

SAFE = frozenset({Assessment.BETTER, Assessment.BETTER_BELOW_THRESHOLD,
                  Assessment.NOT_SIGNIFICANT, Assessment.NON_INFERIOR,
                  Assessment.WORSE_WITHIN_MARGIN})
"""Assessments that let a guardrail pass: shown within its margin, or no harm shown."""

TONE = {
    Assessment.BETTER: "good", Assessment.BETTER_BELOW_THRESHOLD: "good",
    Assessment.NON_INFERIOR: "good",
    Assessment.WORSE: "bad", Assessment.INFERIOR: "bad",
    Assessment.WORSE_WITHIN_MARGIN: "caution", Assessment.NOT_SHOWN_NON_INFERIOR: "caution",
    Assessment.NOT_SIGNIFICANT: "neutral", Assessment.SIGNIFICANT: "neutral",
    Assessment.NOT_COMPUTABLE: "caution",
}
"""How a renderer colours an assessment: ``good`` (green), ``bad`` (red), ``caution``
(amber) or ``neutral``. Harm on a secondary metric is still ``bad`` in colour, but only
deciding metrics fail JUnit (:func:`is_harm`)."""

WORDS = {
    Assessment.BETTER: "better",
    Assessment.BETTER_BELOW_THRESHOLD: "better, below the practical threshold",
    Assessment.WORSE: "worse",
    Assessment.NOT_SIGNIFICANT: "significance not shown",
    Assessment.NON_INFERIOR: "non-inferior",
    Assessment.WORSE_WITHIN_MARGIN: "worse, within margin",
    Assessment.NOT_SHOWN_NON_INFERIOR: "non-inferiority not shown",
    Assessment.INFERIOR: "worse than margin",
    Assessment.SIGNIFICANT: "significant",
    Assessment.NOT_COMPUTABLE: "not computable",
}
"""Words for an assessment in tables and reasons.

They are chosen so that a verdict wrapped at any space still reads right line by line: a
claim that was not shown is written *claim* ``not shown``, the negation last
(``non-inferiority not shown``, ``significance not shown``), so no line of a wrapped verdict
is the words of another verdict (``not shown / non-inferior`` read as non-inferior; ``not /
significant`` as significant). A first line that reads alone (``worse,`` of ``worse, within
margin``; ``better,`` of ``better, below the practical threshold``) is true of the whole verdict.
"""


def assess(*, estimate: float, low: float | None, high: float | None,
           direction: Direction | None, margin: float | None = None,
           practical_threshold: float | None = None) -> Assessment:
    """Read a decision interval against zero, the margin and the practical threshold.

    Args:
        estimate: the point estimate (arm minus reference).
        low: lower end of the decision interval (``None`` counts as not computable).
        high: upper end of the decision interval.
        direction: which side is good, or ``None`` (then only significance is read).
        margin: non-inferiority margin in the metric's units (its size is used).
        practical_threshold: smallest improvement worth shipping (its size is used).

    Returns:
        The assessment (see the module table).

    Example:
        >>> assess(estimate=0.3, low=0.1, high=0.5, direction=Direction.INCREASE,
        ...        practical_threshold=0.4).value
        'better_below_threshold'
        >>> assess(estimate=-0.3, low=-0.5, high=-0.1, direction=None).value
        'significant'
        >>> assess(estimate=0.3, low=float("nan"), high=0.5, direction=None).value
        'not_computable'
    """
    if low is None or high is None:
        return Assessment.NOT_COMPUTABLE
    if not all(math.isfinite(x) for x in (estimate, low, high)) or low > high:
        return Assessment.NOT_COMPUTABLE
    if direction is None:
        return Assessment.SIGNIFICANT if (low > 0 or high < 0) else Assessment.NOT_SIGNIFICANT
    if direction is Direction.INCREASE:
        g_est, g_low, g_high = estimate, low, high
    else:
        g_est, g_low, g_high = -estimate, -high, -low
    if g_low > 0:
        if practical_threshold is not None and g_est < abs(practical_threshold):
            return Assessment.BETTER_BELOW_THRESHOLD
        return Assessment.BETTER
    if margin is None:
        return Assessment.WORSE if g_high < 0 else Assessment.NOT_SIGNIFICANT
    m = abs(margin)
    if g_high < -m:
        return Assessment.INFERIOR
    if g_low > -m:
        return Assessment.WORSE_WITHIN_MARGIN if g_high < 0 else Assessment.NON_INFERIOR
    return Assessment.NOT_SHOWN_NON_INFERIOR


def noninferiority_p(*, estimate: float, se: float | None, margin: float | None,
                     direction: Direction | None, df: float | None = None,
                     tau2: float | None = None) -> float | None:
    """The p-value of the non-inferiority test, read against ``alpha`` like the interval.

    On the "good is positive" scale (``g = estimate``, negated for ``direction: decrease``)
    the null hypothesis is "the harm reaches the margin", ``g <= -margin``. The p-value is
    the smallest ``a`` at which the estimate's two-sided ``1 - a`` interval lies wholly on
    the safe side of the margin, so **p < alpha exactly when the reported 1 - alpha
    interval excludes the margin** (its harmful end, ``g_low``, is above ``-margin``: the
    one-sided test at ``alpha / 2``, what the assessment reads). With ``t = (g + margin) /
    se`` that is ``min(1, 2 P(T >= t))``, ``T`` standard normal, or Student t with ``df``
    degrees of freedom when ``df`` is a finite positive number; with ``tau2`` (an mSPRT
    mixture variance) it is the always-valid p-value of the normal-mixture confidence
    sequence at the margin (1 when ``g <= -margin``).

    ``None`` without a margin, a direction or a positive finite standard error.

    Example:
        >>> round(noninferiority_p(estimate=-0.001, se=0.001, margin=0.003,
        ...                        direction=Direction.INCREASE), 4)
        0.0455
        >>> round(noninferiority_p(estimate=0.001, se=0.001, margin=0.003,
        ...                        direction=Direction.DECREASE, df=10), 4)
        0.0734
        >>> noninferiority_p(estimate=-0.005, se=0.001, margin=0.003,
        ...                  direction=Direction.INCREASE, tau2=1e-5)
        1.0
        >>> noninferiority_p(estimate=0.1, se=0.1, margin=None, direction=Direction.INCREASE)
    """
    if margin is None or direction is None or se is None:
        return None
    if not (math.isfinite(se) and se > 0 and math.isfinite(estimate) and math.isfinite(margin)):
        return None
    g = estimate if direction is Direction.INCREASE else -estimate
    d = g + abs(margin)
    if d <= 0:
        return 1.0
    if tau2 is not None:
        if not (math.isfinite(tau2) and tau2 > 0):
            return None
        v = se * se
        log_lr = 0.5 * math.log(v / (v + tau2)) + tau2 * d * d / (2.0 * v * (v + tau2))
        return math.exp(min(0.0, -log_lr))
    t = d / se
    if df is not None and math.isfinite(df) and df > 0:
        from scipy import stats

        return min(1.0, 2.0 * float(stats.t.sf(t, df)))
    return min(1.0, math.erfc(t / math.sqrt(2.0)))


def is_harm(assessment: Assessment, role: Role) -> bool:
    """Whether an assessment is harm the gate rolls back on (and JUnit fails).

    Example:
        >>> is_harm(Assessment.INFERIOR, Role.GUARDRAIL), is_harm(Assessment.WORSE, Role.SECONDARY)
        (True, False)
        >>> is_harm(Assessment.WORSE_WITHIN_MARGIN, Role.GUARDRAIL)
        False
    """
    return role is not Role.SECONDARY and assessment in HARM


def contrast_text(arm: str, reference: str) -> str:
    """The contrast label of every shape: ``"arm - reference"``.

    Example:
        >>> contrast_text("treatment", "control")
        'treatment - control'
    """
    return f"{arm} - {reference}"
