"""`causalkit run` on the Aha design, and the example script."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest
from click.testing import CliRunner

from causalkit.cli import main
from causalkit.report.model import Report

ROOT = Path(__file__).resolve().parents[2]


def test_run_design_on_simulated_data(tmp_path: Path) -> None:
    out = tmp_path / "aha.json"
    result = CliRunner().invoke(main, ["run", str(ROOT / "designs" / "aha_friends.yaml"),
                                       "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = Report.from_json(out.read_text())
    assert report.experiment.kind == "aha"
    assert report.meta.extra["winner"] == "add_friend >= 3 in 7d"
    names = {t.name for t in report.tables}
    assert {"aha_conditions", "aha_funnel", "aha_holdout", "aha_combinations", "aha_users",
            "aha_causal"} <= names
    figs = {f.name for f in report.figures}
    assert {"heatmap_add_friend", "precision_recall", "funnel"} <= figs
    primary = [e for e in report.estimates if e.role == "primary" and e.method == "causal:aipw"]
    assert primary
    assert primary[0].extra["action"] == "add_friend"
    users = dict(next(t for t in report.tables if t.name == "aha_users").rows)
    assert users["excluded: retention window not fully observed"] > 0
    json.loads(out.read_text())  # valid JSON


def test_run_with_experiment_evidence(tmp_path: Path) -> None:
    from causalkit.report.model import Estimate, Experiment
    from causalkit.spec.common import Role

    ab = Report(experiment=Experiment(name="nudge", kind="ab"), estimates=(
        Estimate(metric="retained", arm="treatment", reference="control", method="welch",
                 estimate=0.05, ci_low=0.02, ci_high=0.08, role=Role.PRIMARY),))
    (tmp_path / "ab.json").write_text(ab.to_json())
    spec = tmp_path / "aha.yaml"
    spec.write_text(
        "name: with-experiment\nkind: aha\n"
        "data: {simulate: event_log, params: {n_users: 3000, n_actions: 4}, seed: 1}\n"
        "windows: [3, 7]\nthresholds: [1, 3]\nactions: {exclude: [app_open]}\n"
        "heatmaps: 1\nexperiment: ab.json\n")
    out = tmp_path / "r.json"
    result = CliRunner().invoke(main, ["run", str(spec), "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = Report.from_json(out.read_text())
    assert report.estimates[0].method == "experiment:welch"
    assert any(c.name == "causal_experiment" for c in report.checks)
    assert not any(t.name == "aha_causal" for t in report.tables)


@pytest.mark.parametrize("script", sorted((ROOT / "examples" / "aha").glob("*.py")))
def test_example_runs(script: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr().out
    assert "Winner: add_friend >= 3 in 7d" in out
