"""The decision rules on hand-built reports: order, reasons, stickiness, group-sequential looks."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from causalkit.errors import GateError
from causalkit.gate import GateRules, Look, decide
from causalkit.gate.rules import look_key
from causalkit.report import Check, Status

from .gate_helpers import est, report

NOW = datetime(2026, 12, 8, tzinfo=UTC)
START = datetime(2026, 12, 1, tzinfo=UTC)
GOOD = {"estimate": 0.4, "low": 0.1, "high": 0.7}
FLAT = {"estimate": 0.05, "low": -0.2, "high": 0.3}
HARM_G = {"role": "guardrail", "direction": "decrease", "margin": 0.002,
          "estimate": 0.006, "low": 0.004, "high": 0.008}
OK_G = {"role": "guardrail", "direction": "decrease", "margin": 0.002,
        "estimate": 0.0005, "low": -0.0005, "high": 0.0015}


def run(rep, now=NOW, **rules):
    return decide(rep, GateRules(**rules), now=now)


def test_clear_improvement_ships_with_reasons():
    res = run(report(est(**GOOD), est("g", **OK_G)))
    assert res.decision.state == "ship"
    assert "primary m [treatment] is significantly better" in res.decision.reasons[0]
    assert any("guardrail g [treatment] is non-inferior (margin 0.002)" in r
               for r in res.decision.reasons)


def test_guardrail_harm_rolls_back_even_when_primary_wins():
    res = run(report(est(**GOOD), est("g", **HARM_G)))
    assert res.decision.state == "rollback"
    assert res.decision.reasons[0].startswith("guardrail g [treatment] is worse than its margin")


def test_primary_significantly_worse_rolls_back():
    res = run(report(est(estimate=-0.4, low=-0.7, high=-0.1)))
    assert res.decision.state == "rollback"
    assert "primary m [treatment] is significantly worse" in res.decision.reasons[0]


def test_decrease_metric_better_is_below_zero():
    res = run(report(est(direction="decrease", estimate=-0.4, low=-0.7, high=-0.1)))
    assert res.decision.state == "ship"


@pytest.mark.parametrize("check", ["sample_ratio_mismatch", "data_zero_variance", "carryover"])
def test_a_failed_check_is_invalid_whatever_the_metrics(check):
    rep = report(est(**GOOD), est("g", **OK_G),
                 checks=[Check(check, Status.FAIL, "p = 1e-9", metric="m")])
    rep = replace(rep, checks=rep.checks[1:])  # drop the passing SRM
    res = run(rep)
    assert res.decision.state == "invalid"
    assert res.decision.reasons[0] == f"check {check} failed (m): p = 1e-9"
    assert res.look.tested is False


def test_invalid_precedes_rollback():
    res = run(report(est(**GOOD), est("g", **HARM_G),
                     checks=[Check("sample_ratio_mismatch", Status.FAIL, "p = 1e-7")]))
    assert res.decision.state == "invalid"


def test_no_primary_estimate_is_invalid():
    res = run(report(est("g", **OK_G)))
    assert res.decision.state == "invalid"
    assert "no estimate for a primary metric" in res.decision.reasons[0]


def test_non_finite_interval_is_invalid():
    res = run(report(est(estimate=math.nan, low=math.nan, high=math.nan)))
    assert res.decision.state == "invalid"
    assert "no finite estimate" in res.decision.reasons[0]


def test_too_little_data_holds_and_says_why():
    res = run(report(est(**GOOD, n=400)), min_sample_per_arm=1000)
    assert res.decision.state == "hold"
    assert res.decision.reasons[0] == ("400 units in the smallest arm, below the minimum of "
                                       "1000 per arm")


def test_meta_min_n_per_arm_wins_over_estimate_counts():
    res = run(report(est(**GOOD, n=5000), extra={"min_n_per_arm": 10}), min_sample_per_arm=100)
    assert res.decision.state == "hold"


def test_minimum_runtime_holds_from_start_or_first_exposure():
    rep = report(est(**GOOD))
    res = run(rep, min_runtime=timedelta(days=14), start=START)
    assert res.decision.state == "hold"
    assert res.decision.reasons[0] == "ran 7d, below the minimum runtime 14d"
    rep2 = report(est(**GOOD), extra={"first_exposure": "2026-11-20T00:00:00Z"})
    assert run(rep2, min_runtime=timedelta(days=14)).decision.state == "ship"


def test_runtime_rule_without_a_start_is_an_error():
    with pytest.raises(GateError, match="start"):
        run(report(est(**GOOD)), min_runtime=timedelta(days=7))


def test_now_before_start_is_an_error():
    with pytest.raises(GateError, match="before the experiment start"):
        run(report(est(**GOOD)), start=NOW + timedelta(days=1))


def test_rollback_precedes_the_minimum_sample():
    res = run(report(est(**GOOD, n=50), est("g", **HARM_G, n=50)), min_sample_per_arm=1000)
    assert res.decision.state == "rollback"


def test_guardrail_not_shown_noninferior_holds():
    wide = {**OK_G, "low": -0.003, "high": 0.003}
    res = run(report(est(**GOOD), est("g", **wide)))
    assert res.decision.state == "hold"
    assert res.decision.reasons[0].startswith("primary m [treatment] is significantly better")
    assert any("guardrail g [treatment] is not yet shown non-inferior" in r
               for r in res.decision.reasons)


def test_guardrail_without_margin_only_needs_no_significant_harm():
    g = {"role": "guardrail", "direction": "decrease", "estimate": 0.0, "low": -1, "high": 1}
    res = run(report(est(**GOOD), est("g", **g)))
    assert res.decision.state == "ship"
    assert any("has no margin and is not significantly worse" in r for r in res.decision.reasons)
    harm = {**g, "estimate": 2.0, "low": 1.0, "high": 3.0}
    res = run(report(est(**GOOD), est("g", **harm)))
    assert res.decision.state == "rollback"
    assert "significantly worse (no margin set)" in res.decision.reasons[0]


def test_practical_threshold_must_be_reached():
    res = run(report(est(**GOOD, threshold=0.5)))
    assert res.decision.state == "hold"
    assert "below the practical threshold 0.5" in res.decision.reasons[0]
    res = run(report(est(**GOOD, threshold=0.3)))
    assert res.decision.state == "ship"
    assert "at least the practical threshold 0.3" in res.decision.reasons[0]


def test_horizon_reached_without_decision_is_inconclusive():
    res = run(report(est(**FLAT, n=20000)), horizon_sample_per_arm=20000)
    assert res.decision.state == "inconclusive"
    assert res.decision.reasons[0] == "the planned sample of 20000 per arm is reached (20000)"
    res = run(report(est(**FLAT)), horizon=timedelta(days=7), start=START)
    assert res.decision.state == "inconclusive"
    assert "the planned horizon 7d is reached" in res.decision.reasons


def test_otherwise_hold_with_the_open_items():
    res = run(report(est(**FLAT)))
    assert res.decision.state == "hold"
    assert res.decision.reasons == ("primary m [treatment] is not significantly better yet: "
                                    "+0.05 [-0.2, +0.3]",)


def test_multi_arm_ships_the_arm_that_wins():
    rep = report(est(**FLAT, arm="a"), est(**GOOD, arm="b"), est("g", **OK_G, arm="a"),
                 est("g", **OK_G, arm="b"))
    res = run(rep)
    assert res.decision.state == "ship"
    assert res.decision.reasons[0] == "arm(s) that may ship: b"


def test_harm_in_any_arm_rolls_back():
    rep = report(est(**GOOD, arm="a"), est(**GOOD, arm="b"), est("g", **OK_G, arm="a"),
                 est("g", **HARM_G, arm="b"))
    assert run(rep).decision.state == "rollback"


def test_msprt_turns_fixed_intervals_into_confidence_sequences():
    # se 0.1 at half the planned information: se^2 at the horizon is 0.005
    rep = report(est(estimate=0.4, low=0.204, high=0.596, se=0.1, n=5000, ci_kind="fixed"))
    res = run(rep, horizon_sample_per_arm=10000)
    v = res.verdicts[0]
    la = -2 * math.log(0.05)
    tau2 = 0.005 * (la + math.log1p(la))
    var = 0.01
    half = math.sqrt(var * (var + tau2) / tau2 * (la + math.log((var + tau2) / var)))
    assert (v.low, v.high) == pytest.approx((0.4 - half, 0.4 + half), rel=1e-12)
    assert v.interval == "always_valid"
    assert res.decision.state == "ship"  # 0.4 - 0.305 > 0
    with pytest.raises(GateError, match="planned horizon"):
        run(rep)


def test_primary_without_direction_is_an_error():
    with pytest.raises(GateError, match="no direction"):
        run(report(est(**GOOD, direction=None)))


def test_warn_checks_become_warnings():
    res = run(report(est(**GOOD), checks=[Check("carryover", Status.WARN, "p = 0.03")]))
    assert res.decision.state == "ship"
    assert res.warnings == ("check carryover warns: p = 0.03",)


def test_naive_time_is_rejected():
    with pytest.raises(GateError, match="time zone"):
        decide(report(est(**GOOD)), GateRules(), now=datetime(2026, 1, 1))


# -- stickiness and looks -------------------------------------------------------------------


def _look(index, decision, key="other", **kw):
    return Look(index=index, time=NOW - timedelta(days=3), key=key, n_per_arm=100,
                decision=decision, reasons=(f"was {decision}",), **kw)


@pytest.mark.parametrize("final", ["ship", "rollback", "inconclusive"])
def test_a_terminal_decision_is_sticky(final):
    res = decide(report(est(**FLAT)), GateRules(), now=NOW,
                 history=[_look(1, "hold", key="a"), _look(2, final, key="b")])
    assert res.decision.state == final
    assert res.decision.reasons[0].startswith(f"{final} was decided at look 2")
    assert res.sticky_from == 2
    assert res.look.index == 3
    assert res.look.tested is False


def test_hold_and_invalid_are_not_sticky():
    res = decide(report(est(**GOOD)), GateRules(), now=NOW,
                 history=[_look(1, "hold", key="a"), _look(2, "invalid", key="b")])
    assert res.decision.state == "ship"


def test_invalid_overrides_a_sticky_ship():
    rep = report(est(**GOOD), checks=[Check("sample_ratio_mismatch", Status.FAIL, "p=0")])
    res = decide(rep, GateRules(), now=NOW, history=[_look(1, "ship")])
    assert res.decision.state == "invalid"


def test_same_statistics_are_the_same_look():
    rep = report(est(**GOOD))
    first = decide(rep, GateRules(), now=NOW)
    again = decide(rep, GateRules(), now=NOW + timedelta(hours=1), history=[first.look])
    assert again.look.index == 1
    assert again.decision == first.decision
    assert look_key(rep) == first.look.key


# -- group-sequential ------------------------------------------------------------------------


def _gst_est(z, n, se=0.1, **kw):
    return est(estimate=z * se, low=z * se - 1.96 * se, high=z * se + 1.96 * se, se=se, n=n,
               ci_kind="fixed", **kw)


def test_gst_early_look_needs_the_obrien_fleming_boundary():
    rules = GateRules(sequential="gst", horizon_sample_per_arm=10000)
    res = decide(report(_gst_est(2.5, 2000)), rules, now=NOW)  # t = 0.2, boundary 4.88
    assert res.decision.state == "hold"
    assert res.look.information_fraction == pytest.approx(0.2)
    assert res.look.boundary_z == pytest.approx(4.877, abs=2e-3)
    # 4 (1 - Phi(z_{1-alpha/4} / sqrt(t))) = 2 (1 - Phi(4.877)) at t = 0.2
    assert res.look.spent_alpha == pytest.approx(4 * norm.sf(norm.isf(0.0125) / math.sqrt(0.2)))
    assert res.look.spent_alpha == pytest.approx(2 * norm.sf(4.877), rel=2e-3)
    assert "boundary |z| >= 4.877" in res.decision.reasons[-1]
    # the same z at the final look (all alpha spent) ships
    hist = [res.look]
    fractions = [0.4, 0.6, 0.8]
    for i, t in enumerate(fractions, start=2):
        r = decide(report(_gst_est(1.0 + i * 0.01, int(t * 10000))), rules, now=NOW,
                   history=hist)
        assert r.decision.state == "hold"
        hist.append(r.look)
    last = decide(report(_gst_est(2.5, 10000)), rules, now=NOW, history=hist)
    assert last.decision.state == "ship"
    assert last.look.boundary_z == pytest.approx(2.031, abs=2e-3)
    assert last.look.spent_alpha == pytest.approx(0.05)


def test_gst_final_look_without_decision_is_inconclusive():
    rules = GateRules(sequential="gst", horizon_sample_per_arm=10000)
    res = decide(report(_gst_est(1.0, 10000)), rules, now=NOW)
    assert res.decision.state == "inconclusive"


def test_gst_information_must_grow():
    rules = GateRules(sequential="gst", horizon_sample_per_arm=10000)
    first = decide(report(_gst_est(1.0, 5000)), rules, now=NOW)
    with pytest.raises(GateError, match="information did not grow"):
        decide(report(_gst_est(1.1, 5000)), rules, now=NOW, history=[first.look])


def test_gst_after_complete_information_reuses_the_final_boundary():
    rules = GateRules(sequential="gst", horizon_sample_per_arm=10000, start=START,
                      min_runtime=timedelta(days=10))
    first = decide(report(_gst_est(3.0, 12000)), rules, now=NOW)
    assert first.decision.state == "hold"  # ran 7d of 10d, although the sample is complete
    assert first.look.boundary_z == pytest.approx(1.96, abs=1e-3)
    later = decide(report(_gst_est(3.1, 13000)), rules, now=NOW + timedelta(days=4),
                   history=[first.look])
    assert later.decision.state == "ship"
    assert later.look.boundary_z == pytest.approx(first.look.boundary_z)
    assert later.look.spent_alpha == pytest.approx(0.05)


def test_gst_needs_planned_information_and_se():
    with pytest.raises(GateError, match="planned information"):
        decide(report(_gst_est(1.0, 5000)), GateRules(sequential="gst"), now=NOW)
    e = est(**GOOD, ci_kind="fixed")
    e = replace(e, se=None)
    with pytest.raises(GateError, match="standard error"):
        decide(report(e), GateRules(sequential="gst", horizon_sample_per_arm=10), now=NOW)


def test_gst_time_based_information():
    rules = GateRules(sequential="gst", horizon=timedelta(days=28), start=START)
    res = decide(report(_gst_est(1.0, 5000)), rules, now=NOW)
    assert res.look.information_fraction == pytest.approx(0.25)


def test_gst_guardrail_uses_its_own_alpha_level():
    rules = GateRules(sequential="gst", horizon_sample_per_arm=10000)
    g = est("g", role="guardrail", direction="decrease", margin=0.3, estimate=0.0,
            low=-0.196, high=0.196, se=0.1, n=10000, ci_kind="fixed", alpha=0.025)
    res = decide(report(_gst_est(3.0, 10000), g), rules, now=NOW)
    gv = next(v for v in res.verdicts if v.metric == "g")
    assert gv.high == pytest.approx(0.1 * 2.2414, abs=1e-3)  # z_{1-0.0125}
    assert res.decision.state == "ship"


# -- properties ------------------------------------------------------------------------------

interval = st.tuples(st.floats(-5, 5), st.floats(0.001, 3)).map(
    lambda t: {"estimate": t[0], "low": t[0] - t[1], "high": t[0] + t[1]})


@settings(max_examples=200, deadline=None)
@given(p=interval, g=interval, margin=st.floats(0, 2), srm=st.booleans(),
       direction=st.sampled_from(["increase", "decrease"]))
def test_property_ship_only_with_evidence_and_never_when_invalid(p, g, margin, srm, direction):
    checks = [Check("sample_ratio_mismatch", Status.FAIL, "p=0")] if srm else []
    rep = report(est(direction=direction, **p),
                 est("g", role="guardrail", direction="decrease", margin=margin, **g),
                 checks=checks)
    res = run(rep)
    if srm:
        assert res.decision.state == "invalid"
    if res.decision.state == "ship":
        sign = 1 if direction == "increase" else -1
        assert min(sign * p["low"], sign * p["high"]) > 0
        assert g["high"] < margin
    if res.decision.state == "rollback":
        sign = 1 if direction == "increase" else -1
        assert max(sign * p["low"], sign * p["high"]) < 0 or g["low"] > margin
    assert res.decision.reasons


@settings(max_examples=100, deadline=None)
@given(p=interval)
def test_property_direction_mirror(p):
    up = run(report(est(direction="increase", **p)))
    down = run(report(est(direction="decrease", estimate=-p["estimate"], low=-p["high"],
                          high=-p["low"])))
    assert up.decision.state == down.decision.state
