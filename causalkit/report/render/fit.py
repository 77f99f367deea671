"""Fit tables to a terminal's width without splitting a number or a name.

A table to fit is a :class:`Grid` of :class:`Column` and cells; a cell is a tuple
of :class:`Piece`, each on its own line unless it may ``join`` the line before.
A piece is *atomic* (a number, an interval, a name: never broken) or free text
(``wrap``: broken at spaces only; a single word wider than the column is folded,
the last resort). From the pieces come each column's minimum and natural width
(:func:`measure`); :func:`layout` then chooses the columns to show:

* everything at natural width when it fits; every column whatever the width with ``wide``;
* otherwise the columns are shrunk toward their minimum, and the least important
  columns (highest :attr:`Column.priority`, the rightmost first among equals) are
  hidden -- or folded into another column's cells (:attr:`Column.fold`) -- until
  the rest fits; key columns (priority 0) are never hidden;
* when even the key columns do not fit, the table becomes key-value blocks, one
  block per row of ``column: value`` lines (:func:`blocks`).

:func:`fit_table` returns the rich renderable (title, table or blocks, and the note
naming the hidden columns, :func:`hidden_note`) and the width it needs. Everything
here is a pure function of its arguments; :func:`resolve_width` reads the
environment only through the mapping it is given.

Example:
    >>> g = Grid((Column("metric"), Column("p-value", priority=1, justify="right")),
    ...          ((cell("chat_minutes"), cell("0.0202")),))
    >>> lay = layout_grid(g, 20)
    >>> [g.columns[i].name for i in lay.shown], [g.columns[i].name for i in lay.hidden]
    (['metric'], ['p-value'])
    >>> hidden_note(["p-value"])
    '1 column hidden: p-value; --wide or --format md for all'
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any


def cell_len(text: str) -> int:
    """The display width of ``text`` in terminal cells (rich's, imported when first needed).

    Example:
        >>> cell_len("ab"), cell_len("表")
        (2, 2)
    """
    from rich.cells import cell_len as rich_cell_len

    return rich_cell_len(text)


def _char_len(ch: str) -> int:
    from rich.cells import get_character_cell_size

    return get_character_cell_size(ch)

DEFAULT_WIDTH = 132
"""The width when none is given, ``COLUMNS`` is not set and colour is off (a file or a pipe)."""

MIN_WIDTH = 20
"""No layout is made narrower than this."""

WRAP_MIN = 12
"""A free-text column is not made narrower than this (or its longest word, if shorter)."""

LONG_WORD = 30
"""A free-text column does not widen past this for a single long word (the word folds)."""

FREE_TEXT = 24
"""A string cell longer than this that contains spaces is free text (wraps at spaces);
shorter ones (names, conditions, labels) are atomic."""


@dataclass(frozen=True)
class Piece:
    """One line of a cell (unless it ``join`` s the previous one).

    Attributes:
        text: the text (one line; already made :func:`~causalkit.report.render.terminal.visible`).
        style: a rich style, e.g. ``"bold"`` or ``"dim"``.
        wrap: free text that may break at spaces; otherwise atomic (never broken).
        join: goes on the previous piece's line, after a space, when the column is wide
            enough (an interval after its estimate).
    """

    text: str
    style: str = ""
    wrap: bool = False
    join: bool = False


Cell = tuple[Piece, ...]


def cell(text: str, style: str = "", *, wrap: bool = False) -> Cell:
    """A cell of one piece.

    Example:
        >>> cell("0.41")
        (Piece(text='0.41', style='', wrap=False, join=False),)
    """
    return (Piece(text, style, wrap),)


def string_cell(text: str, style: str = "") -> Cell:
    """A cell for a table string: free text when longer than :data:`FREE_TEXT` with a space,
    else atomic (a name or a condition stays on one line).

    Example:
        >>> string_cell("add_friend >= 3 in 7d")[0].wrap, string_cell("a " * 20)[0].wrap
        (False, True)
    """
    return (Piece(text, style, wrap=cell_len(text) > FREE_TEXT and " " in text.strip()),)


@dataclass(frozen=True)
class Column:
    """A column of a :class:`Grid`.

    Attributes:
        name: the header (never broken).
        priority: 0 for a key column (always shown); higher numbers are hidden first.
        justify: ``"left"`` or ``"right"`` (numbers).
        fold: when hidden, this column's pieces are appended to the cells of column
            ``fold`` instead of being dropped (the column is then not named as hidden).
        fold_label: a piece put before the folded pieces (e.g. ``"decision"``).
        folded: per row, what to fold instead of the column's own cell (empty: nothing);
            default the cell itself.
    """

    name: str
    priority: int = 0
    justify: str = "left"
    fold: int | None = None
    fold_label: str = ""
    folded: tuple[Cell, ...] | None = None


@dataclass(frozen=True)
class Grid:
    """A table to fit: columns, rows of cells, and how it is drawn.

    Attributes:
        columns: the columns.
        rows: one tuple of cells per row (missing cells are empty).
        title: printed above the table (wrapped at spaces).
        header: show the column names.
        boxed: a rich table with a heavy header and edges; else a borderless grid with
            ``gap`` spaces between columns.
        lines: rules between rows (tables whose cells have several lines).
        gap: spaces between the columns of a borderless grid.
        indent: spaces before a borderless grid.
    """

    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    title: str = ""
    header: bool = True
    boxed: bool = True
    lines: bool = False
    gap: int = 2
    indent: int = 0

    def overhead(self, n: int) -> int:
        """Characters a row takes beyond its columns' widths, for ``n`` columns.

        Example:
            >>> Grid((), ()).overhead(3), Grid((), (), boxed=False, gap=2, indent=1).overhead(3)
            (10, 5)
        """
        if self.boxed:
            return 3 * n + 1
        return self.indent + self.gap * max(n - 1, 0)

    def cells(self, i: int) -> list[Cell]:
        """The cells of column ``i`` (empty where a row is short)."""
        return [row[i] if i < len(row) else () for row in self.rows]


@dataclass(frozen=True)
class Layout:
    """What :func:`layout` chose: the columns shown (in table order) and their widths, the
    columns hidden (most important first), or ``blocks`` when not even the key columns fit.

    Example:
        >>> g = Grid((Column("metric"), Column("p-value", priority=1, justify="right")),
        ...          ((cell("chat_minutes"), cell("0.0202")),))
        >>> layout_grid(g, 40)
        Layout(shown=(0, 1), widths=(12, 7), hidden=(), blocks=False)
        >>> layout_grid(g, 20)
        Layout(shown=(0,), widths=(12,), hidden=(1,), blocks=False)
        >>> layout_grid(g, 10).blocks
        True
    """

    shown: tuple[int, ...]
    widths: tuple[int, ...]
    hidden: tuple[int, ...]
    blocks: bool = False


def _words(text: str) -> list[str]:
    return [w for w in re.split(r" +", text) if w]


def piece_range(p: Piece) -> tuple[int, int]:
    """``(minimum, natural)`` width of a piece: an atomic piece needs all of it; free text
    needs its longest word (at least :data:`WRAP_MIN` when longer, at most :data:`LONG_WORD`).

    Example:
        >>> piece_range(Piece("[0.12, 0.7]")), piece_range(Piece("a rather long sentence here",
        ...                                                        wrap=True))
        ((11, 11), (12, 27))
    """
    natural = cell_len(p.text)
    if not p.wrap:
        return natural, natural
    longest = max((cell_len(w) for w in _words(p.text)), default=0)
    low = min(max(longest, WRAP_MIN), LONG_WORD, natural)
    return max(low, 1 if natural else 0), natural


def measure(c: Cell) -> tuple[int, int, int]:
    """``(minimum, natural, joined)`` width of a cell: its widest piece as narrow as it can
    be, its widest piece on one line, and its widest line with every ``join`` piece on the
    line before.

    Example:
        >>> measure((Piece("0.41"), Piece("[0.12, 0.7]", join=True)))
        (11, 11, 16)
    """
    low = high = joined = line = 0
    for k, p in enumerate(c):
        lo, nat = piece_range(p)
        low, high = max(low, lo), max(high, nat)
        line = line + 1 + nat if (p.join and k) else nat
        joined = max(joined, line)
    return low, high, joined


def column_ranges(grid: Grid) -> list[tuple[int, int, int]]:
    """``(minimum, natural, joined)`` width of every column of ``grid`` (:func:`measure`),
    its header included.

    Example:
        >>> column_ranges(Grid((Column("p-value"),), ((cell("0.5"),),)))
        [(7, 7, 7)]
    """
    out = []
    for i, col in enumerate(grid.columns):
        head = cell_len(col.name) if grid.header else 0
        sizes = [measure(c) for c in grid.cells(i)]
        low = max([head, 1, *(s[0] for s in sizes)])
        high = max([low, *(s[1] for s in sizes)])
        joined = max([high, *(s[2] for s in sizes)])
        out.append((low, high, joined))
    return out


def _spread(mins: list[int], naturals: list[int], room: int) -> list[int]:
    """Share ``room`` extra characters among the columns below their natural width, fairly:
    the columns that lack least are widened to their natural width first, the rest share
    what is left equally (none past its natural width).

    Example:
        >>> _spread([5, 5, 5], [7, 20, 30], 12)
        [7, 10, 10]
    """
    widths = list(mins)
    lack = [n - m for m, n in zip(mins, naturals, strict=True)]
    left = max(room, 0)
    order = sorted((i for i in range(len(lack)) if lack[i] > 0), key=lambda i: lack[i])
    for k, i in enumerate(order):
        give = min(lack[i], -(-left // (len(order) - k)))  # rounded up: small lacks first
        widths[i] += give
        left -= give
    for i in order:  # what integer division left over
        if left <= 0:
            break
        if widths[i] < naturals[i]:
            widths[i] += 1
            left -= 1
    return widths


def layout(ranges: Sequence[tuple[int, ...]], priorities: Sequence[int], width: int, *,
           overhead: Any = None, wide: bool = False) -> Layout:
    """Choose the columns to show and their widths (see the module docstring).

    Args:
        ranges: ``(minimum, natural)`` or ``(minimum, natural, joined)`` width of each
            column: spare room first widens the columns toward their natural width, then
            toward their joined width.
        priorities: per column, 0 for a key column, higher hidden first.
        width: the width to fit.
        overhead: ``n -> characters`` a row takes beyond the column widths (default: a
            boxed table, ``3 n + 1``).
        wide: show every column, whatever ``width`` (free text still wraps to fit
            ``width`` where the other columns leave room).

    Example:
        >>> lay = layout([(5, 10), (4, 4), (6, 6)], [0, 1, 2], 22)
        >>> lay.shown, lay.widths, lay.hidden
        ((0, 1), (10, 4), (2,))
        >>> layout([(30, 30), (4, 4)], [0, 0], 20).blocks
        True
    """
    over = overhead or (lambda n: 3 * n + 1)
    n = len(ranges)
    mins = [r[0] for r in ranges]
    naturals = [r[1] for r in ranges]
    joined = [r[-1] for r in ranges]

    def spread(cols: Sequence[int], room: int) -> list[int]:
        first = _spread([mins[i] for i in cols], [naturals[i] for i in cols], room)
        return _spread(first, [joined[i] for i in cols], room - (sum(first) - sum(
            mins[i] for i in cols)))

    def need(cols: Sequence[int]) -> int:
        return sum(mins[i] for i in cols) + over(len(cols))

    if wide:  # every column; wider than ``width`` only when their minimums need it
        room = max(width, need(range(n))) - need(range(n))
        return Layout(tuple(range(n)), tuple(spread(range(n), room)), ())

    shown = list(range(n))
    hidden: list[int] = []
    for i in sorted(range(n), key=lambda i: (-priorities[i], -i)):
        if need(shown) <= width or priorities[i] <= 0:
            break
        shown.remove(i)
        hidden.append(i)
    if need(shown) > width:
        return Layout((), (), (), blocks=True)
    for i in reversed(hidden[:]):  # a narrow column hidden before a wide one may fit again
        trial = sorted([*shown, i])
        if need(trial) <= width:
            shown = trial
            hidden.remove(i)
    room = width - need(shown)
    widths = spread(shown, room)
    order = sorted(hidden, key=lambda i: (priorities[i], i))
    return Layout(tuple(shown), tuple(widths), tuple(order))


def _fold(grid: Grid, hidden: Sequence[int]) -> Grid:
    """``grid`` with the hidden columns that have a ``fold`` target moved into its cells."""
    moving = [i for i in hidden if grid.columns[i].fold is not None]
    if not moving:
        return grid
    keep = [i for i in range(len(grid.columns)) if i not in moving]
    rows = []
    for r, row in enumerate(grid.rows):
        cells = [row[i] if i < len(row) else () for i in range(len(grid.columns))]
        for i in moving:
            col = grid.columns[i]
            target = col.fold
            assert target is not None
            extra = cells[i] if col.folded is None else (
                col.folded[r] if r < len(col.folded) else ())
            if extra and any(p.text for p in extra):
                label = (Piece(col.fold_label, "dim"),) if col.fold_label else ()
                cells[target] = cells[target] + label + extra
        rows.append(tuple(cells[i] for i in keep))
    renumber: dict[int | None, int] = {old: new for new, old in enumerate(keep)}
    columns = tuple(replace(grid.columns[i], fold=renumber.get(grid.columns[i].fold))
                    for i in keep)
    return replace(grid, columns=columns, rows=tuple(rows))


def layout_grid(grid: Grid, width: int, *, wide: bool = False) -> Layout:
    """:func:`layout` of a grid (without folding; :func:`fit` folds).

    Example:
        >>> layout_grid(Grid((Column("a"),), ((cell("x" * 50),),)), 40).blocks
        True
    """
    return layout(column_ranges(grid), [c.priority for c in grid.columns], width,
                  overhead=grid.overhead, wide=wide)


def fit(grid: Grid, width: int, *, wide: bool = False) -> tuple[Grid, Layout]:
    """Fold what must be folded and lay out the rest: ``(grid as drawn, its layout)``.

    Columns with a ``fold`` target that would be hidden are folded into that column
    and the layout is made again, until no foldable column is hidden.

    Example:
        >>> g = Grid((Column("estimate"), Column("role", priority=1, fold=0)),
        ...          ((cell("chat_minutes"), cell("primary")),))
        >>> drawn, lay = fit(g, 20)
        >>> [c.name for c in drawn.columns], [p.text for p in drawn.rows[0][0]]
        (['estimate'], ['chat_minutes', 'primary'])
    """
    for _ in range(len(grid.columns) + 1):
        lay = layout_grid(grid, width, wide=wide)
        if lay.blocks or not any(grid.columns[i].fold is not None for i in lay.hidden):
            return grid, lay
        grid = _fold(grid, lay.hidden)
    return grid, layout_grid(grid, width, wide=wide)  # pragma: no cover


def _chop(text: str, width: int) -> list[str]:
    """Cut ``text`` into pieces of at most ``width`` cells (the last resort for a word)."""
    out, line, used = [], "", 0
    for ch in text:
        size = _char_len(ch)
        if used + size > width and line:
            out.append(line)
            line, used = "", 0
        line += ch
        used += size
    return [*out, line] if line or not out else out


def _wrap(text: str, width: int) -> list[str]:
    """Free text broken at spaces into lines of at most ``width`` cells."""
    return flow(_words(text), width) or [""]


Span = tuple[str, str]
"""``(text, style)``."""


def compose(c: Cell, width: int) -> list[list[Span]]:
    """The lines of a cell drawn ``width`` cells wide: each a list of ``(text, style)`` spans.

    Atomic pieces are never broken (one wider than ``width`` is cut, the last resort when
    even key-value blocks are too narrow); free text breaks at spaces.

    Example:
        >>> c = (Piece("0.41"), Piece("[0.12, 0.7]", join=True))
        >>> ["".join(t for t, _ in line) for line in compose(c, 16)]
        ['0.41 [0.12, 0.7]']
        >>> ["".join(t for t, _ in line) for line in compose(c, 12)]
        ['0.41', '[0.12, 0.7]']
    """
    width = max(width, 1)
    lines: list[list[Span]] = []
    for k, p in enumerate(c):
        parts = _wrap(p.text, width) if p.wrap else (
            [p.text] if cell_len(p.text) <= width else _chop(p.text, width))
        if p.join and k and lines and len(parts) == 1:
            used = sum(cell_len(t) for t, _ in lines[-1])
            if used + 1 + cell_len(parts[0]) <= width:
                lines[-1] += [(" ", ""), (parts[0], p.style)]
                continue
        lines += [[(part, p.style)] for part in parts]
    return lines


def _text(lines: list[list[Span]]) -> Any:
    from rich.text import Text

    out = Text(no_wrap=True, overflow="crop")
    for k, line in enumerate(lines):
        if k:
            out.append("\n")
        for text, style in line:
            out.append(text, style=style or None)
    return out


def block_lines(grid: Grid, width: int) -> list[list[Span]]:
    """The rows of ``grid`` as key-value blocks: ``column: value`` lines, a blank line
    between rows; a value that does not fit beside its name goes on the lines below it.

    Example:
        >>> g = Grid((Column("rank"), Column("condition")), ((cell("1"), cell("a >= 3")),))
        >>> ["".join(t for t, _ in line) for line in block_lines(g, 30)]
        ['rank:      1', 'condition: a >= 3']
        >>> block_lines(Grid(g.columns, ()), 40)
        [[('no rows; columns: rank, condition', 'dim')]]
    """
    names = [c.name or f"column {i + 1}" for i, c in enumerate(grid.columns)]
    if not grid.rows:
        units = ["no rows; columns:", *[f"{n}," for n in names[:-1]], *names[-1:]]
        return [[(line, "dim")] for line in flow(units, width)]
    key = max((cell_len(n) for n in names), default=0) + 1
    if key + 1 + WRAP_MIN > width:
        key = 0  # names too long to align: every value under its name
    out: list[list[Span]] = []
    for r, row in enumerate(grid.rows):
        if r:
            out.append([])
        for i, name in enumerate(names):
            c = row[i] if i < len(row) else ()
            label = f"{name}:"
            inline = width - max(key, cell_len(label)) - 1
            if not c:
                out.append([(label, "dim")])
            elif measure(c)[0] <= inline and inline > 0:
                first, *rest = compose(c, inline)
                pad = " " * (max(key, cell_len(label)) - cell_len(label) + 1)
                out.append([(label, "dim"), (pad, ""), *first])
                out += [[(" " * (width - inline), ""), *line] for line in rest]
            else:
                out.append([(label, "dim")])
                out += [[("  ", ""), *line] for line in compose(c, width - 2)]
    return out


def hidden_note(names: Sequence[str]) -> str:
    """What to say under a table whose columns were hidden.

    Example:
        >>> hidden_note(["q_value", "lift"])
        '2 columns hidden: q_value, lift; --wide or --format md for all'
    """
    return " ".join(_note_units(names))


def _note_units(names: Sequence[str]) -> list[str]:
    n = len(names)
    head = [f"{n}", f"column{'s' if n != 1 else ''}", "hidden:"]
    listed = [f"{name}," for name in names[:-1]] + [f"{names[-1]};"] if names else []
    return head + listed + ["--wide", "or", "--format", "md", "for", "all"]


def flow(units: Sequence[str], width: int) -> list[str]:
    """Lines of at most ``width`` cells made of whole ``units`` joined by spaces (a unit wider
    than ``width`` is cut, the last resort).

    Example:
        >>> flow(["2", "columns", "hidden:", "cuped variance reduction,", "mde;"], 30)
        ['2 columns hidden:', 'cuped variance reduction, mde;']
    """
    lines: list[str] = []
    line = ""
    for unit in units:
        if line and cell_len(line) + 1 + cell_len(unit) <= width:
            line += " " + unit
            continue
        if line:
            lines.append(line)
        if cell_len(unit) > width:
            *full, line = _chop(unit, width)
            lines += full
        else:
            line = unit
    return [*lines, line] if line else lines


def fit_table(grid: Grid, width: int, *, wide: bool = False) -> tuple[Any, int]:
    """The rich renderable of ``grid`` fitted to ``width``, and the width it needs.

    The renderable is the title, then the table (or its key-value blocks), then the
    note naming the hidden columns. With ``wide`` every column is shown and the needed
    width may exceed ``width``.

    Example:
        >>> import io
        >>> from rich.console import Console
        >>> g = Grid((Column("metric"), Column("estimate", justify="right")),
        ...          ((cell("chat_minutes"), cell("-0.00059")),), title="Estimates")
        >>> r, need = fit_table(g, 24)
        >>> con = Console(file=io.StringIO(), width=24, color_system=None)
        >>> con.print(r)
        >>> print(con.file.getvalue().rstrip())
        Estimates
        metric:   chat_minutes
        estimate: -0.00059
    """
    from rich import box
    from rich.console import Group
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    width = max(width, 1)
    drawn, lay = fit(grid, width, wide=wide)
    parts: list[Any] = []
    if grid.title:
        parts.append(Text(grid.title, style="bold"))
    if lay.blocks:
        parts.append(_text(block_lines(grid, width)))
        return Group(*parts), width
    if drawn.boxed:
        table = Table(box=box.HEAVY_HEAD, show_header=drawn.header, show_lines=drawn.lines,
                      pad_edge=True, collapse_padding=False)
    else:
        table = Table.grid(padding=(0, drawn.gap), pad_edge=False)
        table.show_header = drawn.header
    for i, w in zip(lay.shown, lay.widths, strict=True):
        col = drawn.columns[i]
        table.add_column(Text(col.name), justify=col.justify,  # type: ignore[arg-type]
                         width=w, no_wrap=True, overflow="crop")
    for row in drawn.rows:
        cells = [_text(compose(row[i] if i < len(row) else (), w))
                 for i, w in zip(lay.shown, lay.widths, strict=True)]
        table.add_row(*cells)
    if drawn.indent and not drawn.boxed:
        parts.append(Padding(table, (0, 0, 0, drawn.indent), expand=False))
    else:
        parts.append(table)
    if lay.hidden:
        note = flow(_note_units([drawn.columns[i].name for i in lay.hidden]), width)
        parts.append(Text("\n".join(note), style="dim", no_wrap=True, overflow="crop"))
    return Group(*parts), sum(lay.widths) + drawn.overhead(len(lay.shown))


def resolve_width(width: int | None, *, color: bool,
                  environ: Mapping[str, str] | None = None) -> int:
    """The text width: ``width`` if given, else ``COLUMNS``, else the terminal's (when
    ``color``, i.e. writing to a terminal), else :data:`DEFAULT_WIDTH`.

    Example:
        >>> resolve_width(None, color=False, environ={"COLUMNS": "80"})
        80
        >>> resolve_width(100, color=True, environ={"COLUMNS": "80"})
        100
        >>> resolve_width(None, color=False, environ={"COLUMNS": "wide"})
        132
    """
    if width is None:
        raw = (environ or {}).get("COLUMNS", "").strip()
        if raw.isdigit() and int(raw) > 0:
            width = int(raw)
        elif color:
            width = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
        else:
            width = DEFAULT_WIDTH
    return max(width, MIN_WIDTH)


__all__ = ["DEFAULT_WIDTH", "Cell", "Column", "Grid", "Layout", "Piece", "block_lines", "cell", "cell_len",
           "column_ranges", "compose", "fit", "fit_table", "flow", "hidden_note", "layout",
           "layout_grid", "measure", "piece_range", "resolve_width", "string_cell"]
