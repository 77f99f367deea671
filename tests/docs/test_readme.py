"""The README's two quick-start commands are the ones CI runs, word for word.

`.ci/run` executes both on a clean checkout in a fresh virtual environment, so a
green CI run is the demonstration that they succeed as written.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", quick)


def test_readme_has_two_commands() -> None:
    cmds = _commands()
    assert len(cmds) == 2
    assert "causalkit run designs/*.yaml" in cmds[0]
    assert "pytest" in cmds[1]


def test_ci_runs_the_readme_commands_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    for cmd in _commands():
        assert cmd in ci.replace(" > /dev/null", "")


def test_docs_index_matches_readme() -> None:
    index = (ROOT / "docs" / "index.md").read_text()
    for cmd in _commands():
        assert cmd in index
