"""Plots of report contents: a forest plot of estimates and a confidence-sequence plot.

Both return a matplotlib ``Figure`` built without pyplot (Agg, nothing global),
ready for :func:`causalkit.report.svg.figure_to_svg`. matplotlib is imported
when a plot is made, never at import time.

Example:
    >>> from causalkit.report import Estimate
    >>> fig = forest_plot([Estimate(metric="m", arm="t", reference="c", method="welch",
    ...                             estimate=0.3, ci_low=0.1, ci_high=0.5)])
    >>> len(fig.axes)
    1
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from causalkit.errors import RenderError
from causalkit.report.assessment import TONE, Assessment
from causalkit.report.model import Estimate
from causalkit.report.render._format import decision_differs, row_labels
from causalkit.spec.common import Direction, Role

Scale = Literal["auto", "absolute", "relative"]

FONT = 9
"""The smallest font size (points) in report plots: 12 CSS pixels at a figure's natural size,
and at least 11 pixels wherever the HTML report shows it (it keeps a figure that wide)."""

_COLORS = {"good": "#1a7f37", "bad": "#cf222e", "caution": "#bf8700", "neutral": "#24292f",
           "guardrail": "#8250df"}

_INK = {"#bf8700": "#9a6700"}
"""Darker shades for text in a colour too light to read on white (contrast below 4.5:1)."""


def _ink(color: str) -> str:
    """The colour for text drawn in ``color`` on white: itself, or a darker shade."""
    return _INK.get(color, color)


_SHOWN = frozenset({Assessment.BETTER, Assessment.BETTER_BELOW_THRESHOLD, Assessment.WORSE,
                    Assessment.WORSE_WITHIN_MARGIN, Assessment.INFERIOR,
                    Assessment.SIGNIFICANT})
"""Assessments whose decision interval excludes 0 (drawn with a filled marker)."""


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _label(text: str) -> str:
    """Text safe for matplotlib and its SVG: ``$`` would start mathtext (and can raise
    on bad TeX); control characters would make the SVG ill-formed XML.
    """
    return _UNPRINTABLE.sub("\ufffd", text).replace("$", r"\$")


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def _values(e: Estimate, relative: bool) -> tuple[float | None, float | None, float | None]:
    if relative:
        return e.relative, e.relative_ci_low, e.relative_ci_high
    return e.estimate, e.ci_low, e.ci_high


def _color(e: Estimate) -> str:
    return _COLORS[TONE[e.assessment]]


def _margin(e: Estimate) -> float | None:
    """The non-inferiority margin on the harmful side, in metric units, or None."""
    m = e.margin
    if m is None or not math.isfinite(m) or m == 0 or e.direction is None:
        return None
    return (-1.0 if e.direction is Direction.INCREASE else 1.0) * abs(float(m))


def _decision_interval(e: Estimate) -> tuple[float | None, float | None] | None:
    """The decision interval when it is not the reported one (drawn as a thin line)."""
    low, high = e.decision_ci_low, e.decision_ci_high
    if not decision_differs(e) or (low is None and high is None):
        return None
    return low, high


_SCALE_LIMIT = 1e300  # beyond this a value is drawn as an arrow at the axis edge


def _on_scale(x: float | None) -> bool:
    return x is not None and math.isfinite(x) and abs(x) <= _SCALE_LIMIT


def _end(bound: float | None, left: float, right: float, low_side: bool) -> float:
    """Where an interval end is drawn: itself, or the axis edge when missing or off scale."""
    if bound is not None and _on_scale(bound):
        return bound
    if bound is None or math.isnan(bound):
        return left if low_side else right
    return right if bound > 0 else left


def _draw_rows(ax: Any, rows: Sequence[Estimate], labels: Sequence[str], relative: bool) -> None:
    """Draw one row per estimate on ``ax`` (top to bottom), with a zero line."""
    ys = np.arange(len(rows))[::-1].astype(float)
    margins = [None if relative else _margin(e) for e in rows]
    decisions = [None if relative else _decision_interval(e) for e in rows]
    finite: list[float] = [0.0, *(m for m in margins if m is not None and _on_scale(m))]
    for e, d in zip(rows, decisions, strict=True):
        finite += [v for v in (*_values(e, relative), *(d or ()))
                   if v is not None and _on_scale(v)]
    lo, hi = min(finite), max(finite)
    pad = 0.08 * hi - 0.08 * lo if hi > lo else (abs(hi) or 1.0) * 0.5
    left, right = lo - pad, hi + pad
    ax.axvline(0.0, color="#6e7781", linewidth=0.9, linestyle="--", zorder=1)
    for y, e, m, d in zip(ys, rows, margins, decisions, strict=True):
        point, low, high = _values(e, relative)
        color = _color(e)
        if d is not None:
            a, b = _end(d[0], left, right, True), _end(d[1], left, right, False)
            ax.plot([a, b], [y, y], color=color, linewidth=0.8, alpha=0.7, zorder=2)
            ax.plot([a, b], [y, y], linestyle="none", marker="|", markersize=7, color=color,
                    alpha=0.7, zorder=2, clip_on=False)
        if low is not None or high is not None:
            a, b = _end(low, left, right, True), _end(high, left, right, False)
            ax.plot([a, b], [y, y], color=color, linewidth=2.0, solid_capstyle="butt", zorder=2,
                    linestyle="-" if e.calibrated else (0, (2, 1.5)))
            for bound, end in ((low, a), (high, b)):
                if not _on_scale(bound):
                    marker = "<" if end <= left else ">"
                    ax.plot([end], [y], marker=marker, color=color, markersize=6, zorder=3,
                            clip_on=False)
        if point is not None and _on_scale(point):
            face = color if e.assessment in _SHOWN else "white"
            ax.plot([point], [y], marker="D" if e.role is Role.GUARDRAIL else "o", markersize=6,
                    markerfacecolor=face, markeredgecolor=color, zorder=4)
        elif point is not None and math.isfinite(point):
            edge = right if point > 0 else left
            ax.plot([edge], [y], marker=">" if point > 0 else "<", color=color, markersize=8,
                    zorder=4, clip_on=False)
            ax.annotate(f"off scale ({point:.3g})", (edge, y), xytext=(-4 if point > 0 else 4, 6),
                        textcoords="offset points", ha="right" if point > 0 else "left",
                        fontsize=FONT, color=_ink(color))
        else:
            ax.annotate("not estimable", (0.0, y), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=FONT, color=_COLORS["bad"])
        if m is not None and _on_scale(m):
            ax.plot([m, m], [y - 0.4, y + 0.4], color=_COLORS["guardrail"], linewidth=2.0,
                    zorder=2)
            ax.annotate("margin", (m, y + 0.4), xytext=(0, 1), textcoords="offset points",
                        ha="center", va="bottom", fontsize=FONT, color=_COLORS["guardrail"])
    ax.set_xlim(left, right)
    ax.set_yticks(ys, [_label(s if e.calibrated else f"{s} · uncalibrated")
                       for s, e in zip(labels, rows, strict=True)])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.grid(axis="x", color="#d0d7de", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if relative:
        from matplotlib.ticker import PercentFormatter

        ax.xaxis.set_major_formatter(PercentFormatter(1.0))


def forest_plot(estimates: Sequence[Estimate], *, scale: Scale = "auto",
                title: str | None = None) -> Any:
    """A forest plot: one row per estimate, its point and interval, and a zero line.

    Rows are grouped by metric in report order and always name the method:
    on the ``relative`` scale every row shares one percentage axis and is
    labelled with the estimate's label (``metric: arm - reference (method)``);
    on the ``absolute`` scale each metric gets its own panel (metrics have
    different units, the panel's title is the metric) with rows labelled
    ``arm - reference (method)``, a metric's non-inferiority ``margin`` is
    drawn as a violet tick on the harmful side, and a decision interval that
    differs from the reported one (always-valid or group-sequential) is drawn
    as a thin line with end ticks. ``auto`` picks relative when every estimate
    has a relative effect and no decision interval differs. Colours follow the
    assessment's tone (green good, red bad, amber caution such as
    ``worse_within_margin``, dark neutral); filled markers mean the decision
    interval excludes 0; diamonds are guardrails; an uncalibrated estimate
    (``calibrated=False``) has a dashed interval and says so in its label. Missing interval ends do not
    fail: an infinite or missing end runs to the axis edge with an arrow. Two
    estimates with the same label get distinct rows (``#2``).

    Args:
        estimates: the estimates to draw.
        scale: ``auto``, ``absolute`` or ``relative``.
        title: a title over the plot.

    Returns:
        A matplotlib ``Figure``.

    Raises:
        RenderError: on an unknown scale.

    Example:
        >>> from causalkit.report import Estimate
        >>> es = [Estimate(metric="a", arm="t", reference="c", method="welch", estimate=1.0,
        ...                ci_low=0.2, ci_high=None),
        ...       Estimate(metric="b", arm="t", reference="c", method="welch", estimate=5.0)]
        >>> len(forest_plot(es, scale="absolute").axes)
        2
    """
    from causalkit.report.svg import new_figure

    if scale not in ("auto", "absolute", "relative"):
        raise RenderError(f"unknown forest plot scale {scale!r}",
                          hint="use auto, absolute or relative")
    ests = list(estimates)
    if scale == "auto":
        scale = ("relative" if ests and all(_finite(e.relative) for e in ests)
                 and not any(_decision_interval(e) for e in ests) else "absolute")
    if not ests:
        fig, ax = new_figure(6.0, 1.5)
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no estimates", ha="center", va="center", transform=ax.transAxes)
        return fig

    order: dict[str, list[tuple[Estimate, str]]] = {}
    for e, label in zip(ests, row_labels(ests), strict=True):
        order.setdefault(e.metric, []).append((e, label))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # missing glyphs for exotic names
        if scale == "relative":
            rows = [e for group in order.values() for e, _ in group]
            labels = [label for group in order.values() for _, label in group]
            fig, ax = new_figure(7.0, 1.0 + 0.38 * len(rows))
            _draw_rows(ax, rows, labels, relative=True)
            ax.set_xlabel("relative effect (vs. the reference)")
        else:
            from matplotlib.figure import Figure as MplFigure

            heights = [len(g) + 1.2 for g in order.values()]
            fig = MplFigure(figsize=(7.0, 0.6 + 0.38 * sum(heights)), layout="constrained")
            axes = fig.subplots(len(order), 1, squeeze=False,
                                gridspec_kw={"height_ratios": heights})[:, 0]
            for ax, (metric, group) in zip(axes, order.items(), strict=True):
                _draw_rows(ax, [e for e, _ in group],
                           [label[len(e.metric) + 2:] for e, label in group], relative=False)
                ax.set_title(_label(metric), loc="left", fontsize=10)
            axes[-1].set_xlabel("absolute effect (metric units)")
        if title:
            fig.suptitle(_label(title))
    return fig


def confidence_sequence_plot(times: Sequence[Any] | np.ndarray, estimates: Sequence[float] | np.ndarray,
                             lows: Sequence[float] | np.ndarray, highs: Sequence[float] | np.ndarray,
                             title: str) -> Any:
    """The running estimate with its confidence sequence (an always-valid band) over time.

    Non-finite band ends (an infinite interval before enough data) leave a gap
    instead of stretching the axis.

    Args:
        times: the look times (numbers, datetimes or ``numpy.datetime64``).
        estimates: the running point estimate at each look.
        lows: the lower ends of the confidence sequence.
        highs: the upper ends.
        title: the plot title.

    Returns:
        A matplotlib ``Figure``.

    Raises:
        RenderError: when the four sequences differ in length.

    Example:
        >>> fig = confidence_sequence_plot([1, 2, 3], [0.5, 0.3, 0.32],
        ...                                [float("-inf"), -0.2, 0.05], [float("inf"), 0.8, 0.6],
        ...                                "chat_minutes")
        >>> fig.axes[0].get_title()
        'chat_minutes'
    """
    from causalkit.report.svg import new_figure

    t = np.asarray(times)
    arrays = [np.asarray(a, dtype=float) for a in (estimates, lows, highs)]
    if t.ndim != 1 or any(a.shape != t.shape for a in arrays):
        raise RenderError("confidence_sequence_plot: times, estimates, lows and highs must be "
                          "one-dimensional and of the same length, got "
                          f"{[t.shape[0] if t.ndim else 0] + [a.size for a in arrays]}")
    est, low, high = (np.where(np.isfinite(a), a, np.nan) for a in arrays)
    fig, ax = new_figure(7.0, 3.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ax.fill_between(t, low, high, color="#0969da", alpha=0.18, linewidth=0,
                        label="confidence sequence")
        ax.plot(t, est, color="#0969da", linewidth=1.6, label="estimate")
        ax.axhline(0.0, color="#6e7781", linewidth=0.9, linestyle="--")
        ax.set_title(_label(title))
        ax.set_xlabel("time")
        ax.set_ylabel("effect")
        ax.legend(loc="best", frameon=False, fontsize=FONT)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if t.dtype.kind == "M" or (t.size and hasattr(t.flat[0], "tzinfo")):
            fig.autofmt_xdate()
    return fig


__all__ = ["FONT", "confidence_sequence_plot", "forest_plot"]
