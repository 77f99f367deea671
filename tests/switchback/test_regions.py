"""Issue 15, switch-back part: targeting regions and per-region effects.

* targeting: a rule over region attributes (or the region list) picks the listed regions
  that run; the schedule is drawn over every listed region and restricted, so widening
  the rule moves no region already in (property); the analysis leaves the other regions'
  rows out, counts them, and fails ``targeting_leak`` when such rows log an arm (the gate
  then says ``invalid``);
* per-region effects (``segments: true``): each region's estimate equals a one-region
  analysis of that region's data alone (to 1e-9) and, for a lag-0 Bernoulli design, a plain
  numpy difference of period means; the family correction is BH (Holm on request); Cochran's
  Q per metric; a guardrail harmed in one region holds the gate when
  ``decision.segment_guardrails`` is on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import causalkit
from causalkit.data import Source
from causalkit.errors import SpecError
from causalkit.gate import decide
from causalkit.report import Report, Status, Table
from causalkit.spec.switchback import SwitchbackSpec
from causalkit.stats.multiplicity import adjust_pvalues
from causalkit.stats.segments import cochran_q
from causalkit.switchback import schedule_of
from causalkit.switchback.analysis import analyze_source
from causalkit.switchback.effect import df_adjusted_se

NOW = datetime(2026, 1, 4, tzinfo=UTC)
REGIONS = [{"name": "KR", "tz": "Asia/Seoul", "attributes": {"continent": "asia", "size": 3}},
           {"name": "JP", "tz": "Asia/Tokyo", "attributes": {"continent": "asia", "size": 2}},
           {"name": "TW", "attributes": {"continent": "asia", "size": 1}},
           {"name": "US", "attributes": {"continent": "america", "size": 5}}]
EFFECT = {"KR": 1.0, "JP": 1.0, "TW": 1.0, "US": 0.0}
HARM = {"KR": 0.0, "JP": 0.0, "TW": 2.0, "US": 0.0}  # guardrail g harmed in TW only


def spec_dict(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "regions", "kind": "switchback", "regions": REGIONS,
        "targeting": 'continent == "asia"', "segments": True,
        "schedule": {"start": "2026-01-01T00:00Z", "end": "2026-01-04T00:00Z", "period": "1h",
                     "carryover": 1},
        "metrics": [{"name": "y", "type": "mean", "column": "y", "role": "primary",
                     "direction": "increase"},
                    {"name": "g", "type": "mean", "column": "g", "role": "guardrail",
                     "direction": "decrease", "margin": 1.5}],
        "analysis": {"draws": 200, "sequential": "msprt"},
        "decision": {"segment_guardrails": True, "horizon": "3d"}}
    base.update(over)
    return base


def rows(spec: SwitchbackSpec, *, leak: bool = False, seed: int = 1,
         per_period: int = 5) -> pd.DataFrame:
    """Rows on the schedule of every listed region; US (left out) logs no arm unless
    ``leak``."""
    full = schedule_of(spec.model_copy(update={"targeting": None}))
    rng = np.random.default_rng(seed)
    frames = []
    for i, name in enumerate(full.regions):
        k = np.repeat(np.arange(full.n_periods), per_period)
        a = full.arms[i][k]
        t = full.start_ns + k * full.period_ns + rng.integers(0, full.period_ns, len(k))
        arm: Any = np.where(a == 1, "treatment", "control")
        if name == "US" and not leak:
            arm = None
        frames.append(pd.DataFrame({
            "region": name, "timestamp": pd.to_datetime(t, utc=True),
            "y": 10.0 + EFFECT[name] * a + rng.normal(0, 1, len(k)),
            "g": 5.0 + HARM[name] * a + rng.normal(0, 0.5, len(k)), "arm": arm}))
    return pd.concat(frames, ignore_index=True)


def run(spec: SwitchbackSpec, df: pd.DataFrame, **kw: Any) -> Report:
    return analyze_source(spec, Source.from_frame(df), figures=False, now=NOW, **kw)


@pytest.fixture(scope="module")
def case() -> tuple[SwitchbackSpec, pd.DataFrame, Report]:
    spec = SwitchbackSpec(**spec_dict())
    df = rows(spec)
    return spec, df, run(spec, df)


def _check(rep: Report, name: str, metric: str | None = None) -> Any:
    return next(c for c in rep.checks if c.name == name and c.metric == metric)


def _table(rep: Report, name: str) -> Table:
    return next(t for t in rep.tables if t.name == name)


# -- targeting -----------------------------------------------------------------------------


def test_targeting_keeps_the_listed_regions_the_rule_picks(case):
    spec, df, rep = case
    assert schedule_of(spec).regions == ("KR", "JP", "TW")
    c = _check(rep, "targeting")
    n_us = int((df["region"] == "US").sum())
    assert c.status is Status.PASS
    assert c.value == n_us
    assert "3 of 4 listed regions; left out: US" in c.detail.replace(" targeted", "")
    assert rep.meta.extra["rows_excluded"] == n_us
    assert rep.meta.extra["regions_excluded"] == 1
    assert _check(rep, "targeting_leak").status is Status.PASS
    assert not any(c.name == "data_outside_schedule" for c in rep.checks)  # US is not unknown
    head = [e for e in rep.estimates if e.segment is None]
    assert [e.n_unit for e in head] == ["region-periods"] * 2


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["A", "B", "C", "D", "E", "F"]), min_size=1, unique=True),
       st.lists(st.sampled_from(["A", "B", "C", "D", "E", "F"]), min_size=0, unique=True),
       st.sampled_from(["optimal", "bernoulli", "balanced"]),
       st.sampled_from(["independent", "complementary"]))
def test_widening_the_rule_moves_no_region(first, more, design, pairing):
    names = ["A", "B", "C", "D", "E", "F"]
    base = {"name": "w", "kind": "switchback", "regions": names,
            "schedule": {"start": "2026-01-01T00:00Z", "end": "2026-01-02T00:00Z",
                         "period": "1h", "design": design, "pairing": pairing, "seed": 5},
            "metrics": [{"name": "y", "type": "mean", "column": "y"}]}
    full = schedule_of(SwitchbackSpec(**base))
    narrow = schedule_of(SwitchbackSpec(**base, targeting=f"region in {first!r}".replace(
        "'", '"')))
    wide = schedule_of(SwitchbackSpec(**base, targeting=f"region in {first + more!r}"
                                      .replace("'", '"')))
    for r in first:
        row = full.arms[names.index(r)]
        assert (narrow.arms[narrow.regions.index(r)] == row).all()
        assert (wide.arms[wide.regions.index(r)] == row).all()
        assert narrow.arm(r, full.start_ns / 1e9 + 1) == wide.arm(r, full.start_ns / 1e9 + 1)
    left_out = [r for r in names if r not in first + more]
    for r in left_out:
        assert wide.arm(r, full.start_ns / 1e9 + 1) is None  # no arm: serve the default


def test_rows_of_a_left_out_region_that_log_an_arm_fail_and_the_gate_says_invalid(case):
    spec, _, _ = case
    rep = run(spec, rows(spec, leak=True))
    leak = _check(rep, "targeting_leak")
    assert leak.status is Status.FAIL
    assert "US (" in leak.detail
    assert leak.value == len(rows(spec)[lambda d: d["region"] == "US"])
    decision = decide(rep).decision
    assert decision.state.value == "invalid"
    assert any("targeting_leak" in r for r in decision.reasons)


def test_targeting_by_the_region_list_and_by_numbers():
    spec = SwitchbackSpec(**spec_dict(targeting='region in ["KR", "US"] or size <= 1'))
    assert schedule_of(spec).regions == ("KR", "TW", "US")


@pytest.mark.parametrize(("over", "words"), [
    ({"targeting": 'contnent == "asia"'}, "not a region attribute"),
    ({"targeting": "continent == 3"}, r"compares region attribute 'continent' \(text\)"),
    ({"targeting": {"rule": 'region == "KR"', "rollout": {"by": "region",
                                                         "shares": {"KR": 0.1}}}},
     "rollout shares are for user-randomized"),
    ({"segments": ["city"]}, "segments are per region"),
    ({"regions": [{"name": "KR", "attributes": {"tz": "x"}}]}, "clashes with the region's tz"),
])
def test_spec_errors_name_the_field(over, words):
    with pytest.raises(SpecError, match=words):
        causalkit.load_spec(spec_dict(**over))


def test_a_rule_that_leaves_no_region_is_a_spec_error():
    spec = SwitchbackSpec(**spec_dict(targeting='continent == "europe"'))
    with pytest.raises(SpecError, match="leaves none of the 4 listed regions"):
        schedule_of(spec)


# -- per-region effects --------------------------------------------------------------------


def test_per_region_estimates_equal_a_one_region_analysis_of_that_region_alone(case):
    spec, df, rep = case
    full = schedule_of(spec)
    seg = {(e.metric, e.segment): e for e in rep.estimates if e.segment is not None}
    assert len(seg) == 2 * 3
    for name in full.regions:
        one = SwitchbackSpec(**spec_dict(regions=[r for r in REGIONS if r["name"] == name],
                                         targeting=None, segments=False))
        alone = run(one, df[df["region"] == name], schedule=full.restrict([name]))
        methods = _table(alone, "methods")
        for head in alone.estimates:
            e = seg[(head.metric, f"region={name}")]
            assert e.method == head.method == "hajek"
            assert e.estimate == pytest.approx(head.estimate, abs=1e-9, rel=0)
            assert e.extra["se_design"] == pytest.approx(head.extra["se_design"], abs=1e-9)
            assert e.extra["df"] == pytest.approx(head.extra["df"], abs=1e-9)
            assert (e.n, e.n_reference) == (head.n, head.n_reference)
            assert e.level_reference == pytest.approx(head.level_reference, abs=1e-9)
            raw = next(r[7] for r in methods.rows if r[0] == head.metric
                       and str(r[1]).startswith("hajek"))
            assert e.extra["p_raw"] == pytest.approx(raw, abs=1e-9)  # unadjusted p
            assert e.n_unit == "periods"
            assert e.calibrated


def test_per_region_estimates_equal_a_numpy_difference_of_period_means():
    over = {"schedule": {"start": "2026-01-01T00:00Z", "end": "2026-01-03T00:00Z",
                         "period": "1h", "carryover": 0, "design": "bernoulli"},
            "decision": {"horizon": "2d"}}
    spec = SwitchbackSpec(**spec_dict(**over))
    df = rows(spec, seed=3)
    rep = run(spec, df)
    s = schedule_of(spec)
    k = ((df["timestamp"].astype("int64") - s.start_ns) // s.period_ns).to_numpy()
    for i, name in enumerate(s.regions):
        mine = df["region"].to_numpy() == name
        for metric in ("y", "g"):
            means = pd.Series(df[metric].to_numpy()[mine]).groupby(k[mine]).mean()
            arms = s.arms[i][means.index.to_numpy()]
            want = means[arms == 1].mean() - means[arms == 0].mean()
            got = next(e for e in rep.estimates
                       if e.metric == metric and e.segment == f"region={name}")
            assert got.estimate == pytest.approx(want, abs=1e-9, rel=0)


def test_family_correction_heterogeneity_and_the_tables(case):
    rep = case[2]
    seg = [e for e in rep.estimates if e.segment is not None]
    raw = np.array([e.extra["p_raw"] for e in seg], dtype=float)
    np.testing.assert_allclose([e.p_value for e in seg], adjust_pvalues(raw, "bh"),
                               rtol=0, atol=1e-12)
    assert [e.alpha for e in seg] == pytest.approx([0.05 / len(seg)] * len(seg))  # BH: a/m
    table = _table(rep, "region_effects")
    assert [r[:2] for r in table.rows] == [(e.metric, e.extra["region"]) for e in seg]
    assert "BH over 6 tests" in table.title
    het = {r[0]: r for r in _table(rep, "region_heterogeneity").rows}
    for metric in ("y", "g"):
        mine = [e for e in seg if e.metric == metric]
        h = cochran_q([e.estimate for e in mine],
                      [df_adjusted_se(float(e.extra["se_design"]), float(e.extra["df"]), 0.05)
                       for e in mine])
        assert het[metric][2] == pytest.approx(h.q, rel=1e-12)
        assert het[metric][4] == pytest.approx(h.p_value, rel=1e-9)
    assert _check(rep, "region_heterogeneity", "g").status is Status.WARN  # TW differs
    assert _check(rep, "region_heterogeneity", "y").status is Status.PASS
    tw = next(e for e in seg if e.metric == "g" and e.segment == "region=TW")
    assert tw.assessment.value == "inferior"
    assert not tw.harm  # segments are never harm


def test_holm_on_request(case):
    df = case[1]
    holm = SwitchbackSpec(**spec_dict(segments={"correction": "holm"}))
    rep = run(holm, df)
    seg = [e for e in rep.estimates if e.segment is not None]
    raw = np.array([e.extra["p_raw"] for e in seg], dtype=float)
    np.testing.assert_allclose([e.p_value for e in seg], adjust_pvalues(raw, "holm"),
                               rtol=0, atol=1e-12)
    assert "HOLM over 6 tests" in _table(rep, "region_effects").title


def test_a_guardrail_harmed_in_one_region_holds_the_gate_when_the_rule_is_on(case):
    _, df, rep = case
    assert rep.decision_basis is not None
    assert rep.decision_basis.segment_guardrails
    on = decide(rep).decision
    assert on.state.value == "hold"
    assert on.reasons[0].startswith("guardrail g [treatment] is harmed in segment region=TW")
    off_spec = SwitchbackSpec(**spec_dict(decision={"horizon": "3d"}))
    off = run(off_spec, df)
    assert off.decision_basis is not None
    assert not off.decision_basis.segment_guardrails
    assert decide(off).decision.state.value == "ship"


def test_without_segments_there_are_no_region_rows(case):
    df = case[1]
    rep = run(SwitchbackSpec(**spec_dict(segments=False)), df)
    assert all(e.segment is None for e in rep.estimates)
    assert not any(t.name.startswith("region_") for t in rep.tables)
