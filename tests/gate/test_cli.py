"""``causalkit gate`` end to end: scenarios through the real CLI, CI output, state files.

The acceptance scenarios run the installed command in a subprocess; the rest use
click's runner in-process (same code, faster).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from causalkit.cli import main
from causalkit.simulate.ab import simulate_ab

SPEC = """\
name: match-filter-v2
kind: ab
unit: user_id
start: 2026-11-01T00:00Z
metrics:
  - {{name: chat_minutes, type: mean, column: chat_minutes, covariate: pre_chat_minutes,
     role: primary, direction: increase}}
  - {{name: report_rate, type: proportion, column: reported, role: guardrail,
     direction: decrease, margin: 0.01}}
analysis: {{alpha: 0.05, sequential: {sequential}}}
decision: {{min_sample_per_arm: 1000, min_runtime: 7d, horizon_sample_per_arm: 20000}}
data: {{path: win.csv}}
"""
NOW = "2026-11-15T00:00Z"


def _spec(folder: Path, name: str = "spec.yaml", sequential: str = "msprt",
          text: str | None = None) -> Path:
    path = folder / name
    path.write_text(text if text is not None else SPEC.format(sequential=sequential))
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """CSV files from the A/B simulator (20,000 users over 14 days)."""
    d = tmp_path_factory.mktemp("gate_data")
    cases = {
        "win": {"treatment": {"chat_minutes": 1.0}},
        "harm": {"treatment": {"chat_minutes": 1.0, "report_rate": 0.03}},
        "flat": {},
    }
    for name, effects in cases.items():
        simulate_ab(seed=len(name), n=20_000, effects=effects).tables["main"].to_csv(
            d / f"{name}.csv", index=False)
    simulate_ab(seed=5, n=20_000, srm=0.1, effects={"treatment": {"chat_minutes": 1.0}}
                ).tables["main"].to_csv(d / "srm.csv", index=False)
    simulate_ab(seed=6, n=1_200, effects={"treatment": {"chat_minutes": 1.0}}
                ).tables["main"].to_csv(d / "small.csv", index=False)
    (d / "corrupt.csv").write_bytes(b"user_id,variant,chat_minutes\n1,control,\x00\xff\"oops\n"
                                    b"2,treatment,3,4,5,6\n\"unterminated")
    _spec(d)
    return d


def cli(args: list[str], cwd: Path, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    """Run the real command in a subprocess."""
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "causalkit.cli", "gate", *args], cwd=cwd,
                          env=full_env, capture_output=True, text=True, timeout=120)


def report_of(path: Path) -> dict:
    return json.loads(path.read_text())


# -- acceptance scenarios (subprocess) -------------------------------------------------------


def test_clear_improvement_ships(data, tmp_path):
    out = tmp_path / "r.json"
    res = cli(["spec.yaml", "--data", "win.csv", "--now", NOW, "--json", str(out)], data)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.startswith("causalkit gate: SHIP (exit 0) - match-filter-v2")
    rep = report_of(out)
    assert rep["decision"]["state"] == "ship"
    reasons = rep["decision"]["reasons"]
    assert reasons[0].startswith("primary chat_minutes [treatment] is significantly better: +")
    assert reasons[1].startswith("guardrail report_rate [treatment] is non-inferior (margin 0.01)")
    assert rep["meta"]["extra"]["gate_exit_code"] == 0


def test_guardrail_harm_rolls_back(data, tmp_path):
    out = tmp_path / "r.json"
    res = cli(["spec.yaml", "--data", "harm.csv", "--now", NOW, "--json", str(out)], data)
    assert res.returncode == 20, res.stdout + res.stderr
    reasons = report_of(out)["decision"]["reasons"]
    assert reasons[0].startswith("guardrail report_rate [treatment] is worse than its margin "
                                 "0.01: +0.0")


def test_sample_ratio_mismatch_is_invalid_and_never_ships(data, tmp_path):
    out = tmp_path / "r.json"
    res = cli(["spec.yaml", "--data", "srm.csv", "--now", NOW, "--json", str(out),
               "--fail-on", "invalid"], data)
    assert res.returncode == 1, res.stdout + res.stderr
    rep = report_of(out)
    assert rep["decision"]["state"] == "invalid"
    assert rep["decision"]["reasons"][0].startswith("check sample_ratio_mismatch failed")
    # the metrics alone would ship: the primary effect is large and significant
    prim = next(e for e in rep["estimates"] if e["metric"] == "chat_minutes")
    assert prim["ci_low"] > 0
    assert run(["spec.yaml", "--data", "srm.csv", "--now", NOW], data).exit_code == 30


def test_corrupt_data_file_exits_2_and_still_writes_the_json(data, tmp_path):
    out = tmp_path / "r.json"
    res = cli(["spec.yaml", "--data", "corrupt.csv", "--now", NOW, "--json", str(out)], data)
    assert res.returncode == 2, res.stdout + res.stderr
    assert res.stderr.startswith("error: ")
    assert "Traceback" not in res.stderr
    rep = report_of(out)
    assert rep["decision"]["state"] == "error"
    assert "corrupt.csv" in rep["decision"]["reasons"][0]
    assert rep["meta"]["extra"]["gate_exit_code"] == 2


def test_too_little_data_holds(data, tmp_path):
    out = tmp_path / "r.json"
    res = cli(["spec.yaml", "--data", "small.csv", "--now", NOW, "--json", str(out)], data)
    assert res.returncode == 10, res.stdout + res.stderr
    reasons = report_of(out)["decision"]["reasons"]
    assert reasons[0].endswith("units in the smallest arm, below the minimum of 1000 per arm")


# -- more behaviour (in-process) -------------------------------------------------------------


def run(args: list[str], data: Path, env: dict[str, str] | None = None):
    old = Path.cwd()
    os.chdir(data)
    try:
        runner = CliRunner()
        base = {"GITHUB_ACTIONS": "", "GITHUB_STEP_SUMMARY": ""}
        return runner.invoke(main, ["gate", *args], env={**base, **(env or {})},
                             catch_exceptions=False)
    finally:
        os.chdir(old)


def test_minimum_runtime_holds(data):
    res = run(["spec.yaml", "--data", "win.csv", "--now", "2026-11-05T00:00Z"], data)
    assert res.exit_code == 10
    assert "  - ran 4d, below the minimum runtime 7d" in res.output


def test_fail_on_turns_decisions_into_zero_or_one(data):
    args = ["spec.yaml", "--data", "harm.csv", "--now", NOW]
    assert run([*args, "--fail-on", "rollback,invalid"], data).exit_code == 1
    assert run([*args, "--fail-on", "hold"], data).exit_code == 0
    assert run([*args, "--fail-on", "spec"], data).exit_code == 1  # rollback, invalid, error
    res = run([*args, "--fail-on", "rollbak"], data)
    assert res.exit_code == 2
    assert "unknown decision 'rollbak'" in res.output


def test_github_summary_and_annotations(data, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    res = run(["spec.yaml", "--data", "harm.csv", "--now", NOW], data, env)
    assert res.exit_code == 20
    lines = res.output.splitlines()
    errors = [ln for ln in lines if ln.startswith("::error ")]
    assert len(errors) == 1
    assert errors[0].startswith(
        "::error file=spec.yaml,title=causalkit gate%3A ROLLBACK (match-filter-v2)::"
        "guardrail report_rate [treatment] is worse than its margin 0.01")
    md = summary.read_text()
    assert md.startswith("# earlier step\n## ⛔ causalkit gate: ROLLBACK — match-filter-v2\n")
    assert "exit code 20 · sequential msprt · look 1 · " in md
    assert "- guardrail report\\_rate \\[treatment\\] is worse than its margin 0.01" in md
    table = [ln for ln in md.splitlines() if ln.startswith("| ")]
    assert table[0] == ("| metric | arm | role | estimate | decision interval | margin "
                        "| verdict |")
    assert table[2].startswith("| chat\\_minutes | treatment | primary | ")
    assert table[2].endswith("| — | better |")
    assert table[3].startswith("| report\\_rate | treatment | guardrail | ")
    assert table[3].endswith("| 0.01 | worse than margin |")
    assert "| sample\\_ratio\\_mismatch | pass |" in md
    # hold and inconclusive are warnings
    res = run(["spec.yaml", "--data", "small.csv", "--now", NOW], data, env)
    assert any(ln.startswith("::warning ") for ln in res.output.splitlines())
    # outside GitHub Actions there are no annotation lines
    res = run(["spec.yaml", "--data", "harm.csv", "--now", NOW], data)
    assert not any(ln.startswith("::") for ln in res.output.splitlines())


def test_markdown_file_equals_the_summary(data, tmp_path):
    summary, md = tmp_path / "summary.md", tmp_path / "gate.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    res = run(["spec.yaml", "--data", "win.csv", "--now", NOW, "--markdown", str(md)], data, env)
    assert res.exit_code == 0
    assert md.read_text() == summary.read_text()
    assert md.read_text().startswith("## ✅ causalkit gate: SHIP — match-filter-v2")


def test_junit_xml(data, tmp_path):
    out = tmp_path / "gate.xml"
    res = run(["spec.yaml", "--data", "harm.csv", "--now", NOW, "--junit", str(out)], data)
    assert res.exit_code == 20
    root = ET.parse(out).getroot()
    suite = root.find("testsuite")
    cases = {c.get("name").split(":")[0]: c for c in suite.iter("testcase")}
    assert set(cases) == {"chat_minutes", "report_rate", "sample_ratio_mismatch", "decision"}
    assert next(c for c in suite.iter("testcase")
                if c.get("name").startswith("report_rate")).get("name") == (
        "report_rate: treatment - control (z+msprt)")
    decision = cases["decision"]
    assert decision.get("classname") == "causalkit.gate"
    assert decision.find("failure").get("type") == "rollback"
    assert cases["report_rate"].find("failure") is not None
    assert cases["chat_minutes"].find("failure") is None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "2", "0")
    assert (root.get("tests"), root.get("failures")) == ("4", "2")
    # hold is skipped, not failed; ship passes
    run(["spec.yaml", "--data", "small.csv", "--now", NOW, "--junit", str(out)], data)
    case = next(c for c in ET.parse(out).getroot().iter("testcase") if c.get("name") == "decision")
    assert case.find("skipped").get("message").startswith("hold: ")
    run(["spec.yaml", "--data", "win.csv", "--now", NOW, "--junit", str(out)], data)
    case = next(c for c in ET.parse(out).getroot().iter("testcase") if c.get("name") == "decision")
    assert len(case.findall("failure")) + len(case.findall("skipped")) == 0


def test_error_outputs(data, tmp_path):
    out, junit = tmp_path / "r.json", tmp_path / "r.xml"
    res = run(["missing.yaml", "--json", str(out), "--junit", str(junit)], data)
    assert res.exit_code == 2
    assert report_of(out)["experiment"] == {"name": "missing", "kind": "unknown",
                                            "spec_sha256": None, "data_fingerprint": None,
                                            "hypothesis": None}
    case = next(c for c in ET.parse(junit).getroot().iter("testcase")
                if c.get("name") == "decision")
    assert case.find("error") is not None
    res = run(["spec.yaml", "--data", "win.csv", "--now", "yesterday"], data)
    assert res.exit_code == 2
    assert "--now" in res.output


def test_only_kinds_with_decision_rules_are_gated(data, tmp_path):
    spec = tmp_path / "obs.yaml"
    spec.write_text("name: o\nkind: observational\ngraph: 'digraph { a -> b }'\n"
                    "treatment: a\noutcome: b\ndata: {simulate: scm}\n")
    res = run([str(spec)], data)
    assert res.exit_code == 2
    assert "kind observational has no decision rules; run it with `causalkit run`" in res.output


def test_sequential_none_is_switched_to_always_valid_with_a_warning(data, tmp_path):
    _spec(data, "none.yaml", sequential="none")
    out = tmp_path / "r.json"
    res = run(["none.yaml", "--data", "win.csv", "--now", NOW, "--json", str(out)], data,
              {"GITHUB_ACTIONS": "true"})
    rep = report_of(out)
    assert rep["decision"]["reasons"][-1].startswith("warning: ")
    assert any(r.startswith("warning: ") and "sequential: none" in r
               for r in rep["decision"]["reasons"])
    assert all(e["interval_kind"] == "always_valid" for e in rep["estimates"]
               if e["role"] != "secondary")
    assert any(ln.startswith("::warning ") and "sequential: none" in ln
               for ln in res.output.splitlines())


# -- group-sequential plans with a state file --------------------------------------------------


@pytest.fixture(scope="module")
def snapshots(data) -> list[Path]:
    """Daily cumulative snapshots of the winning experiment (by first exposure)."""
    df = pd.read_csv(data / "win.csv", parse_dates=["exposed_at"])
    out = []
    for day in (3, 5, 7, 9):
        cut = pd.Timestamp("2026-11-01") + pd.Timedelta(days=day)
        path = data / f"win_day{day}.csv"
        df[df["exposed_at"] < cut].to_csv(path, index=False)
        out.append(path)
    return out


def test_gst_records_looks_is_idempotent_and_sticky(data, snapshots, tmp_path):
    _spec(data, "gst.yaml", sequential="gst")
    state = tmp_path / "state.json"
    days = ["2026-11-04T00:00Z", "2026-11-06T00:00Z", "2026-11-08T00:00Z", "2026-11-10T00:00Z"]
    codes = []
    for snap, now in zip(snapshots, days):
        res = run(["gst.yaml", "--data", snap.name, "--now", now, "--state", str(state)], data)
        codes.append(res.exit_code)
        if res.exit_code == 0:
            break
    looks = json.loads(state.read_text())["looks"]
    assert [lk["index"] for lk in looks] == list(range(1, len(looks) + 1))
    fractions = [lk["information_fraction"] for lk in looks]
    assert fractions == sorted(fractions)
    assert all(lk["spent_alpha"] < 0.05 for lk in looks)
    assert codes[-1] == 0, codes  # the effect (1 minute) is found within 9 days
    assert codes[0] == 10  # below the minimum runtime at day 3
    # re-running on the same data and time changes nothing (not even the file)
    before = state.read_bytes()
    res = run(["gst.yaml", "--data", snapshots[len(codes) - 1].name, "--now",
               days[len(codes) - 1], "--state", str(state)], data)
    assert res.exit_code == 0
    assert state.read_bytes() == before
    # the ship is sticky: a later look at the flat data still says ship
    out = tmp_path / "r.json"
    res = run(["gst.yaml", "--data", "flat.csv", "--now", "2026-11-15T00:00Z", "--state",
               str(state), "--json", str(out)], data)
    assert res.exit_code == 0
    assert report_of(out)["decision"]["reasons"][0].startswith(
        f"ship was decided at look {len(codes)}")
    assert report_of(out)["meta"]["extra"]["gate_sticky_from_look"] == len(codes)


def test_gst_state_errors(data, snapshots, tmp_path):
    _spec(data, "gst.yaml", sequential="gst")
    res = run(["gst.yaml", "--data", snapshots[0].name, "--now", NOW], data)
    assert res.exit_code == 2
    assert "sequential: gst needs a state file" in res.output
    state = tmp_path / "state.json"
    state.write_text('{"format": "causalkit-gate-state", "version": 1, "looks": [')
    res = run(["gst.yaml", "--data", snapshots[0].name, "--now", NOW, "--state", str(state)],
              data)
    assert res.exit_code == 2
    assert "is corrupt" in res.output
    assert state.read_text().endswith("[")  # never reset
    other = tmp_path / "other.json"
    run(["gst.yaml", "--data", snapshots[0].name, "--now", NOW, "--state", str(other)], data)
    _spec(data, "gst2.yaml", text=SPEC.format(sequential="gst").replace("min_runtime: 7d",
                                                                        "min_runtime: 8d"))
    res = run(["gst2.yaml", "--data", snapshots[0].name, "--now", NOW, "--state", str(other)],
              data)
    assert res.exit_code == 2
    assert "belongs to another spec" in res.output


# -- switch-back specs -------------------------------------------------------------------------

SWITCHBACK = """\
name: matching-algo-v3
kind: switchback
unit: region
time_column: timestamp
regions: [KR, US]
schedule: {start: 2026-12-01T00:00Z, end: 2026-12-04T00:00Z, period: 2h, carryover: 1,
           burn_in: 10m, design: optimal, seed: 7}
metrics:
  - {name: chat_minutes_per_join, type: ratio, numerator: chat_minutes,
     denominator: queue_joins, role: primary, direction: increase}
  - {name: abandon_rate, type: ratio, numerator: abandons, denominator: queue_joins,
     role: guardrail, direction: decrease, margin: 0.02}
analysis: {alpha: 0.05, sequential: msprt, draws: 200, seed: 1}
data: {path: sb.csv}
"""


def test_switchback_spec_is_gated_on_confidence_sequences(tmp_path):
    from causalkit.simulate.market import simulate_market

    sim = simulate_market(seed=2, days=3, pre_days=0, period="2h", regions=["KR", "US"],
                          tick_seconds=300, schedule_seed=7)
    sim.tables["main"].to_csv(tmp_path / "sb.csv", index=False)
    (tmp_path / "sb.yaml").write_text(SWITCHBACK)
    out = tmp_path / "r.json"
    res = run(["sb.yaml", "--now", "2026-12-02T12:00Z", "--json", str(out)], tmp_path)
    rep = report_of(out)
    assert res.exit_code == {"ship": 0, "hold": 10, "rollback": 20}[rep["decision"]["state"]]
    assert rep["experiment"]["kind"] == "switchback"
    for e in rep["estimates"]:
        if e["role"] == "secondary":
            continue
        assert e["interval_kind"] == "always_valid"
        # the confidence sequence contains the fixed-horizon interval
        assert e["decision_ci_low"] < e["ci_low"] < e["ci_high"] < e["decision_ci_high"]
    # after the schedule's end the planned horizon is reached
    # after the schedule's end the planned horizon is reached: a terminal decision (the
    # market's effect may be found by then: ship; else inconclusive, saying why)
    res = run(["sb.yaml", "--now", "2026-12-05T00:00Z", "--json", str(out)], tmp_path)
    rep = report_of(out)
    assert rep["decision"]["state"] in ("ship", "rollback", "inconclusive")
    assert res.exit_code == {"ship": 0, "rollback": 20, "inconclusive": 11}[
        rep["decision"]["state"]]
    if rep["decision"]["state"] == "inconclusive":
        assert rep["decision"]["reasons"][0] == "the planned horizon 3d is reached"


def test_a_crash_still_writes_an_error_report_then_raises(data, tmp_path, monkeypatch):
    import causalkit.gate.run as gate_run
    from causalkit.gate import gate_command

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(gate_run, "decide", boom)
    out = tmp_path / "r.json"
    with pytest.raises(RuntimeError, match="boom"):
        gate_command(spec=data / "spec.yaml", data=data / "win.csv", state=None, now=NOW,
                     fail_on=None, json_out=out, junit=None, markdown=None, debug=False)
    rep = report_of(out)
    assert rep["decision"]["state"] == "error"
    assert rep["decision"]["reasons"][0].startswith("internal error (RuntimeError: boom)")


def test_debug_reraises_causalkit_errors_after_writing_outputs(data, tmp_path):
    from causalkit.errors import CausalkitError
    from causalkit.gate import gate_command

    out = tmp_path / "r.json"
    with pytest.raises(CausalkitError):
        gate_command(spec=data / "nope.yaml", data=None, state=None, now=NOW, fail_on=None,
                     json_out=out, junit=None, markdown=None, debug=True)
    assert report_of(out)["decision"]["state"] == "error"


# -- the Python door ---------------------------------------------------------------------------


def test_python_door_gives_the_commands_decision(data, tmp_path, capsys):
    import causalkit
    from causalkit.spec.types import parse_timestamp

    for name, code in (("win", 0), ("harm", 20), ("small", 10)):
        out = tmp_path / f"{name}.json"
        res = run(["spec.yaml", "--data", f"{name}.csv", "--now", NOW, "--json", str(out)],
                  data)
        assert res.exit_code == code
        capsys.readouterr()
        result = causalkit.gate(data / "spec.yaml", data / f"{name}.csv",
                                now=parse_timestamp(NOW))
        assert capsys.readouterr().out == ""  # the door prints nothing
        assert result.decision.to_dict() == report_of(out)["decision"]
        assert result.look.key == report_of(out)["decision_basis"]["look_key"]


def test_python_door_records_looks_in_the_state_file(data, snapshots, tmp_path):
    import causalkit
    from causalkit.spec.types import parse_timestamp

    _spec(data, "gst.yaml", sequential="gst")
    state = tmp_path / "state.json"
    first = causalkit.gate(str(data / "gst.yaml"), snapshots[0], state=state,
                           now=parse_timestamp("2026-11-04T00:00Z"))
    assert first.decision.state == "hold"
    assert first.decision.needs_history is False
    second = causalkit.gate(str(data / "gst.yaml"), snapshots[1], state=str(state),
                            now=parse_timestamp("2026-11-06T00:00Z"))
    assert second.look.index == 2
    assert [lk["index"] for lk in json.loads(state.read_text())["looks"]] == [1, 2]
    # the command reads the same state: the same look again changes nothing
    before = state.read_bytes()
    res = run(["gst.yaml", "--data", snapshots[1].name, "--now", "2026-11-06T00:00Z",
               "--state", str(state)], data)
    assert res.exit_code == {"ship": 0, "hold": 10}[second.decision.state.value]
    assert state.read_bytes() == before


def test_python_door_raises_instead_of_exiting(data):
    import causalkit
    from causalkit.errors import GateError
    from causalkit.spec.types import parse_timestamp

    with pytest.raises(GateError, match="sequential: gst needs a state file"):
        causalkit.gate(_spec(data, "gst_door.yaml", sequential="gst"), data / "win.csv",
                       now=parse_timestamp(NOW))


def test_gate_without_state_decides_as_run(data, tmp_path):
    """`causalkit run` and `causalkit gate` without --state: the same report and decision."""
    gate_out = tmp_path / "gate.json"
    res = run(["spec.yaml", "--data", "win.csv", "--now", NOW, "--json", str(gate_out)], data)
    assert res.exit_code == 0
    old = Path.cwd()
    os.chdir(data)
    try:
        ran = CliRunner().invoke(main, ["run", "spec.yaml", "--data", "win.csv", "--now", NOW,
                                        "--format", "json"], catch_exceptions=False)
    finally:
        os.chdir(old)
    run_rep, gate_rep = json.loads(ran.output), report_of(gate_out)
    assert run_rep["decision"] == gate_rep["decision"]
    assert run_rep["estimates"] == gate_rep["estimates"]
    assert run_rep["decision_basis"] == gate_rep["decision_basis"]


def test_a_look_that_cannot_be_decided_is_an_error_and_not_recorded(data, snapshots, tmp_path):
    _spec(data, "gst.yaml", sequential="gst")
    state = tmp_path / "state.json"
    first = run(["gst.yaml", "--data", snapshots[0].name, "--now", "2026-11-04T00:00Z",
                 "--state", str(state)], data)
    assert first.exit_code == 10
    before = state.read_bytes()
    changed = pd.read_csv(snapshots[0])
    changed.loc[0, "chat_minutes"] += 1.0  # other numbers, the same information
    changed.to_csv(tmp_path / "changed.csv", index=False)
    out = tmp_path / "r.json"
    res = run(["gst.yaml", "--data", str(tmp_path / "changed.csv"), "--now",
               "2026-11-05T00:00Z", "--state", str(state), "--json", str(out)], data)
    assert res.exit_code == 2
    rep = report_of(out)
    assert rep["decision"]["state"] == "error"
    assert "information did not grow" in rep["decision"]["reasons"][0]
    assert rep["estimates"]  # the report is whole: the analysis' own intervals
    assert state.read_bytes() == before
