"""docs/report.md documents the contract field by field, its example is a valid report, and every
Python snippet in it runs (and prints what its comments say)."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
from pathlib import Path

import pytest

import causalkit.report.assessment as assessment_module
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
from causalkit.report.assessment import TONE, WORDS
from causalkit.report.render import FORMATS, render
from causalkit.spec.common import DecisionState, Sequential

DOC = Path(__file__).parents[2] / "docs" / "report.md"
TEXT = DOC.read_text()
SNIPPETS = re.findall(r"```python\n(.*?)```", TEXT, flags=re.DOTALL)


def test_every_field_is_documented():
    missing = [
        f"{cls.__name__}.{f.name}"
        for cls in (Report, Experiment, Estimate, Check, Decision, DecisionBasis, Meta, Table,
                    Figure)
        for f in dataclasses.fields(cls)
        if f"`{f.name}`" not in TEXT and not re.search(rf"`\w+\.{f.name}`", TEXT)
    ]
    assert not missing, f"docs/report.md does not document: {missing}"
    for word in ([s.value for s in Status] + [s.value for s in DecisionState] + list(FORMATS)
                 + [k.value for k in IntervalKind] + [s.value for s in Sequential]
                 + ["contrast", "label", "harm", "needs_history", "decision_basis",
                    "causalkit.report.model.migrate_v1"]):
        assert f"`{word}`" in TEXT, word
    assert "`causalkit.report.render.junit.junit_xml(report," in TEXT
    for special in ('"NaN"', '"Infinity"', '"-Infinity"'):
        assert special in TEXT
    assert "harm = JUnit failure = rollback" in TEXT


def _norm(text: str) -> str:
    text = text.replace("``", "`").replace("`", "").replace("...", "")
    return re.sub(r"\s+", " ", text).strip()


def _docstring_table() -> dict[str, str]:
    """The assessment table of causalkit/report/assessment.py's module docstring."""
    doc = assessment_module.__doc__ or ""
    body = doc.split("========================== ===")[2]
    rows: dict[str, str] = {}
    last = ""
    for line in body.splitlines():
        if line.startswith("``"):
            last = line[2:].split("``", 1)[0]
            rows[last] = line.split("``", 2)[2]
        elif line.startswith("  ") and last:
            rows[last] += " " + line.strip()
    return {k: _norm(v) for k, v in rows.items()}


def test_the_assessment_table_is_the_one_of_the_module_docstring():
    table = _docstring_table()
    assert list(table) == [a.value for a in Assessment]
    doc_rows = {m.group(1): m.group(2) for m in re.finditer(
        r"^\| `(\w+)` \| (.*?) \| (?:good|bad|caution|neutral)", TEXT, flags=re.MULTILINE)}
    assert list(doc_rows) == [a.value for a in Assessment]
    for name, meaning in table.items():
        assert _norm(doc_rows[name]) == meaning, name
    # the tone and the words columns are TONE and WORDS
    for a in Assessment:
        row = next(line for line in TEXT.splitlines() if line.startswith(f"| `{a.value}` |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2].split(" ")[0] == TONE[a], a
        assert cells[3] == WORDS[a], a


def test_example_json_is_a_valid_report_that_round_trips():
    blocks = re.findall(r"```json\n(.*?)```", TEXT, flags=re.DOTALL)
    assert len(blocks) == 1
    rep = Report.from_json(blocks[0])
    assert rep.schema_version == 2
    assert len(rep.estimates) == 4
    assert rep.decision is not None
    assert rep.decision.state is DecisionState.SHIP
    assert rep.decision_basis is not None
    assert rep.to_json() == Report.from_json(rep.to_json()).to_json()
    # the assessments written in the example are the ones its intervals give
    for e in rep.estimates:
        again = dataclasses.replace(e, assessment=None)
        assert again.assessment is e.assessment, e.label
        assert e.to_dict()["contrast"] == e.contrast
    assert [e.assessment.value for e in rep.estimates] == [
        "better", "non_inferior", "worse_within_margin", "not_computable"]
    assert not any(e.harm for e in rep.estimates)
    for fmt in FORMATS:
        assert render(rep, fmt)


@pytest.mark.parametrize("code", SNIPPETS, ids=[f"snippet{i}" for i in range(len(SNIPPETS))])
def test_python_snippets_run_and_print_what_they_say(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"{DOC}:snippet", "exec"), {"__name__": "__docs__"})
    printed = out.getvalue()
    lines = code.splitlines()
    expected = []
    for i, line in enumerate(lines):
        m = re.match(r"\s*print\(.*\)\s+#\s*(.+)$", line)
        if m:
            expected.append(m.group(1).strip())
        elif line.startswith("# ") and i and lines[i - 1].lstrip().startswith("print("):
            expected.append(line[2:].strip())
    for text in expected:
        assert text in printed, (text, printed)


def test_there_are_snippets():
    assert len(SNIPPETS) >= 3


def test_relative_links_exist():
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", TEXT):
        assert (DOC.parent / target).exists(), target
