"""The CI example's shell steps, run here as GitHub Actions would run them.

A stand-in for the runner: every ``run:`` step of ``examples/ci/gate-rollout.yml`` is
written to a file and run, in the workflow's order, with
``bash --noprofile --norc -eo pipefail FILE`` (the shell GitHub uses for ``run:`` on
Linux) in a temporary workspace that holds a copy of ``designs/`` (the checkout). The
environment is what the runner gives a step: ``GITHUB_WORKSPACE``, ``GITHUB_ACTIONS=true``,
a fresh ``GITHUB_OUTPUT`` file per step (parsed into ``steps.<id>.outputs``),
``GITHUB_ENV`` (its lines reach the later steps), ``GITHUB_STEP_SUMMARY``, ``RUNNER_TEMP``,
``GITHUB_RUN_ID``, the workflow's ``env:`` and the step's ``env:``, whose ``${{ ... }}``
expressions are evaluated from the earlier steps' outputs. ``uses:`` steps (checkout,
setup-python, cache restore and save, artifact upload) are not run: the workspace copy
stands in for the checkout, and the tests put a state file where a restored cache would.
A step's ``if:`` is evaluated only for the conditions listed in ``CONDITIONS`` (an
unknown one fails the test, so the stand-in keeps up with the workflow).

One substitution: the install step (``python -m pip install "$CAUSALKIT"``) is not run,
because it would download and build causalkit and its dependencies. Instead this test
environment's ``bin`` folder, where causalkit is installed from this checkout, comes first
on ``PATH`` (so ``causalkit`` and ``python`` are the ones under test), and the test checks
what the step would install: the repository (``.`` or a pinned git URL), never the
unrelated ``causalkit`` of the public package index.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from causalkit.gate.codes import EXIT_CODES

ROOT = Path(__file__).parents[2]
WORKFLOW = ROOT / "examples" / "ci" / "gate-rollout.yml"
BIN = Path(sys.executable).parent
INSTALL_STEP = "Install causalkit (from its repository, not the public index)"


@dataclass
class Run:
    """What the stand-in runner saw: one record per step it ran."""

    workspace: Path
    codes: dict[str, int] = field(default_factory=dict)      # step name -> exit code
    stdout: dict[str, str] = field(default_factory=dict)
    stderr: dict[str, str] = field(default_factory=dict)   # progress lines, errors
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)   # step id -> outputs
    summary: str = ""
    skipped: list[str] = field(default_factory=list)


# The `if:` conditions of run steps the stand-in knows, as functions of (run, inputs).
CONDITIONS: dict[str, Callable[[Run, dict[str, Any]], bool]] = {
    "steps.restore.outputs.cache-matched-key == '' && inputs.first_run != true":
        lambda run, inputs: (run.outputs.get("restore", {}).get("cache-matched-key", "") == ""
                             and inputs.get("first_run") is not True),
}


def workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


def steps() -> list[dict[str, Any]]:
    return workflow()["jobs"]["gate"]["steps"]


def _expression(text: str, run: Run, env: dict[str, str], inputs: dict[str, Any]) -> str:
    def value(m: re.Match[str]) -> str:
        expr = m.group(1).strip()
        if found := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr):
            return run.outputs.get(found.group(1), {}).get(found.group(2), "")
        if found := re.fullmatch(r"env\.(\w+)", expr):
            return env.get(found.group(1), "")
        if found := re.fullmatch(r"inputs\.(\w+)", expr):
            return str(inputs.get(found.group(1), "")).lower()
        if expr == "github.run_id":
            return env["GITHUB_RUN_ID"]
        raise AssertionError(f"the stand-in cannot evaluate ${{{{ {expr} }}}}: teach it")
    return re.sub(r"\$\{\{(.+?)\}\}", value, text)


def _key_values(path: Path) -> dict[str, str]:
    """A GITHUB_OUTPUT / GITHUB_ENV file: ``name=value`` lines and ``name<<EOF`` blocks."""
    out: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        if "<<" in lines[i] and ("=" not in lines[i] or lines[i].index("<<") < lines[i].index("=")):
            name, end = lines[i].split("<<", 1)
            j = lines.index(end, i + 1)
            out[name] = "\n".join(lines[i + 1:j])
            i = j + 1
            continue
        name, _, val = lines[i].partition("=")
        out[name] = val
        i += 1
    return out


def run_workflow(workspace: Path, *, inputs: dict[str, Any] | None = None,
                 env_override: dict[str, str] | None = None,
                 only: set[str] | None = None) -> Run:
    """Run the workflow's shell steps in ``workspace`` (see the module docstring)."""
    inputs = inputs or {}
    wf = workflow()
    runner = workspace.parent / "runner"
    runner.mkdir(exist_ok=True)
    summary = runner / "step_summary.md"
    github_env = runner / "github_env"
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(runner), "TMPDIR": str(runner),
        "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
        "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_RUN_ID": "4242", "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_ENV": str(github_env), "RUNNER_TEMP": str(runner), "RUNNER_OS": "Linux",
        **{k: str(v) for k, v in wf.get("env", {}).items()},
        **(env_override or {}),
    }
    run = Run(workspace)
    for number, step in enumerate(wf["jobs"]["gate"]["steps"]):
        name = step.get("name", step.get("uses", f"step {number}"))
        if "run" not in step or (only is not None and name not in only):
            run.skipped.append(name)
            continue
        if name == INSTALL_STEP:   # the substitution: this venv is the installed causalkit
            run.skipped.append(name)
            continue
        if "if" in step:
            assert step["if"] in CONDITIONS, f"the stand-in cannot evaluate if: {step['if']}"
            if not CONDITIONS[step["if"]](run, inputs):
                run.skipped.append(name)
                continue
        step_env = {**env, **_key_values(github_env)}
        for key, val in (step.get("env") or {}).items():
            step_env[key] = _expression(str(val), run, step_env, inputs)
        output = runner / f"output_{number}"
        output.write_text("")
        step_env["GITHUB_OUTPUT"] = str(output)
        script = runner / f"step_{number}.sh"
        script.write_text(_expression(step["run"], run, step_env, inputs))
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                              cwd=workspace, env=step_env, capture_output=True, text=True,
                              timeout=600)
        run.codes[name] = proc.returncode
        run.stdout[name] = proc.stdout
        run.stderr[name] = proc.stderr
        if "id" in step:
            run.outputs[step["id"]] = _key_values(output)
        if proc.returncode != 0:   # a failing step ends the job
            break
    run.summary = summary.read_text() if summary.exists() else ""
    return run


def _workspace(tmp_path: Path, params: dict[str, Any] | None = None) -> Path:
    """The checkout: designs/, with the A/B design's simulation changed by ``params``."""
    workspace = tmp_path / "workspace"
    shutil.copytree(ROOT / "designs", workspace / "designs")
    if params:
        spec_path = workspace / workflow()["env"]["SPEC"]
        spec = yaml.safe_load(spec_path.read_text())
        spec["data"]["params"].update(params)
        spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return workspace


def test_install_step_installs_the_repository_not_the_public_index() -> None:
    wf = workflow()
    install = next(s for s in steps() if s.get("name") == INSTALL_STEP)
    assert install["run"].strip() == 'python -m pip install "$CAUSALKIT"'
    assert wf["env"]["CAUSALKIT"] == "."
    text = WORKFLOW.read_text()
    # the pinned alternative is spelled out, and why the index is not used
    assert 'CAUSALKIT: "causalkit @ git+https://github.com/<org>/causalkit@<tag>"' in text
    assert "unrelated project" in text
    assert not re.search(r"pip install\s+['\"]?causalkit(\[|['\"]?\s*$)", text, re.M)
    # the workflow calls nothing outside itself but causalkit, python and bash builtins
    for step in steps():
        assert "examples/" not in step.get("run", ""), step["name"]


# decision -> (simulation params for the spec's data, expected annotation prefix)
SCENARIOS = {
    "ship": (None, "::notice"),      # the design as it is: a true gain of 0.3 chat minutes
    "hold": ({"n": 1200}, "::warning"),   # below min_sample_per_arm (1000 per arm)
    "rollback": ({"n": 4000, "effects": {"treatment": {"chat_minutes": 0.3,
                                                       "report_rate": 0.03}}}, "::error"),
    "invalid": ({"n": 4000, "weights": {"control": 0.56, "treatment": 0.44}}, "::error"),
}


@pytest.mark.parametrize("decision", list(SCENARIOS))
def test_workflow_acts_on_each_decision(tmp_path: Path, decision: str) -> None:
    params, annotation = SCENARIOS[decision]
    # the whole job for ship; the other decisions skip the spec check (time)
    only = None if decision == "ship" else {"Gate", "Act on the decision"}
    run = run_workflow(_workspace(tmp_path, params), inputs={"first_run": True}, only=only)
    if only is None:
        assert run.skipped[:3] == ["actions/checkout@v4", "actions/setup-python@v5",
                                   INSTALL_STEP]
        assert "Refuse to start over without the state" in run.skipped   # first_run: true
        assert run.codes["Check the spec"] == 0, run.stderr["Check the spec"]
        assert run.stdout["Check the spec"].startswith("ok: designs/ab_match_filter.yaml")
    assert run.codes["Gate"] == 0, run.stderr["Gate"]       # the code is kept, not raised
    code = EXIT_CODES[decision]
    assert run.outputs["gate"] == {"code": str(code), "decision": decision}, run.stdout["Gate"]
    gate_log = run.stdout["Gate"]
    assert gate_log.startswith(f"causalkit gate: {decision.upper()} (exit {code})"), gate_log
    assert any(line.startswith(annotation) for line in gate_log.splitlines()), gate_log
    ws = run.workspace
    report = json.loads((ws / "gate.json").read_text())
    assert report["decision"]["state"] == decision
    assert (ws / "gate.xml").read_text().startswith("<?xml")
    assert run.summary
    assert run.summary == (ws / "gate.md").read_text()
    looks = json.loads((ws / "gate-state.json").read_text())["looks"]
    assert [look["decision"] for look in looks] == [decision]
    act = run.stdout["Act on the decision"]
    assert act.startswith(f"{decision}:"), act
    assert report["decision"]["reasons"][0] in act     # the reasons, read from gate.json
    assert run.codes["Act on the decision"] == (1 if decision in ("rollback", "invalid") else 0)


def test_workflow_refuses_to_run_without_a_restored_state(tmp_path: Path) -> None:
    name = "Refuse to start over without the state"
    run = run_workflow(_workspace(tmp_path), inputs={"first_run": False},
                       only={name, "Gate", "Act on the decision"})
    assert run.codes[name] == 2
    assert run.stdout[name].startswith("::error title=causalkit gate::no gate state")
    assert "Gate" not in run.codes          # the job stopped before the gate
    assert not (run.workspace / "gate-state.json").exists()


def test_workflow_fails_on_an_unreadable_state(tmp_path: Path) -> None:
    """A restored state that is not a gate state: exit 2 kept as the output, the job fails."""
    workspace = _workspace(tmp_path)
    (workspace / "gate-state.json").write_text('{"format": "something else"}')
    run = run_workflow(workspace, inputs={"first_run": False},
                       only={"Gate", "Act on the decision"})
    assert run.codes["Gate"] == 0
    assert run.outputs["gate"]["code"] == "2"
    assert run.outputs["gate"].get("decision", "error") == "error"
    assert run.stdout["Act on the decision"].startswith("error:")
    assert run.codes["Act on the decision"] == 2
    assert (workspace / "gate-state.json").read_text() == '{"format": "something else"}'


@pytest.mark.parametrize(("code", "word", "status"), [
    ("0", "ship", 0), ("10", "hold", 0), ("11", "inconclusive", 0), ("20", "rollback", 1),
    ("30", "invalid", 1), ("2", "error", 2), ("1", "causalkit crashed", 1),
    ("", "causalkit crashed", 1),
])
def test_act_step_maps_every_exit_code(tmp_path: Path, code: str, word: str, status: int) -> None:
    """The inlined decision step alone, given the gate step's code as its output."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    act = next(s for s in steps() if s.get("name") == "Act on the decision")
    assert act["env"] == {"CODE": "${{ steps.gate.outputs.code }}"}
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", act["run"]],
                          cwd=workspace, capture_output=True, text=True,
                          env={"PATH": f"{BIN}:/usr/bin:/bin", "CODE": code})
    assert proc.returncode == status, proc.stderr
    assert proc.stdout.startswith(word)


def test_expression_stand_in_refuses_what_it_does_not_know() -> None:
    with pytest.raises(AssertionError, match="teach it"):
        _expression("${{ secrets.TOKEN }}", Run(Path()), {}, {})
    run = Run(Path(), outputs={"gate": {"code": "10"}})
    assert _expression("x ${{ steps.gate.outputs.code }} ${{ env.A }}", run, {"A": "a"}, {}) \
        == "x 10 a"
