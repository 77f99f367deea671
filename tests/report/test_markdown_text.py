"""Markdown (one table row per estimate, escaped strings) and terminal text (no ANSI unless asked)."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from causalkit.report import Estimate, Experiment, Report
from causalkit.report.render import render

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\]")


def gfm_tables(md_text: str) -> list[list[list[str]]]:
    """Parse Markdown as GFM and return each table as rows of rendered cell texts."""
    tokens = MarkdownIt("commonmark").enable("table").parse(md_text)
    tables: list[list[list[str]]] = []
    row: list[str] | None = None
    for tok in tokens:
        if tok.type == "table_open":
            tables.append([])
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close":
            tables[-1].append(row or [])
            row = None
        elif tok.type == "inline" and row is not None:
            parts = []
            for child in tok.children or []:
                if child.type in ("text", "text_special", "code_inline"):
                    parts.append(child.content)
                elif child.type == "html_inline" and child.content.lower().startswith("<br"):
                    parts.append("\n")
                elif child.type == "html_inline":
                    parts.append("<HTML>")
                else:
                    parts.append(f"<{child.type}>")
            row.append("".join(parts))
    return tables


def test_markdown_has_one_row_per_estimate(report):
    md = render(report, "md")
    tables = gfm_tables(md)
    estimates, checks, balance = tables
    assert len(estimates) == 1 + len(report.estimates)
    assert [r[0] for r in estimates[1:]] == [e.metric for e in report.estimates]
    assert all(len(r) == len(estimates[0]) for r in estimates)
    assert len(checks) == 1 + len(report.checks)
    assert [r[0] for r in checks[1:]] == ["PASS", "WARN", "FAIL"]
    assert len(balance) == 3
    lines = md.splitlines()
    assert lines[0] == "# match-filter-v2"
    assert lines[2].startswith("**Decision: HOLD** — guardrail report")
    row = next(r for r in estimates if r[0] == "report_rate")
    assert row[6] == "3.1e-20"
    assert row[4] == "[0.0025, 0.0055]"
    assert row[9] == "worse than margin"
    assert next(r for r in estimates if r[0] == "revenue")[4] == "—"


def test_pipes_newlines_and_html_in_names_keep_the_row_count():
    names = ["a|b", "x\\", "c\\|d", "line1\nline2", "<b>bold</b> & `code` *em* _u_ [l](u)",
             "|||", "ends with pipe |"]
    rep = Report(experiment=Experiment(name="e|x\n<h1>", kind="ab"),
                 estimates=tuple(Estimate(metric=n, contrast="t|c", method="m\\", estimate=1.0)
                                 for n in names))
    md = render(rep, "md")
    (estimates,) = gfm_tables(md)
    assert len(estimates) == 1 + len(names)
    assert all(len(r) == 10 for r in estimates)
    assert [r[0] for r in estimates[1:]] == names  # shown exactly, nothing interpreted
    assert {r[1] for r in estimates[1:]} == {"t|c"}
    assert "<h1>" not in md
    assert "<b>" not in md
    assert md.splitlines()[0] == "# e\\|x<br>&lt;h1&gt;"


def test_markdown_without_estimates_or_decision():
    md = render(Report(experiment=Experiment(name="x", kind="aha")), "md")
    assert "**Decision: NONE**" in md
    assert "_No estimates._" in md
    assert "_No checks._" in md
    assert gfm_tables(md) == []


def test_text_has_no_ansi_without_colour(report):
    out = render(report, "text")
    assert not ANSI.search(out)
    for word in ("match-filter-v2 (ab)", "hypothesis: The new gender filter", "Estimates",
                 "Checks", "decision: HOLD", "guardrail report_rate is worse", "Covariate balance",
                 "3.1e-20", "+3.4%", "[+1%, +5.8%]", "[0.12, 0.7]", "welch+cuped", "fail", "warn", "pass", "—"):
        assert word in out, word
    assert max(len(line) for line in out.splitlines()) <= 132
    for width in (60, 80, 100):
        assert max(len(line) for line in render(report, "text", width=width).splitlines()) <= width


def test_text_with_colour_has_ansi(report):
    out = render(report, "text", color=True, width=150)
    assert ANSI.search(out)
    assert max(len(ANSI.sub("", line)) for line in out.splitlines()) <= 150


def test_text_respects_width_and_shows_markup_literally():
    rep = Report(experiment=Experiment(name="[bold red]x[/] :smile:", kind="ab"),
                 estimates=(Estimate(metric="[link=http://e]m[/link]", contrast="t - c",
                                     method="welch", estimate=2.0),))
    out = render(rep, "text")
    assert "[bold red]x[/] :smile:" in out
    assert "[link=http://e]m[/link]" in out
    for width in (60, 80, 100):
        narrow = render(rep, "text", width=width)
        assert not ANSI.search(narrow)
        assert max(len(line) for line in narrow.splitlines()) <= width


def test_text_lists_figures(report):
    from causalkit.report import Figure

    rep = Report(experiment=report.experiment, figures=(Figure("cs", "Confidence sequence", "<svg/>"),))
    assert "figures (in the HTML report): Confidence sequence" in render(rep, "text")


def test_escape_sequences_in_names_cannot_drive_the_terminal() -> None:
    from causalkit.report import Check, Estimate, Experiment, Report, Status
    from causalkit.report.render import render

    evil = "chat\x1b[2J\x1b]0;owned\x07"
    rep = Report(experiment=Experiment(name=evil, kind="ab"),
                 estimates=(Estimate(metric=evil, contrast="t - c", method="welch",
                                     estimate=1.0),),
                 checks=(Check(name="srm", status=Status.PASS, detail=evil),))
    for color in (False, True):
        out = render(rep, "text", color=color)
        assert "\x1b[2J" not in out
        assert "\x1b]0" not in out
        assert "\x07" not in out
        assert "chat\\x1b[2J" in out
