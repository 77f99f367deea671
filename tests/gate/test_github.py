"""GitHub Actions annotations (escaping as in @actions/core) and the exit codes."""

from __future__ import annotations

import pytest

from causalkit.errors import GateError
from causalkit.gate.codes import EXIT_CODES, exit_code, parse_fail_on
from causalkit.gate.github import (
    annotation,
    append_step_summary,
    escape_data,
    escape_property,
)


def test_escaping_matches_the_actions_toolkit():
    # The expected strings are those of actions/toolkit packages/core/__tests__/command.test.ts
    # ("should handle issuing commands with special characters").
    msg = "percent % percent %25 cr \r cr %0D lf \n lf %0A"
    assert escape_data(msg) == "percent %25 percent %2525 cr %0D cr %250D lf %0A lf %250A"
    prop = "percent % percent %25 cr \r cr %0D lf \n lf %0A colon : colon %3A comma , comma %2C"
    assert escape_property(prop) == ("percent %25 percent %2525 cr %0D cr %250D lf %0A lf "
                                     "%250A colon %3A colon %253A comma %2C comma %252C")


def test_annotation_lines():
    line = annotation("error", "a\nb: 50%", title="gate: rollback, exp", file="d/x.yaml", line=4)
    assert line == "::error file=d/x.yaml,line=4,title=gate%3A rollback%2C exp::a%0Ab: 50%25"
    assert annotation("warning", "w") == "::warning::w"
    with pytest.raises(ValueError, match="level"):
        annotation("fatal", "x")


def test_step_summary_appends_and_is_skipped_without_the_variable(tmp_path):
    path = tmp_path / "summary.md"
    path.write_text("earlier step\n")
    assert append_step_summary("## gate", {"GITHUB_STEP_SUMMARY": str(path)}) == path
    assert path.read_text() == "earlier step\n## gate\n"
    assert append_step_summary("## gate", {}) is None
    with pytest.raises(GateError, match="GITHUB_STEP_SUMMARY"):
        append_step_summary("x", {"GITHUB_STEP_SUMMARY": str(tmp_path)})


def test_exit_codes_are_the_documented_ones():
    assert EXIT_CODES == {"ship": 0, "hold": 10, "inconclusive": 11, "rollback": 20,
                          "invalid": 30, "error": 2}


@pytest.mark.parametrize("state", sorted(EXIT_CODES))
def test_fail_on_maps_to_zero_and_one_but_error_stays_two(state):
    fail = frozenset({"rollback", "invalid", "hold"})
    expected = 2 if state == "error" else (1 if state in fail else 0)
    assert exit_code(state, fail) == expected
    assert exit_code(state, frozenset()) == (2 if state == "error" else 0)


def test_parse_fail_on():
    assert parse_fail_on(None) is None
    assert parse_fail_on("Rollback , invalid,") == frozenset({"rollback", "invalid"})
    assert parse_fail_on("spec", ["rollback"]) == frozenset({"rollback"})
    assert parse_fail_on("") == frozenset()
    with pytest.raises(GateError, match="unknown decision 'shipp'"):
        parse_fail_on("shipp")
