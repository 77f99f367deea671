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


def test_every_command_runs_under_the_guard(monkeypatch, tmp_path: Path) -> None:
    """A bug in any command is ``internal error: ...`` with exit 1, never a traceback."""
    import causalkit.cli as cli_module
    from causalkit.cli import GuardedGroup

    assert isinstance(main, GuardedGroup)

    def boom(*args: object, **kwargs: object) -> None:
        raise KeyError("bug")

    monkeypatch.setattr(cli_module, "_load", boom)
    monkeypatch.setattr("causalkit.spec.load_spec_file", boom)
    monkeypatch.setattr("causalkit.gate.command.load_spec", boom)
    monkeypatch.setattr("causalkit.starter.starter_spec", boom)
    spec = tmp_path / "s.yaml"
    spec.write_text("name: x\n")
    for args in (["validate", str(spec)], ["run", str(spec)], ["power", str(spec)],
                 ["assign", str(spec), "--units", "u.csv", "--out", str(tmp_path / "a.csv")],
                 ["schedule", str(spec), "--out", str(tmp_path / "s.csv")],
                 ["gate", str(spec)], ["init", "ab", "--data", str(spec)]):
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 1, (args, res.output)
        assert "internal error: KeyError: 'bug' (this is a bug; rerun with --debug" \
            in res.output, args
    assert set(main.commands) == {"validate", "schema", "run", "power", "assign",
                                  "schedule", "gate", "init"}


def test_validate_shows_names_escaped(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text('name: "x\\e]0;owned\\a::error::y"\nkind: aha\n'
                    "data: {simulate: event_log}\n")
    res = CliRunner().invoke(main, ["validate", str(spec)])
    assert res.exit_code == 0, res.output
    assert "(aha: x\\x1b]0;owned\\x07:\\x3aerror:\\x3ay)" in res.output


def test_several_specs_need_a_folder_and_distinct_names(tmp_path: Path) -> None:
    designs = sorted(str(p) for p in (ROOT / "designs").glob("ab_*.yaml"))
    blocker = tmp_path / "file.json"
    blocker.write_text("{}")
    res = CliRunner().invoke(main, ["run", *designs, "--out", str(blocker)])
    assert res.exit_code == 2
    assert "must be a folder" in res.output
    twin = tmp_path / "other"
    twin.mkdir()
    (twin / Path(designs[0]).name).write_text(Path(designs[0]).read_text())
    res = CliRunner().invoke(main, ["run", designs[0], str(twin / Path(designs[0]).name),
                                    "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "would write the same file" in res.output
    assert blocker.read_text() == "{}"


def test_warnings_are_one_visible_line() -> None:
    import contextlib
    import io

    from causalkit.cli import _show_warning

    buf = io.StringIO()
    with contextlib.redirect_stderr(buf):
        _show_warning(UserWarning("col\n::error::x\x1b[2J"), UserWarning, "f.py", 1)
    assert buf.getvalue() == "warning: UserWarning: col\\n:\\x3aerror:\\x3ax\\x1b[2J\n"


def test_python_m_causalkit_is_the_command(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "causalkit", "--version"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"causalkit {__version__}"
    proc = subprocess.run([sys.executable, "-m", "causalkit", "init", "nope", "--data", "x"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ")
    assert "Traceback" not in proc.stderr


def test_schedule_needs_no_data(tmp_path: Path) -> None:
    """A switch-back design makes its schedule before any data exist."""
    spec = tmp_path / "design.yaml"
    spec.write_text("name: d\nkind: switchback\nregions: [A, B]\n"
                    "schedule: {start: 2026-03-02T00:00Z, end: 2026-03-03T00:00Z, period: 2h, "
                    "seed: 4}\nmetrics:\n  - {name: y, type: mean, column: y, role: primary}\n")
    out = tmp_path / "s.csv"
    res = CliRunner().invoke(main, ["schedule", str(spec), "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = out.read_text().splitlines()
    assert len(rows) == 1 + 2 * 12
    assert {r.split(",")[4] for r in rows[1:]} <= {"treatment", "control"}
    # run still needs data (or a simulator), and says so cleanly
    res = CliRunner().invoke(main, ["run", str(spec)])
    assert res.exit_code == 2
    assert res.output.startswith("error: ")
    assert "data" in res.output
