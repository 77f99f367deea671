"""``causalkit init``: a starter spec from a data file validates, runs, and guesses right.

Each kind gets a CSV made here, with unusual but valid column names and mixed types; the
written spec must pass ``causalkit validate`` and ``causalkit run SPEC --data FILE``.
Clearly named columns must be guessed right; hostile files end in ``error:``/exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from causalkit.cli import main
from causalkit.starter import guess_control, starter_spec, words


def _invoke(*args: str | Path) -> tuple[int, str]:
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in res.output
    return res.exit_code, res.output


def _ab_csv(path: Path, n: int = 600) -> Path:
    rng = np.random.default_rng(1)
    arm = rng.choice(["B", "A"], n)
    pd.DataFrame({
        "Member ID": [f"m-{i:05d}" for i in range(n)],
        "Test Group": arm,
        "Converted?": (rng.random(n) < 0.2 + 0.05 * (arm == "B")).astype(int),
        "revenue (€)": rng.gamma(2.0, 5.0, n).round(2),
        "pre revenue (€)": rng.gamma(2.0, 5.0, n).round(2),
        "note": rng.choice(["ok", "late", "vip", "x", "y", "z"] * 5 + [f"n{i}" for i in
                                                                       range(40)], n),
        "signed up": pd.date_range("2026-01-01", periods=n, freq="1h", tz="UTC"),
    }).to_csv(path, index=False)
    return path


def _switchback_csv(folder: Path) -> Path:
    design = folder / "design.yaml"
    design.write_text(
        "name: d\nkind: switchback\nregions: [Seoul-1, \"Busan 2\"]\n"
        "schedule: {start: 2026-03-02T00:00Z, end: 2026-03-04T00:00Z, period: 1h, seed: 0}\n"
        "metrics:\n  - {name: y, type: mean, column: y, role: primary}\n")
    assert _invoke("schedule", design, "--out", folder / "sched.csv")[0] == 0
    sched = pd.read_csv(folder / "sched.csv", parse_dates=["start"])
    rng = np.random.default_rng(2)
    rows = [{"Zone/Name": r.region, "When (UTC)": r.start + pd.Timedelta(minutes=15 * k),
             "variant arm": r.arm, "GMV": float(rng.normal(100 + 3 * (r.arm == "treatment"))),
             "cancelled": int(rng.random() < 0.1)}
            for r in sched.itertuples() for k in range(4)]
    path = folder / "market.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _observational_csv(path: Path, n: int = 500) -> Path:
    rng = np.random.default_rng(3)
    age = rng.normal(40, 10, n)
    plan = rng.choice(["free", "pro", "team"], n)
    got = (rng.random(n) < 1 / (1 + np.exp(-(age - 40) / 10))).astype(int)
    pd.DataFrame({
        "customer_id": np.arange(n) + 1000,
        "Age (yrs)": age.round(1),
        "plan": plan,
        "got_promo": got,
        "spend_next_month": 50 + 0.5 * age + 4 * got + rng.normal(0, 5, n),
        "seen": pd.date_range("2026-01-01", periods=n, freq="1D", tz="UTC"),
    }).to_csv(path, index=False)
    return path


def _aha_csv(folder: Path) -> tuple[Path, Path]:
    from causalkit.simulate import simulate

    tables = simulate("event_log", {"n_users": 300}, seed=5).tables
    ev = tables["events"].rename(columns={"user_id": "Account Id", "event": "action name",
                                          "timestamp": "event time"})
    us = tables["users"].rename(columns={"user_id": "Account Id",
                                         "signup_at": "registered at"})
    ev.to_csv(folder / "events.csv", index=False)
    us.to_csv(folder / "users.csv", index=False)
    return folder / "events.csv", folder / "users.csv"


def _spec(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def test_words_and_control() -> None:
    assert words("Member ID") == ("member", "id")
    assert words("pre revenue (€)") == ("pre", "revenue")
    assert guess_control(["B", "A"]) == "A"
    assert guess_control(["treatment", "Control"]) == "Control"
    assert guess_control(["1", "0"]) == "0"


def test_ab_guesses_validates_and_runs(tmp_path: Path) -> None:
    data = _ab_csv(tmp_path / "my data.csv")
    out = tmp_path / "specs" / "ab.yaml"
    out.parent.mkdir()
    code, text = _invoke("init", "ab", "--data", data, "--out", out)
    assert code == 0, text
    spec = _spec(out)
    assert spec["unit"] == "Member ID"
    assert spec["variant_column"] == "Test Group"
    assert spec["control"] == "A"
    assert set(spec["variants"]) == {"A", "B"}
    assert spec["timestamp_column"] == "signed up"
    metrics = {m["column"]: m for m in spec["metrics"]}
    assert metrics["Converted?"]["type"] == "proportion"
    assert metrics["revenue (€)"]["type"] == "mean"
    assert metrics["revenue (€)"]["covariate"] == "pre revenue (€)"
    assert "note" not in metrics
    assert "pre revenue (€)" not in metrics
    assert spec["data"]["path"] == "../my data.csv"  # relative to the spec's folder
    assert _invoke("validate", out)[0] == 0
    code, text = _invoke("run", out, "--data", data, "--format", "json")
    assert code == 0, text
    # stdout when no --out; no overwrite without --force
    code, text = _invoke("init", "ab", "--data", data)
    assert code == 0
    assert text.startswith("# Starter ab spec")
    code, text = _invoke("init", "ab", "--data", data, "--out", out)
    assert code == 2
    assert "exists" in text
    assert "--force" in text
    assert _invoke("init", "ab", "--data", data, "--out", out, "--force")[0] == 0


def test_switchback_guesses_validates_and_runs(tmp_path: Path) -> None:
    data = _switchback_csv(tmp_path)
    out = tmp_path / "sb.yaml"
    code, text = _invoke("init", "switchback", "--data", data, "--out", out)
    assert code == 0, text
    spec = _spec(out)
    assert (spec["unit"], spec["time_column"], spec["arm_column"]) == \
        ("Zone/Name", "When (UTC)", "variant arm")
    assert [r["name"] for r in spec["regions"]] == ["Seoul-1", "Busan 2"]
    assert spec["schedule"]["period"] == "1h"
    assert str(spec["schedule"]["start"]) == "2026-03-02 00:00:00+00:00"
    assert str(spec["schedule"]["end"]) == "2026-03-04 00:00:00+00:00"
    assert {m["column"]: m["type"] for m in spec["metrics"]} == \
        {"GMV": "mean", "cancelled": "proportion"}
    code, text = _invoke("run", out, "--data", data, "--format", "json", "--out",
                         tmp_path / "r.json")
    assert code == 0, text
    checks = {c["name"]: c["status"]
              for c in json.loads((tmp_path / "r.json").read_text())["checks"]}
    assert checks["schedule_adherence"] == "pass"  # the design's seed 0 is init's default


def test_observational_guesses_validates_and_runs(tmp_path: Path) -> None:
    data = _observational_csv(tmp_path / "study.csv")
    out = tmp_path / "obs.yaml"
    code, text = _invoke("init", "observational", "--data", data, "--out", out)
    assert code == 0, text
    spec = _spec(out)
    assert (spec["treatment"], spec["outcome"]) == ("got_promo", "spend_next_month")
    edges = {(e["from"], e["to"]) for e in spec["graph"]}
    for conf in ("Age (yrs)", "plan"):
        assert {(conf, "got_promo"), (conf, "spend_next_month")} <= edges
    assert ("got_promo", "spend_next_month") in edges
    assert not any("customer_id" in e or "seen" in e for e in edges)
    assert "EDIT graph" in out.read_text()
    assert _invoke("validate", out)[0] == 0
    code, text = _invoke("run", out, "--data", data, "--format", "json")
    assert code == 0, text


@pytest.mark.slow
def test_aha_guesses_validates_and_runs(tmp_path: Path) -> None:
    events, users = _aha_csv(tmp_path)
    out = tmp_path / "aha.yaml"
    code, text = _invoke("init", "aha", "--data", events, "--users", users, "--out", out)
    assert code == 0, text
    spec = _spec(out)
    assert spec["columns"] == {"user": "Account Id", "event": "action name",
                               "timestamp": "event time", "signup": "registered at"}
    assert set(spec["covariates"]) == {"age", "ios", "paid", "referred"}
    assert "app_open" in spec["actions"]["exclude"]
    assert _invoke("validate", out)[0] == 0
    code, text = _invoke("run", out, "--data", events, "--format", "json")
    assert code == 0, text
    # no users file: signup = first event, through a query over the log
    code, text = _invoke("init", "aha", "--data", events)
    assert code == 0, text
    assert "users: {sql:" in text


def _hostile(tmp_path: Path) -> dict[str, Path]:
    files = {
        "empty": b"",
        "header only": b"user_id,variant,y\n",
        "binary junk": bytes(range(256)) * 8,
        "one column": b"user_id\n1\n2\n3\n",
    }
    out = {}
    for name, content in files.items():
        p = tmp_path / f"{name}.csv"
        p.write_bytes(content)
        out[name] = p
    return out


@pytest.mark.parametrize("kind", ["ab", "switchback", "observational", "aha"])
def test_hostile_files_are_clean_errors(tmp_path: Path, kind: str) -> None:
    for name, path in _hostile(tmp_path).items():
        code, text = _invoke("init", kind, "--data", path)
        assert code == 2, (name, text)
        assert text.startswith("error: "), (name, text)
        assert str(path.name) in text, (name, text)
    code, text = _invoke("init", kind, "--data", tmp_path / "missing.csv")
    assert code == 2
    assert "no such file" in text
    code, text = _invoke("init", kind, "--data", tmp_path)
    assert code == 2
    assert text.startswith("error: ")


def test_unknown_kind_and_misplaced_users(tmp_path: Path) -> None:
    data = _ab_csv(tmp_path / "d.csv", n=50)
    code, text = _invoke("init", "bandit", "--data", data)
    assert code == 2
    assert text.startswith("error: ")
    assert "bandit" in text
    code, text = _invoke("init", "ab", "--data", data, "--users", data)
    assert code == 2
    assert "--users goes with init aha" in text
    with pytest.raises(Exception, match="unknown kind"):
        starter_spec("bandit", data)


def test_names_that_need_quoting_round_trip(tmp_path: Path) -> None:
    """Quotes, colons, YAML words and control characters in names survive the spec."""
    n = 40
    rng = np.random.default_rng(0)
    names = {"id": 'user "id": #1', "arm": "variant", "y": "no", "z": "a\x85b"}
    pd.DataFrame({names["id"]: range(n), names["arm"]: ["control", "treatment"] * (n // 2),
                  names["y"]: rng.normal(size=n), names["z"]: rng.integers(0, 2, n)}
                 ).to_csv(tmp_path / "q.csv", index=False)
    out = tmp_path / "q.yaml"
    code, text = _invoke("init", "ab", "--data", tmp_path / "q.csv", "--out", out)
    assert code == 0, text
    spec = _spec(out)
    assert spec["unit"] == names["id"]
    assert {m["column"] for m in spec["metrics"]} == {names["y"], names["z"]}
