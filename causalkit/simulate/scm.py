"""``simulate: scm`` — structural causal models from a DAG, with the true effects.

Every node is generated in topological order from its parents plus Gaussian
noise; the treatment is binary (logistic in its parents) unless
``continuous_treatment``; the outcome gets ``effect × treatment`` (in the
nonlinear model an effect that varies with the first confounder). Latent nodes
(and bidirected edges) are simulated and then dropped from the table.

The truth is computed with counterfactuals: the same noise is replayed under
``do(treatment=1)`` and ``do(treatment=0)``, so mediators are handled. ``ate``
and ``att`` are population values (averaged over an independent draw of
200,000 units); ``sate`` and ``satt`` are those of the simulated sample.

Example:
    >>> sim = simulate_scm(seed=0, n=1000)
    >>> sorted(sim.tables["main"].columns)[:4]
    ['activity', 'age', 'income', 'outcome']
    >>> sim.truth["ate"]
    1.0
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from causalkit.errors import SpecError
from causalkit.simulate import Simulated

DEFAULT_GRAPH = """digraph {
  age -> {income activity treatment outcome};
  income -> {treatment outcome};
  region -> {income treatment};
  activity -> {treatment outcome};
  prior_spend -> {treatment outcome};
  promo -> treatment;
  season -> outcome;
  treatment -> outcome;
}"""
"""The built-in diagram: confounders, an instrument (promo) and an outcome-only cause (season)."""

_POP = 200_000


def _expit(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _f(x: NDArray[np.float64], k: int, nonlinear: bool) -> NDArray[np.float64]:
    if not nonlinear:
        return x
    kind = k % 3
    if kind == 0:
        return np.tanh(1.5 * x) * 1.2
    if kind == 1:
        return (x ** 2 - 1.0) / np.sqrt(2.0)
    return np.sin(1.5 * x) * 1.4


def _run(order: list[str], parents: dict[str, list[str]], weights: dict[tuple[str, str], float],
         n: int, rng: np.random.Generator, *, treatment: str, outcome: str, effect: float,
         nonlinear: bool, binary_outcome: bool, continuous_treatment: bool, confounding: float,
         treated_share: float | None, scale: dict[str, tuple[float, float, float]] | None,
         ) -> tuple[dict[str, NDArray[np.float64]], NDArray[np.float64], NDArray[np.float64],
                    dict[str, tuple[float, float, float]]]:
    noise = {v: rng.normal(size=n) for v in order}
    u_t = rng.random(n)
    u_y = rng.random(n)
    first_conf = next((p for p in parents[outcome] if p != treatment), None)
    scale = dict(scale or {})

    def world(do: float | None) -> dict[str, NDArray[np.float64]]:
        vals: dict[str, NDArray[np.float64]] = {}
        for v in order:
            lin = np.zeros(n)
            for k, p in enumerate(parents[v]):
                if p == treatment and v == outcome:
                    continue
                lin = lin + weights[(p, v)] * _f(vals[p], k, nonlinear)
            if v == treatment:
                if do is not None:
                    vals[v] = np.full(n, float(do))
                    continue
                if continuous_treatment:
                    vals[v] = lin * confounding + noise[v]
                    continue
                key = "treatment"
                if key not in scale:
                    sd = float(lin.std()) or 1.0
                    mu = float(lin.mean())
                    shift = 0.0 if treated_share is None else \
                        _shift_for(confounding * (lin - mu) / sd, treated_share)
                    scale[key] = (mu, sd, shift)
                mu, sd, shift = scale[key]
                vals[v] = (u_t < _expit(confounding * (lin - mu) / sd + shift)
                           ).astype(np.float64)
                continue
            if v == outcome and treatment in parents[v]:
                t = vals[treatment]
                tau = np.full(n, effect)
                if nonlinear and first_conf is not None:
                    tau = effect * (1.0 + 0.5 * np.tanh(vals[first_conf]))
                base = lin + tau * t
                if binary_outcome:
                    vals[v] = (u_y < _expit(base - 0.5)).astype(np.float64)
                else:
                    vals[v] = base + noise[v]
                continue
            if v == outcome and binary_outcome:
                vals[v] = (u_y < _expit(lin - 0.5)).astype(np.float64)
                continue
            vals[v] = lin + noise[v]
        return vals

    obs = world(None)
    y1 = world(1.0)[outcome]
    y0 = world(0.0)[outcome]
    if binary_outcome:
        return obs, y1, y0, scale
    return obs, y1, y0, scale


def _shift_for(score: NDArray[np.float64], share: float) -> float:
    """The intercept ``c`` with ``mean(expit(score + c)) == share`` (bisection; monotone in c)."""
    lo, hi = -60.0, 60.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if float(np.mean(_expit(score + mid))) < share:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def simulate_scm(*, seed: int, n: int = 10_000, graph: Any = None, treatment: str = "treatment",
                 outcome: str = "outcome", effect: float = 1.0, nonlinear: bool = False,
                 binary_outcome: bool = False, continuous_treatment: bool = False,
                 confounding: float = 1.0, treated_share: float | None = None) -> Simulated:
    """Simulate a structural causal model on ``graph`` (DOT text or edge list; default: the
    built-in diagram in :data:`DEFAULT_GRAPH`).

    Args:
        seed: random seed (the edge weights and the data both follow from it).
        n: rows.
        graph: the causal diagram; latent nodes are simulated and not returned.
        treatment: the treatment node (binary unless ``continuous_treatment``).
        outcome: the outcome node.
        effect: the direct effect of the treatment on the outcome.
        nonlinear: nonlinear structural functions and an effect that varies with a confounder.
        binary_outcome: a 0/1 outcome (logistic); the effect is then on the logit scale and
            the truth is on the probability scale.
        continuous_treatment: a Gaussian treatment (the truth is the effect per unit).
        confounding: scale of the treatment's dependence on its parents.
        treated_share: the expected share of treated units of a binary treatment
            (default: about half); the logistic intercept is set to reach it.

    Example:
        >>> sim = simulate_scm(seed=1, n=500, graph="digraph { z -> t -> y; z -> y }",
        ...                    treatment="t", outcome="y", effect=2.0)
        >>> sorted(sim.tables["main"].columns), sim.truth["ate"]
        (['t', 'y', 'z'], 2.0)
        >>> sim = simulate_scm(seed=1, n=4000, treated_share=0.9)
        >>> round(float(sim.tables["main"]["treatment"].mean()), 2)
        0.9
    """
    from causalkit.observational.graph import build_graph

    if n < 2:
        raise SpecError("n must be at least 2", field="data.params.n")
    if treated_share is not None and not 0 < treated_share < 1:
        raise SpecError(f"treated_share must lie strictly between 0 and 1, not {treated_share}",
                        field="data.params.treated_share")
    g = build_graph(DEFAULT_GRAPH if graph is None else graph)
    g.check_acyclic()
    for role, name in (("treatment", treatment), ("outcome", outcome)):
        if name not in g.dag:
            raise SpecError(f"the {role} {name!r} is not a node of the simulator's graph",
                            field=f"data.params.{role}",
                            hint=f"nodes: {', '.join(g.nodes)}")
    import networkx as nx

    order = list(nx.lexicographical_topological_sort(g.dag, key=g.nodes.index))
    parents = {v: list(g.parents(v)) for v in order}
    wrng = np.random.default_rng([seed, 1])
    weights: dict[tuple[str, str], float] = {}
    for a, b in g.edges:
        w = float(wrng.uniform(0.3, 0.8) * wrng.choice([-1.0, 1.0]))
        weights[(a, b)] = w
    for v in order:
        k = len([p for p in parents[v] if not (v == outcome and p == treatment)])
        if k > 1:
            for p in parents[v]:
                weights[(p, v)] /= np.sqrt(k)
    if graph is None:
        for (a, b) in weights:
            weights[(a, b)] = abs(weights[(a, b)])
    kw = {"treatment": treatment, "outcome": outcome, "effect": effect, "nonlinear": nonlinear,
              "binary_outcome": binary_outcome, "continuous_treatment": continuous_treatment,
              "confounding": confounding, "treated_share": treated_share}
    rng = np.random.default_rng([seed, 2])
    obs, y1, y0, scale = _run(order, parents, weights, n, rng, scale=None, **kw)  # type: ignore[arg-type]
    t = obs[treatment]
    ind = y1 - y0
    constant = not nonlinear and not binary_outcome and not _mediated(g, treatment, outcome)
    if constant or (continuous_treatment and not nonlinear and not binary_outcome):
        ate = att = float(effect) if constant else float(np.mean(ind))
    else:
        prng = np.random.default_rng([seed, 3])
        pobs, p1, p0, _ = _run(order, parents, weights, _POP, prng, scale=scale, **kw)  # type: ignore[arg-type]
        pind = p1 - p0
        ate = float(pind.mean())
        att = float(pind[pobs[treatment] == 1].mean()) if not continuous_treatment else ate
    if continuous_treatment and not constant:
        ate = att = float(np.mean(ind))
    import pandas as pd

    cols = {v: obs[v] for v in g.nodes if v not in g.latent}
    if not continuous_treatment:
        cols[treatment] = t.astype(np.int64)
    if binary_outcome:
        cols[outcome] = obs[outcome].astype(np.int64)
    frame = pd.DataFrame(cols)
    treated = t == 1
    truth: dict[str, Any] = {
        "ate": ate, "att": att,
        "sate": float(ind.mean()),
        "satt": float(ind[treated].mean()) if treated.any() else float("nan"),
        "graph": DEFAULT_GRAPH if graph is None else (graph if isinstance(graph, str) else
                                                     str(graph)),
        "treatment": treatment, "outcome": outcome,
    }
    return Simulated(tables={"main": frame}, truth=truth)


def _mediated(g: Any, treatment: str, outcome: str) -> bool:
    return any(c != outcome and outcome in g.descendants(c) for c in g.children(treatment))
