"""Every Python snippet in README.md and docs/*.md runs.

The ```python blocks of a page run in order, in one fresh interpreter per page
(so later blocks see the names earlier blocks defined), from the repository root
(snippets name ``designs/...``) with a temporary working folder for what they
write. A snippet that raises fails the test with the page and line of its block.
A block that cannot run here says so right above it in the page, with a reason:
``<!-- snippet: skip (why) -->``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```", re.M | re.S)
SKIP = re.compile(r"<!--\s*snippet:\s*skip\s*\((.+?)\)\s*-->\s*$")

DRIVER = r"""
import json, os, sys, traceback
blocks = json.loads(sys.stdin.read())
names = {"__name__": "__snippet__"}
for page, line, code in blocks:
    try:
        exec(compile(code, f"{page}:{line}", "exec"), names)
    except BaseException:
        traceback.print_exc()
        print(f"SNIPPET FAILED: {page}:{line}", file=sys.stderr)
        sys.exit(1)
"""


def snippets(page: Path) -> list[tuple[int, str]]:
    """The runnable ```python blocks of a page: (line of the fence, code)."""
    text = page.read_text()
    out = []
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        before = text[:m.start()].rstrip("\n").splitlines()
        if before and SKIP.search(before[-1]):
            continue
        out.append((line, m.group(1)))
    return out


PAGES_WITH_CODE = [p for p in PAGES if snippets(p)]


def test_snippet_pages_are_found() -> None:
    assert PAGES_WITH_CODE, "no ```python snippet found in README.md or docs/"


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_snippets_run(page: Path, tmp_path: Path) -> None:
    blocks = [(str(page.relative_to(ROOT)), line, code) for line, code in snippets(page)]
    # Run from a copy-free sandbox: the working folder links the repo's designs/, examples/
    # and docs/ (snippets read them) and keeps what snippets write out of the repo; HOME and
    # TMPDIR are private.
    work = tmp_path / "work"
    work.mkdir()
    for name in ("designs", "examples", "docs"):
        (work / name).symlink_to(ROOT / name, target_is_directory=True)
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": str(tmp_path),
           "TMPDIR": str(tmp_path), "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-c", DRIVER], input=json.dumps(blocks), cwd=work,
                          capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]


def test_skip_marker_is_recognised(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("x\n<!-- snippet: skip (needs a GPU) -->\n```python\n1/0\n```\n"
                    "```python\nx = 1\n```\n")
    assert snippets(page) == [(6, "x = 1\n")]
