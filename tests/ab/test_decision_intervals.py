"""The report contract of `kind: ab`: decision intervals, the basis, the Python door."""

from __future__ import annotations

import math
from dataclasses import fields
from datetime import UTC, datetime

import pandas as pd
import pytest

import causalkit
from causalkit.ab.analysis import SEQUENTIAL_NONE_NOTE, analyze_source
from causalkit.data import Source
from causalkit.report import Estimate, Report
from causalkit.report.assessment import Assessment, IntervalKind
from causalkit.simulate.ab import simulate_ab
from causalkit.spec.ab import ABSpec

ARMS = {"control": 0.4, "strict": 0.3, "relaxed": 0.3}
METRICS = [
    {"name": "chat", "type": "mean", "column": "chat_minutes", "covariate": "pre_chat_minutes",
     "role": "primary", "direction": "increase"},
    {"name": "mps", "type": "ratio", "numerator": "matches", "denominator": "sessions",
     "role": "primary", "direction": "increase"},
    {"name": "mps_plain", "type": "ratio", "numerator": "matches", "denominator": "sessions"},
    {"name": "reports", "type": "proportion", "column": "reported", "role": "guardrail",
     "direction": "decrease", "margin": 0.2, "margin_kind": "relative"},
]
NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return simulate_ab(seed=42, n=9000, weights=ARMS, salt="exact",
                       effects={"strict": {"chat_minutes": 0.4, "matches_per_session": 0.02},
                                "relaxed": {"report_rate": 0.01}}).tables["main"]


def _spec(sequential: str, **kw: object) -> ABSpec:
    base: dict[str, object] = {
        "name": "decision", "kind": "ab", "unit": "user_id", "variants": ARMS,
        "metrics": METRICS,
        "analysis": {"alpha": 0.05, "correction": "holm", "sequential": sequential},
        "decision": {"horizon_sample_per_arm": 20_000}}
    base.update(kw)
    return ABSpec.model_validate(base)


def _run(spec: ABSpec, frame: pd.DataFrame) -> Report:
    return analyze_source(spec, Source.from_frame(frame), figures=False, now=NOW)


def _by_key(rep: Report) -> dict[tuple[str, str], Estimate]:
    return {(e.metric, e.arm): e for e in rep.estimates}


def test_sequential_none_decides_on_the_msprt_interval(frame: pd.DataFrame) -> None:
    none = _by_key(_run(_spec("none"), frame))
    msprt = _by_key(_run(_spec("msprt"), frame))
    fixed = _by_key(_run(_spec("gst"), frame))  # gst reports the fixed-horizon interval
    assert set(none) == set(msprt) == set(fixed)
    for key, e in none.items():
        m, f = msprt[key], fixed[key]
        assert e.interval_kind is IntervalKind.ALWAYS_VALID, key
        assert e.decision_ci_low == pytest.approx(m.ci_low, rel=1e-12, abs=1e-15), key
        assert e.decision_ci_high == pytest.approx(m.ci_high, rel=1e-12, abs=1e-15), key
        assert e.alpha == pytest.approx(m.alpha, rel=1e-12), key
        assert e.extra["msprt_tau2"] == pytest.approx(m.extra["msprt_tau2"], rel=1e-12), key
        assert e.ci_low == pytest.approx(f.ci_low, rel=1e-12, abs=1e-15), key
        assert e.ci_high == pytest.approx(f.ci_high, rel=1e-12, abs=1e-15), key
        assert e.extra["fixed_alpha"] == pytest.approx(f.alpha, rel=1e-12), key
        assert e.p_value == pytest.approx(f.p_value, rel=1e-12), key
        assert e.assessment is m.assessment, key
        assert e.method == f.method == m.method.removesuffix("+msprt"), key
    # the decision interval is wider than the fixed-horizon one it replaces
    chat = none[("chat", "strict")]
    assert chat.decision_ci_low < chat.ci_low < chat.ci_high < chat.decision_ci_high


def test_basis_notes_and_secondary_metrics(frame: pd.DataFrame) -> None:
    rep = _run(_spec("none"), frame)
    basis = rep.decision_basis
    assert basis is not None
    assert SEQUENTIAL_NONE_NOTE in basis.notes
    assert basis.sequential.value == "none"
    assert basis.information_fraction == pytest.approx(basis.min_n_per_arm / 20_000)
    assert basis.now == "2026-12-01T00:00:00Z"
    assert basis.look_key is not None
    assert basis.look_key.startswith("sha256:")
    sec = [e for e in rep.estimates if e.role == "secondary"]
    assert sec
    assert all(e.alpha == 0.05 for e in sec)
    msprt_basis = _run(_spec("msprt"), frame).decision_basis
    assert msprt_basis is not None
    assert SEQUENTIAL_NONE_NOTE not in msprt_basis.notes


def test_gst_decides_on_repeated_intervals(frame: pd.DataFrame) -> None:
    rep = _run(_spec("gst"), frame)
    basis = rep.decision_basis
    assert basis is not None
    assert basis.look == 1
    assert basis.history_known is False
    assert basis.boundary_z is not None
    assert basis.boundary_z > 1.96
    for e in rep.estimates:
        if e.role == "secondary":
            assert e.interval_kind is IntervalKind.FIXED
            assert (e.decision_ci_low, e.decision_ci_high) == (e.ci_low, e.ci_high)
        else:
            assert e.interval_kind is IntervalKind.REPEATED_GST
            assert e.decision_ci_low < e.ci_low


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=1e-15)
    return a == b


def _assert_same(a: Estimate, b: Estimate) -> None:
    for f in fields(Estimate):
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if f.name == "extra":
            assert set(va) == set(vb)
            assert all(_same(va[x], vb[x]) for x in va), (va, vb)
        else:
            assert _same(va, vb), (f.name, va, vb)


def test_python_door_without_data_key(frame: pd.DataFrame) -> None:
    spec = {"name": "decision", "kind": "ab", "unit": "user_id", "variants": ARMS,
            "metrics": METRICS, "analysis": {"sequential": "msprt"},
            "decision": {"horizon_sample_per_arm": 20_000}}
    rep = causalkit.analyze(spec, data=frame, now=NOW)
    ref = analyze_source(ABSpec.model_validate(spec), Source.from_frame(frame), now=NOW)
    assert len(rep.estimates) == len(ref.estimates) == 8
    for a, b in zip(rep.estimates, ref.estimates, strict=True):
        _assert_same(a, b)
    assert rep.checks == ref.checks
    assert rep.decision_basis == ref.decision_basis
    assert rep.decision is not None  # analyze adds the decision the gate would take


def test_guardrail_worse_within_margin_is_not_harm() -> None:
    df = simulate_ab(seed=8, n=120_000, effects={"treatment": {"report_rate": 0.01}}
                     ).tables["main"]
    spec = ABSpec.model_validate({
        "name": "g", "kind": "ab", "unit": "user_id",
        "metrics": [{"name": "reports", "type": "proportion", "column": "reported",
                     "role": "guardrail", "direction": "decrease", "margin": 0.03},
                    {"name": "chat", "type": "mean", "column": "chat_minutes",
                     "role": "primary", "direction": "increase"}],
        "analysis": {"sequential": "msprt"}, "decision": {"horizon_sample_per_arm": 60_000}})
    e, _ = _run(spec, df).estimates
    assert 0 < e.decision_ci_low < e.decision_ci_high < 0.03
    assert e.assessment is Assessment.WORSE_WITHIN_MARGIN
    assert e.harm is False
    beyond = spec.model_copy(update={"metrics": [spec.metrics[0].model_copy(
        update={"margin": 0.002}), spec.metrics[1]]})
    e2, _ = _run(beyond, df).estimates
    assert e2.assessment is Assessment.INFERIOR
    assert e2.harm is True
