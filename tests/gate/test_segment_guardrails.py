"""Issue 15.3: the opt-in ``segment_guardrails`` rule.

A guardrail shown harmed in a segment (a per-segment estimate, ``segment`` set, assessed
``worse`` or ``inferior`` on its family-adjusted interval) holds a release that would
otherwise ship, when the report's decision basis turns the rule on; the reasons name the
metric and the segments. Otherwise per-segment estimates take no part in the decision.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

from causalkit.gate import decide
from causalkit.gate.rules import RULES, segment_guardrails, ship
from causalkit.report import DecisionBasis, Estimate, Report
from causalkit.spec.common import DecisionRules
from tests.gate.gate_helpers import est, report

PRIMARY = est("m", estimate=0.4, low=0.1, high=0.7)
GUARD = est("g", role="guardrail", direction="decrease", estimate=0.0, low=-0.004,
            high=0.004, margin=0.01)


def seg(base: Estimate, segment: str, low: float, high: float, **kw: object) -> Estimate:
    return replace(base, segment=segment, estimate=(low + high) / 2, ci_low=low, ci_high=high,
                   decision_ci_low=None, decision_ci_high=None, assessment=None,
                   **kw)  # type: ignore[arg-type]


def with_rule(rep: Report, on: bool) -> Report:
    assert rep.decision_basis is not None
    return replace(rep, decision_basis=replace(rep.decision_basis, segment_guardrails=on))


def harmed_report(*extra: Estimate) -> Report:
    return report(PRIMARY, GUARD,
                  seg(GUARD, "country=KR", 0.012, 0.03),         # inferior: beyond margin
                  seg(GUARD, "country=JP", 0.002, 0.008),        # worse within margin: fine
                  seg(GUARD, "country=BR", 0.001, 0.009, margin=None),  # worse, no margin
                  seg(GUARD, "country=US", -0.01, 0.001), *extra)


def test_a_harmed_guardrail_segment_holds_with_the_rule_on_and_ships_with_it_off():
    rep = harmed_report()
    assert [e.assessment.value for e in rep.estimates if e.segment] == [
        "inferior", "worse_within_margin", "worse", "non_inferior"]
    off = decide(with_rule(rep, False)).decision
    assert off.state.value == "ship"
    assert not any("country=" in r for r in off.reasons)
    on = decide(with_rule(rep, True)).decision
    assert on.state.value == "hold"
    assert on.reasons[0].startswith("guardrail g [treatment] is harmed in segment country=KR: "
                                    "worse than its margin 0.01")
    assert "segment country=BR: significantly worse" in on.reasons[1]
    assert "g in country=KR, country=BR" in on.reasons[2]
    assert not any("country=JP" in r or "country=US" in r for r in on.reasons)


def test_no_harmed_segment_ships_with_the_rule_on():
    rep = report(PRIMARY, GUARD, seg(GUARD, "country=KR", -0.01, 0.005))
    assert decide(with_rule(rep, True)).decision.state.value == "ship"


def test_the_rule_only_stops_a_release():
    """A harmed segment on an arm that would not ship changes nothing (the primary is not
    better: the decision stays hold/inconclusive for its own reasons)."""
    flat = est("m", estimate=0.1, low=-0.2, high=0.4)
    rep = with_rule(report(flat, GUARD, seg(GUARD, "country=KR", 0.012, 0.03)), True)
    f = decide(rep)
    assert f.decision.state.value == "hold"
    assert not any("country=KR" in r for r in f.decision.reasons)


def test_segment_estimates_never_decide_otherwise():
    """Per-segment primaries or guardrails, even non-finite ones, do not make a report
    invalid, ship or roll back when the rule is off."""
    nan_seg = seg(GUARD, "country=XX", float("nan"), float("nan"))
    better_seg = seg(est("m", estimate=0.1, low=-0.2, high=0.4), "country=KR", 0.1, 0.7)
    flat = est("m", estimate=0.1, low=-0.2, high=0.4)
    rep = report(flat, GUARD, nan_seg, better_seg, seg(GUARD, "country=KR", 0.012, 0.03))
    assert decide(rep).decision.state.value == "hold"
    assert not any("country" in r for r in decide(rep).decision.reasons)


def test_the_rule_sits_before_ship_and_reads_only_the_basis_flag():
    assert RULES.index(segment_guardrails) == RULES.index(ship) - 1
    assert DecisionRules().segment_guardrails is False
    assert DecisionRules(segment_guardrails=True).segment_guardrails is True
    b = DecisionBasis(sequential="msprt", alpha=0.05, min_n_per_arm=1, segment_guardrails=True)
    assert DecisionBasis.from_dict(b.to_dict()) == b
    assert DecisionBasis.from_dict({k: v for k, v in b.to_dict().items()
                                    if k != "segment_guardrails"}).segment_guardrails is False


def test_the_gate_rules_import_no_statistics():
    tree = ast.parse((Path(__file__).parents[2] / "causalkit/gate/rules.py").read_text())
    names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [n for n in names if n.startswith(("causalkit.stats", "scipy", "numpy"))]
