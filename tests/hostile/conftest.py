"""Helpers of the hostile-input suite: run the real CLI in a subprocess and check the promise.

The promise (docs/reliability.md): bad input ends in ``error: ...`` on standard error
and exit code 2, never a traceback; the gate exits 30 or 2 (never 0) on bad data; no
command runs longer than its documented limit; no file other than the destination
changes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CAUSALKIT = Path(sys.executable).with_name("causalkit")
DESIGNS = ROOT / "designs"


@dataclass(frozen=True)
class Ran:
    """A finished CLI run."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return (f"causalkit {' '.join(self.args)} -> exit {self.code}\n--- stdout\n"
                f"{self.stdout[-2000:]}\n--- stderr\n{self.stderr[-3000:]}")


def cli(*args: str | Path, cwd: Path | None = None, timeout: float = 120,
        stdin: str | None = None, env: dict[str, str] | None = None) -> Ran:
    """Run ``causalkit ARGS`` in a subprocess (no network, a private HOME)."""
    base = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "HOME": str(cwd or ROOT), "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg"}
    if "JAVA_HOME" in os.environ:
        base["JAVA_HOME"] = os.environ["JAVA_HOME"]
    base.update(env or {})
    proc = subprocess.run([str(CAUSALKIT), *map(str, args)], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          input=stdin if stdin is not None else "", env=base)
    return Ran(tuple(map(str, args)), proc.returncode, proc.stdout, proc.stderr)


def assert_clean_error(ran: Ran, *must_mention: str) -> None:
    """Exit 2, ``error:`` on stderr, no traceback, and the message names what it must."""
    assert ran.code == 2, str(ran)
    assert "Traceback" not in ran.stderr + ran.stdout, str(ran)
    assert ran.stderr.lstrip().startswith("error:"), str(ran)
    for word in must_mention:
        assert word in ran.stderr, f"{word!r} not in the message\n{ran}"


def assert_no_traceback(ran: Ran) -> None:
    """Whatever the exit code, no traceback and no internal error."""
    assert "Traceback" not in ran.stderr + ran.stdout, str(ran)
    assert "internal error" not in ran.stderr, str(ran)


def assert_never_ships(ran: Ran) -> None:
    """The gate on bad data says invalid (30) or error (2), never ship."""
    assert ran.code in (2, 30), str(ran)
    assert_no_traceback(ran)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A private working folder."""
    return tmp_path
