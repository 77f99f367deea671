"""The A/B code asks the metric's kind and never branches on the metric type."""

from __future__ import annotations

import re
from pathlib import Path

AB = Path(__file__).resolve().parents[2] / "causalkit" / "ab"
BRANCH = re.compile(r"MetricType|\.type\s*(is|==|!=|in)\b|\btype\s+is\b|case\s+MetricType")


def test_no_branch_on_the_metric_type() -> None:
    found = [f"{p.name}:{i}: {ln.strip()}"
             for p in sorted(AB.rglob("*.py"))
             for i, ln in enumerate(p.read_text().splitlines(), 1) if BRANCH.search(ln)]
    assert not found, "\n".join(found)
