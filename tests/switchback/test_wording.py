"""Issue 14 (items 2 and 8): switch-back counts name their unit (periods with one region,
region-periods with several) and every table has column priorities."""

from __future__ import annotations

import pytest

from causalkit.entry import run_analysis
from causalkit.report.model import Report


def _run(regions: list[str]) -> Report:
    return run_analysis({
        "name": "x", "kind": "switchback", "regions": regions,
        "schedule": {"start": "2026-01-01T00:00Z", "end": "2026-01-01T12:00Z", "period": "1h"},
        "metrics": [{"name": "matches", "type": "mean", "column": "matches",
                     "role": "primary", "direction": "increase"}],
        "data": {"simulate": "matching_market", "params": {"pre_days": 0.25,
                                                           "tick_seconds": 600}},
        "analysis": {"draws": 100}})


@pytest.fixture(scope="module")
def two_regions() -> Report:
    return _run(["KR", "JP"])


def test_one_region_counts_periods() -> None:
    # (the analysis.py module example runs one region end to end: n_unit 'periods')
    from causalkit.spec.switchback import SwitchbackSpec
    from causalkit.switchback.analysis import n_unit

    def spec(regions: list[str]) -> SwitchbackSpec:
        return SwitchbackSpec(name="a", kind="switchback", regions=regions, schedule={
            "start": "2026-01-01T00:00Z", "end": "2026-01-02T00:00Z", "period": "1h"},
            metrics=[{"name": "x", "type": "mean", "column": "x"}])

    assert n_unit(spec(["KR"])) == "periods"
    assert n_unit(spec(["KR", "JP"])) == "region-periods"


def test_several_regions_count_region_periods(two_regions: Report) -> None:
    (est,) = two_regions.estimates
    assert est.n_unit == "region-periods"
    assert est.n is not None
    assert est.n_reference is not None
    assert 12 < est.n + est.n_reference <= 24
    # the treated count is the schedule's treated periods in all-treated windows: at most
    # the schedule's treated periods (schedule_balance table, an independent count)
    balance = next(t for t in two_regions.tables if t.name == "schedule_balance")
    treated = sum(int(r[balance.columns.index("treated_periods")]) for r in balance.rows)
    assert est.n <= treated


def test_every_table_has_a_priority_per_column(two_regions: Report) -> None:
    assert two_regions.tables
    for t in two_regions.tables:
        assert len(t.priority) == len(t.columns), t.name
        assert t.priority[0] == 0, t.name  # the metric or region names the row
    methods = next(t for t in two_regions.tables if t.name == "methods")
    labels = [(r[0], r[1]) for r in methods.rows]
    assert len(set(labels)) == len(labels)  # each row names its method
