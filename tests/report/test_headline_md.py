"""The answer first in Markdown and JUnit (issue 14, item 1)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from causalkit.report import Check, Decision, Estimate, Experiment, Report, Status
from causalkit.report.headline import headline
from causalkit.report.render import render
from causalkit.report.render._format import headline_estimate_line, headline_sentence
from causalkit.report.render.junit import junit_xml

from .conftest import make_report


@pytest.fixture(scope="module")
def gated() -> Report:
    return make_report().with_decision(Decision("rollback", ("guardrail report_rate is worse "
                                                             "than margin",)))


def test_markdown_opens_with_the_answer_then_the_detail(gated: Report):
    md = render(gated, "md")
    lines = md.splitlines()
    assert lines[2].startswith("**Decision: ROLLBACK** — guardrail report\\_rate is worse")
    detail = md.index("## Estimates")
    primary = md.index("**Primary estimates**")
    assert primary < detail
    h = headline(gated)
    for e in h.primary:
        bullet = f"- {e.metric.replace('_', chr(92) + '_')}: {e.contrast}"
        assert md.index(bullet) < detail
    assert md.index("**Failed and warned checks**") < detail
    for c in h.alerts:
        assert md.index(f"- {c.status.value.upper()} {c.name.replace('_', chr(92) + '_')}") < detail
    assert md.count("## Estimates") == 1


def test_markdown_states_findings_before_saying_no_rules_apply():
    rep = Report(experiment=Experiment(name="aha", kind="aha"),
                 findings=("add_friend >= 3 in 7d predicts retention",
                           "not shown causal: only a randomized test settles it"),
                 estimates=(Estimate(metric="retained", arm="reached", reference="not reached",
                                     method="difference", estimate=0.2, ci_low=0.1,
                                     ci_high=0.3, n=40, n_reference=60, n_unit="users"),))
    lines = render(rep, "md").splitlines()
    assert lines[2] == ("**Finding** — add\\_friend &gt;= 3 in 7d predicts retention; not "
                        "shown causal: only a randomized test settles it")
    assert lines[4] == "**Decision: NONE** — no decision rules apply to this report"
    assert lines[6] == "**Main estimates**"
    assert lines[8].startswith("- retained: reached - not reached (difference): +0.2 \\[0.1, 0.3\\]")
    assert "n 40 / 60 users" in lines[8]


def test_markdown_without_alerts_or_estimates_has_no_empty_headline_blocks():
    md = render(Report(experiment=Experiment(name="x", kind="ab"),
                       checks=(Check("srm", Status.PASS),)), "md")
    assert "Primary estimates" not in md
    assert "Main estimates" not in md
    assert "checks**" not in md


def test_junit_carries_the_headline_first(gated: Report):
    for text in (render(gated, "junit"), junit_xml(gated, decision_case=True)):
        suite = ET.fromstring(text).find("testsuite")
        assert suite is not None
        props = suite.findall("properties/property")
        h = headline(gated)
        assert [p.get("name") for p in props[:2]] == ["headline", "headline.answer"]
        assert props[0].get("value") == headline_sentence(h)
        assert props[0].get("value", "").startswith("rollback: guardrail report_rate is worse")
        named = {p.get("name"): p.get("value") for p in props}
        assert named["headline.primary.1"] == headline_estimate_line(h.primary[0])
        assert named["headline.alert.1"].startswith("FAIL ")
        out = suite.find("system-out")
        assert out is not None
        assert (out.text or "").splitlines()[0] == headline_sentence(h)
        # harm = JUnit failure = rollback: the headline adds no test case
        n_harm = sum(e.harm for e in gated.estimates)
        n_failed = sum(c.failed for c in gated.checks)
        decision = sum(c.get("name") == "decision" and c.find("failure") is not None
                       for c in suite.findall("testcase"))
        assert int(suite.get("failures", "0")) == n_harm + n_failed + decision


def test_junit_headline_of_a_finding():
    rep = Report(experiment=Experiment(name="aha", kind="aha"), findings=("a predicts b",))
    suite = ET.fromstring(render(rep, "junit")).find("testsuite")
    assert suite is not None
    named = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    assert named["headline"] == "finding: a predicts b"
    assert named["headline.answer"] == "finding"
