"""What the gate writes, on hand-built reports: the gated report, the summary and JUnit.

Verdicts come from ``Estimate.assessment`` / ``Estimate.harm`` only; a JUnit
failure of an estimate is exactly what the gate calls harm.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from causalkit.gate import decide
from causalkit.gate.outputs import annotation_lines, gated_report, junit_xml, summary_markdown
from causalkit.report import Assessment, Report
from causalkit.report.assessment import WORDS
from causalkit.report.render import render

from .gate_helpers import est, report

GOOD = {"estimate": 0.4, "low": 0.1, "high": 0.7}
WITHIN_G = {"role": "guardrail", "direction": "decrease", "margin": 0.002,
            "estimate": 0.001, "low": 0.0005, "high": 0.0015}
HARM_G = {"role": "guardrail", "direction": "decrease", "margin": 0.002,
          "estimate": 0.006, "low": 0.004, "high": 0.008}
FAIL_ON = frozenset({"rollback", "invalid"})


def _gated(rep: Report, code: int = 0) -> Report:
    return gated_report(rep, decide(rep), exit_code=code)


def _estimate_failures(xml: str) -> dict[str, bool]:
    root = ET.fromstring(xml)
    return {c.get("name"): c.find("failure") is not None for c in root.iter("testcase")
            if (c.get("classname") or "").endswith(".estimates")}


def test_gated_report_is_the_analysis_report_with_the_decision():
    rep = report(est(**GOOD), est("g", **WITHIN_G))
    gated = _gated(rep)
    assert gated.estimates == rep.estimates  # the assessments are the verdicts
    assert gated.decision == decide(rep).decision
    x = gated.meta.extra
    assert x["gate_exit_code"] == 0
    assert x["gate_sequential"] == "msprt"
    assert x["gate_look"] == 1
    assert x["gate_sticky_from_look"] is None
    assert not {"gate_verdict", "better", "worse", "noninferior"} & set(x)
    assert all(not e.extra for e in gated.estimates)


def test_a_guardrail_worse_within_margin_ships_and_is_no_junit_failure():
    rep = report(est(**GOOD), est("g", **WITHIN_G))
    assert rep.estimates[1].assessment is Assessment.WORSE_WITHIN_MARGIN
    gated = _gated(rep)
    assert gated.decision.state == "ship"
    xml = junit_xml(gated, FAIL_ON)
    assert not any(_estimate_failures(xml).values())
    root = ET.fromstring(xml)
    assert root.get("failures") == "0"
    md = summary_markdown(gated, 0)
    assert f"| {WORDS[Assessment.WORSE_WITHIN_MARGIN]} |" in md


def test_junit_failures_are_exactly_harm_and_agree_with_the_renderer():
    rep = report(est(**GOOD), est("g", **HARM_G), est("h", **WITHIN_G),
                 est("s", role="secondary", estimate=-0.4, low=-0.7, high=-0.1))
    gated = _gated(rep, 20)
    assert gated.decision.state == "rollback"
    xml = junit_xml(gated, FAIL_ON)
    failures = _estimate_failures(xml)
    assert len(failures) == len(gated.estimates)
    assert sum(failures.values()) == sum(e.harm for e in gated.estimates) == 1
    assert next(name for name, failed in failures.items() if failed).startswith("g")
    assert failures == _estimate_failures(render(gated, "junit"))
    decision = next(c for c in ET.fromstring(xml).iter("testcase") if c.get("name") == "decision")
    assert decision.find("failure").get("type") == "rollback"


def test_summary_table_reads_the_assessment_and_the_decision_interval():
    rep = report(est(**GOOD), est("g", **HARM_G))
    md = summary_markdown(_gated(rep, 20), 20)
    rows = [ln for ln in md.splitlines() if ln.startswith("| ")]
    assert rows[0] == ("| metric | arm | role | estimate | decision interval | margin "
                       "| verdict |")
    assert rows[2] == "| m | treatment | primary | 0.4 | [0.1, 0.7] | — | better |"
    assert rows[3] == ("| g | treatment | guardrail | 0.006 | [0.004, 0.008] | 0.002 "
                       "| worse than margin |")
    assert "exit code 20 · sequential msprt · look 1 · 5000 units in the smallest arm" in md


def test_annotations_split_warnings_from_the_decision():
    from dataclasses import replace

    rep = report(est(**GOOD))
    rep = replace(rep, decision_basis=replace(rep.decision_basis, notes=("read msprt",)))
    lines = annotation_lines(_gated(rep))
    assert lines[0].startswith("::notice title=causalkit gate%3A SHIP (exp)::primary m")
    assert lines[1] == "::warning title=causalkit gate warning (exp)::read msprt"
