"""`causalkit run` and `causalkit power` on the example A/B designs, in every output format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from causalkit.cli import main
from causalkit.report import Report
from causalkit.report.assessment import Assessment, IntervalKind
from causalkit.simulate.ab import simulate_ab

ROOT = Path(__file__).resolve().parents[2]
DESIGNS = sorted((ROOT / "designs").glob("ab_*.yaml"))


def test_designs_exist() -> None:
    assert {p.name for p in DESIGNS} >= {"ab_match_filter.yaml", "ab_three_arms.yaml"}


@pytest.mark.parametrize("fmt", ["text", "md", "html", "json", "junit"])
def test_run_match_filter_every_format(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"report.{fmt}"
    res = CliRunner().invoke(main, ["run", str(ROOT / "designs" / "ab_match_filter.yaml"),
                                    "--format", fmt, "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert "chat_minutes" in text.replace("\\_", "_")
    if fmt == "json":
        rep = Report.from_json(text)
        assert rep.experiment.kind == "ab"
        assert rep.experiment.spec_sha256
        assert next(c.name for c in rep.checks) == "sample_ratio_mismatch"
        assert {e.metric for e in rep.estimates} == {"chat_minutes", "matches_per_session",
                                                     "report_rate"}
        primary = next(e for e in rep.estimates if e.metric == "chat_minutes")
        assert primary.interval_kind is IntervalKind.ALWAYS_VALID
        assert primary.assessment is Assessment.BETTER
        assert rep.decision_basis is not None
        assert rep.decision_basis.first_exposure.startswith("2026-11-01")
    elif fmt == "junit":
        ET.fromstring(text)
    elif fmt == "html":
        assert "<svg" in text


def test_run_three_arms_json() -> None:
    res = CliRunner().invoke(main, ["run", str(ROOT / "designs" / "ab_three_arms.yaml"),
                                    "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    contrasts = {e["contrast"] for e in data["estimates"]}
    assert contrasts == {"strict - control", "relaxed - control"}
    strict = next(e for e in data["estimates"] if e["metric"] == "chat_minutes"
                  and e["arm"] == "strict")
    assert strict["ci_low"] > 0 or strict["ci_high"] < 0  # the reported interval excludes 0


def test_run_with_data_override(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    simulate_ab(seed=5, n=2000, salt="match-filter-v2").tables["main"].to_parquet(path)
    res = CliRunner().invoke(main, ["run", str(ROOT / "designs" / "ab_match_filter.yaml"),
                                    "--data", str(path), "--format", "json"])
    assert res.exit_code == 0, res.output
    rep = Report.from_json(res.stdout)
    assert rep.estimates[0].n + rep.estimates[0].n_reference == 2000


def test_bad_data_exits_2_with_message(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("user_id,variant\n1,control\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["run", str(ROOT / "designs" / "ab_match_filter.yaml"),
                                    "--data", str(path)])
    assert res.exit_code == 2
    assert "column is missing" in res.output
    assert "Traceback" not in res.output


def test_power_cli(tmp_path: Path) -> None:
    pre = tmp_path / "pre.parquet"
    simulate_ab(seed=9, n=20_000).tables["main"].to_parquet(pre)
    res = CliRunner().invoke(main, ["power", str(ROOT / "designs" / "ab_match_filter.yaml"),
                                    "--data", str(pre), "--format", "json"])
    assert res.exit_code == 0, res.output
    rep = Report.from_json(res.stdout)
    table = rep.tables[0]
    rows = [dict(zip(table.columns, r)) for r in table.rows]
    chat = next(r for r in rows if r["metric"] == "chat_minutes")
    assert 0.4 < chat["cuped variance reduction"] < 0.58  # rho = 0.7 in the simulator
    assert chat["days"] == pytest.approx(chat["units in total"] / 3000)
    md = CliRunner().invoke(main, ["power", str(ROOT / "designs" / "ab_match_filter.yaml"),
                                   "--data", str(pre), "--format", "md"])
    assert md.exit_code == 0
    assert "power_plan" not in md.output.splitlines()[0]


def test_power_needs_pre_data() -> None:
    res = CliRunner().invoke(main, ["power", str(ROOT / "designs" / "ab_match_filter.yaml")])
    assert res.exit_code == 2
    assert "pre-period data" in res.output
