"""Model-based rows of a table (the switch-back fixed-effects regressions) are marked
uncalibrated in JSON, text, HTML and JUnit — and JUnit never counts them as failures."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import causalkit
from causalkit.report.render import render
from causalkit.report.render.junit import uncalibrated_rows


def test_switchback_fixed_effects_rows_are_marked_in_every_format() -> None:
    report = causalkit.analyze("designs/switchback_matching_algo.yaml")
    methods = next(t for t in report.tables if t.name == "methods")
    at = methods.columns.index("calibrated")
    model_based = [r for r in methods.rows if r[at] is False]
    assert model_based
    assert all("fe_regression" in str(r[1]) for r in model_based)
    assert all(r[at] is True for r in methods.rows if "fe_regression" not in str(r[1]))
    assert len(uncalibrated_rows(report)) == len(model_based)

    doc = json.loads(render(report, "json"))
    table = next(t for t in doc["tables"] if t["name"] == "methods")
    assert sum(row[at] is False for row in table["rows"]) == len(model_based)
    text = render(report, "text")
    assert any("fe_regression" in ln and "│ no " in ln for ln in text.splitlines())
    assert "model-based: not calibrated" in render(report, "html")

    suite = ET.fromstring(render(report, "junit")).find("testsuite")
    assert suite is not None
    skipped = [c for c in suite.findall("testcase")
               if (s := c.find("skipped")) is not None and "uncalibrated" in s.get("message", "")]
    assert len(skipped) == len(model_based)
    assert all(c.find("failure") is None for c in skipped)
    assert int(suite.get("failures", "0")) == sum(e.harm for e in report.estimates)
