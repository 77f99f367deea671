"""GitHub Actions output: workflow-command annotations and the job summary.

Annotations are lines such as ``::error title=causalkit gate::rollback: ...`` on
standard output; the runner turns them into annotations on the run and the pull
request. Their escaping follows the Actions toolkit (``@actions/core``,
``command.ts``): in the message ``%``, ``\\r`` and ``\\n`` become ``%25``,
``%0D`` and ``%0A``; in a property value ``:`` and ``,`` also become ``%3A`` and
``%2C``. User text in a message or a title is first made
:func:`~causalkit.report.render.terminal.visible` by the caller (control
characters shown, ``::`` and ``##[`` neutralized), and the ``file`` property
here, so an annotation line can carry no second command. The job summary is
Markdown appended to the file named by ``GITHUB_STEP_SUMMARY`` (a regular file).

Example:
    >>> annotation("error", "guardrail p95: +3 ms, margin 2", title="gate: rollback, x")
    '::error title=gate%3A rollback%2C x::guardrail p95: +3 ms, margin 2'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from causalkit.errors import GateError
from causalkit.report.render.terminal import visible

LEVELS = ("error", "warning", "notice", "debug")


def escape_data(text: str) -> str:
    """Escape an annotation message (``%``, ``\\r``, ``\\n``).

    Example:
        >>> escape_data("50%\\nmore")
        '50%25%0Amore'
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape an annotation property value (also ``:`` and ``,``).

    Example:
        >>> escape_property("a:b,c%")
        'a%3Ab%2Cc%25'
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, message: str, *, title: str | None = None,
               file: str | None = None, line: int | None = None) -> str:
    """One workflow-command line, e.g. ``::warning title=T::message``.

    Args:
        level: ``error``, ``warning``, ``notice`` or ``debug``.
        message: the text (escaped here).
        title: optional annotation title.
        file: optional file the annotation points at (relative to the repository).
        line: optional line in ``file``.

    Example:
        >>> annotation("notice", "ship", title="causalkit gate", file="designs/x.yaml", line=3)
        '::notice file=designs/x.yaml,line=3,title=causalkit gate::ship'
    """
    if level not in LEVELS:
        raise ValueError(f"unknown annotation level {level!r}")
    props: dict[str, str] = {}
    if file is not None:
        props["file"] = visible(file)
    if line is not None:
        props["line"] = str(line)
    if title is not None:
        props["title"] = title
    head = ",".join(f"{k}={escape_property(v)}" for k, v in props.items())
    if level == "debug":
        head = ""
    return f"::{level}{' ' + head if head else ''}::{escape_data(message)}"


def in_github_actions(environ: Mapping[str, str] | None = None) -> bool:
    """Whether we run inside GitHub Actions (``GITHUB_ACTIONS=true``).

    Example:
        >>> in_github_actions({"GITHUB_ACTIONS": "true"}), in_github_actions({})
        (True, False)
    """
    env = os.environ if environ is None else environ
    return env.get("GITHUB_ACTIONS", "").lower() == "true"


def append_step_summary(markdown: str, environ: Mapping[str, str] | None = None) -> Path | None:
    """Append ``markdown`` to the file named by ``GITHUB_STEP_SUMMARY``, when it is set.

    Returns:
        The summary file, or ``None`` when the variable is not set.

    Raises:
        GateError: when the file cannot be written.

    Example:
        >>> import pathlib, tempfile
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "summary.md"
        >>> _ = append_step_summary("# a\\n", {"GITHUB_STEP_SUMMARY": str(p)})
        >>> _ = append_step_summary("# b\\n", {"GITHUB_STEP_SUMMARY": str(p)})
        >>> p.read_text()
        '# a\\n# b\\n'
    """
    env = os.environ if environ is None else environ
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    try:
        if path.exists() and not path.is_file():
            raise GateError(f"GITHUB_STEP_SUMMARY names {path}, which is not a regular file")
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise GateError(f"cannot append to GITHUB_STEP_SUMMARY file {path}: {exc}") from None
    return path
