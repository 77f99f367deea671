"""One self-contained HTML file: inline CSS, inline SVG plots, no scripts, no external resources.

The answer comes first: under the heading, the headline
(:func:`causalkit.report.headline.headline`) shows the answer word in its tone's
colour, the sentences that explain it, the primary estimates and the checks
that failed or warned (then, for gated reports, the decision basis). The detail
follows in collapsible ``<details>`` sections: the estimates (open) with their
forest plot (the report's own figure named ``forest`` when it has one), the
checks, each extra table, each other figure and the provenance.
Wide tables scroll inside themselves; a figure keeps the width at which its
smallest text is :data:`MIN_TEXT_PX` pixels and scrolls inside its own frame
on a narrower screen, so the page itself never scrolls sideways. Estimate rows
carry the class of their assessment's tone (``ck-good`` green, ``ck-bad`` red,
``ck-caution`` amber, e.g. a guardrail ``worse_within_margin``) and
``ck-<assessment>``.

Every string taken from the report (experiment name, metric names, details,
reasons, table cells, figure titles) goes through :func:`html.escape`; control
characters are shown as escapes (``\\x1b``) and the ``:`` of ``::`` and the ``[``
of ``##[`` are written as character references, so the page printed to a
terminal or a CI log can neither drive it nor issue a workflow command. Figures
are report SVG passed through :func:`~causalkit.report.render.sanitize.sanitize_svg`
before they are embedded; a figure that cannot be embedded (malformed, too deep,
too large) is replaced by a note and the rest of the report renders. The forest
plot of the estimates is drawn here unless the report already carries a figure
named ``forest``. Uncalibrated estimates (``calibrated=False``) carry the class
``ck-uncalibrated`` and say so in their assessment.

Example:
    >>> from causalkit.report import Report, Experiment
    >>> out = render_html(Report(experiment=Experiment(name="<b>x</b>", kind="ab")))
    >>> "&lt;b&gt;x&lt;/b&gt;" in out, "<b>x</b>" in out
    (True, False)
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from causalkit.errors import RenderError
from causalkit.report.model import Estimate, Report, Scalar, Table
from causalkit.report.render._format import (
    MISSING,
    alert_line,
    answer_word,
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
    fmt_scalar,
    headline_estimate_line,
    numeric_columns,
    p_column,
    row_labels,
    tone,
)
from causalkit.report.render.sanitize import sanitize_svg
from causalkit.report.render.terminal import UNSAFE, escape_char

_KNOWN_STATES = frozenset({"ship", "hold", "inconclusive", "rollback", "invalid", "error"})

CSS = """
.ck-report{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;
 color:#1f2328;background:#fff;max-width:1100px;margin:0 auto;padding:16px;line-height:1.45}
.ck-report h1{font-size:1.6em;margin:0 0 4px}
.ck-report h2{font-size:1.2em;margin:24px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.ck-report details>summary{cursor:pointer}
.ck-report details>summary>h2,.ck-report details>summary>h3{display:inline-block;border:0;
 margin:0;padding:0}
.ck-report details.ck-section{border-bottom:1px solid #d0d7de;margin:20px 0 8px;padding-bottom:4px}
.ck-report details.ck-section[open]{border-bottom:0}
.ck-report details.ck-section>summary{padding-bottom:4px}
.ck-report details.ck-section[open]>summary{border-bottom:1px solid #d0d7de;margin-bottom:8px}
.ck-report details.ck-sub-section{margin:10px 0}
.ck-report details.ck-sub-section[open]>summary{margin-bottom:6px}
.ck-report .ck-headline{border:1px solid #d0d7de;border-left:8px solid #59636e;border-radius:6px;
 padding:10px 14px;margin:12px 0 16px;overflow-wrap:anywhere}
.ck-report .ck-headline.ck-tone-good{border-left-color:#1a7f37}
.ck-report .ck-headline.ck-tone-bad{border-left-color:#cf222e}
.ck-report .ck-headline.ck-tone-caution{border-left-color:#9a6700}
.ck-report .ck-answer{margin:0 0 6px;font-size:1.25em;font-weight:600}
.ck-report .ck-answer-word{display:inline-block;padding:1px 12px;border-radius:12px;color:#fff;
 background:#59636e;letter-spacing:.02em}
.ck-report .ck-answer-word.ck-tone-good{background:#1a7f37}
.ck-report .ck-answer-word.ck-tone-bad{background:#cf222e}
.ck-report .ck-answer-word.ck-tone-caution{background:#9a6700}
.ck-report .ck-rules{margin:6px 0 0;color:#59636e}
.ck-report .ck-headline ul{margin:4px 0 0;padding-left:20px}
.ck-report .ck-headline h3{font-size:.95em;margin:10px 0 2px;color:#59636e}
.ck-report .ck-primary li{margin:2px 0}
.ck-report .ck-primary .ck-mark{font-weight:600}
.ck-report .ck-primary li.ck-good .ck-mark{color:#1a7f37}
.ck-report .ck-primary li.ck-bad .ck-mark{color:#cf222e}
.ck-report .ck-primary li.ck-caution .ck-mark{color:#9a6700}
.ck-report .ck-alerts{list-style:none;padding-left:0!important}
.ck-report .ck-alerts li{margin:3px 0}
.ck-report .ck-basis{margin:8px 0 0;color:#59636e;font-size:.92em}
.ck-report .ck-basis dl{margin:4px 0 0}
@media (max-width:600px){.ck-report{padding:8px}
 .ck-report .ck-headline{padding:8px 10px;border-left-width:5px}
 .ck-report .ck-headline ul{padding-left:16px}
 .ck-report dl{grid-template-columns:minmax(0,max-content) minmax(0,1fr)}}
.ck-report h3{font-size:1.05em;margin:16px 0 6px}
.ck-report .ck-sub{color:#59636e;margin:0 0 8px}
.ck-report table{border-collapse:collapse;margin:4px 0 12px;font-size:.92em;display:block;max-width:100%;overflow-x:auto}
.ck-report th,.ck-report td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;
 vertical-align:top}
.ck-report th{background:#f6f8fa}
.ck-report td.ck-num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.ck-report td.ck-ci{white-space:nowrap;font-variant-numeric:tabular-nums}
.ck-report td.ck-detail{min-width:16em}
.ck-report tr.ck-bad td{background:#ffebe9}
.ck-report tr.ck-good td{background:#dafbe1}
.ck-report tr.ck-caution td{background:#fff8c5}
.ck-report td.ck-assess{font-weight:600}
.ck-report .ck-badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;
 font-size:.85em;color:#fff;background:#59636e}
.ck-report .ck-pass{background:#1a7f37}.ck-report .ck-warn{background:#9a6700}
.ck-report .ck-fail{background:#cf222e}
.ck-report figure{margin:8px 0 16px}
.ck-report .ck-figscroll{overflow-x:auto;max-width:100%}
.ck-report figure svg{display:block;max-width:100%;height:auto}
.ck-report .ck-figbox>svg{width:100%;max-width:none}
.ck-report figcaption{color:#59636e;font-size:.9em}
.ck-report dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;font-size:.88em;
 color:#59636e}
.ck-report dd{margin:0;word-break:break-all}
.ck-report .ck-note{color:#59636e;font-style:italic}
.ck-report tr.ck-uncalibrated td.ck-assess{font-style:italic}
"""


_COMMAND = re.compile(r"::|##\[")


def _e(value: object) -> str:
    text = UNSAFE.sub(lambda m: escape_char(m.group()), str(value))
    text = html.escape(text, quote=True)
    return _COMMAND.sub(lambda m: ":&#58;" if m.group() == "::" else "##&#91;", text)


def _td(text: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<td{attr}>{_e(text)}</td>"


def _table(header: Sequence[str], rows: Iterable[str]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


_TONE_CLASS = {"good": "ck-good", "bad": "ck-bad", "caution": "ck-caution", "neutral": ""}


def _estimates(ests: Sequence[Estimate]) -> str:
    decision = any(decision_differs(e) for e in ests)
    p_label, mark, note = p_column(ests)
    rows = []
    for e, label in zip(ests, row_labels(ests), strict=True):
        cls = " ".join(c for c in (_TONE_CLASS[tone(e)], f"ck-{e.assessment.value}",
                                   "" if e.calibrated else "ck-uncalibrated") if c)
        cells = [_td(label), _td(fmt_num(e.estimate), "ck-num"),
                 _td(fmt_ci(e.ci_low, e.ci_high), "ck-ci"),
                 *([_td(fmt_decision_ci(e), "ck-ci")] if decision else []),
                 _td(fmt_relative(e), "ck-ci"), _td(fmt_p_for(e, mark=mark), "ck-num"),
                 _td(fmt_n(e)), _td(fmt_levels(e)), _td(e.role.value),
                 _td(fmt_assessment(e), "ck-assess")]
        rows.append(f'<tr class="{cls}" data-assessment="{_e(e.assessment.value)}">'
                    f"{''.join(cells)}</tr>")
    table = _table(["estimate", "effect", "CI", *(["decision interval"] if decision else []),
                    "relative [CI]", p_label, "n per arm", "level", "role", "assessment"],
                   rows)
    return table + (f'<p class="ck-note">{_e(note)}</p>' if note else "")


def _answer(word: str, tone_cls: str, why: Sequence[str]) -> str:
    items = "".join(f"<li>{_e(x)}</li>" for x in why)
    return (f'<p class="ck-answer"><span class="ck-answer-word {tone_cls}">{_e(word)}</span></p>'
            + (f'<ul class="ck-sentences">{items}</ul>' if items else ""))


def _headline(report: Report) -> str:
    """The answer first: answer word, sentences, primary estimates, alerts, basis.

    The same blocks, words and order as the Markdown headline.
    """
    from causalkit.report.headline import FINDING, headline

    h = headline(report)
    tone_cls = f"ck-tone-{h.tone}"
    word = h.answer
    state_cls = f"ck-state-{word}" if word in _KNOWN_STATES else "ck-state-other"
    parts = [f'<section class="ck-headline {tone_cls} {state_cls}" id="ck-headline">']
    if report.decision is None and word == FINDING:
        said = {*h.sentences, report.meta.extra.get("headline")}
        rest = [r for r in decision_lines(report) if r not in said]
        parts.append(_answer("Finding", tone_cls, h.sentences))
        parts.append(f'<p class="ck-rules"><strong>Decision: {_e(decision_word(report).upper())}'
                     f"</strong>{_e(' — ' + '; '.join(rest)) if rest else ''}</p>")
    else:
        parts.append(_answer(f"Decision: {answer_word(h)}", tone_cls,
                             [*decision_lines(report), *report.findings]))
    if h.primary:
        title = ("Primary estimates" if any(e.role.value == "primary" for e in h.primary)
                 else "Main estimates")
        items = []
        for e in h.primary:
            line, verdict = headline_estimate_line(e), fmt_assessment(e)
            text = line[:-len(verdict) - 3] if line.endswith(f" — {verdict}") else line
            mark = f' — <span class="ck-mark">{_e(verdict)}</span>' if text != line else ""
            items.append(f'<li class="{_TONE_CLASS[tone(e)]}">{_e(text)}{mark}</li>')
        parts.append(f'<h3>{title}</h3><ul class="ck-primary">{"".join(items)}</ul>')
    if h.alerts:
        title = "Failed and warned checks" if h.failed and h.warned else (
            "Failed checks" if h.failed else "Warned checks")
        items = [f'<li><span class="ck-badge ck-{c.status.value}">{c.status.value}</span> '
                 f"{_e(alert_line(c).split(' ', 1)[1])}</li>" for c in h.alerts]
        parts.append(f'<h3>{title}</h3><ul class="ck-alerts">{"".join(items)}</ul>')
    elif report.checks:
        n = len(report.checks)
        parts.append(f'<p class="ck-note">{"the check" if n == 1 else f"all {n} checks"} '
                     "passed</p>")
    if report.decision_basis is not None:
        parts.append('<details class="ck-basis"><summary>decision basis</summary><dl>'
                     + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>"
                               for k, v in basis_items(report.decision_basis))
                     + "</dl></details>")
    parts.append("</section>")
    return "".join(parts)


def _section(title: str, body: str, *, level: int = 2, open_: bool = False,
             cls: str = "ck-section") -> str:
    """A collapsible section: ``<details>`` whose summary is the heading."""
    return (f'<details class="{cls}"{" open" if open_ else ""}><summary>'
            f"<h{level}>{_e(title)}</h{level}></summary>\n{body}\n</details>")


def _checks(report: Report) -> str:
    rows = [
        f'<tr><td><span class="ck-badge ck-{c.status.value}">{c.status.value}</span></td>'
        f"{_td(c.name)}{_td(c.metric or MISSING)}{_td(c.detail or MISSING, 'ck-detail')}"
        f"{_td(fmt_num(c.value), 'ck-num')}</tr>"
        for c in report.checks
    ]
    return _table(["status", "check", "metric", "detail", "value"], rows)


def _user_table(t: Table) -> str:
    width = len(t.columns)
    numeric = numeric_columns(t.columns, t.rows)

    def cells(row: Sequence[Scalar]) -> str:
        vals = ([fmt_cell(c, v) for c, v in zip(t.columns, row[:width])]
                + [MISSING] * (width - len(row)))
        return "".join(_td(v, "ck-num" if num else "") for v, num in zip(vals, numeric))

    body = [f"<tr>{cells(row)}</tr>" for row in t.rows]
    return _section(t.title or t.name, _table(list(t.columns), body), level=3,
                    cls="ck-sub-section")


MIN_TEXT_PX = 11.0
"""The smallest text in a figure, in CSS pixels, as the figure is shown in the page."""


def _figure(svg: str, title: str) -> str:
    from causalkit.report.svg import natural_width, readable_width

    try:
        clean = sanitize_svg(svg)
    except RenderError as exc:
        return f'<p class="ck-note">figure {_e(title)} is not embedded: {_e(exc)}</p>'
    except Exception as exc:  # a figure must never take the report down with it
        return (f'<p class="ck-note">figure {_e(title)} is not embedded: '
                f"{_e(type(exc).__name__)}</p>")
    natural, least = natural_width(clean), readable_width(clean, MIN_TEXT_PX + 0.25)
    box = ""
    if natural:  # its own size or the column's, whichever is less, but never below `least`
        rules = [f"width:min(100%,{natural:.0f}px)",
                 *([f"min-width:{least:.0f}px"] if least else [])]
        box = f' class="ck-figbox" style="{";".join(rules)}"'
    return (f'<figure><div class="ck-figscroll"><div{box}>{clean}</div>'
            f"</div><figcaption>{_e(title)}</figcaption></figure>")


FOREST_CAPTION = ("Forest plot of the estimates (coloured by assessment; filled: the decision "
                  "interval excludes 0; thin line: the decision interval where it differs)")


def _forest(report: Report) -> str:
    import warnings

    from causalkit.report.plots import forest_plot
    from causalkit.report.svg import figure_to_svg

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # glyphs missing for exotic names
            svg = figure_to_svg(forest_plot([e for e in report.estimates if e.segment is None]))
    except Exception as exc:  # a plot must never take the report down with it
        return f'<p class="ck-note">the forest plot could not be drawn: {_e(exc)}</p>'
    return _figure(svg, FOREST_CAPTION)


def _meta(report: Report) -> str:
    exp, meta = report.experiment, report.meta
    items: list[tuple[str, Scalar]] = [
        ("schema_version", report.schema_version), ("causalkit", meta.causalkit_version),
        ("created_at", meta.created_at), ("seed", meta.seed), ("alpha", meta.alpha),
        ("spec_sha256", exp.spec_sha256), ("data_fingerprint", exp.data_fingerprint),
        *meta.extra.items(),
    ]
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(fmt_scalar(v))}</dd>"
                            for k, v in items) + "</dl>"


def render_body(report: Report, *, forest: bool = True) -> str:
    """The report as an HTML fragment: a ``<div class="ck-report">`` with its own ``<style>``.

    This is what notebooks show (``Report._repr_html_``); the CSS is scoped to
    ``.ck-report`` so it does not leak into the page.

    Example:
        >>> from causalkit.report import Report, Experiment
        >>> render_body(Report(experiment=Experiment(name="x", kind="ab"))).startswith(
        ...     '<div class="ck-report">')
        True
    """
    exp = report.experiment
    parts = [f'<div class="ck-report"><style>{CSS}</style>', f"<h1>{_e(exp.name)}</h1>"]
    sub = f"kind {_e(exp.kind)}"
    if report.meta.alpha is not None:
        sub += f" · alpha {_e(fmt_num(report.meta.alpha))}"
    parts.append(f'<p class="ck-sub">{sub}</p>')
    parts.append(_headline(report))
    if exp.hypothesis:
        parts.append(f"<p><strong>Hypothesis:</strong> {_e(exp.hypothesis)}</p>")

    own = next((f for f in report.figures if f.name == "forest"), None)
    figures = [f for f in report.figures if f is not own]
    overall = [e for e in report.estimates if e.segment is None]
    segments = [e for e in report.estimates if e.segment is not None]
    if report.estimates:
        est = _estimates(overall) if overall else ""
        if segments:
            est += ("<h3>Estimates by segment</h3><p class=\"ck-note\">p-values and intervals "
                    "corrected over all segment tests of the report</p>" + _estimates(segments))
        if own is not None:  # the report's own forest plot goes with the estimates
            est += _figure(own.svg, own.title or own.name)
        elif forest:
            est += _forest(report)
    else:
        est = '<p class="ck-note">No estimates.</p>'
        figures = list(report.figures)
    parts.append(_section("Estimates", est, open_=True))
    parts.append(_section(
        "Checks", _checks(report) if report.checks else '<p class="ck-note">No checks.</p>'))
    if report.tables:
        parts.append(_section("Tables", "\n".join(_user_table(t) for t in report.tables),
                              open_=True))
    if figures:
        figs = [_section(f.title or f.name, _figure(f.svg, f.title or f.name), level=3,
                         cls="ck-sub-section") for f in figures]
        parts.append(_section("Figures", "\n".join(figs), open_=True))
    parts.append(_section("Provenance", _meta(report)))
    parts.append("</div>")
    return "\n".join(parts)


def render_html(report: Report, *, forest: bool = True) -> str:
    """Render ``report`` as one self-contained HTML document.

    Args:
        report: the report.
        forest: draw the forest plot of the estimates (needs matplotlib).

    Example:
        >>> from causalkit.report import Report, Experiment
        >>> doc = render_html(Report(experiment=Experiment(name="x", kind="ab")))
        >>> doc.startswith("<!DOCTYPE html>"), "<script" in doc, "http" in doc
        (True, False, False)
    """
    title = _e(f"{report.experiment.name} · causalkit report")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{title}</title>\n</head>\n<body style=\"margin:0\">\n"
            f"{render_body(report, forest=forest)}\n</body>\n</html>\n")
