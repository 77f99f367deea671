"""docs/your-data.md runs: its bash and python blocks, in order, in an empty folder.

The page goes from made-up CSV files to reports for every kind; running it here keeps
the page from drifting from what ``causalkit init`` writes. Python blocks run in one
interpreter (so later blocks see earlier names); bash blocks run with the virtual
environment's ``causalkit`` first on ``PATH``. Every HTML report the page promises must
exist at the end.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PAGE = ROOT / "docs" / "your-data.md"
FENCE = re.compile(r"^```(bash|python)[ \t]*\n(.*?)^```", re.M | re.S)

DRIVER = r"""
import json, subprocess, sys, traceback
blocks = json.loads(sys.stdin.read())
names = {"__name__": "__page__"}
for lang, line, code in blocks:
    if lang == "python":
        try:
            exec(compile(code, f"docs/your-data.md:{line}", "exec"), names)
        except BaseException:
            traceback.print_exc()
            print(f"BLOCK FAILED: docs/your-data.md:{line}", file=sys.stderr)
            sys.exit(1)
    else:
        proc = subprocess.run(["bash", "-euo", "pipefail", "-c", code])
        if proc.returncode:
            print(f"BLOCK FAILED ({proc.returncode}): docs/your-data.md:{line}",
                  file=sys.stderr)
            sys.exit(1)
"""


def blocks() -> list[tuple[str, int, str]]:
    """The page's bash and python blocks: (language, line of the fence, code)."""
    text = PAGE.read_text()
    return [(m.group(1), text.count("\n", 0, m.start()) + 1, m.group(2))
            for m in FENCE.finditer(text)]


def test_page_covers_every_kind() -> None:
    code = "\n".join(c for _, _, c in blocks())
    for kind in ("ab", "switchback", "observational", "aha"):
        assert f"causalkit init {kind} " in code
    assert "causalkit schedule design.yaml" in code  # a schedule from a spec without data


@pytest.mark.slow
def test_page_runs(tmp_path: Path) -> None:
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": str(tmp_path),
           "TMPDIR": str(tmp_path), "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
           "COLUMNS": "100"}
    proc = subprocess.run([sys.executable, "-c", DRIVER], input=json.dumps(blocks()),
                          cwd=tmp_path, capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    for report in ("ab.html", "market.html", "study.html", "aha.html"):
        assert (tmp_path / report).stat().st_size > 1000, report
    # the edits the page makes took: the switch-back schedule is the design's, so the
    # logged arms agree with it
    out = subprocess.run([str(Path(sys.executable).with_name("causalkit")), "run",
                          "market.yaml", "--format", "json"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    checks = {c["name"]: c for c in json.loads(out.stdout)["checks"]}
    assert checks["schedule_adherence"]["status"] == "pass", checks["schedule_adherence"]
    study = (tmp_path / "study.yaml").read_text()
    assert "{from: promo, to: outcome}" not in study
