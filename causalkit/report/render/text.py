"""Terminal rendering with rich tables, to a string.

Colour only when asked (``color=True``, which the CLI sets on a TTY); otherwise
the output is plain text with no ANSI escape codes. Report strings are wrapped
in :class:`rich.text.Text`, so rich markup in a metric name is shown, not
interpreted.

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
import re
import shutil
from collections.abc import Mapping
from typing import Any

from causalkit.report.model import Report, Status
from causalkit.report.render._format import (
    MISSING,
    estimate_verdict,
    fmt_ci,
    fmt_int,
    fmt_n,
    fmt_num,
    fmt_p,
    fmt_pct,
    fmt_scalar,
    is_error,
    is_failure,
    numeric_columns,
)

_STATUS_STYLE = {Status.PASS: "green", Status.WARN: "yellow", Status.FAIL: "bold red"}
_DECISION_STYLE = {"ship": "bold green", "hold": "bold yellow", "inconclusive": "bold yellow",
                   "rollback": "bold red", "invalid": "bold red", "error": "bold red"}
DEFAULT_WIDTH = 132


def _constant(values: list[str]) -> str | None:
    return values[0] if values and all(v == values[0] for v in values) else None


def _estimates_table(report: Report, width: int) -> Any:
    """Two lines per estimate: the numbers, then the method and the intervals under them."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    ests = report.estimates
    same_contrast = _constant([e.contrast for e in ests])
    arms = _constant([" / ".join(e.n) for e in ests]) if ests[0].n else None
    caption = []
    if same_contrast is not None:
        caption.append(f"contrast: {same_contrast}")
    if arms is not None:
        caption.append(f"n: {arms}")
    t = Table(title="Estimates", title_justify="left", caption=Text("; ".join(caption)),
              caption_justify="left", show_lines=True,
              box=box.HEAVY_HEAD if width >= 110 else box.SIMPLE_HEAD,
              pad_edge=width >= 110)
    t.add_column("metric", overflow="fold", max_width=32)
    t.add_column("estimate [CI]", justify="right", overflow="fold")
    t.add_column("relative [CI]", justify="right", overflow="fold")
    t.add_column("p-value", justify="right", no_wrap=True)
    t.add_column("n" if arms else "n per arm", overflow="fold")
    t.add_column("role", min_width=9, overflow="fold")
    t.add_column("verdict", max_width=17, overflow="fold")
    for e in ests:
        style = ""
        if is_failure(e) or is_error(e):
            style = "red"
        elif e.extra.get("better") is True:
            style = "green"
        name = Text(e.metric)
        if same_contrast is None:
            name.append(f"\n{e.contrast}")
        name.append(f"\n{e.method}", style="dim")
        ci = fmt_ci(e.ci_low, e.ci_high)
        rel_ci = fmt_ci(e.relative_ci_low, e.relative_ci_high, pct=True)
        n = " / ".join(fmt_int(v) for v in e.n.values()) if arms else fmt_n(e.n, sep="\n")
        t.add_row(name, f"{fmt_num(e.estimate)}\n{ci}" if ci != MISSING else fmt_num(e.estimate),
                  MISSING if e.relative is None else (
                      f"{fmt_pct(e.relative)}\n{rel_ci}" if rel_ci != MISSING
                      else fmt_pct(e.relative)),
                  fmt_p(e.p_value), Text(n), Text(e.role), Text(estimate_verdict(e)), style=style)
    return t


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
            cells = [Text(fmt_scalar(v)) for v in row[:width]]
            cells += [Text(MISSING)] * (width - len(cells))
            t.add_row(*cells)
        out.append(t)
    return out


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(obj: Any) -> Any:
    """A copy of a report (or part of it) whose strings show control characters as ``\\xNN``.

    A metric name carrying an escape sequence must not drive the terminal.
    """
    if isinstance(obj, enum.Enum):
        return obj
    if isinstance(obj, str):
        return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.replace(obj, **{f.name: _visible(getattr(obj, f.name))
                                           for f in dataclasses.fields(obj) if f.init})
    if isinstance(obj, tuple):
        return tuple(_visible(v) for v in obj)
    if isinstance(obj, Mapping):
        return {_visible(k): _visible(v) for k, v in obj.items()}
    return obj


def render_text(report: Report, *, color: bool = False, width: int | None = None) -> str:
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
    from rich.console import Console, Group
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

    console.print(_estimates_table(report, width) if report.estimates else Text("No estimates."))
    console.print()
    console.print(_checks_table(report) if report.checks else Text("No checks."))
    console.print()

    dec = report.decision
    if dec is None:
        console.print(Text("decision: none", style="bold"))
    else:
        state = str(dec.state)
        line = Text("decision: ", style="bold")
        line.append(state.upper(), style=_DECISION_STYLE.get(state, "bold"))
        reasons = [Text(f"  - {r}") for r in dec.reasons]
        console.print(Group(line, *reasons))
    for t in _user_tables(report):
        console.print()
        console.print(t)
    if report.figures:
        names = ", ".join(f.title or f.name for f in report.figures)
        console.print(Text(f"figures (in the HTML report): {names}", style="dim"))
    text: str = console.file.getvalue()  # type: ignore[attr-defined]
    if not color:
        text = "\n".join(line.rstrip() for line in text.splitlines())
    return text.rstrip("\n") + "\n"
