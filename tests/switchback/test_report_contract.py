"""The switch-back report contract v2: typed estimates, decision basis, decision intervals,
and data that come from the entry (passed or simulated), never made by the shape."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import causalkit
from causalkit.data import Source
from causalkit.entry import load_spec, resolve_sources, run_analysis
from causalkit.errors import SpecError
from causalkit.registry import RunContext, planner, shape
from causalkit.report import Assessment, IntervalKind, Report, assess, is_harm
from causalkit.report.basis import parse_time
from causalkit.spec.common import Role
from causalkit.stats.group_sequential import boundary
from causalkit.stats.sequential import sequence_interval
from causalkit.switchback import schedule_of
from causalkit.switchback.analysis import SEQUENTIAL_NONE_NOTE

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "designs" / "switchback_matching_algo.yaml"
VERDICT_KEYS = ("better", "worse", "significant", "noninferior", "worse_than_margin",
                "ci_kind", "margin", "practical_threshold", "alpha", "control_mean",
                "treatment_mean", "gate_verdict")


def _design(**update: Any) -> dict[str, Any]:
    spec = yaml.safe_load(SPEC.read_text())
    spec["analysis"] = {**spec["analysis"], "draws": 1000, "sequential": "none"}
    spec.update(update)
    return spec


@pytest.fixture(scope="module")
def sources() -> dict[str, dict[str, Source]]:
    """The example design's simulated tables, made once by the entry."""
    return resolve_sources(load_spec(_design()))


@pytest.fixture(scope="module")
def design_report(sources: dict[str, dict[str, Source]]) -> Report:
    """The example design (sequential: none) analysed after the schedule's end."""
    loaded = load_spec(_design())
    end = loaded.spec.schedule.end
    return shape("switchback").analyze(
        loaded, RunContext(sources=sources, now=end + timedelta(days=1)))


def _last_exposure(frame: pd.DataFrame, start: Any, end: Any) -> pd.Timestamp:
    ts = pd.to_datetime(frame["timestamp"], utc=True)
    return ts[(ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(end))].max()


def test_guardrails_are_read_from_the_decision_interval(design_report: Report) -> None:
    rep = design_report
    assert rep.decision_basis is not None
    assert rep.decision_basis.n_unit == "region-periods"
    assert SEQUENTIAL_NONE_NOTE in rep.decision_basis.notes
    guardrails = [e for e in rep.estimates if e.role is Role.GUARDRAIL]
    assert len(guardrails) == 2
    for e in rep.estimates:
        assert (e.arm, e.reference, e.n_unit) == ("treatment", "control", "region-periods")
        assert not set(VERDICT_KEYS) & set(e.extra)
        assert e.interval_kind is IntervalKind.ALWAYS_VALID  # every metric here decides
        assert e.decision_ci_low is not None
        assert e.decision_ci_high is not None
        assert e.ci_low is not None
        assert e.ci_high is not None
        # the always-valid interval is wider than the reported fixed-horizon one
        assert e.decision_ci_low < e.ci_low < e.ci_high < e.decision_ci_high
        assert e.assessment is assess(
            estimate=e.estimate, low=e.decision_ci_low, high=e.decision_ci_high,
            direction=e.direction, margin=e.margin, practical_threshold=e.practical_threshold)
        assert e.harm is is_harm(e.assessment, e.role)
    for g in guardrails:
        assert g.margin == 0.01
        # worse than control, but shown within the 0.01 margin: not harm
        assert g.assessment is Assessment.WORSE_WITHIN_MARGIN
        assert not g.harm
    primary = next(e for e in rep.estimates if e.role is Role.PRIMARY)
    assert primary.assessment is Assessment.BETTER
    assert Report.from_json(rep.to_json()) == rep


def test_decision_interval_equals_an_independent_confidence_sequence(
        design_report: Report, sources: dict[str, dict[str, Source]]) -> None:
    spec = load_spec(_design()).spec
    start, end = spec.schedule.start, spec.schedule.end
    last = _last_exposure(sources["data"]["main"].frame, start, end)
    fraction = (last - pd.Timestamp(start)).total_seconds() / (end - start).total_seconds()
    basis = design_report.decision_basis
    assert basis is not None
    assert basis.information_fraction == pytest.approx(fraction, abs=1e-12)
    assert parse_time(basis.last_exposure) == last.to_pydatetime()
    for e in design_report.estimates:
        assert e.se is not None
        assert e.alpha is not None
        low, high = sequence_interval(e.estimate, e.se, e.alpha, fraction)
        assert e.decision_ci_low == pytest.approx(low, abs=1e-12)
        assert e.decision_ci_high == pytest.approx(high, abs=1e-12)


def test_group_sequential_first_look(sources: dict[str, dict[str, Source]]) -> None:
    spec = _design(analysis={"alpha": 0.05, "correction": "holm", "draws": 1000,
                             "seed": 11, "sequential": "gst"})
    loaded = load_spec(spec)
    now = loaded.spec.schedule.start + timedelta(days=2)  # mid-way: data end later
    rep = shape("switchback").analyze(loaded, RunContext(sources=sources, now=now))
    basis = rep.decision_basis
    assert basis is not None
    assert basis.look == 1
    assert basis.history_known is False
    assert basis.information_fraction == pytest.approx(0.4, abs=1e-12)  # 2 of 5 days
    assert SEQUENTIAL_NONE_NOTE not in basis.notes
    for e in rep.estimates:
        assert e.interval_kind is IntervalKind.REPEATED_GST
        assert e.se is not None
        assert e.alpha is not None
        z = boundary((0.4,), e.alpha)
        assert e.decision_ci_low == pytest.approx(e.estimate - z * e.se, abs=1e-12)
        assert e.decision_ci_high == pytest.approx(e.estimate + z * e.se, abs=1e-12)


def test_analyze_on_a_frame_equals_the_spec_driven_run(
        sources: dict[str, dict[str, Source]], tmp_path: Path) -> None:
    spec = _design()
    now = load_spec(spec).spec.schedule.end + timedelta(days=1)
    driven = causalkit.analyze(spec, now=now)
    pre = tmp_path / "pre.parquet"
    _us(sources["data"]["pre_period"].frame).to_parquet(pre)
    bare = {k: v for k, v in spec.items() if k != "data"} | {"pre_data": {"path": str(pre)}}
    passed = causalkit.analyze(bare, data=sources["data"]["main"].frame, now=now)
    assert schedule_of(load_spec(bare).spec).sha256 == schedule_of(load_spec(spec).spec).sha256
    assert len(passed.estimates) == len(driven.estimates) == 3
    for a, b in zip(passed.estimates, driven.estimates, strict=True):
        assert a.label == b.label
        assert a.extra["centred"] is b.extra["centred"] is True
        for name in ("estimate", "ci_low", "ci_high", "se", "p_value", "relative",
                     "level", "level_reference", "decision_ci_low", "decision_ci_high"):
            x, y = getattr(a, name), getattr(b, name)
            assert x == pytest.approx(y, abs=1e-12, rel=1e-12), name
        assert (a.n, a.n_reference, a.assessment) == (b.n, b.n_reference, b.assessment)
    assert passed.decision is not None
    assert driven.decision is not None
    assert passed.decision.state == driven.decision.state
    # passed data carry no simulated worlds: no ground-truth table
    assert "simulation_truth" in {t.name for t in driven.tables}
    assert "simulation_truth" not in {t.name for t in passed.tables}


def _us(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps in microseconds: DuckDB reads nanosecond zoned Parquet timestamps as
    TIMESTAMPTZ_NS, which its ``epoch_us`` does not take (see the test below)."""
    return frame.assign(timestamp=frame["timestamp"].astype("datetime64[us, UTC]"))


def test_nanosecond_zoned_timestamps_are_read(sources: dict[str, dict[str, Source]]) -> None:
    import pyarrow as pa

    spec = {k: v for k, v in _design(analysis={"alpha": 0.05, "draws": 200}).items()
            if k != "data"}
    frame = sources["data"]["main"].frame
    a = run_analysis(spec, data=frame)
    b = run_analysis(spec, data=pa.Table.from_pandas(frame, preserve_index=False))
    assert [e.estimate for e in a.estimates] == [e.estimate for e in b.estimates]


def test_passed_data_have_no_simulated_pre_period(
        sources: dict[str, dict[str, Source]]) -> None:
    spec = _design(analysis={"alpha": 0.05, "draws": 200})
    rep = run_analysis({k: v for k, v in spec.items() if k != "data"},
                       data=sources["data"]["main"].frame)
    assert all(e.extra["centred"] is False for e in rep.estimates)
    # no pre-period: the default headline is Hajek, which needs no centring warning
    assert all(e.method == "hajek" for e in rep.estimates)
    assert not any(c.name == "centering" for c in rep.checks)


def test_power_reads_passed_pre_period_data(sources: dict[str, dict[str, Source]]) -> None:
    pre = sources["data"]["pre_period"]
    spec = {k: v for k, v in _design(power_replays=50, candidate_periods=["1h"]).items()
            if k != "data"}
    loaded = load_spec(spec)
    rep = planner("switchback")(loaded, RunContext(sources={"pre_data": {"main": pre}}))
    assert rep.experiment.data_fingerprint == pre.fingerprint()
    assert [row[0] for row in rep.tables[0].rows] == ["1h"]
    with pytest.raises(SpecError, match="pre-period"):
        planner("switchback")(loaded, RunContext())


def test_shape_takes_data_never_makes_it() -> None:
    """No switch-back module imports a simulator, another shape or a higher layer."""
    forbidden = ("causalkit.simulate", "causalkit.ab", "causalkit.observational",
                 "causalkit.aha", "causalkit.gate", "causalkit.entry", "causalkit.api",
                 "causalkit.cli")
    for path in sorted((ROOT / "causalkit" / "switchback").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(forbidden), f"{path.name} imports {name}"


def test_regions_are_pooled_over_region_periods(design_report: Report) -> None:
    """``n`` counts region-periods with an all-treated (lag-m) window."""
    n_regions, n_periods = schedule_of(load_spec(_design()).spec).arms.shape
    for e in design_report.estimates:
        assert e.n is not None
        assert e.n_reference is not None
        assert 0 < e.n + e.n_reference <= n_regions * n_periods
    assert np.isfinite([e.estimate for e in design_report.estimates]).all()
