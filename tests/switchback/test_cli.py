"""`causalkit schedule`, `run` and `power` on the example design; the example script."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from causalkit.cli import main

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "designs" / "switchback_matching_algo.yaml"


def test_schedule_command(tmp_path: Path) -> None:
    out, svg = tmp_path / "schedule.csv", tmp_path / "heatmap.svg"
    res = CliRunner().invoke(main, ["schedule", str(SPEC), "--out", str(out),
                                    "--heatmap", str(svg)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out)
    assert set(table.region) == {"KR", "JP", "TW", "US", "BR"}
    assert len(table) == 5 * 120
    assert table.loc[table.region == "KR", "is_randomization_point"].sum() == 118  # n - 2
    assert svg.read_text().lstrip().startswith("<svg")
    bad = CliRunner().invoke(main, ["schedule", str(SPEC), "--out", str(tmp_path / "x.xls")])
    assert bad.exit_code == 2
    assert "suffix" in bad.output


def test_run_and_power_on_simulated_market(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    res = CliRunner().invoke(main, ["run", str(SPEC), "--format", "json", "--out", str(out)])
    assert res.exit_code == 0, res.output
    rep = json.loads(out.read_text())
    assert rep["experiment"]["kind"] == "switchback"
    primary = next(e for e in rep["estimates"] if e["role"] == "primary")
    truth = next(t for t in rep["tables"] if t["name"] == "simulation_truth")
    row = next(r for r in truth["rows"] if r[0] == primary["metric"])
    assert row[5] is True  # the interval covers the simulated ground truth
    assert {c["name"] for c in rep["checks"]} >= {"carryover", "schedule_balance",
                                                 "burn_in_share"}
    out = tmp_path / "plan.json"
    res = CliRunner().invoke(main, ["power", str(SPEC), "--format", "json", "--out", str(out)])
    assert res.exit_code == 0, res.output
    plan = json.loads(out.read_text())
    assert plan["meta"]["extra"]["recommended_period"] in ("30m", "1h", "2h")
    rows = plan["tables"][0]["rows"]
    assert [r[0] for r in rows] == ["30m", "1h", "2h"]


def test_example_script(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(ROOT / "examples" / "switchback" / "plan_and_analyze.py"),
                   run_name="__main__")
    text = capsys.readouterr().out
    assert "ground truth" in text
    assert "treated share" in text
