"""The layers hold: import-linter contracts pass, and fail when a forbidden import is added.

Also: no verdict is read from ``Estimate.extra`` anywhere in the package, and the gate
package imports no statistics module and no shape.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")
SHAPES = ("ab", "switchback", "observational", "aha")
VERDICT_KEYS = ("better", "worse", "significant", "noninferior", "worse_than_margin",
                "gate_verdict", "ci_kind", "margin", "practical_threshold")


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    if not LINT.exists():
        pytest.skip("import-linter is not installed")
    env = {"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=300)


def test_contracts_are_kept() -> None:
    res = _lint(ROOT)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert "BROKEN" not in res.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("data/source.py", "import causalkit.simulate", "layers"),
    ("aha/search.py", "import causalkit.observational.graph", "layers"),
    ("gate/codes.py", "import causalkit.stats.srm", "the gate reads reports"),
    ("stats/effects.py", "import causalkit.errors", "the statistics core is pure numbers"),
    ("progress.py", "import causalkit.report.model", "progress reporting stands alone"),
])
def test_a_forbidden_import_breaks_a_contract(tmp_path: Path, module: str, line: str,
                                              contract: str) -> None:
    shutil.copytree(ROOT / "causalkit", tmp_path / "causalkit",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "causalkit" / module
    text = target.read_text()
    marker = "from __future__ import annotations\n"
    assert marker in text
    target.write_text(text.replace(marker, marker + "\n" + line + "\n", 1))
    res = _lint(tmp_path)
    assert res.returncode != 0
    broken = [ln for ln in res.stdout.splitlines() if ln.rstrip().endswith("BROKEN")]
    assert any(contract in ln for ln in broken) or contract in res.stdout, res.stdout[-3000:]


def _package_files() -> list[Path]:
    return sorted((ROOT / "causalkit").rglob("*.py"))


def test_no_verdict_is_read_from_extra() -> None:
    keys = "|".join(VERDICT_KEYS)
    pattern = re.compile(rf"""\bextra(\.get\(|\[)\s*["']({keys})["']""")
    found = [f"{p.relative_to(ROOT)}:{i}: {ln.strip()}"
             for p in _package_files()
             for i, ln in enumerate(p.read_text().splitlines(), 1)
             if pattern.search(ln) and "migrate" not in ln]
    assert not found, "\n".join(found)


def test_gate_imports_no_stats_or_shape() -> None:
    names = "|".join(("stats", "simulate", *SHAPES))
    pattern = re.compile(rf"^\s*(from|import)\s+causalkit\.({names})\b")
    found = [f"{p.relative_to(ROOT)}:{i}: {ln.strip()}"
             for p in sorted((ROOT / "causalkit" / "gate").rglob("*.py"))
             for i, ln in enumerate(p.read_text().splitlines(), 1) if pattern.search(ln)]
    assert not found, "\n".join(found)
    text = "\n".join(p.read_text() for p in (ROOT / "causalkit" / "gate").rglob("*.py"))
    assert not re.search(r"kind\s*==|GATED_KINDS|SEQUENCE_KINDS", text)
