"""Identification agrees with DoWhy's on random DAGs (with latent nodes).

For each DAG: the backdoor and front-door verdicts (identifiable or not) agree
with DoWhy's ``identify_effect_auto``; every set either library returns
satisfies the backdoor criterion by d-separation (checked with networkx,
independently of both); DoWhy's observed instruments are among ours.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import networkx as nx
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from causalkit.observational.graph import build_graph
from causalkit.observational.identify import (
    frontdoor_set,
    instrument_set,
    minimal_backdoor_set,
    optimal_adjustment_set,
)

from .dag_utils import random_dag


def _backdoor_ok(g: nx.DiGraph, t: str, y: str, s: object) -> bool:
    z = set(s)  # type: ignore[call-overload]
    if z & (nx.descendants(g, t) | {t, y}):
        return False
    g_bd = g.copy()
    g_bd.remove_edges_from(list(g.out_edges(t)))
    return bool(nx.is_d_separator(g_bd, {t}, {y}, z))


def _agree(n_dags: int) -> None:
    pytest.importorskip("dowhy")
    from dowhy.causal_identifier.auto_identifier import EstimandType, identify_effect_auto
    from dowhy.graph import get_instruments

    logging.disable(logging.WARNING)
    try:
        checked = 0
        for seed in range(n_dags):
            n = 6 + seed % 9
            g, t, y = random_dag(n, 0.2 + 0.1 * (seed % 4), seed, n_latent=seed % 4)
            cg = build_graph(g)
            observed = [v for v in g.nodes if not g.nodes[v].get("latent")]
            theirs = identify_effect_auto(g, [t], [y], observed, EstimandType.NONPARAMETRIC_ATE)
            mine = minimal_backdoor_set(cg, t, y)
            their_set = (theirs.backdoor_variables or {}).get("backdoor")
            assert (mine is None) == (theirs.estimands.get("backdoor") is None), seed
            if mine is not None:
                assert _backdoor_ok(g, t, y, mine), seed
                opt = optimal_adjustment_set(cg, t, y)
                if opt is not None:
                    assert _backdoor_ok(g, t, y, opt), seed
            if their_set is not None:
                assert _backdoor_ok(g, t, y, their_set), seed
            assert (frontdoor_set(cg, t, y) is None) == (not theirs.frontdoor_variables), seed
            their_iv = {v for v in get_instruments(g, [t], [y]) if v in observed}
            assert their_iv <= set(instrument_set(cg, t, y)[0]), seed
            checked += 1
        assert checked == n_dags
    finally:
        logging.disable(logging.NOTSET)


def test_agrees_with_dowhy_on_30_dags():
    _agree(30)


@pytest.mark.slow
def test_agrees_with_dowhy_on_250_dags():
    _agree(250)
