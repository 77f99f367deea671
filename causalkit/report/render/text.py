"""Terminal rendering with rich tables, to a string.

The decision (with its reasons and, for gated reports, its basis) comes first,
under the header; then the estimates, coloured by the tone of their assessment
(green good, red bad, yellow for caution such as ``worse_within_margin``), the
checks, the extra tables and the list of figures.

Colour only when asked (``color=True``, which the CLI sets on a TTY); otherwise
the output is plain text with no ANSI escape codes. Report strings are wrapped
in :class:`rich.text.Text`, so rich markup in a metric name is shown, not
interpreted, and every report string first goes through
:func:`~causalkit.report.render.terminal.visible`: control characters are shown
(``\\x1b``), newlines folded (``\\n``) and CI workflow commands (``::``, ``##[``)
neutralized, so a name can neither drive the terminal nor write to a CI log.
P- and q-value cells use :func:`~causalkit.report.render._format.fmt_p` (never ``0``);
an uncalibrated estimate's assessment says so.

Example:
    >>> from causalkit.report import Report, Experiment
    >>> print(render_text(Report(experiment=Experiment(name="x", kind="ab")), width=60))
    ╭─...─╮
    │ x (ab) ...│
    ...
"""

from __future__ import annotations

import dataclasses
import enum
import io
import shutil
from collections.abc import Mapping
from typing import Any

from causalkit.report.model import Report, Status
from causalkit.report.render._format import (
    INTERVAL_WORDS,
    MISSING,
    basis_items,
    decision_differs,
    decision_lines,
    decision_word,
    fmt_assessment,
    fmt_cell,
    fmt_ci,
    fmt_n,
    fmt_num,
    fmt_p,
    fmt_pct,
    numeric_columns,
    row_labels,
    tone,
)
from causalkit.report.render.terminal import safe_lines, visible

_STATUS_STYLE = {Status.PASS: "green", Status.WARN: "yellow", Status.FAIL: "bold red"}
_DECISION_STYLE = {"ship": "bold green", "hold": "bold yellow", "inconclusive": "bold yellow",
                   "rollback": "bold red", "invalid": "bold red", "error": "bold red"}
DEFAULT_WIDTH = 132


_TONE_STYLE = {"good": "green", "bad": "red", "caution": "yellow", "neutral": ""}


def _constant(values: list[str]) -> str | None:
    return values[0] if values and all(v == values[0] for v in values) else None


def _estimates_table(report: Report, width: int) -> Any:
    """One row per estimate: the label (metric, then contrast and method), the numbers with
    their intervals under them, and the assessment coloured by its tone.

    Below 110 columns the role moves under the label and the decision interval under
    the reported one, so the table stays readable at 80 columns.
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    ests = report.estimates
    wide = width >= 110
    decision = any(decision_differs(e) for e in ests)
    same_n = _constant([fmt_n(e) for e in ests])
    caption = Text(f"n per arm: {same_n}") if same_n not in (None, MISSING) else None
    t = Table(title="Estimates", title_justify="left", show_lines=True, caption=caption,
              caption_justify="left", box=box.HEAVY_HEAD if wide else box.SIMPLE_HEAD,
              pad_edge=wide)
    t.add_column("estimate", overflow="fold", max_width=32 if wide else 22,
                 min_width=16 if width >= 80 else None)
    t.add_column("effect [CI]", justify="right", min_width=12 if width >= 80 else 8,
                 overflow="fold")
    if decision and wide:
        t.add_column("decision interval", justify="right", min_width=12)
    t.add_column("relative [CI]", justify="right", min_width=8 if width >= 80 else 6)
    t.add_column("p-value", justify="right", no_wrap=True)
    if caption is None and wide:
        t.add_column("n per arm", overflow="fold")
    if wide:
        t.add_column("role", min_width=9)
    t.add_column("assessment", max_width=24, min_width=12 if width >= 80 else 8,
                 overflow="fold")
    for e, label in zip(ests, row_labels(ests), strict=True):
        name = Text(e.metric)
        name.append(f"\n{e.contrast} ({e.method}){label[len(e.label):]}", style="dim")
        if not wide:
            name.append(f"\n{e.role.value}", style="italic")
            if caption is None and fmt_n(e) != MISSING:
                name.append(f"\nn: {fmt_n(e, sep=', ')}", style="dim")
        ci = fmt_ci(e.ci_low, e.ci_high)
        effect = Text(fmt_num(e.estimate))
        if ci != MISSING:
            effect.append(f"\n{ci}")
        dci = fmt_ci(e.decision_ci_low, e.decision_ci_high)
        kind = INTERVAL_WORDS[e.interval_kind]
        if decision and not wide and decision_differs(e):
            effect.append(f"\ndecision:\n{dci}", style="bold")
            if dci != MISSING:
                effect.append(f"\n{kind}", style="dim")
        cells: list[Any] = [name, effect]
        if decision and wide:
            cells.append(dci if dci == MISSING else f"{dci}\n{kind}")
        rel_ci = fmt_ci(e.relative_ci_low, e.relative_ci_high, pct=True)
        cells += [MISSING if e.relative is None else (
                      f"{fmt_pct(e.relative)}\n{rel_ci}" if rel_ci != MISSING
                      else fmt_pct(e.relative)),
                  fmt_p(e.p_value)]
        if caption is None and wide:
            cells.append(Text(fmt_n(e, sep="\n")))
        if wide:
            cells.append(Text(e.role.value))
        cells.append(Text(fmt_assessment(e), style=_TONE_STYLE[tone(e)]))
        t.add_row(*cells)
    return t


def _decision(report: Report) -> Any:
    """The decision word, its reasons as a bulleted list, and the basis as a two-column list
    (long lines wrap under their own column, not under the bullet)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    word = decision_word(report)
    line = Text("decision: ", style="bold")
    line.append(word.upper(), style=_DECISION_STYLE.get(word, "bold"))
    reasons = Table.grid(padding=(0, 1), pad_edge=False)
    reasons.add_column(no_wrap=True)
    reasons.add_column(overflow="fold")
    for r in decision_lines(report):
        reasons.add_row(" -", Text(r))
    parts: list[Any] = [line, reasons]
    if report.decision_basis is not None:
        basis = Table.grid(padding=(0, 1), pad_edge=False)
        basis.add_column(no_wrap=True, style="dim")
        basis.add_column(overflow="fold")
        for k, v in basis_items(report.decision_basis):
            basis.add_row(Text(f"   {k}:"), Text(v))
        parts += [Text("decision basis:", style="bold"), basis]
    return Group(*parts)


def _checks_table(report: Report) -> Any:
    from rich.table import Table
    from rich.text import Text

    t = Table(title="Checks", title_justify="left")
    for name in ("status", "check", "metric", "detail"):
        t.add_column(name)
    for c in report.checks:
        t.add_row(Text(c.status.value, style=_STATUS_STYLE[c.status]), Text(c.name),
                  Text(c.metric or MISSING), Text(c.detail or MISSING))
    return t


def _user_tables(report: Report) -> list[Any]:
    from rich.table import Table
    from rich.text import Text

    out = []
    for tab in report.tables:
        t = Table(title=Text(tab.title or tab.name), title_justify="left")
        for col, numeric in zip(tab.columns, numeric_columns(tab.columns, tab.rows)):
            t.add_column(Text(col), justify="right" if numeric else "left")
        width = len(tab.columns)
        for row in tab.rows:
            cells = [Text(fmt_cell(col, v)) for col, v in zip(tab.columns, row[:width])]
            cells += [Text(MISSING)] * (width - len(cells))
            t.add_row(*cells)
        out.append(t)
    return out


def _visible(obj: Any) -> Any:
    """A copy of a report (or part of it) whose strings are :func:`visible`.

    A metric name carrying an escape sequence must not drive the terminal, and one
    carrying a newline and ``::error::`` must not write to a CI log.
    """
    if isinstance(obj, enum.Enum):
        return obj
    if isinstance(obj, str):
        return visible(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.replace(obj, **{f.name: _visible(getattr(obj, f.name))
                                           for f in dataclasses.fields(obj) if f.init})
    if isinstance(obj, tuple):
        return tuple(_visible(v) for v in obj)
    if isinstance(obj, Mapping):
        return {_visible(k): _visible(v) for k, v in obj.items()}
    return obj


def render_text(report: Report, *, color: bool = False, width: int | None = None,
                wide: bool = False) -> str:
    """Render ``report`` for a terminal.

    Args:
        report: the report.
        color: emit ANSI colours and styles.
        width: line width; default the terminal's width when ``color`` is set, else 132.

    Example:
        >>> from causalkit.report import Report, Experiment, Decision
        >>> out = render_text(Report(experiment=Experiment(name="x", kind="ab"),
        ...                          decision=Decision("hold", ("too early",))))
        >>> "decision: HOLD" in out, "\\x1b[" in out
        (True, False)
    """
    from rich.console import Console
    from rich.panel import Panel
    from rich.text import Text

    report = _visible(report)
    if width is None:
        width = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns if color else DEFAULT_WIDTH
    console = Console(file=io.StringIO(), force_terminal=color, no_color=not color,
                      color_system="standard" if color else None, width=max(width, 40),
                      highlight=False, emoji=False, markup=False, soft_wrap=False,
                      force_jupyter=False, force_interactive=False, legacy_windows=False)
    exp = report.experiment
    head = Text()
    head.append(exp.name, style="bold")
    head.append(f" ({exp.kind})")
    if exp.hypothesis:
        head.append("\nhypothesis: ")
        head.append(exp.hypothesis, style="italic")
    meta = report.meta
    bits = [f"causalkit {meta.causalkit_version}", f"created {meta.created_at}"]
    if meta.alpha is not None:
        bits.append(f"alpha {fmt_num(meta.alpha)}")
    if meta.seed is not None:
        bits.append(f"seed {meta.seed}")
    head.append("\n" + " · ".join(bits), style="dim")
    console.print(Panel(head, expand=False))
    console.print(_decision(report))
    console.print()
    console.print(_estimates_table(report, width) if report.estimates else Text("No estimates."))
    console.print()
    console.print(_checks_table(report) if report.checks else Text("No checks."))
    for t in _user_tables(report):
        console.print()
        console.print(t)
    if report.figures:
        names = ", ".join(f.title or f.name for f in report.figures)
        console.print(Text(f"figures (in the HTML report): {names}", style="dim"))
    text: str = console.file.getvalue()  # type: ignore[attr-defined]
    if not color:
        text = "\n".join(line.rstrip() for line in text.splitlines())
    return safe_lines(text.rstrip("\n")) + "\n"
