"""``Report.from_json``/``from_dict`` on malformed input raise ``ReportError`` (issue 12, class 9),
and a hostile SVG figure does not take the HTML report down.

Generated cases: ``test_mutated_reports`` 200, ``test_random_json`` 100.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from causalkit.errors import CausalkitError, ReportError
from causalkit.report import (
    Check,
    Decision,
    DecisionBasis,
    Estimate,
    Experiment,
    Figure,
    Report,
    Status,
    Table,
)
from causalkit.report.render import FORMATS, render
from causalkit.report.render.html import render_html


def _report() -> Report:
    est = Estimate(metric="m", arm="treatment", reference="control", method="welch",
                   estimate=0.4, ci_low=0.1, ci_high=0.7, p_value=0.01, n=10, n_reference=11,
                   role="primary", direction="increase", extra={"z": 2.5, "note": "x"})
    return Report(experiment=Experiment(name="x", kind="ab", spec_sha256="abc"),
                  estimates=(est,), checks=(Check("srm", Status.PASS, "p = 0.4", value=0.4),),
                  decision=Decision("hold", ("r",)),
                  decision_basis=DecisionBasis(sequential="msprt", alpha=0.05,
                                               min_n_per_arm=10, now="2026-01-01T00:00:00Z"),
                  tables=(Table("t", "T", ("a", "p_value"), (("x", 0.1),)),),
                  figures=(Figure("f", "F", "<svg xmlns='http://www.w3.org/2000/svg'/>"),))


BASE = _report().to_dict()


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, (*prefix, i))
    return out


PATHS = [p for p in _paths(BASE) if p]
junk = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=6),
                 st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3),
                                                                      st.integers(), max_size=2))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), value=junk, delete=st.booleans())
def test_mutated_reports(path: tuple[Any, ...], value: Any, delete: bool) -> None:
    data = copy.deepcopy(BASE)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    try:
        rep = Report.from_dict(data)
    except ReportError as exc:
        message = str(exc)
        rep = None
    if rep is None:
        assert message.startswith("report")
        return
    # accepted: it is a whole report that every renderer can show
    for fmt in FORMATS:
        render(rep, fmt) if fmt != "html" else render_html(rep, forest=False)


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=10))
def test_random_json(value: Any) -> None:
    with pytest.raises(ReportError):
        Report.from_json(json.dumps(value))


@pytest.mark.parametrize("text", [
    "", "{", "[" * 100_000, '{"schema_version": 9}', '{"schema_version": 2}', "null",
    '{"schema_version": 2, "experiment": {"name": "x", "kind": "ab"}, "estimates": [null]}',
    '{"schema_version": 2, "experiment": {"name": "x", "kind": "ab"}, "meta": {"seed": "7"}}',
    '{"schema_version": 1, "experiment": {"name": "x", "kind": "ab"}, "estimates": [3]}',
    '{"schema_version": 1, "experiment": {"name": "x", "kind": "ab"}, "decision": {"x": 1}}',
    b"\xff\xfe",
])
def test_malformed_reports_are_report_errors(text: str | bytes) -> None:
    with pytest.raises(ReportError) as info:
        Report.from_json(text)
    assert isinstance(info.value, CausalkitError)
    assert isinstance(info.value, ValueError)


def test_report_error_names_where() -> None:
    data = copy.deepcopy(BASE)
    data["estimates"][0]["metric"] = 5
    with pytest.raises(ReportError, match=r"estimates\[0\]\.metric: must be text, not int"):
        Report.from_dict(data)
    data = copy.deepcopy(BASE)
    del data["checks"][0]["status"]
    with pytest.raises(ReportError, match=r"checks\[0\]: missing field 'status'"):
        Report.from_dict(data)
    data = copy.deepcopy(BASE)
    data["schema_version"] = 3
    with pytest.raises(ReportError, match="upgrade causalkit"):
        Report.from_dict(data)


# -- hostile figures ---------------------------------------------------------------------------


@pytest.mark.parametrize("svg", [
    "<svg xmlns='http://www.w3.org/2000/svg'>" + "<g>" * 50_000 + "</g>" * 50_000 + "</svg>",
    "<svg xmlns='http://www.w3.org/2000/svg'>" + "<g/>" * 600_000 + "</svg>",
    "<svg" + " " * 25_000_000 + "/>",
    "<not-svg/>", "<svg><unclosed></svg>",
    "<!DOCTYPE svg [<!ENTITY a 'aaaa'>]><svg>&a;</svg>",
])
def test_a_hostile_figure_is_a_note_and_the_rest_renders(svg: str) -> None:
    rep = Report(experiment=Experiment(name="x", kind="ab"),
                 figures=(Figure("bad", "Bad figure", svg),
                          Figure("ok", "Good figure",
                                 "<svg xmlns='http://www.w3.org/2000/svg'><rect/></svg>")))
    page = render_html(rep, forest=False)
    assert "figure Bad figure is not embedded" in page
    assert "<figcaption>Good figure</figcaption>" in page
    assert page.rstrip().endswith("</html>")
