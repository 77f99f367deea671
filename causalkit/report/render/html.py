"""One self-contained HTML file: inline CSS, inline SVG plots, no scripts, no external resources.

The decision (its reasons and, for gated reports, its basis) sits under the
heading. Estimate rows carry the class of their assessment's tone
(``ck-good`` green, ``ck-bad`` red, ``ck-caution`` amber, e.g. a guardrail
``worse_within_margin``) and ``ck-<assessment>``.

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
from causalkit.report.model import Report, Scalar, Table
from causalkit.report.render._format import (
    MISSING,
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
    fmt_p,
    fmt_relative,
    fmt_scalar,
    numeric_columns,
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
.ck-report h3{font-size:1.05em;margin:16px 0 6px}
.ck-report .ck-sub{color:#59636e;margin:0 0 8px}
.ck-report table{border-collapse:collapse;margin:4px 0 12px;font-size:.92em;display:block;max-width:100%;overflow-x:auto}
.ck-report th,.ck-report td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;
 vertical-align:top}
.ck-report th{background:#f6f8fa}
.ck-report td.ck-num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.ck-report td.ck-ci{white-space:nowrap;font-variant-numeric:tabular-nums}
.ck-report tr.ck-bad td{background:#ffebe9}
.ck-report tr.ck-good td{background:#dafbe1}
.ck-report tr.ck-caution td{background:#fff8c5}
.ck-report td.ck-assess{font-weight:600}
.ck-report .ck-badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;
 font-size:.85em;color:#fff;background:#59636e}
.ck-report .ck-pass{background:#1a7f37}.ck-report .ck-warn{background:#9a6700}
.ck-report .ck-fail{background:#cf222e}
.ck-report .ck-decision{border:1px solid #d0d7de;border-left:6px solid #59636e;padding:8px 12px;
 margin:12px 0;border-radius:4px}
.ck-report .ck-decision.ck-state-ship{border-left-color:#1a7f37}
.ck-report .ck-decision.ck-state-hold,.ck-report .ck-decision.ck-state-inconclusive{
 border-left-color:#9a6700}
.ck-report .ck-decision.ck-state-rollback,.ck-report .ck-decision.ck-state-invalid,
.ck-report .ck-decision.ck-state-error{border-left-color:#cf222e}
.ck-report .ck-decision ul{margin:4px 0 0;padding-left:20px}
.ck-report .ck-decision dl{margin:6px 0 0}
.ck-report figure{margin:8px 0 16px}
.ck-report figure svg{max-width:100%;height:auto}
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


def _estimates(report: Report) -> str:
    ests = report.estimates
    decision = any(decision_differs(e) for e in ests)
    rows = []
    for e, label in zip(ests, row_labels(ests), strict=True):
        cls = " ".join(c for c in (_TONE_CLASS[tone(e)], f"ck-{e.assessment.value}",
                                   "" if e.calibrated else "ck-uncalibrated") if c)
        cells = [_td(label), _td(fmt_num(e.estimate), "ck-num"),
                 _td(fmt_ci(e.ci_low, e.ci_high), "ck-ci"),
                 *([_td(fmt_decision_ci(e), "ck-ci")] if decision else []),
                 _td(fmt_relative(e), "ck-ci"), _td(fmt_p(e.p_value), "ck-num"),
                 _td(fmt_n(e)), _td(fmt_levels(e)), _td(e.role.value),
                 _td(fmt_assessment(e), "ck-assess")]
        rows.append(f'<tr class="{cls}" data-assessment="{_e(e.assessment.value)}">'
                    f"{''.join(cells)}</tr>")
    return _table(["estimate", "effect", "CI", *(["decision interval"] if decision else []),
                   "relative [CI]", "p-value", "n per arm", "level", "role", "assessment"],
                  rows)


def _decision(report: Report) -> str:
    word = decision_word(report)
    cls = f"ck-state-{word}" if word in _KNOWN_STATES else "ck-state-other"
    reasons = "".join(f"<li>{_e(r)}</li>" for r in decision_lines(report))
    basis = ""
    if report.decision_basis is not None:
        basis = ("<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>"
                                  for k, v in basis_items(report.decision_basis)) + "</dl>")
    return (f'<div class="ck-decision {cls}"><strong>Decision: {_e(word.upper())}</strong>'
            f"{f'<ul>{reasons}</ul>' if reasons else ''}{basis}</div>")


def _checks(report: Report) -> str:
    rows = [
        f'<tr><td><span class="ck-badge ck-{c.status.value}">{c.status.value}</span></td>'
        f"{_td(c.name)}{_td(c.metric or MISSING)}{_td(c.detail or MISSING)}"
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
    return f"<h3>{_e(t.title or t.name)}</h3>" + _table(list(t.columns), body)


def _figure(svg: str, title: str) -> str:
    try:
        clean = sanitize_svg(svg)
    except RenderError as exc:
        return f'<p class="ck-note">figure {_e(title)} is not embedded: {_e(exc)}</p>'
    except Exception as exc:  # a figure must never take the report down with it
        return (f'<p class="ck-note">figure {_e(title)} is not embedded: '
                f"{_e(type(exc).__name__)}</p>")
    return f"<figure>{clean}<figcaption>{_e(title)}</figcaption></figure>"


FOREST_CAPTION = ("Forest plot of the estimates (coloured by assessment; filled: the decision "
                  "interval excludes 0; thin line: the decision interval where it differs)")


def _forest(report: Report) -> str:
    import warnings

    from causalkit.report.plots import forest_plot
    from causalkit.report.svg import figure_to_svg

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # glyphs missing for exotic names
            svg = figure_to_svg(forest_plot(report.estimates))
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
    if exp.hypothesis:
        parts.append(f"<p><strong>Hypothesis:</strong> {_e(exp.hypothesis)}</p>")

    parts.append(_decision(report))

    parts.append("<h2>Estimates</h2>")
    if report.estimates:
        parts.append(_estimates(report))
        if forest and not any(f.name == "forest" for f in report.figures):
            parts.append(_forest(report))
    else:
        parts.append('<p class="ck-note">No estimates.</p>')
    parts.append("<h2>Checks</h2>")
    parts.append(_checks(report) if report.checks else '<p class="ck-note">No checks.</p>')
    if report.tables:
        parts.append("<h2>Tables</h2>")
        parts += [_user_table(t) for t in report.tables]
    if report.figures:
        parts.append("<h2>Figures</h2>")
        parts += [_figure(f.svg, f.title or f.name) for f in report.figures]
    parts.append("<h2>Provenance</h2>")
    parts.append(_meta(report))
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
            f"<title>{title}</title>\n</head>\n<body>\n"
            f"{render_body(report, forest=forest)}\n</body>\n</html>\n")
