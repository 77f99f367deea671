"""JUnit XML: parses, one test case per estimate and per check, failures counted right."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import replace

from causalkit.report import (
    Assessment,
    Check,
    Decision,
    DecisionBasis,
    Estimate,
    Experiment,
    Report,
    Status,
)
from causalkit.report.render import render
from causalkit.report.render.junit import estimate_outcome, junit_xml
from causalkit.spec.common import Sequential


def suite_of(text: str) -> ET.Element:
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    return suites[0]


def test_mixed_checks_and_estimates_are_counted_right(report):
    suite = suite_of(render(report, "junit"))
    cases = suite.findall("testcase")
    # 6 estimates + 3 checks
    assert suite.get("tests") == str(len(cases)) == "9"
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    errored = {c.get("name") for c in cases if c.find("error") is not None}
    # the guardrail worse than its margin and the failed check; the guardrail worse *within*
    # its margin and the warn check pass
    assert failed == {"report_rate: treatment - control (z)", "data_zero_variance [revenue]"}
    assert errored == {"revenue: treatment - control (welch)"}
    assert suite.get("failures") == "2"
    assert suite.get("errors") == "1"
    assert suite.get("skipped") == "0"
    harm = next(c for c in cases if c.get("name").startswith("report_rate"))
    assert harm.find("failure").get("type") == "guardrail_inferior"
    assert "decision interval [0.0022, 0.0058] always-valid" in harm.find("failure").get("message")
    within = next(c for c in cases if c.get("name").startswith("session_length"))
    assert within.find("failure") is None
    assert "assessment: worse_within_margin" in within.findtext("system-out")
    warn = next(c for c in cases if c.get("name") == "pre_period_balance")
    assert warn.find("failure") is None
    assert "warn: pre_chat_minutes SMD 0.06" in warn.findtext("system-out")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["decision"] == "invalid"
    assert props["decision.reason.2"].startswith("guardrail report_rate")
    assert props["decision.needs_history"] == "false"
    assert props["decision_basis.sequential"].startswith("msprt")
    assert props["decision_basis.information_fraction"] == "0.499"
    assert props["kind"] == "ab"
    assert props["schema_version"] == "2"
    # the wrapper repeats the totals
    root = ET.fromstring(render(report, "junit"))
    assert root.get("tests") == "9"
    assert root.get("failures") == "2"
    assert root.get("errors") == "1"


def _est(role: str, estimate: float, low: float, high: float, *, direction: str | None,
         margin: float | None = None) -> Estimate:
    return Estimate(metric=f"{role}_{estimate}_{margin}", arm="t", reference="c", method="z",
                    estimate=estimate, ci_low=low, ci_high=high, role=role,
                    direction=direction, margin=margin)


BASIS = DecisionBasis(sequential=Sequential.NONE, alpha=0.05, min_n_per_arm=1000)


def test_a_failure_is_exactly_harm():
    cases = [
        # (estimate, assessment, fails)
        (_est("guardrail", -0.5, -0.8, -0.2, direction="increase"), "worse", True),
        (_est("guardrail", -0.5, -0.8, -0.2, direction="increase", margin=0.1), "inferior", True),
        (_est("guardrail", -0.05, -0.08, -0.02, direction="increase", margin=0.1),
         "worse_within_margin", False),
        (_est("guardrail", 0.0, -0.2, 0.2, direction="increase", margin=0.1),
         "not_shown_non_inferior", False),
        (_est("guardrail", 0.0, -0.05, 0.05, direction="increase", margin=0.1),
         "non_inferior", False),
        (_est("guardrail", 0.0, -0.2, 0.2, direction="decrease"), "not_significant", False),
        (_est("primary", 0.5, 0.2, 0.8, direction="decrease"), "worse", True),
        (_est("primary", 0.5, 0.2, 0.8, direction="increase"), "better", False),
        (_est("primary", -0.5, -0.8, -0.2, direction="increase", margin=0.1), "inferior", True),
        (_est("secondary", -0.5, -0.8, -0.2, direction="increase"), "worse", False),
        (_est("secondary", -0.5, -0.8, -0.2, direction=None), "significant", False),
    ]
    for est, assessment, should_fail in cases:
        assert est.assessment.value == assessment, est
        assert est.harm is should_fail
        assert estimate_outcome(est) == ("failure" if should_fail else "pass")
        rep = Report(experiment=Experiment(name="x", kind="ab"), estimates=(est,),
                     decision_basis=BASIS)
        for text in (render(rep, "junit"), junit_xml(rep, decision_case=True)):
            est_cases = [c for c in suite_of(text).findall("testcase")
                         if c.get("classname") == "x.estimates"]
            assert [c.find("failure") is not None for c in est_cases] == [should_fail], est
        # a kind without decision rules (no decision basis: aha, observational) rolls
        # nothing back, so nothing fails
        ungated = replace(rep, experiment=Experiment(name="x", kind="aha"), decision_basis=None)
        suite = suite_of(render(ungated, "junit"))
        assert suite.get("failures") == "0"


def test_worse_within_margin_guardrail_is_not_a_failure():
    g = Estimate(metric="session_length", arm="treatment", reference="control", method="welch",
                 estimate=-0.004, ci_low=-0.006, ci_high=-0.002, role="guardrail",
                 direction="increase", margin=0.01)
    assert g.assessment is Assessment.WORSE_WITHIN_MARGIN
    rep = Report(experiment=Experiment(name="x", kind="ab"), estimates=(g,),
                 decision=Decision("ship", ("guardrail session_length is worse, within margin",)))
    suite = suite_of(render(rep, "junit"))
    assert suite.get("failures") == "0"
    assert suite.get("errors") == "0"
    gate = suite_of(junit_xml(rep, decision_case=True))
    assert gate.get("failures") == "0"
    assert gate.get("tests") == "2"


def test_the_decision_case_of_the_gate():
    base = Report(experiment=Experiment(name="x", kind="ab"))
    for state, tag in (("ship", None), ("hold", "skipped"), ("inconclusive", "skipped"),
                       ("rollback", "failure"), ("invalid", "failure"), ("error", "error")):
        rep = base.with_decision(Decision(state, (f"because {state}",)))
        suite = suite_of(junit_xml(rep, decision_case=True))
        (case,) = suite.findall("testcase")
        assert (case.get("classname"), case.get("name")) == ("causalkit.gate", "decision")
        tags = {child.tag for child in case} - {"system-out"}
        assert tags == (set() if tag is None else {tag}), state
        assert f"decision: {state}" in case.findtext("system-out")
    # fail_on from the argument, else the report's decision basis
    hold = base.with_decision(Decision("hold"))
    assert suite_of(junit_xml(hold, decision_case=True, fail_on=["hold"])).get("failures") == "1"
    gated = replace(hold, decision_basis=DecisionBasis(sequential="msprt", alpha=0.05,
                                                       min_n_per_arm=10, fail_on=("hold",)))
    assert suite_of(junit_xml(gated, decision_case=True)).get("failures") == "1"
    # no decision at all: the gate fails closed
    (case,) = suite_of(junit_xml(base, decision_case=True)).findall("testcase")
    assert case.find("error") is not None


def test_needs_history_is_a_property():
    rep = Report(experiment=Experiment(name="x", kind="ab"),
                 decision=Decision("hold", ("too early",), needs_history=True))
    props = {p.get("name"): p.get("value") for p in suite_of(render(rep, "junit")).iter("property")}
    assert props["decision.needs_history"] == "true"


def test_every_check_status_counts():
    for statuses in ([], [Status.PASS], [Status.FAIL, Status.FAIL, Status.WARN],
                     [Status.WARN] * 3, [Status.PASS, Status.WARN, Status.FAIL] * 4):
        rep = Report(experiment=Experiment(name="x", kind="ab"),
                     checks=tuple(Check(f"c{i}", s, f"d{i}") for i, s in enumerate(statuses)),
                     decision=None)
        suite = suite_of(render(rep, "junit"))
        assert int(suite.get("tests")) == len(statuses)
        assert int(suite.get("failures")) == statuses.count(Status.FAIL)
        assert len(suite.findall("testcase/failure")) == statuses.count(Status.FAIL)
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert props["decision"] == "none"


def test_hostile_strings_still_give_parseable_xml():
    nasty = "a\x00b\x1b[31m<&>\"'\ud800]]>\ufffe"
    rep = Report(
        experiment=Experiment(name=nasty, kind="ab"),
        estimates=(Estimate(metric=nasty, arm=nasty, reference=nasty, method=nasty,
                            estimate=math.inf, n_unit=nasty, extra={nasty: nasty}),),
        checks=(Check(nasty, Status.FAIL, nasty, metric=nasty),),
        decision=Decision("hold", (nasty,)),
        decision_basis=DecisionBasis(sequential="gst", alpha=0.05, min_n_per_arm=1,
                                     n_unit=nasty, notes=(nasty,)),
    )
    suite = suite_of(render(rep, "junit"))
    assert suite.get("tests") == "2"
    assert suite.get("failures") == "1"
    assert suite.get("errors") == "1"
    assert "<&>" in suite.get("name")
