"""Fitting tables to a width (causalkit.report.render.fit): known layouts, and for random
tables and widths, no line wider than the width and every visible number whole on one line."""

from __future__ import annotations

import io
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

from causalkit.report.render._format import fmt_num
from causalkit.report.render.fit import (
    Column,
    Grid,
    Piece,
    block_lines,
    cell,
    column_ranges,
    compose,
    fit,
    fit_table,
    flow,
    hidden_note,
    layout,
    layout_grid,
    resolve_width,
    string_cell,
)


def draw(grid: Grid, width: int, *, wide: bool = False) -> str:
    renderable, need = fit_table(grid, width, wide=wide)
    console = Console(file=io.StringIO(), width=max(width, need), color_system=None,
                      highlight=False, markup=False, emoji=False)
    console.print(renderable)
    out: str = console.file.getvalue()  # type: ignore[attr-defined]
    return "\n".join(line.rstrip() for line in out.splitlines())


def lines_of(c: list[list[tuple[str, str]]]) -> list[str]:
    return ["".join(t for t, _ in line) for line in c]


# -- known answers ---------------------------------------------------------------------------


def test_everything_at_natural_width_when_it_fits() -> None:
    lay = layout([(3, 8), (5, 5)], [0, 1], 30)
    assert lay == layout([(3, 8), (5, 5)], [0, 1], 30)
    assert (lay.shown, lay.widths, lay.hidden, lay.blocks) == ((0, 1), (8, 5), (), False)


def test_hides_the_highest_priority_number_first_then_the_rightmost() -> None:
    ranges = [(6, 6)] * 5  # 5 columns of 6: 3 n + 1 + 30 = 46
    lay = layout(ranges, [0, 2, 1, 1, 2], 40)  # one must go: the rightmost priority 2
    assert lay.hidden == (4,)
    lay = layout(ranges, [0, 2, 1, 1, 2], 28)  # two go: both 2s
    assert lay.shown == (0, 2, 3)
    assert lay.hidden == (1, 4)
    lay = layout(ranges, [0, 2, 1, 1, 2], 24)  # three go: then the rightmost 1
    assert lay.shown == (0, 2)
    assert lay.hidden == (3, 1, 4)
    assert sum(lay.widths) + 3 * len(lay.shown) + 1 <= 24


def test_key_columns_are_never_hidden_blocks_instead() -> None:
    lay = layout([(20, 20), (20, 20), (5, 5)], [0, 0, 1], 40)
    assert lay.blocks


def test_a_narrow_column_hidden_before_a_wide_one_comes_back() -> None:
    # 0 key (10), 1 wide (30, priority 1), 2 narrow (4, priority 2): at 40 the narrow one is
    # hidden first, then the wide one, and the narrow one fits again
    lay = layout([(10, 10), (30, 30), (4, 4)], [0, 1, 2], 40)
    assert lay.shown == (0, 2)
    assert lay.hidden == (1,)


def test_spare_room_goes_to_the_columns_that_lack_least_first() -> None:
    lay = layout([(5, 7), (5, 20), (5, 30)], [0, 0, 0], 15 + 10 + 12)
    assert lay.widths == (7, 10, 10)


def test_wide_shows_every_column_and_still_wraps_free_text_to_the_width() -> None:
    ranges = [(10, 10), (12, 200), (8, 8)]
    lay = layout(ranges, [0, 1, 2], 30, wide=True)
    assert lay.shown == (0, 1, 2)
    assert lay.hidden == ()
    assert lay.widths == (10, 12, 8)  # wider than 30: the minimums need it
    lay = layout(ranges, [0, 1, 2], 100, wide=True)
    assert sum(lay.widths) + 10 == 100


def test_join_pieces_share_a_line_only_when_there_is_room() -> None:
    c = (Piece("-0.00059"), Piece("[-0.00486, 0.003675]", join=True))
    assert lines_of(compose(c, 40)) == ["-0.00059 [-0.00486, 0.003675]"]
    assert lines_of(compose(c, 20)) == ["-0.00059", "[-0.00486, 0.003675]"]
    assert column_ranges(Grid((Column("effect"),), ((c,),))) == [(20, 20, 29)]


def test_free_text_breaks_at_spaces_and_atomic_text_never() -> None:
    c = (Piece("chat_minutes", "bold"), Piece("treatment - control (welch+cuped)", wrap=True))
    assert lines_of(compose(c, 20)) == ["chat_minutes", "treatment - control", "(welch+cuped)"]
    assert compose(c, 20)[0] == [("chat_minutes", "bold")]


def test_folded_columns_move_into_their_target() -> None:
    g = Grid((Column("estimate"), Column("effect"), Column("role", 2, fold=0),
              Column("decision", 1, fold=1, fold_label="decision:",
                     folded=((Piece("[0.1, 0.9]"),), ()))),
             ((cell("chat_minutes"), cell("0.41"), cell("primary"), cell("[0.1, 0.9]")),
              (cell("report_rate"), cell("0.004"), cell("guardrail"), cell("[0, 1]"))))
    assert fit(g, 40)[1].hidden == ()  # estimate, effect, decision fit; role folded
    drawn, lay = fit(g, 30)
    assert [c.name for c in drawn.columns] == ["estimate", "effect"]
    assert not lay.hidden  # folded, so not named as hidden
    assert [p.text for p in drawn.rows[0][1]] == ["0.41", "decision:", "[0.1, 0.9]"]
    assert [p.text for p in drawn.rows[1][1]] == ["0.004"]  # nothing to fold in this row
    assert [p.text for p in drawn.rows[1][0]] == ["report_rate", "guardrail"]


def test_a_table_that_cannot_fit_becomes_key_value_blocks() -> None:
    g = Grid((Column("condition"), Column("precision", justify="right")),
             ((cell("add_friend >= 3 in 7d"), cell("0.6838")),
              (cell("like_post >= 5 in 7d"), cell("0.6227"))), title="Conditions")
    assert layout_grid(g, 24).blocks
    assert draw(g, 24).splitlines() == [
        "Conditions", "condition:", "  add_friend >= 3 in 7d", "precision: 0.6838", "",
        "condition:", "  like_post >= 5 in 7d", "precision: 0.6227"]
    assert lines_of(block_lines(g, 40))[:2] == ["condition: add_friend >= 3 in 7d",
                                                 "precision: 0.6838"]


def test_hidden_columns_are_named_under_the_table_and_never_split() -> None:
    g = Grid(tuple(Column(n, 0 if i == 0 else 1) for i, n in enumerate(
        ("metric", "cuped variance reduction", "units per arm", "power at planned units"))),
        ((cell("chat_minutes"), cell("0.4958"), cell("3839"), cell("1")),))
    out = draw(g, 40)
    assert max(cell_len(line) for line in out.splitlines()) <= 40
    assert "columns hidden:" in out
    for name in ("cuped variance reduction", "units per arm", "power at planned units"):
        assert any(name in line for line in out.splitlines()), name
    assert "--wide or --format md for all" in " ".join(out.split())
    assert hidden_note(["a"]) == "1 column hidden: a; --wide or --format md for all"
    assert flow(["aaaa", "bbbb", "cc"], 9) == ["aaaa bbbb", "cc"]


def test_string_cells_names_stay_whole_sentences_wrap() -> None:
    assert not string_cell("add_friend >= 3 in 7d")[0].wrap
    assert string_cell("adjusting for {age, income} blocks every backdoor path")[0].wrap
    assert not string_cell("a_very_long_identifier_without_any_spaces_at_all")[0].wrap


def test_resolve_width_reads_columns_then_the_terminal_then_132() -> None:
    assert resolve_width(77, color=False, environ={"COLUMNS": "90"}) == 77
    assert resolve_width(None, color=False, environ={"COLUMNS": "90"}) == 90
    assert resolve_width(None, color=False, environ={}) == 132
    assert resolve_width(None, color=False, environ={"COLUMNS": "-3"}) == 132
    assert resolve_width(None, color=True, environ={}) >= 20  # the terminal's (or 132)
    assert resolve_width(5, color=False) == 20  # never narrower than the minimum


# -- properties ------------------------------------------------------------------------------

NAME = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=14)
WORDS = st.lists(st.text("abcdefghij,.()", min_size=1, max_size=9), min_size=2, max_size=12)
NUMBER = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    st.integers(-10**7, 10**7)).map(fmt_num)


@st.composite
def grids(draw_: st.DrawFn) -> tuple[Grid, list[list[str | None]]]:
    """A random table; beside it, per row, the number shown in each column (None: text)."""
    n = draw_(st.integers(1, 7))
    kinds = draw_(st.lists(st.sampled_from(["number", "name", "text", "interval"]),
                           min_size=n, max_size=n))
    names = draw_(st.lists(NAME, min_size=n, max_size=n, unique=True))
    priorities = draw_(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    priorities[0] = 0
    rows: list[tuple[tuple[Piece, ...], ...]] = []
    numbers: list[list[str | None]] = []
    for _ in range(draw_(st.integers(0, 5))):
        row: list[tuple[Piece, ...]] = []
        nums: list[str | None] = []
        for kind in kinds:
            if kind == "number":
                x = draw_(NUMBER)
                row.append(cell(x))
                nums.append(x)
            elif kind == "interval":
                x, lo, hi = draw_(NUMBER), draw_(NUMBER), draw_(NUMBER)
                row.append((Piece(x), Piece(f"[{lo}, {hi}]", join=True)))
                nums.append(f"[{lo}, {hi}]")
            elif kind == "name":
                row.append(cell(draw_(NAME)))
                nums.append(None)
            else:
                row.append(cell(" ".join(draw_(WORDS)), wrap=True))
                nums.append(None)
        rows.append(tuple(row))
        numbers.append(nums)
    columns = tuple(Column(name, p, "right" if k != "text" else "left")
                    for name, p, k in zip(names, priorities, kinds, strict=True))
    grid = Grid(columns, tuple(rows), title=draw_(st.sampled_from(["", "A table title"])),
                boxed=draw_(st.booleans()), lines=draw_(st.booleans()))
    return grid, numbers


@settings(max_examples=150, deadline=None)
@given(grids(), st.integers(30, 220))
def test_no_line_exceeds_the_width_and_every_visible_number_is_whole(
        table: tuple[Grid, list[list[str | None]]], width: int) -> None:
    grid, numbers = table
    out = draw(grid, width)
    lines = out.splitlines()
    assert max((cell_len(line) for line in lines), default=0) <= width
    assert "…" not in out
    _, lay = fit(grid, width)
    visible = set(range(len(grid.columns))) if lay.blocks else set(lay.shown)
    for nums in numbers:
        for j, x in enumerate(nums):
            if x is not None and j in visible:
                pattern = re.compile(r"(?<![\w.+\-\[])" + re.escape(x) + r"(?![\w.])")
                assert any(pattern.search(line) for line in lines), (x, out)
    for j in visible:  # the names of the columns shown are whole on one line
        assert any(grid.columns[j].name in line for line in lines), grid.columns[j].name


@settings(max_examples=60, deadline=None)
@given(grids(), st.integers(30, 120))
def test_wide_shows_every_column(table: tuple[Grid, list[list[str | None]]],
                                  width: int) -> None:
    grid, numbers = table
    out = draw(grid, width, wide=True)
    assert "hidden" not in out
    lines = out.splitlines()
    for nums in numbers:
        for x in nums:
            if x is not None:
                assert any(x in line for line in lines), x
