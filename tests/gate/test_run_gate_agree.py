"""Acceptance: `causalkit run` shows the decision `causalkit gate` takes, and JUnit fails on harm.

For every design in ``designs/`` (and the switch-back design with ``--now`` inside
its schedule), the ``decision`` of ``causalkit run --format json`` equals the
decision of ``causalkit gate`` without a state file (state, reasons and
``needs_history``), and the JUnit failure count of both equals the number of
estimates the gate counts as harm (``Estimate.harm``). Kinds without decision
rules show no decision in ``run``, and the gate refuses them (exit 2). The
installed command runs in subprocesses, as a user would run it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from causalkit.gate.codes import EXIT_CODES
from causalkit.report import Report
from causalkit.report.render import render

ROOT = Path(__file__).parents[2]
EXE = Path(sys.executable).with_name("causalkit")
DESIGNS = sorted((ROOT / "designs").glob("*.yaml"))
CASES = [(p.name, None) for p in DESIGNS] + [
    ("switchback_matching_algo.yaml", "2026-12-03T12:00Z"),
]


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY")}
    return subprocess.run([str(EXE), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=900)


def _estimate_failures(xml: str) -> int:
    root = ET.fromstring(xml)
    return sum(c.find("failure") is not None for c in root.iter("testcase")
               if (c.get("classname") or "").endswith(".estimates"))


def test_every_design_is_covered():
    assert len(DESIGNS) >= 4
    assert {p.name for p in DESIGNS} >= {"ab_match_filter.yaml", "switchback_matching_algo.yaml"}


@pytest.mark.parametrize(("design", "now"), CASES,
                         ids=[f"{d}{'@' + n if n else ''}" for d, n in CASES])
def test_run_and_gate_agree(design: str, now: str | None, tmp_path: Path) -> None:
    spec = ROOT / "designs" / design
    when = ["--now", now] if now else []
    ran = _cli(["run", str(spec), "--format", "json", *when], tmp_path)
    assert ran.returncode == 0, ran.stderr[-3000:]
    run_report = Report.from_json(ran.stdout)
    run_json = json.loads(ran.stdout)

    out, junit = tmp_path / "gate.json", tmp_path / "gate.xml"
    gated = _cli(["gate", str(spec), "--json", str(out), "--junit", str(junit), *when],
                 tmp_path)
    gate_json = json.loads(out.read_text())

    # run's JUnit fails exactly on the estimates that are harm
    harm_run = sum(e.harm for e in run_report.estimates)
    assert _estimate_failures(render(run_report, "junit")) == harm_run

    if run_report.decision_basis is None:  # a kind without decision rules
        assert run_json["decision"] is None
        assert gated.returncode == 2, gated.stdout + gated.stderr
        assert "has no decision rules; run it with `causalkit run`" in gated.stderr
        assert gate_json["decision"]["state"] == "error"
        return

    assert gated.returncode == EXIT_CODES[gate_json["decision"]["state"]], gated.stderr[-3000:]
    assert gated.returncode != 2, gated.stderr[-3000:]
    assert run_json["decision"] == gate_json["decision"]
    assert run_json["decision"]["state"] != "error"
    gate_report = Report.from_dict(gate_json)
    harm_gate = sum(e.harm for e in gate_report.estimates)
    assert harm_gate == harm_run
    assert _estimate_failures(junit.read_text()) == harm_gate
    if gate_json["decision"]["state"] == "rollback":
        assert harm_gate > 0
    elif harm_gate:
        assert gate_json["decision"]["state"] == "invalid"
    # the gate reads the report it was given: the same estimates as `run`
    assert [e.to_dict() for e in gate_report.estimates] == run_json["estimates"]
