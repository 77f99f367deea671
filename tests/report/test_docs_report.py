"""docs/report.md documents the contract field by field, and its example is a valid report."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

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
from causalkit.report.render import FORMATS, render

DOC = Path(__file__).parents[2] / "docs" / "report.md"

GATE_EXTRA_KEYS = ("z", "ci_kind", "alpha", "margin", "noninferior", "worse_than_margin",
                   "significant", "better", "worse", "practical_threshold")


def test_every_field_is_documented():
    text = DOC.read_text()
    missing = [
        f"{cls.__name__}.{f.name}"
        for cls in (Report, Experiment, Estimate, Check, Decision, Meta, Table, Figure)
        for f in dataclasses.fields(cls)
        if f"`{f.name}`" not in text and not re.search(rf"`\w+\.{f.name}`", text)
    ]
    assert not missing, f"docs/report.md does not document: {missing}"
    for key in (*GATE_EXTRA_KEYS, "min_n_per_arm", "first_exposure", "last_exposure"):
        assert f"`{key}`" in text, key
    for word in [s.value for s in Status] + ["ship", "hold", "inconclusive", "rollback",
                                             "invalid", "error"] + list(FORMATS):
        assert f"`{word}`" in text, word
    for special in ('"NaN"', '"Infinity"', '"-Infinity"'):
        assert special in text


def test_example_json_is_a_valid_report_that_round_trips():
    text = DOC.read_text()
    blocks = re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) == 1
    rep = Report.from_json(blocks[0])
    assert len(rep.estimates) == 3
    assert rep.decision is not None
    assert rep.decision.state == "ship"
    assert Report.from_json(rep.to_json()) == Report.from_json(rep.to_json())
    assert rep.to_json() == Report.from_json(rep.to_json()).to_json()
    for fmt in FORMATS:
        assert render(rep, fmt)


def test_relative_links_exist():
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", DOC.read_text()):
        assert (DOC.parent / target).exists(), target
