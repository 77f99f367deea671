"""The CI example: the workflow parses, its commands are valid causalkit commands that run,
and the decision script maps every exit code."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from causalkit.cli import main
from causalkit.gate.codes import EXIT_CODES

ROOT = Path(__file__).parents[2]
CI = ROOT / "examples" / "ci"
WORKFLOW = CI / "gate-rollout.yml"


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def commands() -> list[list[str]]:
    """Every ``causalkit ...`` command in the workflow's run steps, env variables expanded."""
    wf = workflow()
    env = wf.get("env", {})
    out = []
    for job in wf["jobs"].values():
        for step in job["steps"]:
            script = step.get("run", "")
            script = re.sub(r"\\\n\s*", " ", script)  # line continuations
            for line in script.splitlines():
                line = line.strip()
                if not line.startswith("causalkit "):
                    continue
                for name, value in env.items():
                    line = line.replace(f'"${name}"', value).replace(f"${name}", value)
                out.append(shlex.split(line)[1:])
    return out


def test_workflow_parses_and_is_complete():
    wf = workflow()
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "schedule" in triggers
    assert "workflow_dispatch" in triggers
    steps = wf["jobs"]["gate"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/cache/restore@") for u in uses)
    assert any(u.startswith("actions/cache/save@") for u in uses)
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    assert wf["concurrency"]["cancel-in-progress"] is False
    gate = next(s for s in steps if s.get("id") == "gate")
    assert "set +e" in gate["run"]
    assert 'echo "code=$?" >> "$GITHUB_OUTPUT"' in gate["run"]
    act = next(s for s in steps if "act_on_decision.sh" in s.get("run", ""))
    assert "steps.gate.outputs.code" in act["run"]
    assert (CI / "act_on_decision.sh").exists()
    assert (ROOT / wf["env"]["SPEC"]).exists()


def test_workflow_commands_are_valid_causalkit_commands():
    cmds = commands()
    assert [c[0] for c in cmds] == ["validate", "gate"]
    for args in cmds:
        cmd = main.commands.get(args[0])
        assert cmd is not None, args
        sub = cmd.make_context(args[0], list(args[1:]))  # raises on unknown options
        assert sub.params
    gate = next(c for c in cmds if c[0] == "gate")
    assert {"--state", "--json", "--junit", "--markdown"} <= set(gate)


def test_workflow_gate_command_runs(tmp_path):
    """The gate step, run as written (the spec resolved against the repository)."""
    args = next(c for c in commands() if c[0] == "gate")
    args = [str(ROOT / a) if a.endswith(".yaml") else a for a in args]
    summary = tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    proc = subprocess.run([sys.executable, "-m", "causalkit.cli", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode in EXIT_CODES.values(), proc.stderr
    assert proc.returncode != 2, proc.stderr
    report = json.loads((tmp_path / "gate.json").read_text())
    assert EXIT_CODES[report["decision"]["state"]] == proc.returncode
    assert (tmp_path / "gate.xml").exists()
    assert (tmp_path / "gate.md").read_text() == summary.read_text()
    assert json.loads((tmp_path / "gate-state.json").read_text())["looks"][0]["index"] == 1
    assert any(line.startswith("::") for line in proc.stdout.splitlines())
    # the decision script on the real report
    act = subprocess.run(["bash", str(CI / "act_on_decision.sh"), str(proc.returncode),
                          str(tmp_path / "gate.json")], capture_output=True, text=True)
    assert act.stdout.startswith(report["decision"]["state"] + ":")


@pytest.mark.parametrize(("code", "word", "status"), [
    (0, "ship", 0), (10, "hold", 0), (11, "inconclusive", 0), (20, "rollback", 1),
    (30, "invalid", 1), (2, "error", 2), (1, "causalkit crashed", 1),
])
def test_decision_script_maps_every_exit_code(tmp_path, code, word, status):
    proc = subprocess.run(["bash", str(CI / "act_on_decision.sh"), str(code),
                           str(tmp_path / "none.json")], capture_output=True, text=True)
    assert proc.returncode == status
    assert proc.stdout.startswith(word)


def test_readme_names_the_files():
    text = (CI / "README.md").read_text()
    for name in ("gate-rollout.yml", "act_on_decision.sh", "daily_rollout.py", "--fail-on"):
        assert name in text


def test_daily_rollout_script_runs_through_the_python_door(tmp_path):
    text = (CI / "daily_rollout.py").read_text()
    assert "causalkit.gate(" in text
    assert "gate_command" not in text
    proc = subprocess.run([sys.executable, str(CI / "daily_rollout.py")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "TMPDIR": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["day", "units/arm", "decision", "exit", "first", "reason"]
    assert "ship decided at look" in lines[-1]
    assert any(" ship " in ln and "ship was decided at look" in ln for ln in lines)
