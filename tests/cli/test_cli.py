"""The command line: version, fast start, schema, validate, error handling."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from causalkit import __version__
from causalkit.cli import main

ROOT = Path(__file__).parents[2]
HEAVY = ("statsmodels", "matplotlib", "sklearn", "dowhy", "econml", "pyspark", "duckdb",
         "pandas", "scipy")


def test_version() -> None:
    res = CliRunner().invoke(main, ["--version"])
    assert res.exit_code == 0
    assert res.output.strip() == f"causalkit {__version__}"


def test_help_imports_nothing_heavy() -> None:
    code = ("import sys; from causalkit.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_schema_is_valid_json_schema(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["schema"])
    assert res.exit_code == 0
    schema = json.loads(res.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    out = tmp_path / "s.json"
    assert CliRunner().invoke(main, ["schema", "--out", str(out)]).exit_code == 0
    assert json.loads(out.read_text()) == schema


def test_validate_designs() -> None:
    designs = sorted(str(p) for p in (ROOT / "designs").glob("*.yaml"))
    res = CliRunner().invoke(main, ["validate", *designs])
    assert res.exit_code == 0, res.output
    assert res.output.count("ok: ") == len(designs)


def test_validate_reports_each_bad_file(tmp_path: Path) -> None:
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text("name: x\nkind: nope\n")
    b.write_text("name: y\nkind: aha\ndata: {simulate: event_log}\n")
    proc = subprocess.run([sys.executable, "-m", "causalkit.cli", "validate", str(a), str(b)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert f"error: {a}:2:7: kind:" in proc.stderr
    assert f"ok: {b}" in proc.stdout


def test_debug_shows_traceback(tmp_path: Path) -> None:
    a = tmp_path / "a.yaml"
    a.write_text("name: x\nkind: nope\n")
    proc = subprocess.run([sys.executable, "-m", "causalkit.cli", "--debug", "run", str(a)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr
    plain = subprocess.run([sys.executable, "-m", "causalkit.cli", "run", str(a)],
                           capture_output=True, text=True, timeout=60)
    assert plain.returncode == 2
    assert "Traceback" not in plain.stderr


def test_wrong_kind_for_command(tmp_path: Path) -> None:
    a = tmp_path / "a.yaml"
    a.write_text("name: y\nkind: aha\ndata: {simulate: event_log}\n")
    res = CliRunner().invoke(main, ["schedule", str(a), "--out", str(tmp_path / "s.csv")])
    assert res.exit_code == 2
    assert "needs a switchback spec" in res.output
