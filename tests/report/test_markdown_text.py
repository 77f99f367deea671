"""Markdown (one table row per estimate, escaped strings) and terminal text (no ANSI unless asked)."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from causalkit.report import Decision, DecisionBasis, Estimate, Experiment, Report
from causalkit.report.render import render
from causalkit.report.render._format import fmt_p_for, p_column

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
    assert estimates[0] == ["estimate", "effect", "CI", "decision interval", "relative [CI]",
                            "p-value", "n", "level", "role", "assessment"]
    assert [r[0] for r in estimates[1:]] == [e.label for e in report.estimates]
    assert all(len(r) == len(estimates[0]) for r in estimates)
    assert len(checks) == 1 + len(report.checks)
    assert [r[0] for r in checks[1:]] == ["PASS", "WARN", "FAIL"]
    assert len(balance) == 3
    lines = md.splitlines()
    assert lines[0] == "# match-filter-v2"
    assert lines[2].startswith("**Decision: INVALID** — check data\\_zero\\_variance failed")
    assert lines[4].startswith("**Decision basis** — sequential: msprt")
    assert "information fraction: 0.499" in lines[4]
    col = dict(zip(estimates[0], zip(*estimates[1:], strict=True), strict=True))
    row = next(r for r in estimates if r[0].startswith("report_rate"))
    assert row[5] == "—"  # a guardrail shows its non-inferiority p: this one has no se
    assert row[2] == "[0.0025, 0.0055]"
    assert row[3] == "[0.0022, 0.0058] always-valid"
    assert row[9] == "worse than margin (margin 0.002)"
    assert row[6] == "control 50,112 users · treatment 49,871 users"
    assert row[7] == "control 0.019 · treatment 0.023"
    assert col["assessment"][3] == "worse, within margin (margin 0.01)"
    assert next(r for r in estimates if r[0].startswith("revenue"))[2] == "—"


def test_pipes_newlines_and_html_in_names_keep_the_row_count():
    names = ["a|b", "x\\", "c\\|d", "line1\nline2", "<b>bold</b> & `code` *em* _u_ [l](u)",
             "|||", "ends with pipe |"]
    rep = Report(experiment=Experiment(name="e|x\n<h1>", kind="ab"),
                 estimates=tuple(Estimate(metric=n, arm="t|c", reference="r", method="m\\",
                                          estimate=1.0) for n in names))
    md = render(rep, "md")
    (estimates,) = gfm_tables(md)
    assert len(estimates) == 1 + len(names)
    assert all(len(r) == 9 for r in estimates)
    # shown exactly, nothing interpreted
    assert [r[0] for r in estimates[1:]] == [f"{n}: t|c - r (m\\)" for n in names]
    assert "<h1>" not in md
    assert "<b>" not in md
    assert md.splitlines()[0] == "# e\\|x<br>&lt;h1&gt;"


def test_markdown_without_estimates_or_decision():
    md = render(Report(experiment=Experiment(name="x", kind="aha")), "md")
    assert "**Decision: NONE** — no decision rules apply to this report" in md
    assert "_No estimates._" in md
    assert "_No checks._" in md
    assert "Decision basis" not in md
    assert gfm_tables(md) == []


def test_markdown_says_when_a_decision_needs_history_or_was_not_made():
    basis = DecisionBasis(sequential="gst", alpha=0.05, min_n_per_arm=500, look=1,
                          boundary_z=2.963, spent_alpha=0.0031, history_known=False)
    rep = Report(experiment=Experiment(name="x", kind="ab"), decision_basis=basis)
    md = render(rep, "md")
    assert "**Decision: NOT MADE**" in md
    assert "Decision: NONE" not in md
    md = render(rep.with_decision(Decision("hold", ("too early",), needs_history=True)), "md")
    line = md.splitlines()[2]
    assert line.startswith("**Decision: HOLD** — too early; this decision reads")
    assert "causalkit gate --state FILE" in line
    assert "look: 1, boundary \\|z\\| ≥ 2.963, alpha spent 0.0031 of 0.05 (earlier looks " \
           "not known)" in md


def test_text_has_no_ansi_without_colour(report):
    from rich.cells import cell_len

    from causalkit.report.assessment import WORDS, Assessment

    out = render(report, "text")
    assert not ANSI.search(out)
    for word in ("match-filter-v2 (ab)", "hypothesis: The new gender filter", "Estimates",
                 "Checks", "decision: INVALID", "guardrail report_rate is worse", "Covariate balance",
                 "+3.4%", "[+1%, +5.8%]", "[0.12, 0.7]", "welch+cuped", "fail", "warn",
                 "pass", "—", "decision interval", "[0.05, 0.77]", "always-valid",
                 "worse, within margin", "decision basis:", "information fraction: 0.499",
                 "n per arm: control 50,112 users · treatment 49,871 users"):
        assert word in out, word
    label, mark, note = p_column(report.estimates)  # guardrails: the non-inferiority p
    assert f"┃ {label} ┃" in out
    for e in report.estimates:
        assert re.search(rf"│ +{re.escape(fmt_p_for(e, mark=mark))} │", out), e.metric
    assert note is None or " ".join(note.split()[:4]) in out
    # the headline comes first: the answer, its reasons, the primary estimate, the alerts
    detail = out.index("detail ─")
    assert out.index("decision: INVALID") < out.index(" - check data_zero_variance failed") \
        < detail < out.index("decision basis:") < out.index("Estimates") < out.index("Checks")
    head = out[:detail]
    assert re.search(r"chat_minutes +0\.41 \[0\.12, 0\.7\] +better", head)
    assert "FAIL  data_zero_variance" in head
    assert "WARN  pre_period_balance" in head
    assert "checks: 1 failed, 1 warned, 1 passed" in head
    assert "decision: none" not in out
    assert max(cell_len(line) for line in out.splitlines()) <= 132
    for width in (60, 80, 100):
        narrow = render(report, "text", width=width)
        assert max(cell_len(line) for line in narrow.splitlines()) <= width
        assert "…" not in narrow
        for word in ("decision: INVALID", "decision:", "guardrail", "information fraction"):
            assert word in narrow, (width, word)
    at80 = render(report, "text", width=80)
    for word in ("welch+cuped", "[0.05, 0.77]", "always-valid", "not computable", "better",
                 "[0.0022, 0.0058]", "non-inferior", "(margin 0.001)",
                 WORDS[Assessment.NOT_SIGNIFICANT].split()[0]):
        assert word in at80, word


def test_text_wide_shows_every_column_at_any_width(report):
    narrow = render(report, "text", width=60)
    assert "hidden:" in narrow
    assert "--wide or --format md for all" in " ".join(narrow.split())
    wide = render(report, "text", width=60, wide=True)
    assert "hidden:" not in wide
    for header in ("effect [CI]", "decision interval", "relative [CI]", "role", "assessment"):
        assert header in wide, header


def test_text_width_defaults_to_columns(report, monkeypatch):
    from rich.cells import cell_len

    monkeypatch.setenv("COLUMNS", "70")
    out = render(report, "text")
    assert max(cell_len(line) for line in out.splitlines()) <= 70
    assert max(cell_len(line) for line in render(report, "text", width=100).splitlines()) > 70


def test_text_colours_follow_the_tone(report):
    out = render(report, "text", color=True, width=150)
    # green better, red inferior, yellow (amber) worse within margin
    assert "\x1b[32mbetter" in out
    assert re.search(r"\x1b\[31mworse than margin", out)
    assert re.search(r"\x1b\[33mworse, within margin", out)


def test_text_without_a_decision_says_why():
    out = render(Report(experiment=Experiment(name="x", kind="aha")), "text")
    assert "decision: NONE" in out
    assert "no decision rules apply to this report" in out


def test_text_with_colour_has_ansi(report):
    out = render(report, "text", color=True, width=150)
    assert ANSI.search(out)
    assert max(len(ANSI.sub("", line)) for line in out.splitlines()) <= 150


def test_text_respects_width_and_shows_markup_literally():
    rep = Report(experiment=Experiment(name="[bold red]x[/] :smile:", kind="ab"),
                 estimates=(Estimate(metric="[link=http://e]m[/link]", arm="t", reference="c",
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
                 estimates=(Estimate(metric=evil, arm="t", reference="c", method="welch",
                                     estimate=1.0),),
                 checks=(Check(name="srm", status=Status.PASS, detail=evil),))
    for color in (False, True):
        out = render(rep, "text", color=color)
        assert "\x1b[2J" not in out
        assert "\x1b]0" not in out
        assert "\x07" not in out
        assert "chat\\x1b[2J" in out


def test_a_basis_problem_comes_first_in_every_format():
    basis = DecisionBasis(sequential="gst", alpha=0.05, min_n_per_arm=50,
                          problem="the decision needs the planned information")
    rep = Report(experiment=Experiment(name="x", kind="ab"), decision_basis=basis,
                 decision=Decision("error", ("the decision needs the planned information",)))
    md = render(rep, "md")
    assert "**Decision basis** — problem: the decision needs the planned information · " \
           "sequential: gst" in md
    text = render(rep, "text", width=80)
    assert text.index("problem:") < text.index("sequential:")
    assert "<dt>problem</dt><dd>the decision needs the planned information</dd>" in render(
        rep, "html")
