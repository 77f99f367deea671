"""Figures of an observational analysis, as SVG text: the graph, overlap, sensitivity.

matplotlib and the networkx layout are imported only here, only when drawn.

Example:
    >>> from causalkit.observational.graph import build_graph
    >>> svg = draw_graph(build_graph("digraph { z -> t -> y; z -> y }"), "t", "y", ("z",))
    >>> svg.lstrip().startswith("<svg")
    True
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from causalkit.observational.graph import CausalGraph, latent_name
from causalkit.observational.learners import Array
from causalkit.report.svg import figure_to_svg, new_figure

Point = tuple[float, float]
Box = tuple[float, float, float, float]
"""A node's box: centre x, centre y, width, height (y grows downwards)."""


@dataclass(frozen=True)
class Layout:
    """A layered drawing of a DAG: each node's box and each edge's polyline.

    Attributes:
        boxes: node -> (centre x, centre y, width, height); y grows downwards, one layer
            per topological generation.
        edges: (tail, head) -> the polyline's points, from the tail's box edge to the head's.
        width: the drawing's width.
        height: the drawing's height.

    Example:
        >>> import networkx as nx
        >>> lay = layered_layout(nx.DiGraph([("t", "y")]), {"t": (20.0, 10.0), "y": (30.0, 10.0)})
        >>> lay.edges[("t", "y")]  # from the bottom of t's box to the top of y's
        ((15.0, 10.0), (15.0, 52.0))
    """

    boxes: dict[Hashable, Box]
    edges: dict[tuple[Hashable, Hashable], tuple[Point, ...]]
    width: float
    height: float


def _crossings(order: list[list[Hashable]], succ: dict[Hashable, list[Hashable]]) -> int:
    total = 0
    for upper, lower in itertools.pairwise(order):
        pos = {v: i for i, v in enumerate(lower)}
        pairs = sorted((i, pos[w]) for i, v in enumerate(upper) for w in succ[v] if w in pos)
        for a in range(len(pairs)):
            for b in range(a + 1, len(pairs)):
                if pairs[a][0] < pairs[b][0] and pairs[a][1] > pairs[b][1]:
                    total += 1
    return total


def _place(layer: list[Hashable], want: dict[Hashable, float], width: dict[Hashable, float],
           gap: float) -> dict[Hashable, float]:
    """x of each node of one layer: as near its wanted x as the order and the gaps allow."""
    xs = [want[v] for v in layer]
    half = [width[v] / 2 for v in layer]
    for _ in range(2):  # push right, then pull back left, keeping the order and the gaps
        for i in range(1, len(xs)):
            xs[i] = max(xs[i], xs[i - 1] + half[i - 1] + gap + half[i])
        for i in range(len(xs) - 2, -1, -1):
            xs[i] = min(xs[i], xs[i + 1] - half[i + 1] - gap - half[i])
    for i in range(1, len(xs)):
        xs[i] = max(xs[i], xs[i - 1] + half[i - 1] + gap + half[i])
    return dict(zip(layer, xs, strict=True))


def layered_layout(dag: Any, size: Mapping[Hashable, tuple[float, float]], *,
                   node_gap: float = 18.0, layer_gap: float = 42.0,
                   dummy_width: float = 6.0, sweeps: int = 12) -> Layout:
    """A layered (Sugiyama) layout of a DAG: no Graphviz, only networkx.

    Layers are the topological generations; an edge spanning several layers runs
    through a dummy point in each layer it crosses; nodes are ordered within their
    layer by barycenter sweeps (down and up, the order with the fewest crossings
    kept) and placed at the mean x of their neighbours as far as the gaps allow.
    Every edge is a polyline from the bottom of its tail's box to the top of its
    head's; inside a layer it runs vertically through its dummy point, which keeps
    ``node_gap`` from every box, and between layers it crosses the empty band, so no
    edge passes through a box other than its own two ends.

    Args:
        dag: a networkx ``DiGraph`` without cycles.
        size: node -> (width, height) of its box.
        node_gap: the least horizontal space between two boxes (or a box and an edge).
        layer_gap: the vertical space between two layers.
        dummy_width: the width reserved for an edge passing through a layer.
        sweeps: barycenter sweeps.

    Example:
        >>> import networkx as nx
        >>> g = nx.DiGraph([("z", "t"), ("t", "y"), ("z", "y")])
        >>> lay = layered_layout(g, {v: (30.0, 20.0) for v in g})
        >>> [round(lay.boxes[v][1]) for v in ("z", "t", "y")]  # one layer each, top to bottom
        [10, 72, 134]
        >>> len(lay.edges[("z", "y")])  # through the dummy point in t's layer
        4
    """
    import networkx as nx

    layers_of: dict[Hashable, int] = {}
    for depth, gen in enumerate(nx.topological_generations(dag)):
        for v in gen:
            layers_of[v] = depth
    # pull sources down next to their first child (an exogenous parent sits right above it)
    for v in sorted(dag, key=lambda n: -layers_of[n]):
        kids = [layers_of[w] for w in dag.successors(v)]
        if kids and dag.in_degree(v) == 0:
            layers_of[v] = min(kids) - 1
    n_layers = max(layers_of.values(), default=-1) + 1
    order: list[list[Hashable]] = [[] for _ in range(n_layers)]
    for v in dag:  # appearance order is the first order
        order[layers_of[v]].append(v)
    succ: dict[Hashable, list[Hashable]] = {v: [] for v in dag}
    pred: dict[Hashable, list[Hashable]] = {v: [] for v in dag}
    chains: dict[tuple[Hashable, Hashable], list[Hashable]] = {}
    for u, w in dag.edges:
        chain: list[Hashable] = [u]
        for k in range(layers_of[u] + 1, layers_of[w]):
            d = ("\0dummy", u, w, k)
            succ[d], pred[d] = [], []
            order[k].append(d)
            chain.append(d)
        chain.append(w)
        for a, b in itertools.pairwise(chain):
            succ[a].append(b)
            pred[b].append(a)
        chains[(u, w)] = chain

    best, best_cross = [list(x) for x in order], _crossings(order, succ)
    for sweep in range(sweeps):
        down = sweep % 2 == 0
        rng = range(1, n_layers) if down else range(n_layers - 2, -1, -1)
        for k in rng:
            ref = {v: i for i, v in enumerate(order[k - 1 if down else k + 1])}
            nbrs = pred if down else succ

            def bary(v: Hashable, i: int, ref: dict[Hashable, int] = ref,
                     nbrs: dict[Hashable, list[Hashable]] = nbrs) -> float:
                near = [ref[n] for n in nbrs[v] if n in ref]
                return sum(near) / len(near) if near else float(i)

            order[k] = [v for _, _, v in sorted(
                (bary(v, i), i, v) for i, v in enumerate(order[k]))]
        cross = _crossings(order, succ)
        if cross < best_cross:
            best, best_cross = [list(x) for x in order], cross
    order = best

    width = {v: (size[v][0] if v in size else dummy_width) for layer in order for v in layer}
    for layer in order:
        for v in layer:
            width.setdefault(v, dummy_width)
    heights = [max((size[v][1] for v in layer if v in size), default=dummy_width)
               for layer in order]
    ys, y = [], 0.0
    for h in heights:
        ys.append(y + h / 2)
        y += h + layer_gap
    x: dict[Hashable, float] = {}
    for layer in order:  # packed from the left to start
        x.update(_place(layer, dict.fromkeys(layer, 0.0), width, node_gap))
    for sweep in range(16):  # each node towards the mean x of its neighbours
        down = sweep % 2 == 0
        rng = range(n_layers) if down else range(n_layers - 1, -1, -1)
        for k in rng:
            want = {}
            for v in order[k]:
                near = [x[n] for n in (*pred[v], *succ[v])]
                want[v] = sum(near) / len(near) if near else x[v]
            x.update(_place(order[k], want, width, node_gap))
    left = min((x[v] - width[v] / 2 for layer in order for v in layer), default=0.0)
    right = max((x[v] + width[v] / 2 for layer in order for v in layer), default=0.0)
    boxes: dict[Hashable, Box] = {
        v: (x[v] - left, ys[layers_of[v]], size[v][0], size[v][1]) for v in dag}

    edges: dict[tuple[Hashable, Hashable], tuple[Point, ...]] = {}
    out_port: dict[Hashable, list[tuple[Hashable, Hashable]]] = {v: [] for v in dag}
    in_port: dict[Hashable, list[tuple[Hashable, Hashable]]] = {v: [] for v in dag}
    for u, w in chains:
        out_port[u].append((u, w))
        in_port[w].append((u, w))

    def spread(v: Hashable, keys: list[tuple[Hashable, Hashable]], toward: dict[
            tuple[Hashable, Hashable], float]) -> dict[tuple[Hashable, Hashable], float]:
        cx, _, w, _ = boxes[v]
        keys = sorted(keys, key=lambda e: toward[e])
        usable = 0.6 * w
        return {e: cx - usable / 2 + usable * (i + 1) / (len(keys) + 1)
                for i, e in enumerate(keys)}

    first = {e: x[c[1]] - left for e, c in chains.items()}
    last = {e: x[c[-2]] - left for e, c in chains.items()}
    ports_out = {e: p for v in dag for e, p in spread(v, out_port[v], first).items()}
    ports_in = {e: p for v in dag for e, p in spread(v, in_port[v], last).items()}
    for (u, w), chain in chains.items():
        bu, bw = boxes[u], boxes[w]
        pts: list[Point] = [(ports_out[(u, w)], bu[1] + bu[3] / 2)]
        for k, dummy in enumerate(chain[1:-1], start=layers_of[u] + 1):
            pts += [(x[dummy] - left, ys[k] - heights[k] / 2),
                    (x[dummy] - left, ys[k] + heights[k] / 2)]
        pts.append((ports_in[(u, w)], bw[1] - bw[3] / 2))
        edges[(u, w)] = tuple(pts)
    return Layout(boxes=boxes, edges=edges, width=right - left, height=max(y - layer_gap, 0.0))


FONT = 10.0
"""Node labels' font size (points)."""


def _text_size(text: str, fontsize: float) -> tuple[float, float]:
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    w, h, _d = TextToPath().get_text_width_height_descent(
        text, FontProperties(size=fontsize), ismath=False)
    return float(w), float(h)


def draw_graph(graph: CausalGraph, treatment: str, outcome: str,
               adjustment: Sequence[str] = (), *, highlight_label: str = "adjustment set",
               title: str = "") -> str:
    """The causal diagram, laid out in layers (:func:`layered_layout`): each node a rounded
    box sized to its label, edges as polylines that go around the boxes; treatment and
    outcome coloured, the adjustment set highlighted, latent nodes dashed, a bidirected edge
    a dashed red two-headed line through the point of its latent common cause.

    Example:
        >>> from causalkit.observational.graph import build_graph
        >>> "svg" in draw_graph(build_graph("digraph { t -> y; t <-> y }"), "t", "y")
        True
    """
    import warnings

    from matplotlib.figure import Figure as MplFigure
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
    from matplotlib.path import Path as MplPath

    from causalkit.report.svg import text_color_on

    bi_latent = {latent_name(a, b) for a, b in graph.bidirected}
    dag = graph.dag
    adj = set(adjustment)
    pad_x, pad_y = 8.0, 6.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # glyphs missing for exotic names
        size = {}
        for v in dag:
            if v in bi_latent:
                size[v] = (4.0, 4.0)
            else:
                w, h = _text_size(str(v), FONT)
                size[v] = (w + 2 * pad_x, max(h, FONT) + 2 * pad_y)
    lay = layered_layout(dag, size)

    def fill(v: str) -> str:
        if v == treatment:
            return "#2f5f9e"
        if v == outcome:
            return "#b35806"
        if v in adj:
            return "#a1d99b"
        return "#ffffff" if v in graph.latent else "#eaeef2"

    margin, legend_h = 10.0, 34.0
    head_h = 22.0 if title else 0.0
    fig_w = max(lay.width + 2 * margin, 470.0)
    fig_h = lay.height + 2 * margin + legend_h + head_h
    fig = MplFigure(figsize=(fig_w / 72, fig_h / 72))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-(fig_w - lay.width) / 2, lay.width + (fig_w - lay.width) / 2)
    ax.set_ylim(lay.height + margin + legend_h, -margin - head_h)  # y grows downwards
    ax.set_axis_off()
    head = "head_length=5,head_width=2.5"

    def polyline(pts: Sequence[Point], color: str, style: str, dashed: bool = False) -> None:
        codes = [MplPath.MOVETO] + [MplPath.LINETO] * (len(pts) - 1)
        ax.add_patch(FancyArrowPatch(path=MplPath(pts, codes), color=color, zorder=2,
                                     arrowstyle=f"{style},{head}", mutation_scale=1.0,
                                     shrinkA=0, shrinkB=0, linewidth=1.1,
                                     linestyle="--" if dashed else "-"))

    for (u, _w), pts in lay.edges.items():
        if u not in bi_latent:
            polyline(pts, "#424a53", "-|>")
    for a, b in graph.bidirected:  # a <-> b through its latent parent's point
        u = latent_name(a, b)
        polyline([*reversed(lay.edges[(u, a)]), *lay.edges[(u, b)][1:]], "#c0392b", "<|-|>",
                 dashed=True)
    for v, (cx, cy, w, h) in lay.boxes.items():
        if v in bi_latent:
            continue
        face = fill(str(v))
        ax.add_patch(FancyBboxPatch((cx - w / 2, cy - h / 2), w, h,
                                    boxstyle="round,pad=0,rounding_size=6", facecolor=face,
                                    edgecolor="#24292f", linewidth=1.1, zorder=3,
                                    linestyle="--" if v in graph.latent else "-"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            ax.text(cx, cy, str(v), ha="center", va="center_baseline", fontsize=FONT,
                    color=text_color_on(face), zorder=4)
    handles: list[Any] = [
        Patch(facecolor=fill(treatment), edgecolor="#24292f", label="treatment"),
        Patch(facecolor=fill(outcome), edgecolor="#24292f", label="outcome"),
        Patch(facecolor="#a1d99b", edgecolor="#24292f", label=highlight_label),
    ]
    if graph.latent - bi_latent:
        handles.append(Patch(facecolor="white", edgecolor="#24292f", linestyle="--",
                             label="latent"))
    if graph.bidirected:
        handles.append(Line2D([], [], ls="--", color="#c0392b", label="latent confounding"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=9,
               frameon=False, handlelength=1.4, columnspacing=1.0)
    if title:
        fig.suptitle(title, fontsize=FONT + 1, y=1 - 4 / fig_h, va="top")
    return figure_to_svg(fig)


def overlap_plot(t: Array, e: Array) -> str:
    """Histograms of the propensity score by arm (treated above, control mirrored below).

    Example:
        >>> overlap_plot(np.array([0.0, 1.0]), np.array([0.3, 0.7])).lstrip().startswith("<svg")
        True
    """
    fig, ax = new_figure(6, 3.5)
    bins = np.linspace(0, 1, 41)
    h1, _ = np.histogram(e[t == 1], bins=bins)
    h0, _ = np.histogram(e[t == 0], bins=bins)
    width = bins[1] - bins[0]
    ax.bar(bins[:-1], h1 / max(h1.sum(), 1), width=width, align="edge", color="#4C72B0",
           label="treated")
    ax.bar(bins[:-1], -h0 / max(h0.sum(), 1), width=width, align="edge", color="#DD8452",
           label="control")
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xlim(0, 1)
    ax.set_xlabel("propensity score")
    ax.set_ylabel("share of arm (control mirrored)")
    ax.legend(fontsize=9)
    return figure_to_svg(fig)


_ON_WHITE = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.9}


def contour_plot(estimate: float, se: float, dof: int, *, benchmarks: Sequence[
        tuple[str, float, float]] = (), alpha: float = 0.05, rv: float | None = None) -> str:
    """Sensitivity contours (Cinelli & Hazlett 2020): the bias-adjusted estimate against the
    partial R² of an unobserved confounder with the treatment (x) and the outcome (y).

    ``benchmarks`` are ``(label, r2_treatment, r2_outcome)`` points for confounders as
    strong as observed covariates.

    Example:
        >>> contour_plot(1.0, 0.2, 500).lstrip().startswith("<svg")
        True
    """
    from causalkit.observational.sensitivity import adjusted_estimate

    fig, ax = new_figure(6.5, 5.0)
    grid = np.linspace(0, 0.5, 101)
    r2d, r2y = np.meshgrid(grid, grid)
    adj = adjusted_estimate(estimate, se, dof, r2d, r2y)
    levels = np.linspace(np.nanmin(adj), np.nanmax(adj), 12)
    cs = ax.contour(r2d, r2y, adj, levels=levels[::2], colors="#59636e", linewidths=0.7)
    ax.clabel(cs, fontsize=9, fmt="%.3g")
    zero = ax.contour(r2d, r2y, adj, levels=[0.0], colors="#C44E52", linewidths=1.6)
    if zero.allsegs and any(len(s) for s in zero.allsegs[0]):
        ax.clabel(zero, fontsize=9, fmt={0.0: "0"})
    for label, x, y in benchmarks:
        ax.plot([x], [y], marker="D", color="#55A868")
        ax.annotate(label, (x, y), fontsize=9, xytext=(5, 5), textcoords="offset points",
                    bbox=_ON_WHITE)
    if rv is not None and 0 < rv < 0.5:
        ax.plot([rv], [rv], marker="o", color="#C44E52")
        ax.annotate(f"RV = {rv:.3f}", (rv, rv), fontsize=9, xytext=(-6, 6), ha="right",
                    textcoords="offset points", bbox=_ON_WHITE)
    ax.set_xlabel("partial R² of confounder with treatment")
    ax.set_ylabel("partial R² of confounder with outcome")
    ax.set_title(f"bias-adjusted estimate (unadjusted {estimate:.3g})", fontsize=10)
    return figure_to_svg(fig)
