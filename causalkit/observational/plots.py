"""Figures of an observational analysis, as SVG text: the graph, overlap, sensitivity.

matplotlib and the networkx layout are imported only here, only when drawn.

Example:
    >>> from causalkit.observational.graph import build_graph
    >>> svg = draw_graph(build_graph("digraph { z -> t -> y; z -> y }"), "t", "y", ("z",))
    >>> svg.lstrip().startswith("<svg")
    True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from causalkit.observational.graph import CausalGraph
from causalkit.observational.learners import Array
from causalkit.report.svg import figure_to_svg, new_figure


def _layout(graph: CausalGraph) -> dict[str, tuple[float, float]]:
    import networkx as nx

    dag = graph.dag
    try:
        gens = list(nx.topological_generations(dag))
    except nx.NetworkXUnfeasible:  # pragma: no cover - validated before drawing
        gens = [list(dag.nodes)]
    for depth, gen in enumerate(gens):
        for n in gen:
            dag.nodes[n]["layer"] = depth
    pos = nx.multipartite_layout(dag, subset_key="layer", align="horizontal")
    return {n: (float(p[0]), -float(p[1])) for n, p in pos.items()}


def draw_graph(graph: CausalGraph, treatment: str, outcome: str,
               adjustment: Sequence[str] = (), *, highlight_label: str = "adjustment set",
               title: str = "") -> str:
    """The causal diagram: treatment and outcome coloured, the adjustment set highlighted,
    latent nodes dashed, bidirected edges drawn as dashed two-headed arcs.

    Example:
        >>> from causalkit.observational.graph import build_graph
        >>> "svg" in draw_graph(build_graph("digraph { t -> y; t <-> y }"), "t", "y")
        True
    """
    import networkx as nx
    from matplotlib.lines import Line2D

    n = len(graph.nodes)
    size = min(12.0, 4.0 + 0.35 * n)
    fig, ax = new_figure(size, size * 0.7)
    pos = _layout(graph)
    bi_latent = {f"U({min(a, b)},{max(a, b)})" for a, b in graph.bidirected}
    shown = [v for v in graph.nodes if v not in bi_latent]
    dag = graph.dag.subgraph(shown)
    colors, edgecolors, styles = [], [], []
    adj = set(adjustment)
    for v in shown:
        if v == treatment:
            colors.append("#4C72B0")
        elif v == outcome:
            colors.append("#DD8452")
        elif v in adj:
            colors.append("#55A868")
        elif v in graph.latent:
            colors.append("#FFFFFF")
        else:
            colors.append("#DDDDDD")
        edgecolors.append("#333333")
        styles.append("dashed" if v in graph.latent else "solid")
    nx.draw_networkx_nodes(dag, pos, nodelist=shown, node_color=colors, edgecolors=edgecolors,
                           linewidths=1.2, node_size=900, ax=ax)
    for v, style in zip(shown, styles):
        if style == "dashed":
            nx.draw_networkx_nodes(dag, pos, nodelist=[v], node_color="#FFFFFF",
                                   edgecolors="#333333", node_size=900, ax=ax,
                                   linewidths=1.2).set_linestyle("--")
    nx.draw_networkx_labels(dag, pos, font_size=8, ax=ax)
    nx.draw_networkx_edges(dag, pos, edgelist=list(dag.edges), arrows=True, arrowsize=14,
                           node_size=900, edge_color="#444444", ax=ax)
    if graph.bidirected:
        bi = nx.DiGraph()
        bi.add_edges_from(graph.bidirected)
        nx.draw_networkx_edges(bi, pos, edgelist=list(graph.bidirected), arrows=True,
                               arrowstyle="<|-|>", style="dashed", edge_color="#C44E52",
                               connectionstyle="arc3,rad=0.3", node_size=900, ax=ax)
    handles = [
        Line2D([], [], marker="o", ls="", color="#4C72B0", label="treatment", markersize=9),
        Line2D([], [], marker="o", ls="", color="#DD8452", label="outcome", markersize=9),
        Line2D([], [], marker="o", ls="", color="#55A868", label=highlight_label, markersize=9),
    ]
    if graph.latent - bi_latent:
        handles.append(Line2D([], [], marker="o", ls="", markerfacecolor="white",
                              markeredgecolor="#333333", label="latent", markersize=9))
    if graph.bidirected:
        handles.append(Line2D([], [], ls="--", color="#C44E52", label="latent confounding"))
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, -0.02), ncol=len(handles),
              fontsize=7, frameon=False)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    ax.margins(0.12)
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
    ax.legend(fontsize=8)
    return figure_to_svg(fig)


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

    fig, ax = new_figure(5.5, 4.5)
    grid = np.linspace(0, 0.5, 101)
    r2d, r2y = np.meshgrid(grid, grid)
    adj = adjusted_estimate(estimate, se, dof, r2d, r2y)
    levels = np.linspace(np.nanmin(adj), np.nanmax(adj), 12)
    cs = ax.contour(r2d, r2y, adj, levels=levels, colors="#777777", linewidths=0.7)
    ax.clabel(cs, fontsize=6, fmt="%.3g")
    zero = ax.contour(r2d, r2y, adj, levels=[0.0], colors="#C44E52", linewidths=1.6)
    if zero.allsegs and any(len(s) for s in zero.allsegs[0]):
        ax.clabel(zero, fontsize=7, fmt={0.0: "0"})
    for label, x, y in benchmarks:
        ax.plot([x], [y], marker="D", color="#55A868")
        ax.annotate(label, (x, y), fontsize=7, xytext=(4, 4), textcoords="offset points")
    if rv is not None and 0 < rv < 0.5:
        ax.plot([rv], [rv], marker="o", color="#C44E52")
        ax.annotate(f"RV = {rv:.3f}", (rv, rv), fontsize=7, xytext=(4, -10),
                    textcoords="offset points")
    ax.set_xlabel("partial R² of confounder with treatment")
    ax.set_ylabel("partial R² of confounder with outcome")
    ax.set_title(f"bias-adjusted estimate (unadjusted {estimate:.3g})", fontsize=9)
    return figure_to_svg(fig)
