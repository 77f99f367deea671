"""A corpus of malformed specs: each gives a SpecError naming file, line and field.

Each file in ``malformed/`` starts with ``# expect: line=N field=F message=TEXT``
(``field=-`` for an error about the whole document).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from causalkit.errors import SpecError
from causalkit.spec import load_spec

CORPUS = sorted((Path(__file__).parent / "malformed").glob("*.yaml"))
_EXPECT = re.compile(r"# expect: line=(\d+) field=(\S+) message=(.*)")


def _expectation(path: Path) -> tuple[int, str | None, str]:
    m = _EXPECT.match(path.read_text().splitlines()[0])
    assert m, f"{path.name} lacks an expect line"
    field = None if m.group(2) == "-" else m.group(2)
    return int(m.group(1)), field, m.group(3).strip()


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 25


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_malformed_spec_error_names_file_line_field(path: Path) -> None:
    line, field, message = _expectation(path)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    err = info.value
    assert err.file == str(path)
    assert err.line == line, str(err)
    assert err.field == field, str(err)
    assert message in str(err), str(err)
    text = str(err)
    assert text.startswith(f"{path}:{line}"), text
    if field is not None:
        assert f": {field}: " in text


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_malformed_spec_cli_exits_2_without_traceback(path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "causalkit.cli", "validate", str(path)],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    line, _, _ = _expectation(path)
    assert proc.stderr.startswith(f"error: {path}:{line}"), proc.stderr


def test_run_with_malformed_spec_exits_2(tmp_path: Path) -> None:
    bad = CORPUS[3]
    proc = subprocess.run([sys.executable, "-m", "causalkit.cli", "run", str(bad)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_missing_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no such file"):
        load_spec(tmp_path / "nope.yaml")


def test_non_utf8_file(tmp_path: Path) -> None:
    p = tmp_path / "latin.yaml"
    p.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(SpecError, match="not UTF-8"):
        load_spec(p)


def test_unknown_key_suggests_close_match(tmp_path: Path) -> None:
    p = tmp_path / "x.yaml"
    p.write_text("name: x\nkind: ab\nunit: u\nmetrics:\n"
                 "  - {name: m, type: mean, column: m, covarate: pre, role: primary}\n"
                 "data: {simulate: ab}\n")
    with pytest.raises(SpecError, match="did you mean 'covariate'"):
        load_spec(p)
