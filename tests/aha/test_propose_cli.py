"""`causalkit run AHA_SPEC --propose-experiment OUT.yaml` writes the proposed encouragement
experiment, which validates and runs; wrong uses are clean errors (exit 2), and an existing
destination that is not a regular file is refused before any work."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from causalkit.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _small_aha(tmp_path: Path) -> Path:
    spec = yaml.safe_load((ROOT / "designs" / "aha_friends.yaml").read_text())
    spec["data"]["params"] = {"n_users": 6000}
    path = tmp_path / "aha.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_the_proposal_is_written_validates_and_runs(tmp_path: Path) -> None:
    out = tmp_path / "nudge.yaml"
    res = CliRunner().invoke(main, ["run", str(_small_aha(tmp_path)), "--format", "json",
                                    "--out", str(tmp_path / "r.json"),
                                    "--propose-experiment", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert text.startswith("# Encouragement experiment proposed by causalkit")
    spec = yaml.safe_load(text)
    assert spec["kind"] == "ab"
    assert spec["metrics"][0]["received"]
    assert [m["name"] for m in spec["metrics"] if m["role"] == "guardrail"] == ["sessions"]
    assert spec["decision"]["horizon_sample_per_arm"] > 0
    ok = CliRunner().invoke(main, ["validate", str(out)])
    assert ok.exit_code == 0, ok.output
    ran = CliRunner().invoke(main, ["run", str(out), "--format", "json"])
    assert ran.exit_code == 0, ran.output
    names = [e["metric"] for e in yaml.safe_load(ran.output)["estimates"]]
    assert any("[CACE]" in n for n in names)
    assert any("[first stage]" in n for n in names)


def test_wrong_uses_are_clean_errors(tmp_path: Path) -> None:
    aha = _small_aha(tmp_path)
    ab = ROOT / "designs" / "ab_match_filter.yaml"
    cases = [
        (["run", str(ab), "--propose-experiment", str(tmp_path / "x.yaml")], "aha spec"),
        (["run", str(aha), str(ab), "--out", str(tmp_path / "o"),
          "--propose-experiment", str(tmp_path / "x.yaml")], "single spec"),
        (["run", str(aha), "--propose-experiment", str(tmp_path)], str(tmp_path)),
    ]
    for args, words in cases:
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 2, res.output
        assert "Traceback" not in res.output
        assert words in res.output, res.output
    assert not (tmp_path / "x.yaml").exists()
