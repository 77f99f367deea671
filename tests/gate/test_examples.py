"""The CI example: the workflow parses and its commands are valid causalkit commands; the
daily-rollout demo runs. (The workflow's shell steps run in tests/examples/test_ci_workflow.py.)"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from causalkit.cli import main

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
    assert 'echo "code=$code" >> "$GITHUB_OUTPUT"' in gate["run"]
    act = next(s for s in steps if s.get("name") == "Act on the decision")
    assert act["env"]["CODE"] == "${{ steps.gate.outputs.code }}"
    assert (ROOT / wf["env"]["SPEC"]).exists()
    # the steps themselves run in tests/examples/test_ci_workflow.py


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


def test_readme_names_the_files():
    text = (CI / "README.md").read_text()
    for name in ("gate-rollout.yml", "daily_rollout.py", "--fail-on", "unrelated project"):
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
