"""Class 5 and 7 of issue 12: user text on terminals and CI logs, and tracebacks.

The promise: whatever the names in a spec, a report or a data file (newlines, ``::error``,
``::add-mask::``, ``::stop-commands::``, ``##[...]``, ESC and OSC sequences, C1 controls,
bidirectional overrides), nothing causalkit prints to standard output or standard error can
start a GitHub Actions workflow command or drive the terminal; and no input ends in a
traceback: a bug is ``internal error: ...`` with exit code 1, everything else ``error: ...``
with exit code 2.

How GitHub's runner reads a log (actions/runner, ``ActionCommand.TryParseV2``/``TryParse``):
a line is split at CR, LF or CRLF; a line whose first non-blank characters are ``::`` is a
command, and so is ``##[`` anywhere in a line; standard error is read like standard output.
:func:`assert_log_safe` checks exactly that, plus no terminal control characters.

Generated cases: ``test_visible_*`` 300, ``test_console_and_annotations`` 150,
``test_every_renderer_is_log_safe`` 80, ``test_cli_in_process`` 15 (×3 commands); the
subprocess tests reproduce the issue's examples through the installed command.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from causalkit.cli import main
from causalkit.gate.outputs import annotation_lines, console_lines
from causalkit.report import Check, Decision, Estimate, Experiment, Report, Status, Table
from causalkit.report.render import FORMATS, render
from causalkit.report.render.terminal import json_safe, visible
from tests.hostile.conftest import assert_clean_error, assert_no_traceback, cli

PAYLOADS = [
    "\n::error::pwned", "::add-mask::s3cret", "::stop-commands::tok", "\r::warning::x",
    "##[error]legacy", "##[add-mask]s3cret", "\x1b[31mred\x1b[0m", "\x1b]0;title\x07",
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\", "\u202eevil", "\x9b31m",
    "\u2028::error::ls", "\t::notice::tab", "   ::error::indented", "%0A::error::pct", ":",
    "::", "#", "##", "[", "\x85::error::nel", "\x00", "\x07", "\r\n::debug::crlf", "\u2066iso",
    "|", "<b>", "&amp;", "\\", "$x$", "\ud800",
]
"""The issue's examples and their relatives."""

hostile = st.lists(st.sampled_from(PAYLOADS) | st.text(max_size=4), min_size=1,
                   max_size=5).map("".join)

_LINES = re.compile(r"\r\n|\r|\n")
_TERMINAL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                       "\ud800-\udfff]")
OUR_ANNOTATION = re.compile(r"^::(error|warning|notice) (file=[^:]*,)?title=causalkit gate[^:]*::")


def assert_log_safe(text: str) -> None:
    """No line the runner would read as a command (but our own annotations); no controls."""
    for line in _LINES.split(text):
        head = line.lstrip()
        if head.startswith("::"):
            assert OUR_ANNOTATION.match(head), f"workflow command from user text: {line!r}"
        assert "##[" not in line, f"legacy workflow command: {line!r}"
        bad = _TERMINAL.search(line)
        assert bad is None, f"control character {bad.group()!r} in {line!r}"


def _report(name: str, metric: str, arm: str, detail: str) -> Report:
    est = (
        Estimate(metric=metric, arm=arm, reference="control", method="welch", estimate=0.4,
                 ci_low=0.1, ci_high=0.7, p_value=1e-320, role="primary",
                 direction="increase", n=10, n_reference=10, extra={metric: detail}),
        Estimate(metric=f"{metric}2", arm=arm, reference="control", method="hac",
                 estimate=0.1, ci_low=-0.2, ci_high=0.4, p_value=0.3, calibrated=False),
    )
    return Report(experiment=Experiment(name=name, kind="ab", hypothesis=detail),
                  estimates=est,
                  checks=(Check("sample_ratio_mismatch", Status.WARN, detail, metric=metric),),
                  decision=Decision("hold", (f"primary {metric} [{arm}] is not significant",
                                             f"warning: check {detail}")),
                  tables=(Table("t", name, (metric, "p_value"), ((detail, 0.0),)),))


# -- the escaping function itself ------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(hostile)
def test_visible_is_one_safe_line(text: str) -> None:
    out = visible(text)
    assert_log_safe(out)
    assert "\n" not in out
    assert "\r" not in out
    assert "::" not in out
    assert "##[" not in out
    assert_log_safe(f"error: {out}")


@settings(max_examples=150, deadline=None)
@given(hostile)
def test_visible_keeps_plain_text_and_json_safe_keeps_values(text: str) -> None:
    plain = re.sub(r"[^A-Za-z0-9 .,_-]", "", text)
    assert visible(plain) == plain
    doc = json_safe(json.dumps({"name": text}, ensure_ascii=False))
    assert json.loads(doc)["name"] == text
    assert_log_safe(doc)


def test_the_issues_examples_are_shown_not_run() -> None:
    assert visible("rate\n::error::pwned") == "rate\\n:\\x3aerror:\\x3apwned"
    assert visible("::add-mask::secret") == ":\\x3aadd-mask:\\x3asecret"
    assert visible("::stop-commands::tok") == ":\\x3astop-commands:\\x3atok"
    assert visible("\x1b]0;owned\x07") == "\\x1b]0;owned\\x07"
    assert visible("\x1b[2J") == "\\x1b[2J"


# -- gate console lines and annotations ------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile, metric=hostile, arm=hostile, detail=hostile)
def test_console_and_annotations(name: str, metric: str, arm: str, detail: str) -> None:
    rep = _report(name, metric, arm, detail)
    lines = console_lines(rep, 10) + annotation_lines(rep, spec_file=f"specs/{name}.yaml")
    for line in lines:
        assert_log_safe(line)
    assert lines[0].startswith("causalkit gate: HOLD (exit 10) - ")
    assert OUR_ANNOTATION.match(annotation_lines(rep)[0])


# -- every renderer on standard output -------------------------------------------------------


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile, metric=hostile, detail=hostile)
def test_every_renderer_is_log_safe(name: str, metric: str, detail: str) -> None:
    rep = _report(name, metric, "treatment", detail)
    for fmt in FORMATS:
        if fmt == "html":
            from causalkit.report.render.html import render_html

            out = render_html(rep, forest=False)  # the forest plot is tested elsewhere
        else:
            out = render(rep, fmt)
        assert_log_safe(out)
        out.encode("utf-8")  # no lone surrogate reaches a writer
    back = Report.from_json(render(rep, "json"))
    assert back.experiment.name == name
    assert back.estimates[0].metric == metric


# -- the CLI in process: validate, run (text and md) and gate with hostile names ---------------


SPEC = """\
name: {name}
kind: ab
unit: user_id
metrics:
  - {{name: {metric}, type: mean, column: chat_minutes, role: primary, direction: increase}}
analysis: {{sequential: msprt}}
decision: {{horizon_sample_per_arm: 2000}}
data: {{path: {data}}}
"""


@pytest.fixture(scope="module")
def ab_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from causalkit.simulate.ab import simulate_ab

    path = tmp_path_factory.mktemp("hostile_cli") / "ab.csv"
    simulate_ab(seed=4, n=1500).tables["main"].to_csv(path, index=False)
    return path


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(name=hostile, metric=hostile)
def test_cli_in_process(ab_csv: Path, tmp_path: Path, name: str, metric: str) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(name=json.dumps(name), metric=json.dumps(metric),
                                data=json.dumps(str(ab_csv))), encoding="utf-8")
    runner = CliRunner()
    for args in (["validate", str(spec)], ["run", str(spec), "--format", "md"],
                 ["gate", str(spec), "--now", "2026-12-31T00:00Z"]):
        res = runner.invoke(main, args, env={"GITHUB_ACTIONS": "true"})
        out = res.stdout_bytes.decode("utf-8") + res.stderr_bytes.decode("utf-8")
        assert_log_safe(out)
        assert "Traceback" not in out, out
        assert "internal error" not in out, out
        assert res.exit_code in (0, 2, 10, 11, 20, 30), (args, res.exit_code, out)


# -- the installed command: the issue's examples ---------------------------------------------


def test_gate_and_validate_with_the_issues_names(ab_csv: Path, work: Path) -> None:
    spec = work / "spec.yaml"
    spec.write_text(SPEC.format(name=json.dumps("exp\n::add-mask::s3cret"),
                                metric=json.dumps("m::error::pwned ##[warning]x"),
                                data=json.dumps(str(ab_csv))), encoding="utf-8")
    for args in (["validate", spec], ["gate", spec, "--now", "2026-12-31T00:00Z"],
                 ["run", spec, "--format", "text"]):
        ran = cli(*args, cwd=work, env={"GITHUB_ACTIONS": "true"})
        assert_no_traceback(ran)
        assert_log_safe(ran.stdout + ran.stderr)


def test_error_messages_that_echo_csv_headers_are_escaped(work: Path) -> None:
    data = work / "d.csv"
    data.write_text('user_id,variant,"\x1b]0;owned\x07",":\n::error::hdr"\n1,control,1,2\n'
                    "2,treatment,3,4\n", encoding="utf-8")
    spec = work / "spec.yaml"
    spec.write_text(SPEC.format(name="x", metric="m", data=json.dumps(str(data))))
    ran = cli("run", spec, cwd=work, env={"GITHUB_ACTIONS": "true"})
    assert_clean_error(ran)
    assert_log_safe(ran.stdout + ran.stderr)


# -- tracebacks: the guard ---------------------------------------------------------------------


def test_a_bug_in_any_command_is_an_internal_error_with_exit_1(monkeypatch, tmp_path) -> None:
    import causalkit.api

    def boom(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("1/0 \x1b[2J::error::x")

    monkeypatch.setattr(causalkit.api, "analyze", boom)
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC.format(name="x", metric="m", data="d.csv"))
    res = CliRunner().invoke(main, ["run", str(spec)])
    assert res.exit_code == 1
    assert res.output.startswith("internal error: ZeroDivisionError: 1/0 \\x1b[2J:\\x3aerror")
    assert res.output.rstrip().endswith(
        "(this is a bug; rerun with --debug for the traceback)")
    res = CliRunner().invoke(main, ["--debug", "run", str(spec)])
    assert isinstance(res.exception, ZeroDivisionError)


def test_a_crashing_gate_prints_and_exits_1(monkeypatch, ab_csv: Path, tmp_path: Path) -> None:
    import causalkit.gate.run as gate_run

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(gate_run, "decide", boom)
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC.format(name="x", metric="m", data=json.dumps(str(ab_csv))))
    out = tmp_path / "r.json"
    res = CliRunner().invoke(main, ["gate", str(spec), "--json", str(out)])
    assert res.exit_code == 1
    assert "causalkit gate: ERROR (exit 1) - x" in res.output
    assert "internal error: RuntimeError: boom" in res.output
    rep = json.loads(out.read_text())
    assert rep["decision"]["state"] == "error"
    assert rep["meta"]["extra"]["gate_exit_code"] == 1


@pytest.mark.parametrize("seed", ["-1", "-99999999999999999999", "99999999999999999999999"])
def test_out_of_range_seed_is_a_clean_error(work: Path, seed: str) -> None:
    ran = cli("run", Path(__file__).parents[2] / "designs" / "ab_match_filter.yaml", "--seed",
              seed, cwd=work)
    assert_clean_error(ran, "--seed")


def test_usage_errors_are_one_error_line(work: Path) -> None:
    for args in (["--bogus"], ["run"], ["nope"], ["run", "x.yaml", "--format", "pdf"]):
        ran = cli(*args, cwd=work)
        assert_clean_error(ran)
        assert len(ran.stderr.strip().splitlines()) == 1, ran
