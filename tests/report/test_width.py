"""Every example design (and the `causalkit power` reports of the A/B and switch-back designs)
rendered as text at 60, 80, 120 and 200 columns: no line wider than the width, no '…', every
number of every table whole on one line (or its column named as hidden), every name whole.

The designs run once per test session (:func:`design_report`, shared with
``test_designs_render.py``)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
import yaml
from rich.cells import cell_len

from causalkit.report import Report
from causalkit.report.render import render
from causalkit.report.render._format import (
    MISSING,
    decision_differs,
    fmt_cell,
    fmt_ci,
    fmt_num,
    fmt_p_for,
    fmt_pct,
)

ROOT = Path(__file__).resolve().parents[2]
DESIGNS = sorted((ROOT / "designs").glob("*.yaml"))
WIDTHS = (60, 80, 120, 200)


@functools.cache
def design_report(path: Path) -> Report:
    """The report of an example design, run once per session (seed 7)."""
    import causalkit

    return causalkit.analyze(path, seed=7)


@functools.cache
def power_report(name: str) -> Report:
    """`causalkit power` of the A/B design (on simulated pre-period data; ``ab_no_mde``: its
    plan without ``mde``) and of the switch-back design (fewer replays: the layout is what
    is tested)."""
    from causalkit.entry import run_planner
    from causalkit.simulate.ab import simulate_ab

    if name.startswith("ab"):
        spec = yaml.safe_load((ROOT / "designs" / "ab_match_filter.yaml").read_text())
        if name == "ab_no_mde":
            spec["plan"] = {}
        return run_planner(spec, pre_data=simulate_ab(seed=9, n=5_000).tables["main"])
    spec = yaml.safe_load((ROOT / "designs" / "switchback_matching_algo.yaml").read_text())
    spec["power_replays"] = 50  # the smallest the spec allows
    return run_planner(spec)


REPORTS = [("run", p) for p in DESIGNS] + [("power", n) for n in ("ab", "ab_no_mde",
                                                                   "switchback")]


@pytest.fixture(scope="module", params=REPORTS,
                ids=[f"{k}-{p.stem if isinstance(p, Path) else p}" for k, p in REPORTS])
def report(request: pytest.FixtureRequest) -> Report:
    kind, what = request.param
    return design_report(what) if kind == "run" else power_report(what)


def _hidden(out: str) -> set[str]:
    """The column names the notes under the tables list as hidden."""
    flat = " ".join(out.split())
    names: set[str] = set()
    for listed in re.findall(r"\d+ columns? hidden: (.*?); --wide or --format md for all", flat):
        names |= {n.strip() for n in listed.split(", ")}
    return names


def _numbers(report: Report) -> list[tuple[str, str]]:
    """(column, formatted number) of every number the text report shows in a table."""
    out: list[tuple[str, str]] = []
    for e in report.estimates:
        out.append(("effect [CI]", fmt_num(e.estimate)))
        ci = fmt_ci(e.ci_low, e.ci_high)
        if ci != MISSING:
            out.append(("effect [CI]", ci))
        if decision_differs(e) and fmt_ci(e.decision_ci_low, e.decision_ci_high) != MISSING:
            out.append(("decision interval", fmt_ci(e.decision_ci_low, e.decision_ci_high)))
        if e.relative is not None:
            out.append(("relative [CI]", fmt_pct(e.relative)))
        p = fmt_p_for(e).rstrip("†")
        if p != MISSING:
            out.append(("p-value", p))
    for tab in report.tables:
        for row in tab.rows:
            for col, v in zip(tab.columns, row, strict=False):
                if isinstance(v, int | float) and not isinstance(v, bool):
                    out.append((col, fmt_cell(col, v)))
    return out


def _whole(token: str, lines: list[str]) -> bool:
    pattern = re.compile(r"(?<![\w.+\-\[])" + re.escape(token) + r"(?![\w.])")
    return any(pattern.search(line) for line in lines)


@pytest.mark.parametrize("width", WIDTHS)
def test_text_fits_the_width_and_never_splits_a_number_or_a_name(report: Report,
                                                                   width: int) -> None:
    out = render(report, "text", width=width)
    lines = out.splitlines()
    widest = max(lines, key=cell_len)
    assert cell_len(widest) <= width, widest
    assert "…" not in out
    hidden = _hidden(out)
    p_hidden = hidden & {"p-value", "p (non-inf.)"}
    for column, number in _numbers(report):
        if column in hidden or (column == "p-value" and p_hidden):
            continue
        assert _whole(number, lines), (column, number)
    names = [e.metric for e in report.estimates] + [c.name for c in report.checks]
    names += [col for tab in report.tables for col in tab.columns if col not in hidden]
    for name in names:
        assert any(name in line for line in lines), name
    for name in hidden:  # a hidden column is named whole too
        assert any(name in line for line in lines), name


def test_wide_shows_every_column(report: Report) -> None:
    out = render(report, "text", width=80, wide=True)
    assert "hidden:" not in out
    assert "…" not in out
    lines = out.splitlines()
    for column, number in _numbers(report):
        assert _whole(number, lines), (column, number)
    for tab in report.tables:
        for col in tab.columns:
            assert any(col in line for line in lines), col


def test_the_headline_comes_first(report: Report) -> None:
    out = render(report, "text", width=80)
    first = out.index("detail ─")
    answer = re.search(r"^(decision|answer): [A-Z ]+$", out, re.M)
    assert answer is not None
    assert answer.start() < first
    for c in report.checks:
        if c.status.value in ("fail", "warn"):
            assert f"{c.status.value.upper()}  {c.name}" in out[:first], c.name
    if report.estimates and "Estimates" in out:
        assert first < out.index("Estimates")


def test_power_without_mde_shows_no_nan_and_says_what_to_set() -> None:
    rep = power_report("ab_no_mde")
    out = render(rep, "text", width=80)
    assert "NaN" not in out
    assert "set plan.mde" in " ".join(out.split())
    table = rep.tables[0]
    rows = [dict(zip(table.columns, r, strict=True)) for r in table.rows]
    assert all(r["units per arm"] is None and r["days"] is None for r in rows)
    assert all(isinstance(r["mde"], float) for r in rows)
    assert next(c for c in rep.checks if c.name == "plan_mde").status.value == "warn"
    assert "planned units per arm" in out
    assert "mde" in out
