"""Property tests over random reports: exact JSON round trip, and every renderer stays sound."""

from __future__ import annotations

import dataclasses
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
    Check,
    Decision,
    Estimate,
    Experiment,
    Figure,
    Meta,
    Report,
    Status,
    Table,
)
from causalkit.report.render import render
from causalkit.report.render.html import render_html

SPECIAL_STRINGS = ("NaN", "Infinity", "-Infinity")  # denote numbers in scalar slots (documented)

texts = st.text(max_size=12)
any_float = st.floats(allow_nan=True, allow_infinity=True)
opt_float = st.none() | any_float
scalars = (st.none() | st.booleans() | st.integers(-(2**63), 2**63) | any_float
           | texts.filter(lambda s: s not in SPECIAL_STRINGS))
small = {"max_size": 4}

estimates = st.builds(
    Estimate, metric=texts, contrast=texts, method=texts, estimate=any_float, ci_low=opt_float,
    ci_high=opt_float, p_value=opt_float, relative=opt_float, relative_ci_low=opt_float,
    relative_ci_high=opt_float, n=st.dictionaries(texts, st.integers(0, 10**12), **small),
    role=st.sampled_from(["primary", "secondary", "guardrail"]) | texts,
    se=opt_float, direction=st.none() | st.sampled_from(["increase", "decrease"]),
    extra=st.dictionaries(texts, scalars, **small),
)
checks = st.builds(Check, name=texts, status=st.sampled_from(list(Status)), detail=texts,
                   metric=st.none() | texts, value=opt_float)
decisions = st.none() | st.builds(
    Decision, state=st.sampled_from(["ship", "hold", "inconclusive", "rollback", "invalid",
                                     "error"]) | texts,
    reasons=st.lists(texts, max_size=3).map(tuple))
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
    Report, experiment=experiments, estimates=st.lists(estimates, max_size=4).map(tuple),
    checks=st.lists(checks, max_size=4).map(tuple), decision=decisions, meta=metas,
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
        estimates=(Estimate(metric="m", contrast="t - c", method="w", estimate=math.nan,
                            ci_low=-math.inf, ci_high=math.inf, p_value=None, relative=-0.0,
                            n={}, extra={"a": math.nan, "b": None, "c": True, "d": 3, "e": "x"}),),
        checks=(), decision=None, meta=Meta(seed=None, alpha=math.inf, extra={}),
        tables=(Table("t", "", (), ()),), figures=(),
    )
    text = rep.to_json()
    assert '"estimate": "NaN"' in text
    assert '"ci_low": "-Infinity"' in text
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
@given(st.lists(estimates, min_size=1, max_size=4).map(tuple))
def test_html_forest_plot_draws_for_any_estimates(ests):
    _forest_draws(ests)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.lists(estimates, min_size=1, max_size=6).map(tuple))
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
    n_failed_checks = sum(c.status is Status.FAIL for c in rep.checks)
    assert int(suite.get("failures")) >= n_failed_checks
    assert int(suite.get("errors")) == sum(not math.isfinite(e.estimate) for e in rep.estimates)


_name = st.text(alphabet=st.sampled_from(list("ab |\\`*_[]<>&#~!()'\"$-+=.:/{}")) | st.characters(
    categories=("L", "N")), min_size=1, max_size=15).map(str.strip).filter(bool)


@settings(max_examples=200, deadline=None)
@given(st.lists(_name, min_size=1, max_size=5), _name)
def test_markdown_one_row_per_estimate_and_names_shown_verbatim(names, contrast):
    rep = Report(experiment=Experiment(name="x", kind="ab"),
                 estimates=tuple(Estimate(metric=n, contrast=contrast, method="w", estimate=1.0)
                                 for n in names))
    tokens = MarkdownIt("commonmark").enable("table").parse(render(rep, "md"))
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
    assert len(rows) == 1 + len(names)
    assert all(len(r) == 10 for r in rows)
    assert [r[0] for r in rows[1:]] == names
    assert all(r[1] == contrast for r in rows[1:])


@settings(max_examples=60, deadline=None)
@given(reports)
def test_text_and_markdown_render_anything_without_ansi(rep):
    out = render(rep, "text", width=100)
    assert not re.search(r"\x1b\[", out)
    assert render(rep, "md").startswith("# ")
