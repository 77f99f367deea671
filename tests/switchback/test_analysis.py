"""The switch-back analysis through the engine: known effects, report contract, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from causalkit.data import Source
from causalkit.errors import DataError, SpecError
from causalkit.report import Report, Status
from causalkit.spec.switchback import SwitchbackSpec
from causalkit.stats.multiplicity import adjust_pvalues
from causalkit.switchback import analyze_source, schedule_of
from causalkit.switchback.aggregate import aggregate_periods
from causalkit.switchback.data import period_outcomes


def _spec(**kw: Any) -> SwitchbackSpec:
    base: dict[str, Any] = {
        "name": "t", "kind": "switchback", "regions": ["A", "B", "C", "D"],
        "schedule": {"start": "2026-03-01T00:00Z", "end": "2026-03-11T00:00Z",
                     "period": "1h", "carryover": 1, "burn_in": "10m", "seed": 4},
        "metrics": [{"name": "y", "type": "mean", "column": "y", "role": "primary",
                     "direction": "increase"},
                    {"name": "conv", "type": "ratio", "numerator": "num",
                     "denominator": "den", "role": "guardrail", "direction": "increase",
                     "margin": 0.05}],
        "analysis": {"draws": 2000, "seed": 1},
        "data": {"path": "unused.csv"},
    }
    base.update(kw)
    return SwitchbackSpec(**base)


def _events(spec: SwitchbackSpec, effect: float, seed: int = 0, pre: bool = False,
            per_period: int = 12) -> pd.DataFrame:
    """Event rows; y has a level per region, a daily cycle and an effect of ``effect``."""
    s = schedule_of(spec)
    rng = np.random.default_rng(seed)
    n_r, n_t = s.arms.shape
    k = np.repeat(np.arange(n_t), per_period)
    offs = rng.integers(0, 3600, (n_r, len(k)))
    rows = []
    for r, name in enumerate(s.regions):
        t_s = s.start_ns // 10**9 + k * 3600 + offs[r]
        if pre:
            t_s = t_s - n_t * 3600
            arm = np.zeros(len(k), np.int8)
        else:
            arm = s.arms[r, k]
        hour = (t_s // 3600) % 24
        level = 10 + r + np.sin(2 * np.pi * hour / 24)
        y = level + effect * arm + rng.normal(0, 1, len(k))
        den = rng.integers(5, 15, len(k))
        num = rng.binomial(den, 0.5 + 0.1 * effect * arm)
        rows.append(pd.DataFrame({
            "region": name, "timestamp": pd.to_datetime(t_s, unit="s", utc=True), "y": y,
            "num": num, "den": den,
            "arm": np.where(arm == 1, "treatment", "control")}))
    return pd.concat(rows, ignore_index=True)


def test_recovers_known_effect_and_follows_contract() -> None:
    spec = _spec()
    data = _events(spec, effect=0.5)
    pre = Source.from_frame(_events(spec, effect=0.0, seed=9, pre=True))
    rep = analyze_source(spec, Source.from_frame(data), pre=pre, spec_sha256="abc")
    assert isinstance(rep, Report)
    est = {e.metric: e for e in rep.estimates}
    y = est["y"]
    assert y.ci_low is not None
    assert y.ci_high is not None
    assert y.ci_low < 0.5 < y.ci_high
    assert y.method == "hajek"  # the default headline, centred by the pre-period
    assert y.role == "primary"
    assert (y.arm, y.reference, y.contrast) == ("treatment", "control", "treatment - control")
    assert y.n_unit == "region-periods"
    assert y.extra["centred"] is True
    for key in ("z", "randomization_p", "fe_estimate", "fe_se_cluster", "fe_se_hac",
                "ht_estimate", "ht_se", "hajek_estimate", "hajek_se"):
        assert key in y.extra
    for key in ("better", "worse", "significant", "noninferior", "worse_than_margin",
                "ci_kind", "margin", "practical_threshold", "alpha", "control_mean",
                "treatment_mean"):
        assert key not in y.extra  # verdicts and typed fields never live in extra
    assert y.interval_kind.value == "always_valid"  # deciding: the decision's interval
    assert y.assessment.value == "better"
    assert y.alpha == 0.05
    assert y.se is not None
    assert y.relative is not None
    assert 0 < y.relative < 0.2
    assert y.level is not None
    assert y.level_reference is not None
    assert y.level - y.level_reference == pytest.approx(y.estimate, rel=0.5)
    conv = est["conv"]
    assert conv.margin == 0.05
    assert conv.interval_kind.value == "always_valid"
    assert rep.decision_basis is not None
    assert rep.decision_basis.n_unit == "region-periods"
    assert rep.decision_basis.min_n_per_arm == min(
        min(e.n or 0, e.n_reference or 0) for e in rep.estimates)
    assert str(rep.decision_basis.first_exposure).startswith("2026-03-01T00:")
    names = {c.name for c in rep.checks}
    assert {"carryover", "schedule_balance", "burn_in_share", "schedule_adherence"} <= names
    adherence = next(c for c in rep.checks if c.name == "schedule_adherence")
    assert adherence.status is Status.PASS
    tables = {t.name for t in rep.tables}
    assert {"methods", "carryover", "carryover_order", "schedule_balance"} <= tables
    assert {f.name for f in rep.figures} == {"schedule_heatmap", "effect_over_time_y"}
    Report.from_json(rep.to_json())  # the JSON contract round-trips


def test_no_effect_is_not_significant_and_frt_agrees() -> None:
    spec = _spec()
    rep = analyze_source(spec, Source.from_frame(_events(spec, effect=0.0, seed=3)),
                         pre=Source.from_frame(_events(spec, 0.0, seed=4, pre=True)),
                         figures=False)
    y = next(e for e in rep.estimates if e.metric == "y")
    assert y.ci_low is not None
    assert y.ci_high is not None
    assert y.ci_low < 0 < y.ci_high
    assert float(y.extra["randomization_p"]) > 0.01  # type: ignore[arg-type]


def test_engine_aggregation_matches_pandas() -> None:
    spec = _spec()
    s = schedule_of(spec)
    data = _events(spec, effect=0.3, seed=5)
    from causalkit.data import get_engine

    src = Source.from_frame(data)
    agg = aggregate_periods(get_engine(src), src, s, region="region", time="timestamp",
                            columns=["y", "num", "den"], burn_levels_ns=(600 * 10**9,))
    keep = agg.kept(s.design.randomization_point, 1)
    y = period_outcomes(agg, spec.metrics[0], keep, spec.period_outcome)
    conv = period_outcomes(agg, spec.metrics[1], keep, spec.period_outcome)
    # independent computation with pandas
    ns = data["timestamp"].dt.as_unit("ns").astype("int64").to_numpy()
    k = (ns - s.start_ns) // s.period_ns
    off = (ns - s.start_ns) % s.period_ns
    rp = s.design.randomization_point[0][k]
    kept = data[~(rp & (off < 600 * 10**9))].assign(k=k[~(rp & (off < 600 * 10**9))])
    g = kept.groupby(["region", "k"])
    mean = g["y"].mean().unstack().reindex(list(s.regions)).to_numpy()
    ratio = (g["num"].sum() / g["den"].sum()).unstack().reindex(list(s.regions)).to_numpy()
    np.testing.assert_allclose(y, mean, rtol=1e-12)
    np.testing.assert_allclose(conv, ratio, rtol=1e-12)
    assert agg.rows.sum() == len(data)


def test_holm_adjustment_across_primaries() -> None:
    spec = _spec(metrics=[
        {"name": "y", "type": "mean", "column": "y", "role": "primary"},
        {"name": "y2", "type": "mean", "column": "num", "role": "primary"}])
    data = _events(spec, effect=0.1, seed=6)
    rep = analyze_source(spec, Source.from_frame(data), figures=False)
    methods = next(t for t in rep.tables if t.name == "methods")
    col = methods.columns.index("p_value")
    raw = [float(p) for row in methods.rows
           if row[-1] == "headline" and isinstance(p := row[col], float)]
    assert len(raw) == 2
    adj = adjust_pvalues(raw, "holm")
    assert [e.p_value for e in rep.estimates] == pytest.approx(adj.tolist())


def test_hajek_estimator_location_invariant() -> None:
    spec = _spec(estimator="hajek")
    data = _events(spec, effect=0.5, seed=7)
    shifted = data.assign(y=data["y"] + 1000.0)
    a = next(e for e in analyze_source(spec, Source.from_frame(data), figures=False).estimates
             if e.metric == "y")
    b = next(e for e in analyze_source(spec, Source.from_frame(shifted),
                                       figures=False).estimates if e.metric == "y")
    assert a.method == "hajek"
    assert a.estimate == pytest.approx(b.estimate)
    assert a.se == pytest.approx(b.se)


def test_data_problems() -> None:
    spec = _spec()
    data = _events(spec, effect=0.0)
    with pytest.raises(DataError, match="'y'"):
        analyze_source(spec, Source.from_frame(data.drop(columns="y")), figures=False)
    bad = data.copy()
    bad.loc[3, "y"] = np.nan
    with pytest.raises(DataError, match="NaN"):
        analyze_source(spec, Source.from_frame(bad), figures=False)
    wrong = data.copy()
    wrong["arm"] = "treatment"
    extra = pd.DataFrame({"region": ["ZZ", None], "timestamp": data["timestamp"][:2],
                          "y": [1.0, 2.0], "num": [1, 1], "den": [2, 2],
                          "arm": ["control", "control"]})
    rep = analyze_source(spec, Source.from_frame(pd.concat([wrong, extra])), figures=False)
    checks = {c.name: c for c in rep.checks}
    assert checks["schedule_adherence"].status is Status.FAIL
    assert checks["data_outside_schedule"].status is Status.WARN
    assert "2 rows of regions not in the spec" in checks["data_outside_schedule"].detail
    with pytest.raises(SpecError, match="pre_data"):
        analyze_source(_spec(center="pre_period"), Source.from_frame(data), figures=False)


def test_missing_periods_are_flagged() -> None:
    spec = _spec()
    data = _events(spec, effect=0.0)
    ts = data["timestamp"]
    for end, status in (("2026-03-02T06:00Z", Status.WARN), ("2026-03-05T00:00Z", Status.FAIL)):
        gap = (ts >= "2026-03-02T00:00Z") & (ts < end) & (data["region"] == "A")
        rep = analyze_source(spec, Source.from_frame(data[~gap]), figures=False)
        miss = [c for c in rep.checks if c.name == "data_missing_periods"]
        assert miss
        assert miss[0].status is status
        assert miss[0].metric == "y"


def test_unknown_arm_labels_fail_the_report() -> None:
    spec = _spec()
    data = _events(spec, effect=0.0)
    data["arm"] = np.where(data["arm"] == "treatment", "B", "A")
    rep = analyze_source(spec, Source.from_frame(data), figures=False)
    checks = {c.name: c for c in rep.checks}
    assert checks["data_unknown_arms"].status is Status.FAIL
    assert checks["schedule_adherence"].status is Status.WARN  # nothing to check against


def test_no_pvalue_is_zero_even_in_the_far_tail() -> None:
    """Issue 13.6: a huge effect with tiny noise gives z in the hundreds; every p-value
    cell is positive (survival functions, floored at the smallest double)."""
    spec = _spec(metrics=[{"name": "y", "type": "mean", "column": "y", "role": "primary",
                           "direction": "increase"}])
    data = _events(spec, effect=0.0, seed=2)
    arms = np.where(data["arm"] == "treatment", 1.0, 0.0)
    data["y"] = 10.0 + 50.0 * arms + np.random.default_rng(3).normal(0, 1e-3, len(data))
    rep = analyze_source(spec, Source.from_frame(data), figures=False)
    est = rep.estimates[0]
    assert est.p_value is not None
    assert est.p_value > 0
    for tab in rep.tables:
        if "p_value" in tab.columns:
            col = tab.columns.index("p_value")
            ps = [row[col] for row in tab.rows if row[col] is not None]
            assert all(isinstance(p, float) and p > 0 for p in ps), (tab.name, ps)
    methods = next(t for t in rep.tables if t.name == "methods")
    hac = next(r for r in methods.rows if str(r[1]).startswith("fe_regression (HAC"))
    assert hac[methods.columns.index("p_value")] == 5e-324  # the floor, never 0
