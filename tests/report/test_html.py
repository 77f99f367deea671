"""HTML: self-contained, every user string escaped, figures sanitized, notebook fragment."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from causalkit.report import Decision, DecisionBasis, Estimate, Experiment, Figure, Report
from causalkit.report.render import render
from causalkit.report.render.html import render_html
from causalkit.report.render.sanitize import sanitize_svg

XSS = "<script>alert(1)</script>"
FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "link", "base", "img", "foreignobject",
                  "audio", "video", "form", "frame"}


class Audit(HTMLParser):
    """Collects every start tag, attribute and text node the browser would see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def audit(doc: str) -> Audit:
    a = Audit()
    a.feed(doc)
    a.close()
    return a


def assert_inert(doc: str) -> Audit:
    a = audit(doc)
    assert "script" not in a.tags
    assert not FORBIDDEN_TAGS & set(a.tags), FORBIDDEN_TAGS & set(a.tags)
    assert not [k for k, _ in a.attrs if k.lower().startswith("on")]
    for k, v in a.attrs:
        if k.lower() in ("href", "xlink:href", "src"):
            assert v.startswith(("#", "data:image/png")), (k, v)
        assert "javascript:" not in v.lower()
    # no external resources anywhere: no fetchable URL in attributes or CSS
    assert not re.search(r"@import|url\(\s*['\"]?(?!#)", doc)
    assert not [v for _, v in a.attrs if re.match(r"\s*(https?:)?//", v)
                and v not in ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink")]
    return a


def test_script_in_every_user_string_is_escaped_text(xss_report):
    doc = render(xss_report, "html")
    a = assert_inert(doc)
    # the strings are shown as text, not dropped
    shown = "".join(a.text)
    assert shown.count(XSS) >= 10
    assert "<script" not in doc.lower().replace("&lt;script", "")


def test_hostile_figure_is_sanitized_not_dropped(xss_report):
    doc = render_html(xss_report, forest=False)
    assert_inert(doc)
    a = audit(doc)
    assert "rect" in a.tags
    assert "svg" in a.tags
    assert "alert(2)" not in doc
    assert "alert(5)" not in doc
    assert "evil.example" not in doc


def test_sanitizer_strips_each_attack():
    base = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{}</svg>'
    attacks = {
        "<script>alert(1)</script>": "alert",
        '<svg:script xmlns:svg="http://www.w3.org/2000/svg">alert(1)</svg:script>': "alert",
        '<g onmouseover="alert(1)"/>': "alert",
        '<g ONCLICK="alert(1)"/>': "alert",
        '<a href=" jav&#x09;ascript:alert(1)"><text>t</text></a>': "ascript",
        '<a xlink:href="javascript:alert(1)"/>': "javascript",
        '<a href="https://evil.example/"/>': "evil",
        '<image href="data:image/svg+xml;base64,PHN2Zz4="/>': "svg+xml",
        '<set attributeName="href" to="javascript:alert(1)"/>': "javascript",
        '<animate attributeName="onclick" values="alert(1)"/>': "alert",
        "<style>@import url(https://evil.example/x.css);</style>": "evil",
        '<rect style="fill:url(https://evil.example/x)"/>': "evil",
        '<foreignObject><iframe src="https://evil.example"/></foreignObject>': "evil",
    }
    for payload, marker in attacks.items():
        clean = sanitize_svg(base.format(payload))
        assert marker not in clean, (payload, clean)
        assert_inert(clean)
    # harmless matplotlib output survives: fragment links and inline PNG
    ok = sanitize_svg(base.format('<use xlink:href="#m1"/><image xlink:href="data:image/png;base64,AA=="/>'
                                  '<style>*{stroke-linecap:butt}</style><path d="M0 0" style="fill:url(#g)"/>'))
    assert 'xlink:href="#m1"' in ok
    assert "data:image/png" in ok
    assert "stroke-linecap" in ok
    assert "url(#g)" in ok


def test_unparseable_or_entity_svg_is_refused_with_a_note():
    bomb = ('<!DOCTYPE svg [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            '<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>')
    for svg in (bomb, "<svg><g></svg>", "<html><script>alert(1)</script></html>", "not xml"):
        rep = Report(experiment=Experiment(name="x", kind="ab"), figures=(Figure("f", "F", svg),))
        doc = render_html(rep, forest=False)
        assert_inert(doc)
        assert "figure F is not embedded" in doc


def test_self_contained_document_with_forest_plot(report):
    doc = render(report, "html")
    a = assert_inert(doc)
    assert doc.startswith("<!DOCTYPE html>")
    assert doc.rstrip().endswith("</html>")
    assert a.tags.count("svg") == 1  # the forest plot, inline
    assert "Forest plot" in doc
    assert 'charset="utf-8"' in doc
    # one table row per estimate in the estimates table
    est_table = doc.split("<h2>Estimates</h2>")[1].split("</table>")[0]
    assert est_table.count("<tr") == 1 + len(report.estimates)
    assert "3.1e-20" in est_table
    assert "—" in est_table
    for e in report.estimates:
        assert f"<td>{e.label}</td>" in est_table
    # the assessment was read from the decision interval, so it is shown
    assert "<th>decision interval</th>" in est_table
    assert "[0.05, 0.77] always-valid" in est_table


def test_figures_from_report_are_embedded(report):
    from causalkit.report.plots import forest_plot
    from causalkit.report.svg import figure_to_svg

    svg = figure_to_svg(forest_plot(report.estimates[:2]))
    rep = Report(experiment=report.experiment, figures=(Figure("fp", "My <forest>", svg),))
    doc = render_html(rep, forest=False)
    assert_inert(doc)
    assert "My &lt;forest&gt;" in doc
    assert audit(doc).tags.count("svg") == 1


def test_repr_html_is_a_scoped_fragment(report):
    frag = report._repr_html_()
    assert frag.startswith('<div class="ck-report">')
    assert frag.endswith("</div>")
    assert "<html" not in frag
    assert "<body" not in frag
    css = frag.split("<style>")[1].split("</style>")[0]
    selectors = [s.strip() for rule in css.split("}") if "{" in rule
                 for s in rule.split("{")[0].split(",")]
    assert selectors
    assert all(s.startswith(".ck-report") for s in selectors if s), selectors
    assert_inert(frag)
    assert "chat_minutes" in frag


def test_estimate_without_interval_renders(report):
    rep = Report(experiment=Experiment(name="x", kind="ab"),
                 estimates=(Estimate(metric="m", arm="t", reference="c", method="welch",
                                     estimate=1.0),))
    doc = render(rep, "html")
    assert "could not be drawn" not in doc
    assert audit(doc).tags.count("svg") == 1


def _rows(doc: str) -> dict[str, str]:
    """The class attribute of each estimate row, by the row's label."""
    table = doc.split("<h2>Estimates</h2>")[1].split("</table>")[0]
    return {html.unescape(label): cls for cls, label in
            re.findall(r'<tr class="([^"]*)"[^>]*><td>(.*?)</td>', table)}


def test_rows_are_coloured_by_the_tone_of_their_assessment(report):
    rows = _rows(render_html(report, forest=False))
    by_metric = {label.split(":")[0]: cls.split() for label, cls in rows.items()}
    assert by_metric["chat_minutes"] == ["ck-good", "ck-better"]
    assert by_metric["report_rate"] == ["ck-bad", "ck-inferior"]
    # a guardrail worse but within its margin is amber, not red
    assert by_metric["session_length"] == ["ck-caution", "ck-worse_within_margin"]
    assert by_metric["refund_rate"] == ["ck-good", "ck-non_inferior"]
    assert by_metric["matches_per_session"] == ["ck-not_significant"]
    css = render_html(report, forest=False).split("<style>")[1].split("</style>")[0]
    assert "tr.ck-caution td{background:#fff8c5}" in css


def test_worse_within_margin_is_amber_with_its_words():
    g = Estimate(metric="session_length", arm="treatment", reference="control", method="welch",
                 estimate=-0.004, ci_low=-0.006, ci_high=-0.002, role="guardrail",
                 direction="increase", margin=0.01)
    doc = render_html(Report(experiment=Experiment(name="x", kind="ab"), estimates=(g,)))
    assert_inert(doc)
    assert _rows(doc) == {g.label: "ck-caution ck-worse_within_margin"}
    assert 'data-assessment="worse_within_margin"' in doc
    assert "worse, within margin (margin 0.01)" in doc
    assert "ck-bad" not in doc.split("</style>")[1]


def test_decision_and_basis_come_first(report):
    doc = render_html(report, forest=False)
    body = doc.split("</style>")[1]
    decision = body.index("Decision: INVALID")
    assert decision < body.index("<h2>Estimates</h2>")
    block = body[decision:body.index("<h2>Estimates</h2>")]
    for word in ("check data_zero_variance failed", "<dt>sequential</dt>",
                 "msprt (always-valid intervals)", "<dt>information fraction</dt>",
                 "<dd>0.499</dd>", "a note on the basis", "minimum 1,000; planned 100,000"):
        assert word in block, word
    assert "Decision: NONE" not in doc


def test_decision_words_without_a_decision():
    aha = Report(experiment=Experiment(name="x", kind="aha"))
    assert "Decision: NONE" in render_html(aha)
    assert "no decision rules apply" in render_html(aha)
    gated = Report(experiment=Experiment(name="x", kind="ab"),
                   decision_basis=DecisionBasis(sequential="msprt", alpha=0.05, min_n_per_arm=3))
    doc = render_html(gated)
    assert "Decision: NOT MADE" in doc
    assert "Decision: NONE" not in doc
    history = gated.with_decision(Decision("hold", ("early",), needs_history=True))
    assert "causalkit gate --state FILE" in render_html(history)


def test_no_decision_interval_column_when_none_differs():
    e = Estimate(metric="m", arm="t", reference="c", method="welch", estimate=1.0, ci_low=0.5,
                 ci_high=1.5)
    doc = render_html(Report(experiment=Experiment(name="x", kind="ab"), estimates=(e,)))
    assert "decision interval" not in doc.split("</style>")[1].split("<figure>")[0]
