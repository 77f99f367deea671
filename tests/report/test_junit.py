"""JUnit XML: parses, one test case per estimate and per check, failures counted right."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from causalkit.report import Check, Decision, Estimate, Experiment, Report, Status
from causalkit.report.render import render


def suite_of(text: str) -> ET.Element:
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    return suites[0]


def test_mixed_checks_and_estimates_are_counted_right(report):
    suite = suite_of(render(report, "junit"))
    cases = suite.findall("testcase")
    # 5 estimates + 3 checks
    assert suite.get("tests") == str(len(cases)) == "8"
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    errored = {c.get("name") for c in cases if c.find("error") is not None}
    # the guardrail worse than its margin and the failed check; the warn check passes
    assert failed == {"report_rate [treatment - control]", "data_zero_variance [revenue]"}
    assert errored == {"revenue [treatment - control]"}
    assert suite.get("failures") == "2"
    assert suite.get("errors") == "1"
    assert suite.get("skipped") == "0"
    warn = next(c for c in cases if c.get("name") == "pre_period_balance")
    assert warn.find("failure") is None
    assert "warn: pre_chat_minutes SMD 0.06" in warn.findtext("system-out")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["decision"] == "hold"
    assert props["decision.reason.1"].startswith("guardrail report_rate")
    assert props["kind"] == "ab"
    assert props["schema_version"] == "1"
    # the wrapper repeats the totals
    root = ET.fromstring(render(report, "junit"))
    assert root.get("tests") == "8"
    assert root.get("failures") == "2"
    assert root.get("errors") == "1"


def _est(role: str, **extra: object) -> Estimate:
    return Estimate(metric=f"{role}_{len(extra)}", contrast="t - c", method="z", estimate=1.0,
                    ci_low=0.5, ci_high=1.5, role=role, extra=extra)  # type: ignore[arg-type]


def test_failure_rules_follow_the_gate_contract():
    cases = [
        (_est("guardrail", worse=True), True),
        (_est("guardrail", worse_than_margin=True, worse=False), True),
        (_est("guardrail", noninferior=False, worse=False), False),  # not shown, not failed
        (_est("guardrail"), False),
        (_est("primary", worse=True), True),
        (_est("primary", better=True, worse=False), False),
        (_est("secondary", worse=True), False),
    ]
    for est, should_fail in cases:
        rep = Report(experiment=Experiment(name="x", kind="ab"), estimates=(est,))
        suite = suite_of(render(rep, "junit"))
        assert suite.get("failures") == ("1" if should_fail else "0"), (est, should_fail)
        assert (suite.find("testcase/failure") is not None) is should_fail


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
        assert {p.get("name"): p.get("value") for p in suite.iter("property")}["decision"] == "none"


def test_hostile_strings_still_give_parseable_xml():
    nasty = "a\x00b\x1b[31m<&>\"'\ud800]]>\ufffe"
    rep = Report(
        experiment=Experiment(name=nasty, kind="ab"),
        estimates=(Estimate(metric=nasty, contrast=nasty, method=nasty, estimate=math.inf,
                            extra={nasty: nasty}),),
        checks=(Check(nasty, Status.FAIL, nasty, metric=nasty),),
        decision=Decision(nasty, (nasty,)),
    )
    suite = suite_of(render(rep, "junit"))
    assert suite.get("tests") == "2"
    assert suite.get("failures") == "1"
    assert suite.get("errors") == "1"
    assert "<&>" in suite.get("name")
