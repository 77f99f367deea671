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
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from causalkit.report.headline import FINDING, Headline, headline
from causalkit.report.model import Check, Estimate, Report, Status, Table
from causalkit.report.render._format import (
    INTERVAL_WORDS,
    MISSING,
    NEEDS_HISTORY,
    basis_items,
    decision_differs,
    decision_lines,
    fmt_assessment,
    fmt_cell,
    fmt_ci,
    fmt_n,
    fmt_num,
    fmt_p_for,
    fmt_pct,
    numeric_columns,
    p_column,
    row_labels,
    tone,
)
from causalkit.report.render.fit import (
    DEFAULT_WIDTH,
    Cell,
    Column,
    Grid,
    Piece,
    cell,
    fit_table,
    resolve_width,
    string_cell,
)
from causalkit.report.render.terminal import safe_lines, visible

_STATUS_STYLE = {Status.PASS: "green", Status.WARN: "yellow", Status.FAIL: "bold red"}
_TONE_STYLE = {"good": "green", "bad": "red", "caution": "yellow", "neutral": ""}
_ANSWER_STYLE = {"good": "bold green", "bad": "bold red", "caution": "bold yellow",
                 "neutral": "bold"}

ESTIMATE_PRIORITY = {"estimate": 0, "effect [CI]": 0, "assessment": 0, "role": 2,
                     "decision interval": 1, "p-value": 1, "relative [CI]": 3, "n per arm": 4}
"""How much each column of the Estimates table matters when the width is short (0: always
shown; higher: hidden first). The role folds under the label and the decision interval
under the effect instead of being hidden."""


def _constant(values: list[str]) -> str | None:
    return values[0] if values and all(v == values[0] for v in values) else None


def _effect(e: Estimate) -> Cell:
    ci = fmt_ci(e.ci_low, e.ci_high)
    return (Piece(fmt_num(e.estimate)),) + ((Piece(ci, join=True),) if ci != MISSING else ())


_ASSESSMENT_PARTS = re.compile(r" (?=\()|(?<=;) ")


def _assessment(e: Estimate) -> Cell:
    """The assessment in its tone: the verdict wraps at spaces, and what it was read against
    (``(margin 0.01)``) and ``uncalibrated`` stay whole, beside it when they fit."""
    style = _TONE_STYLE[tone(e)]
    first, *rest = _ASSESSMENT_PARTS.split(fmt_assessment(e))
    return (Piece(first, style, wrap=True),
            *(Piece(part, style, join=True) for part in rest))


def _decision_ci(e: Estimate) -> Cell:
    dci = fmt_ci(e.decision_ci_low, e.decision_ci_high)
    if dci == MISSING:
        return cell(MISSING)
    return (Piece(dci), Piece(INTERVAL_WORDS[e.interval_kind], "dim", join=True))


def _estimates_grid(ests: Sequence[Estimate], title: str = "Estimates") -> Grid:
    """One row per estimate: the label (metric and segment, then contrast and method), the
    effect with its interval, the decision interval where it differs, the relative effect, the
    p-value, the units (when they differ between rows), the role and the assessment coloured
    by its tone."""
    decision = any(decision_differs(e) for e in ests)
    same_n = _constant([fmt_n(e) for e in ests]) not in (None, MISSING)
    p_name, p_mark, _ = p_column(ests)
    names = ["estimate", "effect [CI]"] + (["decision interval"] if decision else []) + [
        "relative [CI]", "p-value"] + ([] if same_n else ["n per arm"]) + ["role", "assessment"]
    rows = []
    for e, label in zip(ests, row_labels(ests), strict=True):
        rest = f"{e.contrast} ({e.method}){label[len(e.label):]}"
        cells: dict[str, Cell] = {
            "estimate": (Piece(e.metric + (f" [{e.segment}]" if e.segment else ""), "bold"),
                         Piece(rest, "dim", wrap=True)),
            "effect [CI]": _effect(e),
            "decision interval": _decision_ci(e),
            "p-value": cell(fmt_p_for(e, mark=p_mark)),
            "n per arm": tuple(Piece(part) for part in fmt_n(e, sep="\n").split("\n")),
            "role": cell(e.role.value, "italic"),
            "assessment": _assessment(e),
        }
        rel_ci = fmt_ci(e.relative_ci_low, e.relative_ci_high, pct=True)
        cells["relative [CI]"] = (Piece(fmt_pct(e.relative)),) + (
            (Piece(rel_ci, join=True),) if e.relative is not None and rel_ci != MISSING else ())
        rows.append(tuple(cells[n] for n in names))
    folded = tuple((replace(_decision_ci(e)[0], join=True), *_decision_ci(e)[1:])
                   if decision_differs(e) else () for e in ests)
    columns = []
    for n in names:
        col = Column(p_name if n == "p-value" else n, ESTIMATE_PRIORITY[n],
                     "left" if n in ("estimate", "role", "assessment", "n per arm") else "right")
        if n == "role":
            col = replace(col, fold=0)
        elif n == "decision interval":
            col = replace(col, fold=1, fold_label="decision:", folded=folded)
        columns.append(col)
    return Grid(tuple(columns), tuple(rows), title=title, lines=True)


SEGMENT_TITLE = "Estimates by segment (p-values and intervals corrected over all segment tests)"
"""Title of the table of per-segment estimates (``Estimate.segment`` set)."""


def _captions(ests: Sequence[Estimate]) -> list[str]:
    """The lines under an estimates table: the units when every row has the same, and what
    a marked p-value is."""
    same = _constant([fmt_n(e) for e in ests])
    note = p_column(ests)[2]
    return ([f"n per arm: {same}"] if same not in (None, MISSING) else []) + (
        [note] if note else [])


_CLAUSE = re.compile(r"(?<=;)\s+(?=\S)|(?<=[a-z0-9)\]]\.)\s+(?=[A-Z])")


def first_clause(detail: str) -> str:
    """The first sentence or clause of a check's detail, for the headline (the whole detail is
    in the Checks table).

    Example:
        >>> first_clause("treated 143 of 1,459; 51.2% of scores outside [0.05, 0.95]")
        'treated 143 of 1,459'
        >>> first_clause("p = 0.43")
        'p = 0.43'
        >>> first_clause("set plan.mde (e.g. plan: {mde: 0.02}) first. Then run it")
        'set plan.mde (e.g. plan: {mde: 0.02}) first.'
    """
    return _CLAUSE.split(detail, maxsplit=1)[0].rstrip(";")


def _checks_grid(checks: Sequence[Check], *, title: str = "Checks", compact: bool = False) -> Grid:
    """Status, check name (with its metric under it, dim) and detail (wrapped at spaces)."""
    rows = []
    for c in checks:
        status = c.status.value.upper() if compact else c.status.value
        name = (Piece(c.name),) + ((Piece(c.metric, "dim", join=True),) if c.metric else ())
        detail = first_clause(c.detail) if compact and c.detail else c.detail
        rows.append((cell(status, _STATUS_STYLE[c.status]), name,
                     cell(detail or MISSING, wrap=True)))
    columns = (Column("status"), Column("check"), Column("detail"))
    if compact:
        return Grid(columns, tuple(rows), title=title, header=False, boxed=False, indent=1)
    return Grid(columns, tuple(rows), title=title)


def _user_grid(tab: Table) -> Grid:
    n = len(tab.columns)
    priority = tab.priority if len(tab.priority) == n else (0,) + (1,) * (n - 1)
    columns = tuple(Column(col, p, "right" if numeric else "left") for col, p, numeric in
                    zip(tab.columns, priority, numeric_columns(tab.columns, tab.rows),
                        strict=True))
    rows = []
    for row in tab.rows:
        cells = [cell(fmt_cell(col, v)) if isinstance(v, bool | int | float) or v is None
                 else string_cell(fmt_cell(col, v)) for col, v in zip(tab.columns, row[:n])]
        cells += [cell(MISSING)] * (n - len(cells))
        rows.append(tuple(cells))
    return Grid(columns, tuple(rows), title=tab.title or tab.name)


def _bullets(lines: Sequence[str], style: str = "") -> Grid:
    rows = tuple((cell("-"), cell(line, style, wrap=True)) for line in lines)
    return Grid((Column("", 0), Column("", 0)), rows, header=False, boxed=False, gap=1,
                indent=1)


def _answer(report: Report, h: Headline) -> Any:
    from rich.text import Text

    label = "answer" if h.answer == FINDING else "decision"
    line = Text(f"{label}: ", style="bold")
    line.append(h.answer.upper(), style=_ANSWER_STYLE.get(h.tone, "bold"))
    return line


def _sentences(report: Report, h: Headline) -> list[str]:
    out = list(h.sentences)
    if report.decision is None:
        out = out or decision_lines(report)
    elif report.decision.needs_history:
        out.append(NEEDS_HISTORY)
    return out


def _primary_grid(report: Report, h: Headline) -> Grid:
    """The headline's estimates, compact: the metric (with the contrast when the report has
    several, and the method when two rows would read alike), the effect with its interval,
    and the assessment."""
    contrasts = len({e.contrast for e in report.estimates}) > 1
    keys = [(e.metric, e.contrast) for e in h.primary]
    rows = []
    for e in h.primary:
        name: Cell = (Piece(e.metric, "bold"),)
        extra = (e.contrast if contrasts else "") + (
            f" ({e.method})" if keys.count((e.metric, e.contrast)) > 1 else "")
        if extra.strip():
            name += (Piece(extra.strip(), "dim", wrap=True, join=True),)
        rows.append((name, _effect(e), _assessment(e)))
    columns = (Column("estimate"), Column("effect [CI]", justify="right"), Column("assessment"))
    return Grid(columns, tuple(rows), boxed=False, indent=1)


def _check_counts(report: Report) -> str:
    counts = [(s, sum(c.status is s for c in report.checks))
              for s in (Status.FAIL, Status.WARN, Status.PASS)]
    words = {Status.FAIL: "failed", Status.WARN: "warned", Status.PASS: "passed"}
    return "checks: " + ", ".join(f"{n} {words[s]}" for s, n in counts if n)


def _basis_grid(report: Report) -> Grid:
    assert report.decision_basis is not None
    rows = tuple((cell(f"{k}:", "dim"), cell(v, wrap=True))
                 for k, v in basis_items(report.decision_basis))
    return Grid((Column("item"), Column("value")), rows, title="", header=False, boxed=False,
                gap=1, indent=3)


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
    """Render ``report`` for a terminal: the headline first, then the detail.

    Args:
        report: the report.
        color: emit ANSI colours and styles.
        width: line width; default ``COLUMNS``, else the terminal's width when ``color``
            is set, else 132 (:func:`~causalkit.report.render.fit.resolve_width`).
        wide: show every column of every table, however wide.

    Example:
        >>> from causalkit.report import Report, Experiment, Decision
        >>> out = render_text(Report(experiment=Experiment(name="x", kind="ab"),
        ...                          decision=Decision("hold", ("too early",))))
        >>> "decision: HOLD" in out, "\\x1b[" in out
        (True, False)
    """
    from rich.console import Console
    from rich.panel import Panel
    from rich.rule import Rule
    from rich.text import Text

    report = _visible(report)
    width = resolve_width(width, color=color, environ=os.environ)
    parts: list[tuple[Any, int]] = []  # (renderable, the width it is printed at)

    def add(renderable: Any, need: int = 0) -> None:
        parts.append((renderable, max(width, need)))

    def add_grid(grid: Grid) -> None:
        add(*fit_table(grid, width, wide=wide))

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
    add(Panel(head, expand=False))

    # the headline: the answer, why, the primary estimates and the checks to look at
    h = headline(report)
    add(_answer(report, h))
    add_grid(_bullets(_sentences(report, h)))
    if h.primary:
        add(Text())
        add_grid(_primary_grid(report, h))
    if report.checks:
        add(Text())
        add(Text(_check_counts(report), style="bold"))
        if h.alerts:
            add_grid(_checks_grid(h.alerts, title="", compact=True))
            if any(first_clause(c.detail) != c.detail for c in h.alerts if c.detail):
                add(Text(" (the first clause of each; the whole detail is under Checks)",
                         style="dim"))

    # the detail
    add(Text())
    add(Rule("detail", align="left", style="dim"))
    if report.decision_basis is not None:
        add(Text("decision basis:", style="bold"))
        add_grid(_basis_grid(report))
    add(Text())
    overall = [e for e in report.estimates if e.segment is None]
    segments = [e for e in report.estimates if e.segment is not None]
    for ests, title in ((overall, "Estimates"), (segments, SEGMENT_TITLE)):
        if ests:
            if title != "Estimates":
                add(Text())
            add_grid(_estimates_grid(ests, title))
            for caption in _captions(ests):
                add(Text(caption, style="dim"))
    if not report.estimates:
        add(Text("No estimates."))
    add(Text())
    if report.checks:
        add_grid(_checks_grid(report.checks))
    else:
        add(Text("No checks."))
    for tab in report.tables:
        add(Text())
        add_grid(_user_grid(tab))
    if report.figures:
        names = ", ".join(f.title or f.name for f in report.figures)
        add(Text(f"figures (in the HTML report): {names}", style="dim"))

    console = Console(file=io.StringIO(), force_terminal=color, no_color=not color,
                      color_system="standard" if color else None,
                      width=max(w for _, w in parts),
                      highlight=False, emoji=False, markup=False, soft_wrap=False,
                      force_jupyter=False, force_interactive=False, legacy_windows=False)
    for renderable, w in parts:
        console.print(renderable, width=w)
    text: str = console.file.getvalue()  # type: ignore[attr-defined]
    if not color:
        text = "\n".join(line.rstrip() for line in text.splitlines())
    return safe_lines(text.rstrip("\n")) + "\n"


__all__ = ["DEFAULT_WIDTH", "ESTIMATE_PRIORITY", "render_text"]
