"""Reports written by the previous version (schema 1) still load.

The fixtures are the JSON reports that causalkit 0.1.0 wrote for the five example
designs before the schema-2 change (``causalkit run designs/*.yaml --format json``),
with their SVG figures shrunk and long tables cut to keep the repository small.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from causalkit.report import SCHEMA_VERSION, Report
from causalkit.report.render import render

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "v1").glob("*.json"))


def test_fixtures_are_schema_1() -> None:
    assert len(FIXTURES) == 5
    assert all(json.loads(p.read_text())["schema_version"] == 1 for p in FIXTURES)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_a_v1_report_loads_renders_and_round_trips(path: Path) -> None:
    raw = json.loads(path.read_text())
    report = Report.from_json(path.read_text())
    assert report.schema_version == SCHEMA_VERSION == 2
    assert len(report.estimates) == len(raw["estimates"])
    for old, new in zip(raw["estimates"], report.estimates):
        assert old["contrast"].replace(" − ", " - ").endswith(new.contrast)
        if ": " in old["contrast"]:  # v1 Aha: the condition moves into the metric name
            assert new.metric == f"{old['metric']} by {old['contrast'].rsplit(': ', 1)[0]}"
        assert sorted([new.n, new.n_reference]) == sorted(old["n"].values())
        margin = old.get("extra", {}).get("margin")
        assert new.margin == (None if margin is None else abs(margin))
        assert new.interval_kind.value == old.get("extra", {}).get("ci_kind", "fixed")
        for key in ("better", "worse", "noninferior", "gate_verdict", "ci_kind"):
            assert key not in new.extra
    assert [c.name for c in report.checks] == [c["name"] for c in raw["checks"]]
    assert Report.from_json(report.to_json()) == report
    for fmt in ("text", "md", "html", "json", "junit"):
        assert render(report, fmt)
