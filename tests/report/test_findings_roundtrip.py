"""`Report.findings` and `Table.priority` survive the JSON contract (to_dict/from_dict, to_json)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalkit.errors import ReportError
from causalkit.report import Experiment, Report, Table

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@st.composite
def tables(draw: st.DrawFn) -> Table:
    columns = tuple(draw(st.lists(text, min_size=0, max_size=5)))
    priority = tuple(draw(st.one_of(st.just([]), st.lists(st.integers(0, 9),
                                                          min_size=len(columns),
                                                          max_size=len(columns)))))
    rows = tuple(tuple(draw(st.one_of(st.none(), st.integers(-5, 5), text))
                       for _ in columns) for _ in range(draw(st.integers(0, 3))))
    return Table(name=draw(text), title=draw(text), columns=columns, rows=rows,
                 priority=priority)


@settings(max_examples=80, deadline=None)
@given(findings=st.lists(text, max_size=4), tabs=st.lists(tables(), max_size=3))
def test_findings_and_priorities_round_trip(findings, tabs):
    rep = Report(experiment=Experiment(name="x", kind="aha"), findings=tuple(findings),
                 tables=tuple(tabs))
    back = Report.from_json(rep.to_json())
    assert back == rep
    assert back.findings == tuple(findings)
    assert [t.priority for t in back.tables] == [t.priority for t in tabs]
    assert Report.from_dict(rep.to_dict()) == rep
    d = rep.to_dict()
    assert d["findings"] == list(findings)
    for t, raw in zip(tabs, d["tables"], strict=True):
        assert ("priority" in raw) == bool(t.priority)


def test_reports_without_the_new_fields_still_load():
    d = Report(experiment=Experiment(name="x", kind="ab"),
               tables=(Table("t", "T", ("a",), ((1,),)),)).to_dict()
    d.pop("findings")
    assert "priority" not in d["tables"][0]
    back = Report.from_dict(d)
    assert back.findings == ()
    assert back.tables[0].priority == ()


@pytest.mark.parametrize(("bad", "where"), [
    ({"findings": "one sentence"}, "findings"),
    ({"findings": [1]}, "findings[0]"),
    ({"tables": [{"name": "t", "columns": ["a"], "rows": [], "priority": ["x"]}]},
     "tables[0].priority[0]"),
])
def test_wrong_types_name_where(bad, where):
    d = {"schema_version": 2, "experiment": {"name": "x", "kind": "ab"}, **bad}
    with pytest.raises(ReportError, match="report: " + re.escape(where)):
        Report.from_dict(d)
