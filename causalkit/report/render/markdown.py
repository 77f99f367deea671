"""GitHub-flavoured Markdown, sized for a CI job summary (``$GITHUB_STEP_SUMMARY``).

Layout: the answer first (:func:`causalkit.report.headline.headline`): a heading
with the experiment name, a decision line with a plain status word and its reasons
(for a kind without decision rules, a ``**Finding**`` line with the report's
findings, then ``**Decision: NONE**``), the decision basis (for gated reports), the
primary estimates as a list (effect, interval, p-value, counts, verdict) and the
failed or warned checks; then the detail: the hypothesis, an
estimates table with exactly one row per estimate (labelled metric, contrast and
method; a "decision interval" column when some decision interval differs from the
reported one), a checks table, the report's extra tables and a list of figures. Every string
from the report is escaped, so a ``|`` or a newline in a metric name cannot
break a table row and HTML in a name stays text; control characters are shown
as escapes (``\\x1b``), so Markdown printed to a terminal or a CI log cannot drive
it. P- and q-value cells use one formatter (never ``0``); an uncalibrated
estimate's assessment says so.

Example:
    >>> from causalkit.report import Report, Experiment, Estimate
    >>> rep = Report(experiment=Experiment(name="x", kind="ab"), estimates=(
    ...     Estimate(metric="a|b", arm="t", reference="c", method="welch", estimate=1.0),))
    >>> [ln for ln in render_markdown(rep).splitlines() if ln.startswith("| a")]
    ['| a\\\\|b: t - c (welch) | 1 | — | — | — | — | — | secondary | not computable |']
    >>> print(render_markdown(rep).splitlines()[2])
    **Decision: NONE** — no decision rules apply to this report
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from causalkit.report.headline import FINDING, headline
from causalkit.report.model import Estimate, Report, Table
from causalkit.report.render._format import (
    MISSING,
    alert_line,
    basis_items,
    decision_differs,
    decision_lines,
    decision_word,
    fmt_assessment,
    fmt_cell,
    fmt_ci,
    fmt_decision_ci,
    fmt_levels,
    fmt_n,
    fmt_num,
    fmt_p_for,
    fmt_relative,
    headline_estimate_line,
    numeric_columns,
    p_column,
    row_labels,
)
from causalkit.report.render.terminal import UNSAFE, escape_char

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")
_NEWLINES = re.compile(r"\r\n|\r|\n")


def escape_md(text: object) -> str:
    """Escape a user string for a Markdown table cell or heading.

    HTML-special characters become entities, Markdown punctuation (including
    ``|`` and the backslash) is backslash-escaped, newlines become ``<br>``, and
    other control characters (ESC, C1, bidirectional overrides) are shown as
    escapes such as ``\\x1b``.

    Example:
        >>> escape_md("<b>a|b</b>\\nc_d")
        '&lt;b&gt;a\\\\|b&lt;/b&gt;<br>c\\\\_d'
        >>> escape_md("red\\x1b[31m")
        'red\\\\\\\\x1b\\\\[31m'
    """
    s = str(text)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    s = _NEWLINES.sub("\n", s)
    s = UNSAFE.sub(lambda m: m.group() if m.group() == "\n" else escape_char(m.group()), s)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return s.replace("\n", "<br>")


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]],
           align: Sequence[str] | None = None) -> list[str]:
    align = align or ["---"] * len(header)
    return [_row(header), _row(align), *(_row(r) for r in rows)]


def _user_table(t: Table) -> list[str]:
    width = len(t.columns)
    rows = []
    for row in t.rows:
        cells = [escape_md(fmt_cell(c, v)) for c, v in zip(t.columns, row[:width])]
        cells += [MISSING] * (width - len(cells))
        rows.append(cells)
    out = [f"### {escape_md(t.title or t.name)}", ""]
    if width == 0:
        return [*out, "_(no columns)_", ""]
    align = ["---:" if num else "---" for num in numeric_columns(t.columns, t.rows)]
    return [*out, *_table([escape_md(c) for c in t.columns], rows, align), ""]


def _estimates(ests: Sequence[Estimate]) -> list[str]:
    decision = any(decision_differs(e) for e in ests)
    p_label, mark, note = p_column(ests)
    header = ["estimate", "effect", "CI", *(["decision interval"] if decision else []),
              "relative [CI]", p_label, "n", "level", "role", "assessment"]
    align = ["---", "---:", "---", *(["---"] if decision else []),
             "---", "---:", "---", "---", "---", "---"]
    rows = [[escape_md(label), fmt_num(e.estimate), fmt_ci(e.ci_low, e.ci_high),
             *([fmt_decision_ci(e)] if decision else []), fmt_relative(e),
             fmt_p_for(e, mark=mark),
             escape_md(fmt_n(e)), escape_md(fmt_levels(e)), e.role.value,
             escape_md(fmt_assessment(e))]
            for e, label in zip(ests, row_labels(ests), strict=True)]
    return [*_table(header, rows, align), *(["", f"_{escape_md(note)}_"] if note else [])]


def _headline(report: Report) -> list[str]:
    """The answer first: the answer line, the basis, primary estimates and alerts."""
    h = headline(report)
    if report.decision is None and h.answer == FINDING:
        said = {*h.sentences, report.meta.extra.get("headline")}
        rest = "; ".join(escape_md(r) for r in decision_lines(report) if r not in said)
        lines = [f"**Finding** — {'; '.join(escape_md(s) for s in h.sentences)}", "",
                 f"**Decision: {escape_md(decision_word(report).upper())}**"
                 + (f" — {rest}" if rest else ""), ""]
    else:
        word = escape_md(h.answer.upper())
        reasons = decision_lines(report) + list(report.findings)
        why = "; ".join(escape_md(r) for r in reasons)
        lines = [f"**Decision: {word}**" + (f" — {why}" if why else ""), ""]
    if report.decision_basis is not None:
        items = " · ".join(f"{escape_md(k)}: {escape_md(v)}"
                           for k, v in basis_items(report.decision_basis))
        lines += [f"**Decision basis** — {items}", ""]
    if h.primary:
        title = ("Primary estimates" if any(e.role.value == "primary" for e in h.primary)
                 else "Main estimates")
        lines += [f"**{title}**", "",
                  *(f"- {escape_md(headline_estimate_line(e))}" for e in h.primary), ""]
    if h.alerts:
        title = "Failed and warned checks" if h.failed and h.warned else (
            "Failed checks" if h.failed else "Warned checks")
        lines += [f"**{title}**", "", *(f"- {escape_md(alert_line(c))}" for c in h.alerts), ""]
    return lines


def render_markdown(report: Report) -> str:
    """Render ``report`` as GitHub-flavoured Markdown.

    Example:
        >>> from causalkit.report import Report, Experiment, Decision
        >>> rep = Report(experiment=Experiment(name="x", kind="ab"),
        ...              decision=Decision("ship", ("primary metric improved",)))
        >>> print(render_markdown(rep).splitlines()[2])
        **Decision: SHIP** — primary metric improved
    """
    exp = report.experiment
    lines = [f"# {escape_md(exp.name)}", "", *_headline(report)]
    info = [f"kind {escape_md(exp.kind)}"]
    if report.meta.alpha is not None:
        info.append(f"alpha {fmt_num(report.meta.alpha)}")
    if report.meta.seed is not None:
        info.append(f"seed {report.meta.seed}")
    info.append(f"causalkit {escape_md(report.meta.causalkit_version)}")
    lines += [" · ".join(info), ""]
    if exp.hypothesis:
        lines += [f"> {escape_md(exp.hypothesis)}", ""]

    lines += ["## Estimates", ""]
    overall = [e for e in report.estimates if e.segment is None]
    segments = [e for e in report.estimates if e.segment is not None]
    if overall:
        lines += [*_estimates(overall), ""]
    elif not report.estimates:
        lines += ["_No estimates._", ""]
    if segments:
        lines += ["### Estimates by segment", "",
                  "_p-values and intervals corrected over all segment tests of the report_", "",
                  *_estimates(segments), ""]

    lines += ["## Checks", ""]
    if report.checks:
        rows = [[c.status.value.upper(), escape_md(c.name),
                 escape_md(c.metric) if c.metric else MISSING, escape_md(c.detail) or MISSING]
                for c in report.checks]
        lines += [*_table(["status", "check", "metric", "detail"], rows), ""]
    else:
        lines += ["_No checks._", ""]

    for t in report.tables:
        lines += _user_table(t)
    if report.figures:
        lines += ["## Figures", "",
                  *(f"- {escape_md(f.title or f.name)} ({escape_md(f.name)}; in the HTML report)"
                    for f in report.figures), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
