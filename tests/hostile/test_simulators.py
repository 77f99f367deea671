"""Simulator sizes are bounded: a spec cannot make causalkit build data that exhaust the machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.conftest import assert_clean_error, cli

AB = """name: x
kind: ab
unit: user_id
metrics:
  - {name: chat_minutes, type: mean, column: chat_minutes, role: primary, direction: increase}
data: {simulate: ab, params: {PARAMS}}
"""
MARKET = """name: x
kind: switchback
unit: region
regions: [KR, JP]
schedule: {start: 2026-12-01T00:00Z, end: 2026-12-02T00:00Z, period: 1h}
metrics:
  - {name: matches, type: mean, column: matches, role: primary, direction: increase}
data: {simulate: matching_market, params: {PARAMS}}
"""


@pytest.mark.parametrize(("template", "params"), [
    (AB, "n: 1000000000000000"),
    (AB, "n: 1"),
    (MARKET, "days: 100000"),
    (MARKET, "tick_seconds: 0.000001"),
    (MARKET, "days: 300, pre_days: 300, tick_seconds: 1"),
    (MARKET, "replications: 100000000"),
])
def test_oversized_simulations_are_refused_fast(work: Path, template: str, params: str) -> None:
    spec = work / "s.yaml"
    spec.write_text(template.replace("PARAMS", params))
    ran = cli("run", spec, cwd=work, timeout=60)
    assert_clean_error(ran, "data.params")
