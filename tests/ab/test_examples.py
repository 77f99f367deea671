"""Every script in examples/ab runs and prints what it promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "examples" / "ab").glob("*.py"))
EXPECT = {
    "analyze_dataframe.py": "true effect 0.5",
    "assign_units.py": "0 users switched arms",
    "plan_and_sequential.py": "GST z boundaries: [4.877 3.357 2.68  2.29  2.031]",
}


def test_every_example_is_listed() -> None:
    assert {p.name for p in SCRIPTS} == set(EXPECT)


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_example_runs(script: Path) -> None:
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         cwd=ROOT, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    assert EXPECT[script.name] in res.stdout
