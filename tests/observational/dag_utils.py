"""Random causal DAGs for the identification tests and benchmarks."""

from __future__ import annotations

import networkx as nx
import numpy as np


def random_dag(n: int, p: float, seed: int, n_latent: int = 0) -> tuple[nx.DiGraph, str, str]:
    """A random DAG on ``n`` nodes (edge probability ``p`` between ordered pairs) with a
    treatment and an outcome joined by a directed path; ``n_latent`` other nodes get
    ``latent=True``."""
    rng = np.random.default_rng(seed)
    while True:
        g = nx.DiGraph()
        names = [f"v{i}" for i in range(n)]
        g.add_nodes_from(names)
        upper = rng.random((n, n)) < p
        for i in range(n):
            for j in range(i + 1, n):
                if upper[i, j]:
                    g.add_edge(names[i], names[j])
        pairs = [(a, b) for a in names for b in nx.descendants(g, a)]
        if not pairs:
            continue
        t, y = pairs[rng.integers(len(pairs))]
        others = [v for v in names if v not in (t, y)]
        for v in rng.choice(others, size=min(n_latent, len(others)), replace=False):
            g.nodes[v]["latent"] = True
        return g, t, y
