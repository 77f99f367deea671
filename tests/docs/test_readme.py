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


def test_readme_and_index_point_to_your_data_and_warn_about_the_index_name() -> None:
    """A new user finds the path to their own data, and does not `pip install causalkit`."""
    for page, link in ((ROOT / "README.md", "(docs/your-data.md)"),
                       (ROOT / "docs" / "index.md", "(your-data.md)")):
        text = page.read_text()
        assert link in text, page
        assert "different, unrelated project" in text, page
        assert 'pip install "causalkit @ git+https://github.com/<org>/causalkit@<tag>"' in text
    assert (ROOT / "docs" / "your-data.md").exists()


def test_no_page_installs_the_unrelated_package_of_the_index() -> None:
    """`pip install causalkit` (a bare name) would install someone else's project."""
    bare = re.compile(r"pip install\s+(-U\s+)?['\"]?causalkit(\[[\w,]+\])?(?!\s*@)")
    pages = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"),
             *(ROOT / "examples").rglob("*.md"), *(ROOT / "examples").rglob("*.yml")]
    offenders = []
    for page in pages:
        lines = page.read_text().splitlines()
        for i, line in enumerate(lines):
            near = " ".join(lines[max(0, i - 2):i + 3])   # a warning about the name is fine
            if bare.search(line) and "unrelated" not in near:
                offenders.append(f"{page.relative_to(ROOT)}:{i + 1}")
    assert not offenders, offenders
