"""``cross_check: [dowhy]``: DoWhy re-estimates causalkit's backdoor estimates and must agree.

With the same estimator, adjustment set and no clipping, DoWhy's regression and
IPW estimates equal causalkit's to rounding error (they are the same formulas on
the same rows), so the tests demand agreement far tighter than the 2-SE
tolerance of the check. DoWhy's identified set is checked independently with
networkx d-separation.
"""

from __future__ import annotations

import re
import sys

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from causalkit import analyze
from causalkit.observational import build_graph, crosscheck
from causalkit.observational.crosscheck import (
    Comparison,
    dowhy_cross_check,
    to_dowhy_graph,
)
from causalkit.report.model import Report, Status
from causalkit.simulate.scm import simulate_scm
from causalkit.spec.observational import ObservationalSpec

pytest.importorskip("dowhy")

N = 3000
LATENT_GRAPH = ("digraph { z -> treatment -> outcome; u -> z; u -> outcome; u [latent=true]; "
                "w -> treatment; w <-> outcome }")


def _spec(graph: str, **kw: object) -> ObservationalSpec:
    fields: dict[str, object] = {"estimators": ["regression", "ipw"], **kw}
    return ObservationalSpec(name="x", kind="observational", graph=graph,
                             treatment="treatment", outcome="outcome",
                             refuters=[], implications=False,
                             cross_check=["dowhy"], **fields)


def _crossed(rep: Report) -> dict[str, tuple[Status, str]]:
    out = {}
    for c in rep.checks:
        if c.name == "dowhy_cross_check":
            out[c.detail.split(":")[0]] = (c.status, c.detail)
    return out


def _table(rep: Report) -> dict[str, dict[str, object]]:
    table = next(t for t in rep.tables if t.name == "dowhy_cross_check")
    return {row[0]: dict(zip(table.columns, row, strict=True)) for row in table.rows}


def _backdoor_ok(graph: str, t: str, y: str, z: set[str]) -> bool:
    g = build_graph(graph).dag
    if z & (nx.descendants(g, t) | {t, y}):
        return False
    bd = g.copy()
    bd.remove_edges_from(list(g.out_edges(t)))
    return bool(nx.is_d_separator(bd, {t}, {y}, z))


@pytest.fixture(scope="module")
def sim():
    return simulate_scm(seed=1, n=N)


def test_regression_and_ipw_agree_with_dowhy(sim):
    graph = sim.truth["graph"]
    rep = analyze(_spec(graph), sim.tables["main"], seed=1)
    checks = _crossed(rep)
    assert set(checks) == {"regression", "ipw"}
    for status, detail in checks.values():
        assert status is Status.PASS, detail
        assert re.search(r"this estimate \d+\.\d\d s", detail), detail
        assert "DoWhy 0." in detail
        assert "import" in detail
    rows = _table(rep)
    ours = {e.method: e.estimate for e in rep.estimates}
    for method, row in rows.items():
        assert row["causalkit_estimate"] == ours[method]
        # the same estimator on the same rows: equal to rounding, not just within 2 SE
        assert abs(row["dowhy_estimate"] - ours[method]) < 1e-8, row
        assert abs(row["difference_se"]) < 1e-6
        identified = set(row["identified_set"].strip("{}").split(", "))
        assert _backdoor_ok(graph, "treatment", "outcome", identified), identified
    assert rows["ipw"]["dowhy_method"] == "backdoor.propensity_score_weighting"
    assert rows["regression"]["dowhy_method"] == "backdoor.linear_regression"
    # both are near the true effect of 1, so agreement is not agreement on garbage
    assert abs(ours["regression"] - sim.truth["ate"]) < 0.15


def test_caller_frame_is_unchanged(sim):
    df = sim.tables["main"]
    before = df.copy(deep=True)
    analyze(_spec(sim.truth["graph"]), df, seed=1)
    assert "propensity_score" not in df.columns
    pd.testing.assert_frame_equal(df, before)


def test_a_different_adjustment_set_warns(sim, monkeypatch):
    """DoWhy fed a set that leaves the confounders open disagrees, and the check says so."""
    original = crosscheck.dowhy_cross_check

    def wrong_set(*args, **kw):
        return original(*args, **{**kw, "adjustment": ["season"]})

    monkeypatch.setattr(crosscheck, "dowhy_cross_check", wrong_set)
    rep = analyze(_spec(sim.truth["graph"]), sim.tables["main"], seed=1)
    checks = _crossed(rep)
    assert set(checks) == {"regression", "ipw"}
    rows = _table(rep)
    for method, (status, detail) in checks.items():
        assert status is Status.WARN, detail
        ours = next(e for e in rep.estimates if e.method == method)
        theirs = rows[method]["dowhy_estimate"]
        assert abs(theirs - ours.estimate) > 2 * ours.se
        assert f"causalkit {ours.estimate:.6g}" in detail
        assert f"DoWhy {theirs:.6g}" in detail
        assert re.search(r"= -?\d+\.\d\d SE, OUTSIDE the tolerance", detail), detail
        assert abs(rows[method]["difference_se"]) > 2


def test_wrong_set_called_directly_warns(sim):
    df = sim.tables["main"]
    rep = analyze(_spec(sim.truth["graph"]), df, seed=1)
    res = dowhy_cross_check(build_graph(sim.truth["graph"]), df, treatment="treatment",
                            outcome="outcome", adjustment=["season"], estimates=rep.estimates)
    assert [c.status for c in res.checks] == [Status.WARN, Status.WARN]
    assert not any(c.agrees for c in res.comparisons)
    assert res.identification is not None
    assert res.identification.ok


def test_missing_dowhy_gives_a_warning_not_a_crash(sim, monkeypatch):
    monkeypatch.setitem(sys.modules, "dowhy", None)  # `import dowhy` now raises ImportError
    rep = analyze(_spec(sim.truth["graph"]), sim.tables["main"], seed=1)
    crossed = [c for c in rep.checks if c.name == "dowhy_cross_check"]
    assert len(crossed) == 1
    assert crossed[0].status is Status.WARN
    assert "pip install -e '.[causal]'" in crossed[0].detail
    assert [e.method for e in rep.estimates] == ["regression", "ipw"]
    assert not any(t.name == "dowhy_cross_check" for t in rep.tables)


def test_latent_nodes_and_bidirected_edges_reach_dowhy():
    g = build_graph(LATENT_GRAPH)
    dg = to_dowhy_graph(g)
    assert dg.nodes["u"]["observed"] == "no"
    assert dg.nodes["U(outcome,w)"]["observed"] == "no"
    assert {("U(outcome,w)", "w"), ("U(outcome,w)", "outcome"), ("u", "z")} <= set(dg.edges)
    sim = simulate_scm(seed=3, n=N, graph=LATENT_GRAPH)
    rep = analyze(_spec(LATENT_GRAPH), sim.tables["main"], seed=1)
    checks = _crossed(rep)
    assert all(s is Status.PASS for s, _ in checks.values()), checks
    for row in _table(rep).values():
        assert row["identified_set"] == "{z, w}"
        assert abs(row["difference_se"]) < 1e-6


def test_dropping_the_latent_nodes_would_mislead_dowhy():
    """Why the latent nodes go to DoWhy: without them its set leaves a backdoor path open."""
    from dowhy import CausalModel

    g = build_graph(LATENT_GRAPH)
    observed_only = nx.DiGraph([(a, b) for a, b in g.edges if a not in g.latent])
    df = simulate_scm(seed=3, n=200, graph=LATENT_GRAPH).tables["main"]
    theirs = CausalModel(data=df.copy(), treatment="treatment", outcome="outcome",
                         graph=observed_only).identify_effect().backdoor_variables["backdoor"]
    assert not _backdoor_ok(LATENT_GRAPH, "treatment", "outcome", set(theirs))


def test_logistic_outcome_and_att_agree():
    sim = simulate_scm(seed=2, n=N, binary_outcome=True)
    rep = analyze(_spec(sim.truth["graph"], estimand="att"), sim.tables["main"], seed=1)
    rows = _table(rep)
    assert rows["regression"]["dowhy_method"] == "backdoor.generalized_linear_model"
    for status, detail in _crossed(rep).values():
        assert status is Status.PASS, detail
    for row in rows.values():
        assert abs(row["difference"]) < 1e-8, row


def test_clipping_is_disabled_and_would_matter():
    """Strong confounding puts scores outside [0.05, 0.95]: DoWhy's default clipping would
    move the estimate; the cross-check turns it off and matches causalkit exactly."""
    from dowhy import CausalModel

    sim = simulate_scm(seed=6, n=N, confounding=3.0)
    df = sim.tables["main"]
    rep = analyze(_spec(sim.truth["graph"]), df, seed=1)
    row = _table(rep)["ipw"]
    assert abs(row["difference"]) < 1e-8
    adj = rep.meta.extra["adjustment_set"].split(", ")
    model = CausalModel(data=df.copy(), treatment="treatment", outcome="outcome",
                        graph=build_graph(sim.truth["graph"]).dag)
    estimand = model.identify_effect()
    estimand.set_backdoor_variables(adj, key="backdoor")
    clipped = model.estimate_effect(estimand, method_name="backdoor.propensity_score_weighting",
                                    effect_modifiers=[]).value
    assert abs(clipped - row["causalkit_estimate"]) > 0.01


def test_a_column_named_propensity_score_is_not_taken_as_the_score():
    sim = simulate_scm(seed=4, n=N)
    df = sim.tables["main"].rename(columns={"age": "propensity_score"})
    graph = sim.truth["graph"].replace("age", "propensity_score")
    rep = analyze(_spec(graph), df, seed=1)
    assert all(s is Status.PASS for s, _ in _crossed(rep).values())
    assert abs(_table(rep)["ipw"]["difference"]) < 1e-8


def test_continuous_treatment_compares_plm():
    sim = simulate_scm(seed=2, n=N, continuous_treatment=True)
    rep = analyze(_spec(sim.truth["graph"], estimators=["plm"]), sim.tables["main"],
                        seed=1)
    (status, detail), = _crossed(rep).values()
    assert status is Status.PASS, detail
    assert abs(_table(rep)["plm"]["difference_se"]) < 0.5  # cross-fitted vs in-sample OLS


def test_non_backdoor_strategy_and_nothing_to_compare_warn(sim):
    fd = "digraph { treatment -> m -> outcome; treatment <-> outcome }"
    rep = analyze(_spec(fd), simulate_scm(seed=5, n=N, graph=fd).tables["main"])
    (status, detail), = _crossed(rep).values()
    assert status is Status.WARN
    assert "frontdoor" in detail
    rep = analyze(_spec(sim.truth["graph"], estimators=["aipw"]), sim.tables["main"])
    (status, detail), = _crossed(rep).values()
    assert status is Status.WARN
    assert "no estimate to compare" in detail


def test_no_cross_check_unless_asked(sim):
    spec = _spec(sim.truth["graph"]).model_copy(update={"cross_check": []})
    rep = analyze(spec, sim.tables["main"], seed=1)
    assert not any(c.name == "dowhy_cross_check" for c in rep.checks)


@pytest.mark.parametrize(("dowhy", "se", "agrees"), [
    (1.0 + 0.199, 0.1, True), (1.0 + 0.201, 0.1, False), (1.0 - 0.201, 0.1, False),
    (1.0 + 5e-7, 0.0, True), (1.0 + 2e-6, 0.0, False), (None, 0.1, False),
])
def test_tolerance_is_two_ses_or_one_in_a_million(dowhy, se, agrees):
    c = Comparison("ipw", "m", 1.0, se, dowhy)
    assert c.agrees is agrees
    if dowhy is not None and se > 0:
        assert np.isclose(c.difference_se, (dowhy - 1.0) / se)


@pytest.mark.parametrize(("estimand", "interactions"), [("ate", None), ("att", None),
                                                        ("ate", ["smokeintensity"])])
def test_terms_reach_dowhy_as_the_same_design_matrix(estimand, interactions):
    """Issue 13.9: with `terms:` (quadratic and categorical covariates) DoWhy gets causalkit's
    design matrix, so NHEFS IPW and standardization agree to rounding (before, DoWhy entered the
    covariates linearly: IPW 3.3387 against causalkit's 3.4405)."""
    pytest.importorskip("causaldata")
    from .test_known_answers import _nhefs, _nhefs_spec

    extra = {} if interactions is None else {"outcome_interactions": interactions}
    rep = analyze(_nhefs_spec(estimators=["ipw", "regression"], estimand=estimand,
                              cross_check=["dowhy"], **extra), _nhefs())
    rows = _table(rep)
    assert set(rows) == {"ipw", "regression"}
    for method, row in rows.items():
        assert abs(row["dowhy_estimate"] - row["causalkit_estimate"]) < 1e-9 * abs(
            row["causalkit_estimate"]), (method, row)
    for status, detail in _crossed(rep).values():
        assert status is Status.PASS, detail
        assert "DoWhy got causalkit's design matrix (18 columns, 14 of them powers or dummies)" \
            in detail
    if estimand == "ate" and interactions is None:
        assert round(rows["ipw"]["dowhy_estimate"], 4) == 3.4405
