"""Issue 14 (items 1, 2, 7, 8): the Aha finding first (the winner with precision, recall and
lift, then its graded causal verdict), column priorities, rows told apart by method, and a
JUnit file without failures (an Aha report decides nothing, so nothing in it is harm)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

import causalkit
from causalkit.aha.report import (
    CONDITION_PRIORITY,
    NO_HARM_NOTE,
    _no_harm,
    _trust,
    condition_row_columns,
)
from causalkit.report.headline import headline
from causalkit.report.model import Check, Report, Status
from causalkit.report.render import render

SPEC = ("name: f\nkind: aha\n"
        "data: {simulate: event_log, params: {n_users: 3000}, seed: 2}\n"
        "covariates: [age, ios, paid, referred]\nactions: {exclude: [app_open]}\n"
        "windows: [7, 14]\nthresholds: [1, 3, 5]\n"
        "check: {top: 1, refuters: [], estimators: [aipw, regression]}\nheatmaps: 0\n")


@pytest.fixture(scope="module")
def report() -> Report:
    return causalkit.analyze(SPEC)


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"[-+]?\d+\.\d+", text)]


def test_the_winner_comes_first_with_precision_recall_and_lift(report: Report) -> None:
    winner = report.meta.extra["winner"]
    assert isinstance(winner, str)
    first, _causal, proposal, *_ = report.findings
    assert proposal.startswith("Proposed experiment")  # the randomized test that settles it
    assert first.startswith(f"{winner} predicts retention")
    table = next(t for t in report.tables if t.name == "aha_conditions")
    row = dict(zip(table.columns, table.rows[0]))
    assert row["condition"] == winner  # the ranked table's top row is the winner
    for name, places in (("precision", 3), ("recall", 3), ("lift", 2)):
        value = float(first.split(f"{name} ", 1)[1].split(",")[0].split(" ")[0])
        assert value == pytest.approx(float(row[name]), abs=0.6 * 10 ** -places), name
    holdout = next(t for t in report.tables if t.name == "aha_holdout")
    hrow = dict(zip(holdout.columns, holdout.rows[0]))
    assert f"precision {float(hrow['precision']):.3f}" in first
    assert "(it replicates)" in first


def test_the_causal_verdict_is_graded_and_matches_the_causal_table(report: Report) -> None:
    _, causal, *_ = report.findings
    table = next(t for t in report.tables if t.name == "aha_causal")
    row = dict(zip(table.columns, table.rows[0]))
    assert row["condition"] == report.meta.extra["winner"]
    effect, low, high = _numbers(causal)[:3]
    assert effect == pytest.approx(float(row["effect"]), abs=6e-4)
    assert low == pytest.approx(float(row["ci_low"]), abs=6e-4)
    assert high == pytest.approx(float(row["ci_high"]), abs=6e-4)
    words = {"robust_to_benchmark": "robust to confounding", "fragile": "fragile",
             "no_evidence": "no evidence", "not_benchmarked": "not benchmarked"}
    assert words[str(row["verdict"])] in causal
    assert "Only a randomized test settles" in causal
    assert report.meta.extra["headline"] == ". ".join(report.findings[:2])  # the Aha part


def test_headline_shows_the_finding_and_the_winners_causal_estimates(report: Report) -> None:
    h = headline(report)
    assert h.answer == "finding"
    assert h.sentences == report.findings
    winner = report.meta.extra["winner"]
    assert h.primary
    assert all(str(winner) in e.metric for e in h.primary)
    assert all(e.method.startswith("causal:") for e in h.primary)


def test_rows_are_told_apart_by_method(report: Report) -> None:
    labels = [e.label for e in report.estimates]
    assert len(set(labels)) == len(labels)
    for metric in {e.metric for e in report.estimates}:
        methods = [e.method for e in report.estimates if e.metric == metric]
        assert methods[0] == "association"
        assert len(set(methods)) == len(methods)


def test_every_table_has_a_priority_per_column(report: Report) -> None:
    assert len(CONDITION_PRIORITY) == len(condition_row_columns())
    for t in report.tables:
        assert len(t.priority) == len(t.columns), t.name
        assert t.priority[t.columns.index("condition")] == 0 if "condition" in t.columns \
            else 0 in t.priority
    ranked = next(t for t in report.tables if t.name == "aha_conditions")
    key = {c for c, p in zip(ranked.columns, ranked.priority) if p <= 1}
    assert {"condition", "precision", "recall", "lift", "q_value"} <= key
    assert all(p >= 2 for c, p in zip(ranked.columns, ranked.priority)
               if c.startswith("holdout_"))


def test_junit_has_no_failures(report: Report) -> None:
    assert not any(c.status is Status.FAIL for c in report.checks)
    assert not any(e.harm for e in report.estimates)
    suite = ET.fromstring(render(report, "junit")).find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "0"


def test_a_failing_diagnostic_warns_and_says_why() -> None:
    bad = Check("causal_overlap", Status.FAIL, "x: 51% of scores outside [0.05, 0.95]",
                metric="x", value=0.1)
    out = _no_harm(bad)
    assert out.status is Status.WARN
    assert out.detail == NO_HARM_NOTE + bad.detail
    assert (out.name, out.metric, out.value) == (bad.name, bad.metric, bad.value)
    ok = Check("causal_overlap", Status.PASS, "fine")
    assert _no_harm(ok) is ok
    # the winner's verdict says when its diagnostics fail or warn (sensitivity always warns)
    sens = Check("causal_sensitivity", Status.WARN, "graded")
    assert _trust((ok, sens)) == ""
    assert "overlap diagnostic fails, so this estimate is not trustworthy" in _trust((bad, sens))
    assert _trust((Check("causal_covariate_balance", Status.WARN, ""),)) == \
        " (the covariate balance diagnostic warns)"
