"""Every script in examples/observational runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "observational").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script: Path) -> None:
    if script.name == "smoking_weight_gain.py":
        # the script says which extra it needs; the test skips with the same words
        needs = "pip install -e '.[examples]'"
        assert needs in script.read_text()
        pytest.importorskip("causaldata", reason=f"needs causaldata: {needs}")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "aipw" in proc.stdout


def test_example_without_its_extra_says_which_to_install(tmp_path: Path) -> None:
    """Without causaldata the NHEFS example exits 1 with the install line, not a traceback."""
    blocker = tmp_path / "causaldata.py"
    blocker.write_text("raise ImportError('causaldata is not installed (simulated)')\n")
    script = next(p for p in EXAMPLES if p.name == "smoking_weight_gain.py")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "pip install -e '.[examples]'" in proc.stderr
