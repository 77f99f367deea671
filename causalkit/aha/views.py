"""Views of the search: X-by-Z heatmaps per action, the precision-recall map, the funnel.

Each returns a :class:`~causalkit.report.Figure` (SVG text); matplotlib is
imported lazily.

Example:
    >>> import numpy as np
    >>> from causalkit.aha.metrics import condition_metrics
    >>> from causalkit.aha.grid import ConditionGrid
    >>> m = condition_metrics(np.array([[[30, 20]]]), np.array([[[10, 5]]]),
    ...                       np.array([[[20, 30]]]), np.array([[[40, 45]]]))
    >>> g = ConditionGrid(("a",), np.array([7]), np.array([1, 2]), m, m, np.full((1, 1, 2), 0.01))
    >>> heatmap(g, "a").svg.lstrip().startswith("<svg")
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from causalkit.aha.grid import ConditionGrid
from causalkit.aha.metrics import pareto_front
from causalkit.aha.search import Key, index_of
from causalkit.report.model import Figure
from causalkit.report.plots import FONT
from causalkit.report.svg import figure_to_svg, text_color_on


def _figure(width: float, height: float, ncols: int = 1) -> tuple[Any, list[Any]]:
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(width, height), layout="constrained")
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    return fig, axes


def heatmap(grid: ConditionGrid, action: str) -> Figure:
    """Precision, recall and phi of one action over windows X (rows) and thresholds Z (columns).

    Example:
        >>> heatmap.__name__  # see the module example
        'heatmap'
    """
    a = grid.actions.index(action)
    d = grid.discovery
    panels = (("precision", d.precision[a], "viridis", (0.0, 1.0)),
              ("recall", d.recall[a], "viridis", (0.0, 1.0)),
              ("phi", d.phi[a], "RdBu_r", None))
    n_w, n_z = grid.windows.size, grid.thresholds.size
    side_by_side = n_z <= 6
    if side_by_side:  # one row of three panels, 11 in at most (the report's column)
        fig, axes = _figure(min(3.0 + 3 * 0.55 * n_z, 11.0), 1.6 + 0.4 * n_w, ncols=3)
    else:  # many thresholds: one panel per row
        from matplotlib.figure import Figure as MplFigure

        fig = MplFigure(figsize=(min(2.0 + 0.5 * n_z, 11.0), 3 * (1.2 + 0.4 * n_w)),
                        layout="constrained")
        axes = [fig.add_subplot(3, 1, i + 1) for i in range(3)]
    annotate = n_w * n_z <= 40
    for ax, (title, values, cmap, lim) in zip(axes, panels):
        vals = np.asarray(values, dtype=np.float64)
        if lim is None:
            span = float(np.nanmax(np.abs(vals))) if np.isfinite(vals).any() else 1.0
            lim = (-max(span, 1e-9), max(span, 1e-9))
        im = ax.pcolormesh(np.arange(n_z + 1) - 0.5, np.arange(n_w + 1) - 0.5, vals,
                           cmap=cmap, vmin=lim[0], vmax=lim[1])
        ax.set_title(title, fontsize=FONT + 2)
        ax.set_xlabel("at least Z times", fontsize=FONT + 1)
        ax.set_xticks(range(n_z), [str(z) for z in grid.thresholds], fontsize=FONT)
        ax.set_yticks(range(n_w), [f"{w}d" for w in grid.windows], fontsize=FONT)
        if ax is axes[0] or not side_by_side:
            ax.set_ylabel("within X days", fontsize=FONT + 1)
        if annotate and title == "phi":
            for (i, j), v in np.ndenumerate(vals):
                if np.isfinite(v):  # black or white, whichever contrasts more with the cell
                    cell = im.cmap(im.norm(v))
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=FONT,
                            color=text_color_on(cell))
        bar = fig.colorbar(im, ax=ax, shrink=0.8)
        bar.ax.tick_params(labelsize=FONT)
    fig.suptitle(f"{action}: discovery users")
    return Figure(name=f"heatmap_{action}", title=f"{action}: precision, recall and phi by X and Z",
                  svg=figure_to_svg(fig))


def precision_recall(grid: ConditionGrid, accepted: NDArray[np.bool_], *,
                     highlight: Sequence[str] = ()) -> Figure:
    """Every condition's precision against recall, the accepted ones marked, the Pareto front.

    Example:
        >>> from causalkit.aha.metrics import condition_metrics
        >>> m = condition_metrics(np.array([[[30, 20]]]), np.array([[[10, 5]]]),
        ...                       np.array([[[20, 30]]]), np.array([[[40, 45]]]))
        >>> g = ConditionGrid(("a",), np.array([7]), np.array([1, 2]), m, m, np.full((1, 1, 2), 0.01))
        >>> precision_recall(g, np.ones((1, 1, 2), bool), highlight=["a"]).name
        'precision_recall'
    """
    d = grid.discovery
    prec, rec = d.precision.ravel(), d.recall.ravel()
    acc = accepted.ravel()
    front = pareto_front(np.where(acc, prec, np.nan), np.where(acc, rec, np.nan))
    fig, (ax,) = _figure(6.5, 4.5)
    ax.scatter(rec[~acc], prec[~acc], s=8, color="0.75", label="not accepted (FDR)")
    action_of = np.repeat(np.arange(len(grid.actions)), grid.windows.size * grid.thresholds.size)
    palette = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]
    shown = [a for a in highlight if a in grid.actions][: len(palette)]
    rest = acc & ~np.isin(action_of, [grid.actions.index(a) for a in shown])
    ax.scatter(rec[rest], prec[rest], s=10, color="0.45", label="accepted")
    for color, name in zip(palette, shown):
        sel = acc & (action_of == grid.actions.index(name))
        ax.scatter(rec[sel], prec[sel], s=14, color=color, label=name)
    order = np.flatnonzero(front)
    order = order[np.argsort(rec[order])]
    if order.size:
        ax.plot(rec[order], prec[order], color="black", lw=1, marker="o", ms=3,
                label="Pareto front")
    if d.n.size:
        retained_share = float((d.tp + d.fn).ravel()[0]) / max(int(d.n.ravel()[0]), 1)
        ax.axhline(retained_share, color="0.3", ls=":", lw=1, label="base retention")
    ax.set_xlabel("recall: share of retained users who reached the condition")
    ax.set_ylabel("precision: retention of users who reached it")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=FONT, loc="upper right")
    return Figure(name="precision_recall", title="Precision and recall of every condition",
                  svg=figure_to_svg(fig))


def funnel(grid: ConditionGrid, keys: Sequence[Key]) -> Figure:
    """The accepted Pareto conditions from high recall to high precision, as a funnel.

    Bar length: coverage (share of users who reach the condition); text: precision and recall.

    Example:
        >>> from causalkit.aha.metrics import condition_metrics
        >>> m = condition_metrics(np.array([[[30, 20]]]), np.array([[[10, 5]]]),
        ...                       np.array([[[20, 30]]]), np.array([[[40, 45]]]))
        >>> g = ConditionGrid(("a",), np.array([7]), np.array([1, 2]), m, m, np.full((1, 1, 2), 0.01))
        >>> funnel(g, [Key("a", 7, 1), Key("a", 7, 2)]).svg.lstrip().startswith("<svg")
        True
    """
    d = grid.discovery
    rows = []
    for k in keys:
        idx = index_of(grid, k)
        if idx is not None:
            rows.append((k.label, float(d.coverage[idx]), float(d.precision[idx]),
                         float(d.recall[idx])))
    fig, (ax,) = _figure(9.0, 1.2 + 0.34 * max(len(rows), 1))
    if not rows:
        ax.text(0.5, 0.5, "no condition survived the false-discovery correction",
                ha="center", va="center")
        ax.set_axis_off()
    else:
        y = np.arange(len(rows))[::-1]
        cov = np.array([r[1] for r in rows])
        ax.barh(y, cov, left=(1 - cov) / 2, color="tab:blue", alpha=0.75)
        # labels beside the bars, never across a bar's edge: the condition on the left,
        # its precision and recall on the right
        ax.set_yticks(y, [label for label, *_ in rows], fontsize=FONT)
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(-0.6, len(rows) - 0.4)
        right = ax.twinx()
        right.set_ylim(ax.get_ylim())
        right.set_yticks(y, [f"coverage {c:.2f} · precision {p:.2f} · recall {r:.2f}"
                             for _l, c, p, r in rows], fontsize=FONT)
        right.tick_params(axis="y", length=0)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
            right.spines[side].set_visible(False)
        ax.set_xlim(0, 1)
        ax.set_xticks([])  # centred bars: their width is the number, printed on the right
        ax.spines["bottom"].set_visible(False)
        ax.set_xlabel("bar width: share of users who reach the condition (coverage)")
        ax.set_title("Funnel: from high recall (top) to high precision (bottom)", fontsize=FONT + 2)
    return Figure(name="funnel", title="Funnel of accepted conditions", svg=figure_to_svg(fig))
