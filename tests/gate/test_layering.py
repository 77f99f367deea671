"""The gate reads reports: no verdict from ``extra``, no statistics, no shape, no kind list."""

from __future__ import annotations

import re
from pathlib import Path

GATE = Path(__file__).parents[2] / "causalkit" / "gate"
VERDICT_KEYS = ("better", "worse", "significant", "noninferior", "non_inferior",
                "worse_than_margin", "gate_verdict", "ci_kind", "margin", "practical_threshold",
                "alpha", "fixed_ci_low", "fixed_ci_high", "assessment", "interval_kind")
FORBIDDEN = ("stats", "simulate", "ab", "switchback", "observational", "aha")


def _lines() -> list[tuple[str, int, str]]:
    files = sorted(GATE.glob("*.py"))
    assert len(files) >= 8, files
    return [(p.name, i, ln) for p in files
            for i, ln in enumerate(p.read_text().splitlines(), 1)]


def test_no_verdict_is_read_from_extra():
    keys = "|".join(VERDICT_KEYS)
    pattern = re.compile(rf"""extra(\.get\(|\[)\s*(f?["'])(gate_)?({keys})["']""")
    found = [f"{name}:{i}: {ln.strip()}" for name, i, ln in _lines() if pattern.search(ln)]
    assert not found, "\n".join(found)


def test_no_statistics_or_shape_is_imported():
    names = "|".join(FORBIDDEN)
    pattern = re.compile(rf"^\s*(from|import)\s+causalkit\.({names})\b")
    found = [f"{name}:{i}: {ln.strip()}" for name, i, ln in _lines() if pattern.search(ln)]
    assert not found, "\n".join(found)


def test_no_list_of_kinds_and_no_kind_branch():
    text = "\n".join(ln for _, _, ln in _lines())
    assert not re.search(r"kind\s*(==|!=|\bin\b)\s*[\"'(\[]", text)
    assert not re.search(r"GATED_KINDS|SEQUENCE_KINDS|rules_for|\"switchback\"|'switchback'",
                         text)


def test_the_removed_modules_stay_removed():
    for name in ("intervals.py", "verdicts.py", "gst.py"):
        assert not (GATE / name).exists(), name
