"""Graph input, validation errors, and identification on hand-checked graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalkit.errors import DataError, IdentificationError
from causalkit.observational.dot import parse_dot
from causalkit.observational.graph import build_graph
from causalkit.observational.id_algorithm import identify_id
from causalkit.observational.identify import (
    Strategy,
    causal_nodes,
    frontdoor_set,
    identify,
    instrument_set,
    is_backdoor_set,
    minimal_backdoor_set,
    optimal_adjustment_set,
)


def test_dot_subset_parses_groups_chains_attributes_comments():
    text = """
    strict digraph "my graph" {
      // a comment
      graph [rankdir=LR]; node [shape=box];
      "age group" -> {t y} -> z;   # chain through a group
      u [latent=true, label="U"]; u -> t; u -> y
      t -> y [dir=both]; w [observed=no]; w -> z
      /* block
         comment */
      y <- k
    }"""
    g = parse_dot(text)
    assert ("age group", "t") in g.edges
    assert ("t", "z") in g.edges
    assert ("y", "z") in g.edges
    assert ("k", "y") in g.edges
    assert g.bidirected == (("t", "y"),)
    assert set(g.latent) == {"u", "w"}


@pytest.mark.parametrize(("text", "message"), [
    ("digraph { a -> }", "expected a node name"),
    ("digraph { a -> b", "closing"),
    ("graph { a -- b }", "undirected"),
    ("digraph { a [latent=maybe] }", "not true or false"),
    ("digraph { a -> b } extra", "after the closing"),
])
def test_dot_errors_are_identification_errors(text, message):
    with pytest.raises(IdentificationError, match=message):
        parse_dot(text)


def test_cycle_is_printed():
    with pytest.raises(IdentificationError, match=r"cycle: (a -> b -> c -> a|b -> c -> a -> b|"
                                                 r"c -> a -> b -> c)"):
        identify(build_graph("digraph { a -> b -> c -> a; c -> y }"), "a", "y")


def test_unknown_and_latent_treatment():
    g = build_graph("digraph { t -> y; u -> y; u [latent=true] }")
    with pytest.raises(IdentificationError, match=r"'tt' is not a node.*did you mean 't'"):
        identify(g, "tt", "y")
    with pytest.raises(IdentificationError, match="latent"):
        identify(g, "u", "y")


def test_missing_column_names_the_node():
    g = build_graph("digraph { z -> t -> y; z -> y }")
    with pytest.raises(DataError, match=r"column 'z'.*no data column"):
        g.check_columns(["t", "y"], "data.csv")


def test_three_input_forms_agree():
    dot = build_graph("digraph { z -> t; z -> y; t -> y; t <-> y }")
    edges = build_graph([{"from": "z", "to": "t"}, {"from": "z", "to": "y"},
                         {"from": "t", "to": "y"}, {"from": "t", "to": "y", "bidirected": True}])
    g = nx.DiGraph([("z", "t"), ("z", "y"), ("t", "y")])
    g.add_edge("y", "t", bidirected=True)
    nxg = build_graph(g)
    for other in (edges, nxg):
        assert set(other.edges) == set(dot.edges)
        assert other.latent == dot.latent == frozenset({"U(t,y)"})


def test_backdoor_minimal_and_optimal_sets():
    # Henckel, Perković & Maathuis (2022), Example: O(T,Y) = parents of the causal nodes
    g = build_graph("digraph { a -> t; a -> z; z -> y; t -> m -> y; b -> m; c -> t }")
    assert causal_nodes(g, "t", "y") == {"m", "y"}
    assert minimal_backdoor_set(g, "t", "y") in (("a",), ("z",))
    assert optimal_adjustment_set(g, "t", "y") == ("z", "b")
    ident = identify(g, "t", "y")
    assert ident.strategy is Strategy.BACKDOOR
    assert ident.adjustment_set == ("z", "b")
    assert identify(g, "t", "y", adjustment="minimal").adjustment_set in (("a",), ("z",))
    assert "Henckel" in ident.explanation


def test_optimal_set_with_latent_member_falls_back_to_minimal():
    g = build_graph("digraph { a -> t; a -> z; z -> y; t -> y; z [latent=true] }")
    assert optimal_adjustment_set(g, "t", "y") is None
    assert identify(g, "t", "y").adjustment_set == ("a",)


def test_explicit_adjustment_set_is_checked():
    g = build_graph("digraph { z -> t -> m -> y; z -> y }")
    assert identify(g, "t", "y", adjustment=["z"]).adjustment_set == ("z",)
    with pytest.raises(IdentificationError, match="descendant of 't'"):
        identify(g, "t", "y", adjustment=["z", "m"])
    with pytest.raises(IdentificationError, match=r"leaves open t <- z -> y"):
        identify(g, "t", "y", adjustment=[])


def test_frontdoor_iv_and_id():
    fd = build_graph("digraph { t -> m -> y; t <-> y }")
    ident = identify(fd, "t", "y")
    assert ident.strategy is Strategy.FRONTDOOR
    assert ident.frontdoor_set == ("m",)
    iv = build_graph("digraph { z -> t -> y; t <-> y; w -> {t y} }")
    ident = identify(iv, "t", "y")
    assert ident.strategy is Strategy.IV
    assert ident.instruments == ("z",)
    assert instrument_set(iv, "t", "y") == (("z",), ("w",))
    # napkin graph: no backdoor or front-door set; w2 is an instrument given w1, and the
    # ID algorithm identifies the effect nonparametrically (a ratio of sums)
    napkin = build_graph("digraph { w1 -> w2 -> x -> y; w1 <-> x; w1 <-> y }")
    ident = identify(napkin, "x", "y")
    assert ident.strategy is Strategy.IV
    assert ident.instruments == ("w2",)
    assert ident.instrument_covariates == ("w1",)
    assert ident.id_result is not None
    assert ident.id_result.identifiable
    assert ident.id_result.formula is not None
    assert "/" in ident.id_result.formula


def test_not_identifiable_names_paths_and_hedge():
    g = build_graph("digraph { z -> t -> y; z -> y; t <-> y; z <-> y }")
    with pytest.raises(IdentificationError) as err:
        identify(g, "t", "y")
    text = str(err.value)
    assert "t <- U(t,y) -> y" in text
    assert "hedge" in text


def test_id_algorithm_known_formulas():
    bow = build_graph("digraph { x -> y; x <-> y }")
    r = identify_id(bow, {"x"}, {"y"})
    assert not r.identifiable
    assert r.hedge is not None
    front = identify_id(build_graph("digraph { x -> m -> y; x <-> y }"), {"x"}, {"y"})
    assert front.formula == "Σ_{m} P(m | x) Σ_{x′} P(x′) P(y | x′, m)"
    back = identify_id(build_graph("digraph { z -> x -> y; z -> y }"), {"x"}, {"y"})
    assert back.formula == "Σ_{z} P(z) P(y | z, x)"


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(4, 12), st.floats(0.15, 0.6), st.integers(0, 3))
def test_every_returned_set_satisfies_backdoor(seed, n, p, n_latent):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from .dag_utils import random_dag

    g, t, y = random_dag(n, p, seed, n_latent)
    cg = build_graph(g)
    forbidden = nx.descendants(g, t)
    g_bd = g.copy()
    g_bd.remove_edges_from(list(g.out_edges(t)))
    for s in (minimal_backdoor_set(cg, t, y), optimal_adjustment_set(cg, t, y)):
        if s is None:
            continue
        assert not set(s) & forbidden
        assert not any(g.nodes[v].get("latent") for v in s)
        assert nx.is_d_separator(g_bd, {t}, {y}, set(s))
    m = minimal_backdoor_set(cg, t, y)
    if m:  # minimality: no proper subset obtained by dropping one node works
        for v in m:
            assert not is_backdoor_set(cg, t, y, [u for u in m if u != v])
    fd = frontdoor_set(cg, t, y)
    if fd is not None:
        cut = g.copy()
        cut.remove_nodes_from(fd)
        assert not nx.has_path(cut, t, y)


def test_simulated_frame_not_mutated_by_identification_inputs():
    df = pd.DataFrame({"t": np.array([0, 1, 0, 1]), "y": np.arange(4.0)})
    before = df.copy()
    build_graph("digraph { t -> y }").check_columns(df.columns)
    pd.testing.assert_frame_equal(df, before)
