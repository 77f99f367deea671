"""Regenerate (or check) the sample outputs shown in README.md and docs/*.md.

A sample output in a page is a mark followed by a fenced block::

    <!-- output: causalkit gate designs/ab_match_filter.yaml -->
    ```console
    $ causalkit gate designs/ab_match_filter.yaml
    causalkit gate: SHIP (exit 0) - match-filter-v2
    ...
    ```

The block is the command (after ``$``, wrapped with ``\\``) and what it prints: its
standard output, then its standard error (error messages). The command runs from a
temporary folder in which ``designs/`` and ``examples/`` are the repository's (so paths read
as in the repository, and files it writes go nowhere), with a fixed environment: 100 columns,
no colour, no progress lines, UTC, no CI variables. Each distinct command runs once per
invocation.

    python scripts/docs_outputs.py            # rewrite every block from the code
    python scripts/docs_outputs.py --check    # exit 1 and show a diff when a block drifted
    python scripts/docs_outputs.py --check docs/gate.md   # some pages only

``--check`` compares after normalizing what may change from run to run: timestamps with
seconds (an analysis time taken from the wall clock), durations ("in 2.3 s") and version
numbers. A command that crashes (exit 1) is an error in both modes.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = re.compile(r"^(?P<indent>[ \t]*)<!-- output: (?P<cmd>.+?) -->\n"
                  r"(?P=indent)```(?P<lang>[\w-]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
                  re.M | re.S)
LOOSE_MARK = re.compile(r"^[ \t]*<!-- output:", re.M)
LINKED = ("designs", "examples")
WIDTH = 92   # the "$ command" line is wrapped at this width
NORMALIZE = [
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?"), "<time>"),
    (re.compile(r"\bin \d+(\.\d+)? ?(s|ms|min)\b"), "in <duration>"),
    (re.compile(r"\b(causalkit|version) v?\d+\.\d+(\.\d+)?\S*"), r"\1 <version>"),
]


class DocsOutputError(Exception):
    """A mark without its block, or a command that crashed."""


@dataclass(frozen=True)
class Block:
    """One sample output: the page, the line of its mark, the command and the block's text."""

    page: Path
    line: int
    command: str
    lang: str
    body: str     # the block's text, without the indentation of a block inside a list item
    indent: str
    start: int   # offsets of the body in the page's text
    end: int


def pages() -> list[Path]:
    """README.md and every page of docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(page: Path, text: str | None = None) -> list[Block]:
    """The marked sample outputs of a page, in order.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "p.md"
    >>> _ = p.write_text("<!-- output: causalkit schema -->\\n```console\\nold\\n```\\n")
    >>> [(b.line, b.command, b.body) for b in blocks(p)]
    [(1, 'causalkit schema', 'old\\n')]
    >>> _ = p.write_text("- item\\n\\n  <!-- output: causalkit schema -->\\n  ```\\n  old\\n  ```\\n")
    >>> [(b.line, b.body, b.indent) for b in blocks(p)]
    [(3, 'old\\n', '  ')]
    """
    text = page.read_text() if text is None else text
    found = [Block(page, text.count("\n", 0, m.start()) + 1, m.group("cmd").strip(),
                   m.group("lang"), _dedent(m.group("body"), m.group("indent")),
                   m.group("indent"), m.start("body"), m.end("body"))
             for m in MARK.finditer(text)]
    loose = len(LOOSE_MARK.findall(text))
    if loose != len(found):
        raise DocsOutputError(f"{page}: {loose - len(found)} output mark(s) not followed by a "
                              "fenced block on the next line")
    return found


def _dedent(body: str, indent: str) -> str:
    return "".join(line[len(indent):] if line.startswith(indent) else line
                   for line in body.splitlines(keepends=True))


def _indent(body: str, indent: str) -> str:
    return "".join(indent + line if line.strip() else line
                   for line in body.splitlines(keepends=True))


def normalize(text: str) -> str:
    """What may differ between two runs of the same code, replaced by placeholders.

    >>> normalize("now 2026-11-30T16:31:08Z, done in 2.3 s, causalkit 0.1.0 ")
    'now <time>, done in <duration>, causalkit <version>'
    """
    for pattern, repl in NORMALIZE:
        text = pattern.sub(repl, text)
    return "\n".join(line.rstrip() for line in text.splitlines())


def _executable(word: str) -> list[str]:
    if word == "causalkit":
        local = Path(sys.executable).with_name("causalkit")
        return [str(local)] if local.exists() else [shutil.which("causalkit") or "causalkit"]
    if word == "python":
        return [sys.executable]
    raise DocsOutputError(f"only causalkit and python commands are run, not {word!r}")


class Runner:
    """Runs commands in a sandbox folder, each distinct command once."""

    def __init__(self) -> None:
        self._cache: dict[str, str] = {}
        self._folder: Path | None = None

    def _sandbox(self) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="causalkit-docs-"))
            for name in LINKED:
                (self._folder / name).symlink_to(ROOT / name)
        return self._folder

    def prefetch(self, commands: Iterable[str]) -> None:
        """Run the commands not run yet, two at a time (they are independent)."""
        todo = sorted(set(commands) - set(self._cache))
        self._sandbox()   # made once, before the threads
        with ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as pool:
            list(pool.map(self.output, todo))

    def output(self, command: str) -> str:
        """The block text for a command: ``$ command``, its stdout, then its stderr."""
        if command not in self._cache:
            args = shlex.split(command)
            folder = self._sandbox()
            env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
                   "HOME": str(folder), "TMPDIR": str(folder), "COLUMNS": "100",
                   "LINES": "50", "NO_COLOR": "1", "TERM": "dumb", "TZ": "UTC",
                   "LANG": "C.UTF-8", "CAUSALKIT_PROGRESS": "off", "MPLBACKEND": "Agg",
                   "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
            proc = subprocess.run([*_executable(args[0]), *args[1:]], cwd=folder, env=env,
                                  capture_output=True, text=True, timeout=900)
            if proc.returncode == 1 or "Traceback (most recent call last)" in proc.stderr:
                raise DocsOutputError(f"{command!r} crashed (exit {proc.returncode}):\n"
                                      f"{proc.stdout[-2000:]}{proc.stderr[-4000:]}")
            printed = proc.stdout + proc.stderr
            for prefix in (f"{folder}/", f"{folder.resolve()}/", f"{ROOT}/"):
                printed = printed.replace(prefix, "")   # paths as in the repository
            if printed and not printed.endswith("\n"):
                printed += "\n"
            self._cache[command] = _prompt(command) + printed
        return self._cache[command]


def _prompt(command: str) -> str:
    lines = textwrap.wrap(command, WIDTH - 4, break_long_words=False, break_on_hyphens=False)
    return "$ " + " \\\n    ".join(lines) + "\n"


@dataclass(frozen=True)
class Drift:
    """A block whose text is not what its command prints now."""

    block: Block
    current: str

    def diff(self) -> str:
        page = self.block.page
        name = page.relative_to(ROOT) if page.is_relative_to(ROOT) else page
        where = f"{name}:{self.block.line}"
        return "".join(difflib.unified_diff(
            normalize(self.block.body).splitlines(keepends=False),
            normalize(self.current).splitlines(keepends=False),
            f"{where} (in the page)", f"{where} ({self.block.command})", lineterm=""))


def check(selected: Iterable[Path], runner: Runner | None = None) -> list[Drift]:
    """The blocks of the selected pages that drifted from their commands' output."""
    runner = runner or Runner()
    found = [b for page in selected for b in blocks(page)]
    runner.prefetch(b.command for b in found)
    return [Drift(b, cur) for b in found
            if normalize(b.body) != normalize(cur := runner.output(b.command))]


def update(selected: Iterable[Path], runner: Runner | None = None) -> list[Path]:
    """Rewrite every block of the selected pages; the pages that changed."""
    runner = runner or Runner()
    selected = list(selected)
    runner.prefetch(b.command for page in selected for b in blocks(page))
    changed = []
    for page in selected:
        text = page.read_text()
        new = text
        for b in reversed(blocks(page, text)):
            new = new[:b.start] + _indent(runner.output(b.command), b.indent) + new[b.end:]
        if new != text:
            page.write_text(new)
            changed.append(page)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 when a block drifted")
    parser.add_argument("pages", nargs="*", type=Path, help="default: README.md and docs/*.md")
    args = parser.parse_args(argv)
    selected = [p.resolve() for p in args.pages] or pages()
    try:
        if args.check:
            drifted = check(selected)
            for d in drifted:
                print(d.diff(), end="\n\n")
            if drifted:
                print(f"{len(drifted)} sample output(s) drifted from the code; regenerate them "
                      "with: python scripts/docs_outputs.py", file=sys.stderr)
                return 1
            return 0
        for page in update(selected):
            print(f"updated {page}")
    except DocsOutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
