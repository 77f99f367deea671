"""Property tests over random reports: exact JSON round trip, and every renderer stays sound."""

from __future__ import annotations

import dataclasses
import html
import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from causalkit.report import (
    Assessment,
    Check,
    Decision,
    DecisionBasis,
    Estimate,
    Experiment,
    Figure,
    IntervalKind,
    Meta,
    Report,
    Status,
    Table,
)
from causalkit.report.render import render
from causalkit.report.render._format import is_error
from causalkit.report.render.html import render_html
from causalkit.report.render.junit import junit_xml
from causalkit.spec.common import DecisionState, Direction, Role, Sequential

SPECIAL_STRINGS = ("NaN", "Infinity", "-Infinity")  # denote numbers in scalar slots (documented)

texts = st.text(max_size=12)
any_float = st.floats(allow_nan=True, allow_infinity=True)
opt_float = st.none() | any_float
opt_count = st.none() | st.integers(0, 10**12)
scalars = (st.none() | st.booleans() | st.integers(-(2**63), 2**63) | any_float
           | texts.filter(lambda s: s not in SPECIAL_STRINGS))
small = {"max_size": 4}
# intervals that are mostly finite and ordered, so every assessment turns up
_num = st.floats(-10, 10, allow_nan=False)


@st.composite
def interval(draw: Any) -> tuple[float | None, float | None]:
    if draw(st.integers(0, 9)) == 0:
        return draw(opt_float), draw(opt_float)
    a, b = draw(_num), draw(_num)
    return min(a, b), max(a, b)


@st.composite
def estimates(draw: Any) -> Estimate:
    low, high = draw(interval())
    d_low, d_high = draw(st.none() | interval()) or (None, None)
    return Estimate(
        metric=draw(texts), arm=draw(texts), reference=draw(texts), method=draw(texts),
        estimate=draw(_num | any_float), ci_low=low, ci_high=high, p_value=draw(opt_float),
        relative=draw(opt_float), relative_ci_low=draw(opt_float),
        relative_ci_high=draw(opt_float), n=draw(opt_count), n_reference=draw(opt_count),
        n_unit=draw(st.sampled_from(["users", "region-periods", "units"]) | texts),
        level=draw(opt_float), level_reference=draw(opt_float),
        role=draw(st.sampled_from(list(Role))),
        direction=draw(st.none() | st.sampled_from(list(Direction))),
        se=draw(opt_float), margin=draw(st.none() | st.floats(0, 5) | any_float),
        practical_threshold=draw(st.none() | st.floats(0, 5)), alpha=draw(opt_float),
        interval_kind=draw(st.sampled_from(list(IntervalKind))),
        decision_ci_low=d_low, decision_ci_high=d_high,
        assessment=draw(st.none() | st.sampled_from(list(Assessment))),
        extra=draw(st.dictionaries(texts, scalars, **small)),
    )


checks = st.builds(Check, name=texts, status=st.sampled_from(list(Status)), detail=texts,
                   metric=st.none() | texts, value=opt_float)
decisions = st.none() | st.builds(
    Decision, state=st.sampled_from(list(DecisionState)),
    reasons=st.lists(texts, max_size=3).map(tuple), needs_history=st.booleans())
bases = st.none() | st.builds(
    DecisionBasis, sequential=st.sampled_from(list(Sequential)), alpha=any_float,
    min_n_per_arm=st.integers(0, 10**12), n_unit=texts, min_sample_per_arm=st.integers(0, 10**9),
    min_runtime=opt_float, horizon=opt_float, horizon_sample_per_arm=opt_count,
    start=st.none() | texts | st.just("2026-12-01T00:00:00Z"),
    first_exposure=st.none() | texts, last_exposure=st.none() | texts,
    now=st.none() | texts | st.just("2026-12-08T12:00:00Z"),
    information_fraction=opt_float, boundary_z=opt_float, spent_alpha=opt_float,
    look=st.none() | st.integers(0, 100), look_key=st.none() | texts,
    history_known=st.booleans(), problem=st.none() | texts,
    fail_on=st.lists(st.sampled_from(list(DecisionState)), max_size=3).map(tuple),
    notes=st.lists(texts, max_size=2).map(tuple), segment_guardrails=st.booleans())
experiments = st.builds(Experiment, name=texts, kind=st.sampled_from(["ab", "switchback",
                        "observational", "aha"]), spec_sha256=st.none() | texts,
                        data_fingerprint=st.none() | texts, hypothesis=st.none() | texts)
metas = st.builds(Meta, causalkit_version=texts.filter(bool), created_at=texts,
                  seed=st.none() | st.integers(0, 2**63), alpha=opt_float,
                  extra=st.dictionaries(texts, scalars, **small))


@st.composite
def tables(draw: Any) -> Table:
    cols = draw(st.lists(texts, max_size=4).map(tuple))
    rows = draw(st.lists(st.lists(scalars, min_size=len(cols), max_size=len(cols)).map(tuple),
                         max_size=4).map(tuple))
    return Table(name=draw(texts), title=draw(texts), columns=cols, rows=rows)


figures = st.builds(Figure, name=texts, title=texts, svg=texts)
reports = st.builds(
    Report, experiment=experiments, estimates=st.lists(estimates(), max_size=4).map(tuple),
    checks=st.lists(checks, max_size=4).map(tuple), decision=decisions,
    decision_basis=bases, meta=metas,
    tables=st.lists(tables(), max_size=2).map(tuple), figures=st.lists(figures, max_size=2).map(tuple),
)


def same(a: Any, b: Any) -> bool:
    """Exact equality that also holds for NaN and tells -0.0 from 0.0 and 1 from 1.0 and True."""
    if type(a) is not type(b):
        return False
    if dataclasses.is_dataclass(a):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, Mapping):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, tuple | list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return bool(a == b)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports)
def test_json_round_trip_is_exact(rep):
    text = rep.to_json()
    back = Report.from_json(text)
    assert same(back, rep)
    assert back.to_json() == text
    json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(AssertionError(c)))


def test_json_round_trip_example_with_specials():
    rep = Report(
        experiment=Experiment(name="Überprüfung 実験 🚀", kind="ab", hypothesis=None),
        estimates=(Estimate(metric="m", arm="処置", reference="対照", method="w",
                            estimate=math.nan, ci_low=-math.inf, ci_high=math.inf,
                            p_value=None, relative=-0.0, n=None, n_reference=0,
                            level=math.inf, margin=0.0, decision_ci_low=math.nan,
                            decision_ci_high=2.0, interval_kind="repeated_gst",
                            extra={"a": math.nan, "b": None, "c": True, "d": 3, "e": "x"}),),
        checks=(), decision=None, meta=Meta(seed=None, alpha=math.inf, extra={}),
        tables=(Table("t", "", (), ()),), figures=(),
    )
    text = rep.to_json()
    assert '"estimate": "NaN"' in text
    assert '"ci_low": "-Infinity"' in text
    assert '"decision_ci_low": "NaN"' in text
    assert '"assessment": "not_computable"' in text
    assert '"contrast": "処置 - 対照"' in text
    assert "実験" in text
    assert same(Report.from_json(text), rep)


def test_special_strings_in_scalar_slots_read_as_numbers():
    # documented in docs/report.md: "NaN"/"Infinity"/"-Infinity" in extra and table cells
    # denote the numbers; a string with that exact text does not survive as a string.
    rep = Report(experiment=Experiment(name="x", kind="ab"),
                 tables=(Table("t", "t", ("c",), (("Infinity",),)),))
    back = Report.from_json(rep.to_json())
    assert back.tables[0].rows[0][0] == math.inf


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.bad.append(tag)
        self.bad += [k for k, _ in attrs if k.startswith("on")]


@settings(max_examples=150, deadline=None)
@given(reports)
def test_html_never_has_live_script(rep):
    doc = render_html(rep, forest=False)
    audit = _Audit()
    audit.feed(doc)
    audit.close()
    assert audit.bad == []


def _forest_draws(ests: tuple[Estimate, ...]) -> None:
    doc = render(Report(experiment=Experiment(name="x", kind="ab"), estimates=ests), "html")
    assert "could not be drawn" not in doc
    assert "is not embedded" not in doc
    assert "<svg" in doc


@settings(max_examples=10, deadline=None)
@given(st.lists(estimates(), min_size=1, max_size=4).map(tuple))
def test_html_forest_plot_draws_for_any_estimates(ests):
    _forest_draws(ests)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.lists(estimates(), min_size=1, max_size=6).map(tuple))
def test_html_forest_plot_draws_for_any_estimates_slow(ests):
    _forest_draws(ests)


@settings(max_examples=150, deadline=None)
@given(reports)
def test_junit_parses_and_counts(rep):
    root = ET.fromstring(render(rep, "junit").encode("utf-8"))
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases) == len(rep.estimates) + len(rep.checks)
    assert int(suite.get("failures")) == len(suite.findall("testcase/failure"))
    assert int(suite.get("errors")) == len(suite.findall("testcase/error"))
    # a JUnit failure is exactly harm (what the gate rolls back on), plus failed checks;
    # a report without decision rules (no basis) rolls nothing back
    gated = rep.decision_basis is not None
    n_harm = sum(e.harm for e in rep.estimates) if gated else 0
    n_failed_checks = sum(c.status is Status.FAIL for c in rep.checks)
    est_cases = [c for c in cases if c.get("classname", "").endswith(".estimates")]
    assert sum(c.find("failure") is not None for c in est_cases) == n_harm
    assert int(suite.get("failures")) == n_harm + n_failed_checks
    assert int(suite.get("errors")) == sum(is_error(e) for e in rep.estimates)
    failed = [c for c in est_cases if c.find("failure") is not None]
    assert [c.find("failure").get("type") for c in failed] == [
        f"{e.role.value}_{e.assessment.value}" for e in rep.estimates if e.harm and gated]
    # the gate's file (with its decision case) fails on the same estimates
    gate = ET.fromstring(junit_xml(rep, decision_case=True).encode("utf-8")).find("testsuite")
    gate_est = [c for c in gate.findall("testcase")
                if c.get("classname", "").endswith(".estimates")]
    assert sum(c.find("failure") is not None for c in gate_est) == n_harm
    assert int(gate.get("tests")) == len(cases) + 1


@st.composite
def deciding_estimates(draw: Any) -> Estimate:
    """Estimates that decide (primary or guardrail, with a direction): harm is frequent."""
    low, high = draw(interval())
    return Estimate(metric=draw(texts), arm="t", reference="c", method=draw(texts),
                    estimate=(low + high) / 2 if low is not None and high is not None
                    and math.isfinite(low + high) else draw(any_float),
                    ci_low=low, ci_high=high,
                    role=draw(st.sampled_from([Role.PRIMARY, Role.GUARDRAIL, Role.SECONDARY])),
                    direction=draw(st.sampled_from(list(Direction))),
                    margin=draw(st.none() | st.floats(0, 3)))


@settings(max_examples=200, deadline=None)
@given(st.lists(deciding_estimates(), max_size=6).map(tuple),
       st.lists(st.sampled_from(list(Status)), max_size=3))
def test_junit_failures_are_exactly_the_harm(ests, statuses):
    rep = Report(experiment=Experiment(name="x", kind="ab"), estimates=ests,
                 checks=tuple(Check(f"c{i}", s) for i, s in enumerate(statuses)),
                 decision_basis=DecisionBasis(sequential="none", alpha=0.05, min_n_per_arm=10))
    n_harm = sum(e.harm for e in ests)
    for text in (render(rep, "junit"), junit_xml(rep, decision_case=True)):
        suite = ET.fromstring(text.encode("utf-8")).find("testsuite")
        cases = [c for c in suite.findall("testcase") if c.get("classname") == "x.estimates"]
        assert sum(c.find("failure") is not None for c in cases) == n_harm
        assert [c.find("failure") is not None for c in cases] == [e.harm for e in ests]
    suite = ET.fromstring(render(rep, "junit").encode("utf-8")).find("testsuite")
    assert int(suite.get("failures")) == n_harm + statuses.count(Status.FAIL)


def _md_rows(md: str) -> list[list[str]]:
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    rows: list[list[str]] = []
    cur: list[str] | None = None
    for tok in tokens:
        if tok.type == "tr_open":
            cur = []
        elif tok.type == "tr_close":
            rows.append(cur or [])
            cur = None
        elif tok.type == "inline" and cur is not None:
            cur.append("".join(c.content if c.type in ("text", "text_special") else f"<{c.type}>"
                               for c in tok.children or []))
    return rows


def _html_estimate_labels(doc: str) -> list[str]:
    table = doc.split("<h2>Estimates</h2>")[1].split("</table>")[0]
    return [html.unescape(m) for m in re.findall(r"<tr class=[^>]*><td>(.*?)</td>", table,
                                                 flags=re.DOTALL)]


_label_text = st.sampled_from(["m", "n", "a b", "x|y"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.builds(Estimate, metric=_label_text, arm=st.sampled_from(["t", "u"]),
                          reference=st.just("c"), method=st.sampled_from(["welch", "z"]),
                          estimate=_num, ci_low=st.just(-1.0), ci_high=st.just(1.0),
                          relative=st.just(0.1), relative_ci_low=st.just(0.0),
                          relative_ci_high=st.just(0.2)),
                min_size=1, max_size=8).map(tuple))
def test_no_table_or_forest_plot_shows_two_rows_with_the_same_label(ests):
    from causalkit.report.plots import forest_plot

    rep = Report(experiment=Experiment(name="x", kind="ab"), estimates=ests)
    md_labels = [r[0] for r in _md_rows(render(rep, "md"))[1:1 + len(ests)]]
    html_labels = _html_estimate_labels(render_html(rep, forest=False))
    assert len(md_labels) == len(html_labels) == len(ests)
    for labels in (md_labels, html_labels):
        assert len(set(labels)) == len(labels)
        # every label names the metric, the contrast and the method
        assert all(lab.startswith(e.label) for lab, e in zip(labels, ests, strict=True))
    for scale in ("relative", "absolute"):
        fig = forest_plot(ests, scale=scale)
        rows = [(ax.get_title(loc="left"), t.get_text()) for ax in fig.axes
                for t in ax.get_yticklabels()]
        assert len(rows) == len(ests)
        assert len(set(rows)) == len(rows)
        assert all("(welch)" in r or "(z)" in r for _, r in rows)


_name = st.text(alphabet=st.sampled_from(list("ab |\\`*_[]<>&#~!()'\"$-+=.:/{}")) | st.characters(
    categories=("L", "N")), min_size=1, max_size=15).map(str.strip).filter(bool)


@settings(max_examples=200, deadline=None)
@given(st.lists(_name, min_size=1, max_size=5), _name, _name)
def test_markdown_one_row_per_estimate_and_names_shown_verbatim(names, arm, method):
    rep = Report(experiment=Experiment(name="x", kind="ab"),
                 estimates=tuple(Estimate(metric=n, arm=arm, reference="c", method=method,
                                          estimate=1.0) for n in names))
    rows = _md_rows(render(rep, "md"))
    assert len(rows) == 1 + len(names)
    assert all(len(r) == 9 for r in rows)  # no decision interval column: none differs
    labels = [r[0] for r in rows[1:]]
    assert len(set(labels)) == len(labels)
    assert all(lab.startswith(f"{n}: {arm} - c ({method})") for lab, n in zip(labels, names))


@settings(max_examples=60, deadline=None)
@given(reports)
def test_text_and_markdown_render_anything_without_ansi(rep):
    for width in (80, 100, 132):
        out = render(rep, "text", width=width)
        assert not re.search(r"\x1b\[", out)
    md = render(rep, "md")
    assert md.startswith("# ")
    if rep.decision is not None:
        assert "**Decision: NONE**" not in md
        assert "decision: none" not in render(rep, "text")
