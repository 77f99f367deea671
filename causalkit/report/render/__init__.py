"""Render a :class:`~causalkit.report.Report` as text, Markdown, HTML, JSON or JUnit XML.

Renderers read only the report; each lives in its own module and imports its
heavy dependencies (rich, matplotlib) when called, so importing this package
costs nothing. Every format is safe to print to a terminal or a CI log: user
text cannot drive the terminal or issue a CI workflow command
(:mod:`causalkit.report.render.terminal`); JSON keeps its values exactly (the
same characters are written as ``\\u`` escapes).

Example:
    >>> from causalkit.report import Report, Experiment
    >>> rep = Report(experiment=Experiment(name="demo", kind="ab"))
    >>> render(rep, "md").splitlines()[0]
    '# demo'
    >>> render(rep, "pdf")
    Traceback (most recent call last):
    ...
    causalkit.errors.RenderError: unknown report format 'pdf' (use one of text, md, html, json, junit)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from causalkit.errors import RenderError

if TYPE_CHECKING:
    from causalkit.report.model import Report

FORMATS: tuple[str, ...] = ("text", "md", "html", "json", "junit")
"""The formats :func:`render` knows, in the order the CLI lists them."""


def render(report: Report, fmt: str, *, color: bool = False, width: int | None = None,
           wide: bool = False) -> str:
    """Render ``report`` in format ``fmt`` (``text``, ``md``, ``html``, ``json``, ``junit``).

    Args:
        report: the report to render.
        fmt: the output format.
        color: ``text`` only: emit ANSI colours (set it when writing to a terminal).
        width: ``text`` only: the line width (default: ``COLUMNS``, else the
            terminal's, else 132).
        wide: ``text`` only: show every column (tables may exceed the width).

    Returns:
        The rendered document, ending with a newline.

    Raises:
        RenderError: on an unknown format or a report that cannot be rendered.

    Example:
        >>> from causalkit.report import Report, Experiment
        >>> render(Report(experiment=Experiment(name="x", kind="ab")), "json")[:20]
        '{\\n  "schema_version"'
    """
    from causalkit.report.model import Report

    if not isinstance(report, Report):
        raise RenderError(f"render() needs a causalkit Report, not {type(report).__name__}")
    if fmt == "text":
        from causalkit.report.render.text import render_text

        return render_text(report, color=color, width=width, wide=wide)
    if fmt == "md":
        from causalkit.report.render.markdown import render_markdown

        return render_markdown(report)
    if fmt == "html":
        from causalkit.report.render.html import render_html

        return render_html(report)
    if fmt == "json":
        from causalkit.report.render.terminal import json_safe

        try:
            return json_safe(report.to_json()) + "\n"
        except (TypeError, ValueError) as exc:
            raise RenderError(f"report cannot be written as JSON: {exc}",
                              hint="report fields must hold plain Python scalars") from exc
    if fmt == "junit":
        from causalkit.report.render.junit import render_junit

        return render_junit(report)
    raise RenderError(f"unknown report format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "render"]
