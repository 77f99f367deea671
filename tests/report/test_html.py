"""HTML: self-contained, every user string escaped, figures sanitized, notebook fragment."""

from __future__ import annotations

import html
import itertools
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
    assert "<th>p-value</th>" in est_table
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
    css = re.sub(r"@media[^{]*\{", "", css)  # the rules inside a media query are checked too
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


# -- the answer first, the detail collapsible (issue 14, items 1 and 3) ----------------------


def test_the_headline_opens_the_page_then_collapsible_detail(report):
    from causalkit.report.headline import headline

    gated = report.with_decision(Decision("rollback", ("guardrail report_rate is worse",)))
    body = render_html(gated).split("</style>", 1)[1]
    start, detail = body.index('id="ck-headline"'), body.index("<details")
    assert start < detail
    block = body[start:body.index("</section>")]
    assert 'class="ck-answer-word ck-tone-bad">Decision: ROLLBACK<' in block
    assert "guardrail report_rate is worse" in block
    h = headline(gated)
    for e in h.primary:
        assert html.escape(e.label) in block
    assert "<h3>Failed and warned checks</h3>" in block
    for c in h.alerts:
        assert f'<span class="ck-badge ck-{c.status.value}">' in block
        assert c.name in block
    # the detail: estimates open, checks, each table, each figure and provenance collapsible
    sections = re.findall(r'<details class="([^"]*)"( open)?><summary><h([23])>([^<]*)</h\3>',
                          body)
    titles = {t: (cls, bool(o)) for cls, o, _, t in sections}
    assert titles["Estimates"] == ("ck-section", True)
    assert titles["Checks"] == ("ck-section", False)
    assert titles["Provenance"] == ("ck-section", False)
    for t in gated.tables:
        assert titles[t.title or t.name] == ("ck-sub-section", False)
    for f in gated.figures:
        assert titles[f.title or f.name] == ("ck-sub-section", False)


def test_a_finding_is_the_answer_of_a_kind_without_rules():
    rep = Report(experiment=Experiment(name="x", kind="aha"),
                 findings=("add_friend >= 3 in 7d predicts retention",))
    block = render_html(rep).split('id="ck-headline"')[1].split("</section>")[0]
    assert ">Finding</span>" in block
    assert "<li>add_friend &gt;= 3 in 7d predicts retention</li>" in block
    assert "Decision: NONE</strong> — no decision rules apply" in block


# -- figures readable wherever the page is shown -------------------------------------------

COLUMN_PX = 1100 - 2 * 16
"""The report's content column at full width (max-width 1100 px, 16 px padding)."""


def _figure_boxes(doc: str) -> list[tuple[float | None, float, str]]:
    """(natural width cap, min width, svg) of every embedded figure."""
    out = []
    for style, svg in re.findall(r'<div class="ck-figbox" style="([^"]*)">(<svg.*?</svg>)</div>',
                                 doc, flags=re.DOTALL):
        cap = re.search(r"width:min\(100%,(\d+)px\)", style)
        least = re.search(r"min-width:(\d+)px", style)
        assert least, style
        out.append((float(cap.group(1)) if cap else None, float(least.group(1)), svg))
    return out


def test_a_figure_never_shows_text_under_11_px(report):
    """At any column width the figure is shown at max(min(column, natural), min-width) px,
    so its smallest text is at least min-width / viewBox width x smallest font size."""
    from causalkit.report.plots import forest_plot
    from causalkit.report.render.html import MIN_TEXT_PX
    from causalkit.report.svg import figure_to_svg, text_sizes, view_box_width

    small = forest_plot(report.estimates[:2])
    for t in small.axes[0].get_yticklabels():
        t.set_fontsize(6)  # a figure with tiny text: kept wide enough, scrolls on a phone
    figs = (Figure("fp", "tiny", figure_to_svg(small)),)
    doc = render_html(Report(experiment=report.experiment, estimates=report.estimates,
                             figures=figs))
    boxes = _figure_boxes(doc)
    assert len(boxes) == 2
    for cap, least, svg in boxes:
        vb, sizes = view_box_width(svg), text_sizes(svg)
        assert vb
        assert sizes
        for column in (390 - 16, 800, COLUMN_PX):
            shown = max(min(column, cap or column), least)
            assert shown * min(sizes) / vb >= MIN_TEXT_PX, (column, shown)
    # the tiny one needs more than its natural width; the page scrolls it in its frame
    assert boxes[1][1] > boxes[1][0]
    assert ".ck-report .ck-figscroll{overflow-x:auto" in doc


def _all_figures(report) -> dict[str, str]:
    """Every plot causalkit draws, on small inputs, as SVG text."""
    import numpy as np

    from causalkit.aha.grid import ConditionGrid
    from causalkit.aha.metrics import condition_metrics
    from causalkit.aha.search import Key
    from causalkit.aha.views import funnel, heatmap, precision_recall
    from causalkit.observational.graph import build_graph
    from causalkit.observational.plots import contour_plot, draw_graph, overlap_plot
    from causalkit.report.plots import confidence_sequence_plot, forest_plot
    from causalkit.report.svg import figure_to_svg
    from causalkit.spec.switchback import Region, ScheduleSpec
    from causalkit.switchback.figures import effect_over_time_svg, heatmap_svg
    from causalkit.switchback.schedule import design_schedule

    rng = np.random.default_rng(3)
    shape = (2, 4, 5)
    tp, fp = rng.integers(10, 60, shape), rng.integers(10, 60, shape)
    fn, tn = rng.integers(10, 60, shape), rng.integers(10, 60, shape)
    m = condition_metrics(tp, fp, fn, tn)
    grid = ConditionGrid(("add_friend", "like_post"), np.array([1, 3, 7, 14]),
                         np.array([1, 2, 3, 5, 10]), m, m, np.full(shape, 0.01))
    sched = design_schedule(ScheduleSpec(start="2026-01-01T00:00Z", end="2026-01-03T00:00Z",
                                         period="1h", design="bernoulli"),
                            [Region(name="seoul", tz="Asia/Seoul"), Region(name="busan")])
    g = build_graph("digraph { age -> {income treatment outcome}; income -> treatment; "
                    "treatment -> outcome; promo -> treatment; treatment <-> outcome }")
    t = np.arange(10.0)
    return {
        "forest": figure_to_svg(forest_plot(report.estimates)),
        "forest_relative": figure_to_svg(forest_plot(report.estimates[:2], scale="relative")),
        "confidence_sequence": figure_to_svg(confidence_sequence_plot(
            t, t * 0.1, t * 0.1 - 1, t * 0.1 + 1, "chat_minutes")),
        "aha_heatmap": heatmap(grid, "add_friend").svg,
        "aha_precision_recall": precision_recall(grid, np.ones(shape, bool),
                                                 highlight=["add_friend"]).svg,
        "aha_funnel": funnel(grid, [Key("add_friend", 7, 1), Key("like_post", 3, 2)]).svg,
        "causal_graph": draw_graph(g, "treatment", "outcome", ("age", "income")),
        "overlap": overlap_plot(rng.integers(0, 2, 200).astype(float), rng.uniform(0, 1, 200)),
        "contour": contour_plot(1.0, 0.2, 500, benchmarks=[("1x age", 0.05, 0.1)], rv=0.3),
        "switchback_schedule": heatmap_svg(sched),
        "switchback_effect": effect_over_time_svg(sched, np.arange(48), rng.normal(size=48),
                                                  0.1, (-0.2, 0.4), "chat_minutes"),
    }


def test_every_plot_fits_the_column_with_text_of_12_px(report):
    """At its natural size (1 pt = 4/3 px) every plot fits the 1280 px page's column and its
    smallest text is 9 pt = 12 px; narrower pages scroll the figure in its frame instead of
    shrinking the text below 11 px (see the test above)."""
    from causalkit.report.svg import natural_width, text_sizes, view_box_width

    for name, svg in _all_figures(report).items():
        natural, vb, sizes = natural_width(svg), view_box_width(svg), text_sizes(svg)
        assert natural, name
        assert vb, name
        assert sizes, name
        assert natural <= COLUMN_PX, (name, natural)
        assert min(sizes) * natural / vb >= 12.0 - 1e-6, (name, sorted(sizes)[:3])


def test_a_label_on_a_cell_is_black_or_white_whichever_reads_better():
    from hypothesis import given
    from hypothesis import strategies as st

    from causalkit.report.svg import contrast_ratio, text_color_on

    @given(st.tuples(*[st.floats(0, 1)] * 3))
    def check(rgb):
        # the better of black and white always reaches 4.58:1 (WCAG AA asks 4.5:1)
        assert contrast_ratio(text_color_on(rgb), rgb) >= 4.5

    check()
    assert text_color_on("#67001f") == "white"  # the dark red of a strong phi
    assert round(contrast_ratio("#000", "#fff"), 2) == 21.0


def test_plot_text_colours_contrast_with_white():
    from causalkit.report.plots import _COLORS, _ink
    from causalkit.report.svg import contrast_ratio

    for name, color in _COLORS.items():  # annotations ("margin", "off scale") are coloured
        assert contrast_ratio(_ink(color), "white") >= 4.5, name


def test_phi_labels_take_the_colour_that_reads_on_their_cell():
    import numpy as np

    from causalkit.aha.grid import ConditionGrid
    from causalkit.aha.metrics import condition_metrics
    from causalkit.aha.views import heatmap

    # phi from strongly positive to about zero: dark red cells (white labels) and pale ones
    tp = np.array([[[90, 60, 30, 26, 25]]])
    fp = np.array([[[10, 40, 70, 74, 75]]])
    fn = np.array([[[10, 40, 70, 74, 75]]])
    tn = np.array([[[90, 60, 30, 26, 25]]])
    m = condition_metrics(tp, fp, fn, tn)
    svg = heatmap(ConditionGrid(("a",), np.array([7]), np.array([1, 2, 3, 4, 5]), m, m,
                                np.full((1, 1, 5), 0.01)), "a").svg
    labels = dict(re.findall(r'<g id="text_\d+">\s*<!-- (-?\d\.\d\d) -->\s*<g (?:style="fill: '
                             r'(#[0-9a-f]{6})")?', svg))
    assert labels == {"0.80": "#ffffff", "0.20": "", "-0.40": "", "-0.48": "", "-0.50": ""}, labels
    # 0.80 sits on dark red (white label); the others on pale cells (black, the default)


# -- the causal diagram: layered, labels inside their boxes, edges around the boxes ----------


def _crosses(p: tuple[float, float], q: tuple[float, float],
             box: tuple[float, float, float, float], inset: float = 0.5) -> bool:
    """Whether segment p-q enters the box's interior (Liang-Barsky clipping)."""
    cx, cy, w, h = box
    x0, x1, y0, y1 = cx - w / 2 + inset, cx + w / 2 - inset, cy - h / 2 + inset, cy + h / 2 - inset
    dx, dy = q[0] - p[0], q[1] - p[1]
    lo, hi = 0.0, 1.0
    for pk, qk in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if pk == 0:
            if qk < 0:
                return False
            continue
        r = qk / pk
        if pk < 0:
            lo = max(lo, r)
        else:
            hi = min(hi, r)
        if lo > hi:
            return False
    return True


def _assert_clean_layout(dag, lay) -> None:
    boxes = lay.boxes
    assert set(boxes) == set(dag.nodes)
    names = list(boxes)
    for i, a in enumerate(names):  # no two boxes overlap
        for b in names[i + 1:]:
            (ax, ay, aw, ah), (bx, by, bw, bh) = boxes[a], boxes[b]
            assert abs(ax - bx) >= (aw + bw) / 2 - 1e-6 or abs(ay - by) >= (ah + bh) / 2 - 1e-6
    assert set(lay.edges) == set(dag.edges)
    for (u, v), pts in lay.edges.items():
        bu, bv = boxes[u], boxes[v]
        assert bu[1] < bv[1]  # every edge points down, from layer to a later layer
        assert abs(pts[0][1] - (bu[1] + bu[3] / 2)) < 1e-6      # leaves the tail's bottom
        assert abs(pts[-1][1] - (bv[1] - bv[3] / 2)) < 1e-6     # enters the head's top
        assert bu[0] - bu[2] / 2 <= pts[0][0] <= bu[0] + bu[2] / 2
        assert bv[0] - bv[2] / 2 <= pts[-1][0] <= bv[0] + bv[2] / 2
        for p, q in itertools.pairwise(pts):
            for n, box in boxes.items():
                if n not in (u, v):
                    assert not _crosses(p, q, box), (u, v, n, p, q)
            for n in (u, v):  # nor through its own ends' interiors
                assert not _crosses(p, q, boxes[n], inset=1.0), (u, v, n, p, q)


def test_causal_diagrams_of_the_designs_have_edges_around_boxes():
    from pathlib import Path

    import yaml

    from causalkit.observational.graph import build_graph
    from causalkit.observational.plots import _text_size, layered_layout

    designs = Path(__file__).parents[2] / "designs"
    graphs = [yaml.safe_load(p.read_text())["graph"] for p in sorted(designs.glob("*.yaml"))
              if "graph" in yaml.safe_load(p.read_text())]
    graphs.append("digraph { a -> b -> c -> d; a -> d; x -> b; t -> y; a <-> y; "
                  "u [latent=true]; u -> t; b -> t; c -> y }")
    assert len(graphs) >= 2
    for text in graphs:
        dag = build_graph(text).dag
        size = {v: (_text_size(v, 10)[0] + 16, 26.0) for v in dag}
        lay = layered_layout(dag, size)
        _assert_clean_layout(dag, lay)
        for v, (_, _, w, _) in lay.boxes.items():  # every label fits its box
            assert _text_size(v, 10)[0] < w


def test_layered_layout_of_random_dags_keeps_edges_out_of_boxes():
    import networkx as nx
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from causalkit.observational.plots import layered_layout

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.integers(1, 12).flatmap(lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n),
        st.lists(st.floats(12, 160), min_size=n, max_size=n))))
    def check(case):
        n, pairs, widths = case
        dag = nx.DiGraph()
        dag.add_nodes_from(f"v{i}" for i in range(n))
        dag.add_edges_from((f"v{min(a, b)}", f"v{max(a, b)}") for a, b in pairs if a != b)
        lay = layered_layout(dag, {f"v{i}": (w, 24.0) for i, w in enumerate(widths)})
        _assert_clean_layout(dag, lay)

    check()


def test_the_reports_own_forest_plot_sits_with_the_estimates(report):
    own = Figure("forest", "Effects with intervals", '<svg xmlns="http://www.w3.org/2000/svg" '
                 'width="100pt" height="50pt" viewBox="0 0 100 50"><rect width="1" height="1"/></svg>')
    other = Figure("cs", "Confidence sequence", own.svg)
    body = render_html(Report(experiment=report.experiment, estimates=report.estimates,
                              figures=(own, other))).split("</style>", 1)[1]
    estimates = body.split("<h2>Estimates</h2>")[1].split("<h2>Checks</h2>")[0]
    assert "<figcaption>Effects with intervals</figcaption>" in estimates
    assert "Forest plot of the estimates" not in body  # not drawn twice
    figures = body.split("<h2>Figures</h2>")[1]
    assert "Effects with intervals" not in figures
    assert "<h3>Confidence sequence</h3>" in figures
