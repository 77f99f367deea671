"""The reports of every example design render in every format: one row per label, the decision
shown for gated kinds, JUnit failures exactly the harm, text readable at 80 columns."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from causalkit.report import Report, Status
from causalkit.report.render import FORMATS, render
from causalkit.report.render.html import render_html
from causalkit.report.render.junit import junit_xml

DESIGNS = sorted((Path(__file__).parents[2] / "designs").glob("*.yaml"))
GATED = {"ab", "switchback"}


@pytest.fixture(scope="module", params=DESIGNS, ids=[p.stem for p in DESIGNS])
def report(request: pytest.FixtureRequest) -> Report:
    from tests.report.test_width import design_report  # one run per design per session

    return design_report(request.param)


def _md_labels(md: str) -> list[str]:
    table = md.split("## Estimates")[1].split("## Checks")[0]
    rows = [ln for ln in table.splitlines() if ln.startswith("| ")][2:]
    return [re.split(r"(?<!\\)\|", row)[1].strip() for row in rows]


def test_every_format_renders(report):
    for fmt in FORMATS:
        assert render(report, fmt).endswith("\n"), fmt
    assert Report.from_json(report.to_json()).to_json() == report.to_json()


def test_no_table_or_forest_plot_shows_two_rows_with_the_same_label(report):
    from causalkit.report.plots import forest_plot

    labels = [e.label for e in report.estimates]
    assert len(set(labels)) == len(labels), labels
    assert all(f"({e.method})" in e.label for e in report.estimates)
    md = _md_labels(render(report, "md"))
    assert len(md) == len(labels)
    assert len(set(md)) == len(md)
    table = render_html(report, forest=False).split("<h2>Estimates</h2>")[1].split("</table>")[0]
    cells = [html.unescape(c) for c in re.findall(r"<tr class=[^>]*><td>(.*?)</td>", table)]
    assert cells == labels
    for scale in ("auto", "relative", "absolute"):
        fig = forest_plot(report.estimates, scale=scale)
        rows = [(ax.get_title(loc="left"), t.get_text()) for ax in fig.axes
                for t in ax.get_yticklabels()]
        assert len(rows) == len(labels), scale
        assert len(set(rows)) == len(rows), scale
        assert all(f"({e.method})" in r for e, (_, r) in zip(report.estimates, rows, strict=True))


def test_gated_kinds_show_their_decision(report):
    md, text = render(report, "md"), render(report, "text")
    if report.experiment.kind in GATED:
        assert report.decision is not None
        assert report.decision_basis is not None
        assert "**Decision: NONE**" not in md
        assert "decision: none" not in text.lower()
        assert f"**Decision: {report.decision.state.value.upper()}**" in md
        assert "**Decision basis**" in md
        assert "decision basis:" in text
        assert text.index("decision: ") < text.index("Estimates")
    else:
        assert report.decision is None
        assert "**Decision: NONE** — " in md
        assert "no decision rules apply to this report" in md
        headline = report.meta.extra.get("headline")
        if isinstance(headline, str):  # the finding comes first (Aha: the winner and its verdict)
            assert md.index("Only a randomized test settles") < md.index("no decision rules")


def test_junit_failures_are_exactly_the_harm(report):
    n_harm = sum(e.harm for e in report.estimates)
    n_failed = sum(c.status is Status.FAIL for c in report.checks)
    for text in (render(report, "junit"), junit_xml(report, decision_case=True)):
        suite = ET.fromstring(text).find("testsuite")
        assert suite is not None
        est = [c for c in suite.findall("testcase")
               if c.get("classname", "").endswith(".estimates")]
        assert sum(c.find("failure") is not None for c in est) == n_harm
        checks = [c for c in suite.findall("testcase")
                  if c.get("classname", "").endswith(".checks")]
        assert sum(c.find("failure") is not None for c in checks) == n_failed


def test_text_at_80_columns(report):
    from rich.cells import cell_len

    out = render(report, "text", width=80)
    assert max(cell_len(line) for line in out.splitlines()) <= 80
    for e in report.estimates:  # whole, on one line
        assert any(e.metric in line for line in out.splitlines()), e.metric
