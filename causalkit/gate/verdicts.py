"""What one estimate's decision interval says: better, worse, non-inferior, beyond the margin.

The gate reads intervals, never point estimates alone. For a metric whose
``direction`` is ``increase`` the good side is above zero; for ``decrease`` it is
below. With a non-inferiority ``margin`` ``m`` (absolute units, >= 0) the metric
is *non-inferior* when the interval's bound on the harmful side lies inside the
margin (``low > -m`` for ``increase``), and *worse than its margin* when the
whole interval lies beyond it (``high < -m``).

Example:
    >>> v = judge(metric="report_rate", arm="treatment", role="guardrail", direction="decrease",
    ...           estimate=0.0005, low=-0.0004, high=0.0014, margin=0.002)
    >>> v.noninferior, v.worse_than_margin, v.worse
    (True, False, False)
    >>> type(v).__name__
    'Verdict'
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """The gate's reading of one metric x arm estimate.

    ``low``/``high`` is the interval the decision used; ``interval`` says where it
    came from: ``report`` (the analysis' always-valid interval), ``always_valid``
    (a confidence sequence the gate built from a fixed-horizon estimate and its
    standard error) or ``repeated_gst`` (a repeated confidence interval from the
    group-sequential boundary). ``noninferior`` is ``None`` for a metric without
    a margin.
    """

    metric: str
    arm: str
    role: str
    direction: str | None
    estimate: float
    low: float
    high: float
    margin: float | None
    practical_threshold: float | None
    better: bool
    worse: bool
    noninferior: bool | None
    worse_than_margin: bool
    meets_threshold: bool
    finite: bool
    interval: str = "report"

    @property
    def label(self) -> str:
        """``metric`` or ``metric (arm)`` when the arm is not the only treatment.

        Example:
            >>> judge(metric="m", arm="b", role="primary", direction="increase",
            ...       estimate=1.0, low=0.5, high=1.5).label
            'm [b]'
        """
        return f"{self.metric} [{self.arm}]"

    @property
    def interval_text(self) -> str:
        """The estimate and its interval, e.g. ``+0.41 [+0.12, +0.70]``.

        Example:
            >>> judge(metric="m", arm="t", role="primary", direction="increase",
            ...       estimate=0.41, low=0.12, high=0.7).interval_text
            '+0.41 [+0.12, +0.7]'
        """
        return f"{_fmt(self.estimate)} [{_fmt(self.low)}, {_fmt(self.high)}]"

    @property
    def ships(self) -> bool:
        """Better, and at least the practical threshold when the spec sets one."""
        return self.better and self.meets_threshold

    @property
    def guardrail_ok(self) -> bool:
        """Shown non-inferior (with a margin) or not significantly worse (without one)."""
        if self.noninferior is None:
            return not self.worse
        return self.noninferior


def _fmt(x: float) -> str:
    return f"{x:+.4g}" if math.isfinite(x) else str(x)


def judge(
    *,
    metric: str,
    arm: str,
    role: str,
    direction: str | None,
    estimate: float,
    low: float,
    high: float,
    margin: float | None = None,
    practical_threshold: float | None = None,
    interval: str = "report",
) -> Verdict:
    """Read an interval against zero, the margin and the practical threshold.

    Args:
        metric: metric name.
        arm: treatment arm of the contrast.
        role: ``primary``, ``secondary`` or ``guardrail``.
        direction: ``increase``, ``decrease`` or ``None`` (no better side).
        estimate: point estimate, treatment - control.
        low: lower end of the decision interval.
        high: upper end of the decision interval.
        margin: non-inferiority margin in absolute units (>= 0), or ``None``.
        practical_threshold: smallest improvement worth shipping (its size is used).
        interval: where the interval came from (see :class:`Verdict`).

    Returns:
        The verdict. A non-finite estimate or bound gives a verdict that is
        neither better, worse nor non-inferior (``finite`` False): the gate then
        treats the experiment as invalid.

    Example:
        >>> v = judge(metric="m", arm="t", role="primary", direction="increase",
        ...           estimate=0.3, low=0.1, high=0.5, practical_threshold=0.4)
        >>> v.better, v.meets_threshold, v.ships
        (True, False, False)
    """
    finite = all(math.isfinite(x) for x in (estimate, low, high))
    sign = {"increase": 1.0, "decrease": -1.0}.get(direction or "", 0.0)
    if not finite or low > high:
        return Verdict(metric, arm, role, direction, estimate, low, high, margin,
                       practical_threshold, False, False, None if margin is None else False,
                       False, False, False, interval)
    # Move to the "good is positive" scale: the interval becomes [g_low, g_high].
    if sign > 0:
        g_est, g_low, g_high = estimate, low, high
    elif sign < 0:
        g_est, g_low, g_high = -estimate, -high, -low
    else:
        return Verdict(metric, arm, role, direction, estimate, low, high, margin,
                       practical_threshold, False, False, None, False, False, True, interval)
    better = g_low > 0.0
    worse = g_high < 0.0
    if margin is None:
        noninferior: bool | None = None
        worse_than_margin = worse
    else:
        noninferior = g_low > -margin
        worse_than_margin = g_high < -margin
    meets = practical_threshold is None or g_est >= abs(practical_threshold)
    return Verdict(metric, arm, role, direction, estimate, low, high, margin,
                   practical_threshold, better, worse, noninferior, worse_than_margin,
                   meets, True, interval)
