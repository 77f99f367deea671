"""P-values never read ``0`` (issue 13, item 6), uncalibrated estimates are marked in every
format (item 4 / ``Estimate.calibrated``).

Generated cases: ``test_fmt_p_never_prints_zero`` 200, ``test_p_cells_in_tables`` 60.
"""

from __future__ import annotations

import html as html_module
import math
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalkit.report import Estimate, Experiment, Report, Table
from causalkit.report.render import render
from causalkit.report.render._format import fmt_cell, fmt_p, is_p_column
from causalkit.report.render.html import render_html

DESIGNS = sorted((Path(__file__).parents[2] / "designs").glob("*.yaml"))
ZERO = re.compile(r"^[+-]?0+(\.0*)?(e[+-]?\d+)?%?$")


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.floats(min_value=0.0, max_value=1.0),
                 st.floats(min_value=0.0, max_value=1e-290),
                 st.sampled_from([0.0, 5e-324, 1e-310, 1e-300, 1e-301, 9.99e-5, 1e-4])))
def test_fmt_p_never_prints_zero(p: float) -> None:
    text = fmt_p(p)
    assert not ZERO.match(text), (p, text)
    if p < 1e-300:
        assert text == "<1e-300"
    else:
        assert float(text) == pytest.approx(p, rel=0.06)


@pytest.mark.parametrize(("name", "is_p"), [
    ("p_value", True), ("q_value", True), ("p_holm", True), ("holdout_p_value", True),
    ("holdout_q_value", True), ("always-valid p", True), ("p", True), ("p-value", True),
    ("P Value", True), ("phi", False), ("op", False), ("e_value", False), ("precision", False),
    ("step", False), ("power", False), ("spent_alpha", False), ("gap", False),
])
def test_p_columns_by_name(name: str, is_p: bool) -> None:
    assert is_p_column(name) is is_p


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([0.0, 5e-324, 1e-310, 0.5, None, 1e-12]), min_size=1,
                max_size=4))
def test_p_cells_in_tables(values: list[float | None]) -> None:
    rows = tuple((f"c{i}", v, v, v, v) for i, v in enumerate(values))
    rep = Report(experiment=Experiment(name="x", kind="aha"),
                 tables=(Table("t", "T", ("condition", "p_value", "q_value",
                                          "always-valid p", "estimate"), rows),))
    for fmt, cells in _cells(rep).items():
        for column, cell in cells:
            if is_p_column(column):
                assert not ZERO.match(cell), (fmt, column, cell)
    assert fmt_cell("estimate", 0.0) == "0"


class _Tables(HTMLParser):
    """(header, cell) pairs of every HTML table."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self._head: list[str] = []
        self._row: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("td", "th"):
            self._cell = []
        elif tag == "table":
            self._head = []
        elif tag == "tr":
            self._row = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            text = "".join(self._cell).strip()
            (self._head if tag == "th" else self._row).append(text)
            self._cell = None
        elif tag == "tr" and self._row:
            self.pairs += list(zip(self._head, self._row, strict=False))

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _md_pairs(md: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    head: list[str] = []
    for line in md.splitlines():
        if not line.startswith("| "):
            head = []
            continue
        cells = [c.strip().replace("\\", "") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if not head:
            head = cells
        elif not all(set(c) <= set("-:") for c in cells):
            pairs += list(zip(head, cells, strict=False))
    return pairs


def _text_pairs(text: str) -> list[tuple[str, str]]:
    """(header, cell) pairs of the rich tables rendered wide (one line per row)."""
    pairs: list[tuple[str, str]] = []
    head: list[str] = []
    for line in text.splitlines():
        if "┃" in line:
            head = [c.strip() for c in line.strip().strip("┃").split("┃")]
        elif "│" in line and head:
            cells = [c.strip() for c in line.strip().strip("│").split("│")]
            if len(cells) == len(head):
                pairs += list(zip(head, cells, strict=True))
        elif line.startswith(("└", "╰")):
            head = []
    return pairs


def _cells(rep: Report) -> dict[str, list[tuple[str, str]]]:
    parser = _Tables()
    parser.feed(render_html(rep, forest=False))
    junit = ET.fromstring(render(rep, "junit"))
    lines = [ln for case in junit.iter("system-out") for ln in (case.text or "").splitlines()]
    return {
        "html": [(h, html_module.unescape(c)) for h, c in parser.pairs],
        "md": _md_pairs(render(rep, "md")),
        "text": _text_pairs(render(rep, "text", width=2000)),
        "junit": [tuple(ln.split(": ", 1)) for ln in lines if ": " in ln],  # type: ignore[misc]
    }


@pytest.fixture(scope="module", params=DESIGNS, ids=[p.stem for p in DESIGNS])
def design_report(request: pytest.FixtureRequest) -> Report:
    from tests.report.test_width import design_report as cached  # one run per session

    return cached(request.param)


def test_no_p_value_cell_of_any_design_reads_zero(design_report: Report) -> None:
    found = 0
    for fmt, pairs in _cells(design_report).items():
        for column, cell in pairs:
            if is_p_column(column) and cell not in ("—", ""):
                found += 1
                assert not ZERO.match(cell), (design_report.experiment.name, fmt, column, cell)
    assert found >= len(design_report.estimates), "the p-value cells were not found"


# -- uncalibrated estimates ------------------------------------------------------------------


def _uncalibrated_report() -> Report:
    e = Estimate(metric="m", arm="treatment", reference="control", method="fe_hac",
                 estimate=0.4, ci_low=0.1, ci_high=0.7, p_value=0.01, calibrated=False)
    ok = Estimate(metric="m", arm="treatment", reference="control", method="ht",
                  estimate=0.3, ci_low=-0.1, ci_high=0.7, p_value=0.2)
    return Report(experiment=Experiment(name="x", kind="switchback"), estimates=(e, ok))


def test_uncalibrated_estimates_are_marked_in_every_format() -> None:
    rep = _uncalibrated_report()
    assert render(rep, "text").count("uncalibrated") == 1
    md = render(rep, "md")
    assert md.count("uncalibrated") == 1
    assert "significant; uncalibrated" in next(ln for ln in md.splitlines() if "fe\\_hac" in ln)
    page = render_html(rep, forest=False)
    assert page.count("ck-uncalibrated") == 1 + 1  # the row and its CSS rule
    root = ET.fromstring(render(rep, "junit"))
    suite = root.find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.find("properties") or ()}
    assert props["uncalibrated"] == "m: treatment - control (fe_hac)"
    cases = suite.findall("testcase")
    assert [c.find("properties/property[@name='calibrated']") is not None
            for c in cases] == [True, False]
    assert "calibrated: no" in (cases[0].find("system-out").text or "")  # type: ignore[union-attr]
    assert Report.from_json(rep.to_json()) == rep
    assert rep.to_dict()["estimates"][0]["calibrated"] is False


def test_the_forest_plot_says_uncalibrated() -> None:
    from causalkit.report.plots import forest_plot

    fig = forest_plot(_uncalibrated_report().estimates, scale="absolute")
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert sum("uncalibrated" in lbl for lbl in labels) == 1


def test_p_values_below_the_floor_in_estimates() -> None:
    e = Estimate(metric="m", arm="t", reference="c", method="z", estimate=9.0, ci_low=8.0,
                 ci_high=10.0, p_value=5e-324, extra={"p_value_hac": 0.0})
    rep = Report(experiment=Experiment(name="x", kind="ab"), estimates=(e,))
    for fmt in ("text", "md", "junit"):
        assert "<1e-300" in html_module.unescape(render(rep, fmt)), fmt
        assert "4.9e-324" not in render(rep, fmt)
    assert "p_value_hac: <1e-300" in html_module.unescape(render(rep, "junit"))
    assert math.isclose(Report.from_json(rep.to_json()).estimates[0].p_value or 0, 5e-324)
