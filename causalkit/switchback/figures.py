"""Figures of a switch-back: the regions x time schedule heatmap and the effect over time.

Example:
    >>> from causalkit.spec.switchback import ScheduleSpec, Region
    >>> from causalkit.switchback.schedule import design_schedule
    >>> s = design_schedule(ScheduleSpec(start="2026-01-01T00:00Z", end="2026-01-02T00:00Z",
    ...     period="1h", design="bernoulli"), [Region(name="A"), Region(name="B")])
    >>> heatmap_svg(s).lstrip().startswith("<svg")
    True
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from causalkit.report.svg import figure_to_svg, new_figure
from causalkit.switchback.schedule import Schedule


def _times(schedule: Schedule) -> NDArray[np.datetime64]:
    ns = schedule.start_ns + np.arange(schedule.n_periods + 1, dtype=np.int64) * schedule.period_ns
    return ns.astype("datetime64[ns]")


def heatmap_svg(schedule: Schedule) -> str:
    """Regions (rows) x periods (columns), treatment dark, control light; randomization
    points are ticked along the top.

    Example:
        >>> from causalkit.spec.switchback import ScheduleSpec, Region
        >>> from causalkit.switchback.schedule import design_schedule
        >>> s = design_schedule(ScheduleSpec(start="2026-01-01T00:00Z",
        ...     end="2026-01-01T04:00Z", period="1h", design="bernoulli"),
        ...     [Region(name="A", tz="Asia/Seoul")])
        >>> svg = heatmap_svg(s)
        >>> svg.startswith("<svg"), "<script" in svg
        (True, False)
    """
    from matplotlib.colors import ListedColormap

    n_r = len(schedule.regions)
    fig, ax = new_figure(9.0, 0.9 + 0.45 * n_r)
    edges = _times(schedule)
    ax.pcolormesh(edges, np.arange(n_r + 1), schedule.arms.astype(float),
                  cmap=ListedColormap(["#dbe9f6", "#08519c"]), vmin=0, vmax=1)
    ax.set_yticks(np.arange(n_r) + 0.5)
    ax.set_yticklabels([f"{r} ({tz})" for r, tz in zip(schedule.regions, schedule.tzs)])
    ax.invert_yaxis()
    rp = np.flatnonzero(schedule.design.randomization_point[0])
    if len(rp) < schedule.n_periods:
        ax.plot(edges[rp], np.full(len(rp), -0.05), "v", color="#444444", markersize=3,
                clip_on=False)
    ax.set_title(f"{schedule.design_name} design: treatment (dark) / control (light), UTC")
    fig.autofmt_xdate()
    return figure_to_svg(fig)


def effect_over_time_svg(schedule: Schedule, periods: NDArray[np.int64],
                         contribution: NDArray[np.float64], estimate: float,
                         ci: tuple[float, float], metric: str) -> str:
    """Per-period Horvitz-Thompson contributions (averaged over regions), their running
    mean, and the overall estimate with its interval.

    Example:
        >>> from causalkit.spec.switchback import ScheduleSpec, Region
        >>> from causalkit.switchback.schedule import design_schedule
        >>> s = design_schedule(ScheduleSpec(start="2026-01-01T00:00Z",
        ...     end="2026-01-02T00:00Z", period="1h"), [Region(name="A")])
        >>> effect_over_time_svg(s, np.arange(24), np.zeros(24), 0.0, (-1, 1), "m")[:4]
        '<svg'
    """
    fig, ax = new_figure(9.0, 3.6)
    edges = _times(schedule)
    t = edges[periods]
    ok = ~np.isnan(contribution)
    ax.plot(t[ok], contribution[ok], ".", color="#9ecae1", markersize=3,
            label="per-period HT term")
    running = np.cumsum(np.where(ok, contribution, 0.0)) / np.maximum(np.cumsum(ok), 1)
    ax.plot(t, running, "-", color="#08519c", label="running estimate")
    ax.axhline(estimate, color="#d94801", linewidth=1.2, label="estimate")
    ax.axhspan(ci[0], ci[1], color="#fdae6b", alpha=0.3, label="interval")
    ax.axhline(0.0, color="#444444", linewidth=0.6)
    finite = contribution[ok]
    if len(finite):
        lo, hi = np.percentile(finite, [2, 98])
        span = max(hi - lo, abs(ci[1] - ci[0]), 1e-12)
        ax.set_ylim(min(lo, ci[0]) - 0.1 * span, max(hi, ci[1]) + 0.1 * span)
    ax.set_title(f"{metric}: lag-{schedule.carryover} effect over time")
    ax.legend(loc="upper right", fontsize=9)
    fig.autofmt_xdate()
    return figure_to_svg(fig)
