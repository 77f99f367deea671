"""The decision rules on hand-built reports: order, reasons, stickiness, group-sequential looks."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from causalkit.errors import GateError
from causalkit.gate import RULES, Look, decide
from causalkit.gate.rules import Facts
from causalkit.report import Assessment, Check, Experiment, Report, Status
from causalkit.report.basis import GST_FIRST_LOOK_NOTE, look_key
from causalkit.spec.common import DecisionState

from .gate_helpers import NOW, START, est, gate, report

GOOD = {"estimate": 0.4, "low": 0.1, "high": 0.7}
FLAT = {"estimate": 0.05, "low": -0.2, "high": 0.3}
HARM_G = {"role": "guardrail", "direction": "decrease", "margin": 0.002,
          "estimate": 0.006, "low": 0.004, "high": 0.008}
OK_G = {"role": "guardrail", "direction": "decrease", "margin": 0.002,
        "estimate": 0.0005, "low": -0.0005, "high": 0.0015}
WITHIN_G = {"role": "guardrail", "direction": "decrease", "margin": 0.002,
            "estimate": 0.001, "low": 0.0005, "high": 0.0015}


def run(*estimates, **kw):
    return gate(*estimates, **kw)


def test_clear_improvement_ships_with_reasons():
    res = run(est(**GOOD), est("g", **OK_G))
    assert res.decision.state is DecisionState.SHIP
    assert "primary m [treatment] is significantly better" in res.decision.reasons[0]
    assert any("guardrail g [treatment] is non-inferior (margin 0.002)" in r
               for r in res.decision.reasons)
    assert res.decision.needs_history is False


def test_guardrail_harm_rolls_back_even_when_primary_wins():
    res = run(est(**GOOD), est("g", **HARM_G))
    assert res.decision.state == "rollback"
    assert res.decision.reasons[0].startswith("guardrail g [treatment] is worse than its margin")


def test_primary_significantly_worse_rolls_back():
    res = run(est(estimate=-0.4, low=-0.7, high=-0.1))
    assert res.decision.state == "rollback"
    assert "primary m [treatment] is significantly worse" in res.decision.reasons[0]


def test_decrease_metric_better_is_below_zero():
    res = run(est(direction="decrease", estimate=-0.4, low=-0.7, high=-0.1))
    assert res.decision.state == "ship"


# -- acceptance: worse but within the margin is not harm ------------------------------------


def test_guardrail_worse_within_margin_ships_with_a_better_primary():
    rep = report(est(**GOOD), est("g", **WITHIN_G))
    g = rep.estimates[1]
    assert g.assessment is Assessment.WORSE_WITHIN_MARGIN
    assert not g.harm
    res = decide(rep)
    assert res.decision.state == "ship"
    assert any(r.startswith("guardrail g [treatment] is worse but within its margin 0.002")
               for r in res.decision.reasons)


def test_worse_within_margin_alone_holds_and_never_rolls_back():
    res = run(est(**FLAT), est("g", **WITHIN_G))
    assert res.decision.state == "hold"


# -- invalid --------------------------------------------------------------------------------


@pytest.mark.parametrize("check", ["sample_ratio_mismatch", "data_zero_variance", "carryover"])
def test_a_failed_check_is_invalid_whatever_the_metrics(check):
    res = run(est(**GOOD), est("g", **OK_G), srm=False,
              checks=[Check(check, Status.FAIL, "p = 1e-9", metric="m")])
    assert res.decision.state == "invalid"
    assert res.decision.reasons[0] == f"check {check} failed (m): p = 1e-9"
    assert res.look.tested is False


def test_invalid_precedes_rollback():
    res = run(est(**GOOD), est("g", **HARM_G),
              checks=[Check("sample_ratio_mismatch", Status.FAIL, "p = 1e-7")])
    assert res.decision.state == "invalid"


def test_no_primary_estimate_is_invalid():
    res = run(est("g", **OK_G))
    assert res.decision.state == "invalid"
    assert "no estimate for a primary metric" in res.decision.reasons[0]


def test_non_finite_interval_is_invalid():
    res = run(est(estimate=math.nan, low=math.nan, high=math.nan, se=math.nan))
    assert res.decision.state == "invalid"
    assert "no finite estimate" in res.decision.reasons[0]


# -- hold -----------------------------------------------------------------------------------


def test_too_little_data_holds_and_says_why():
    res = run(est(**GOOD, n=400), min_sample_per_arm=1000)
    assert res.decision.state == "hold"
    assert res.decision.reasons[0] == ("400 units in the smallest arm, below the minimum of "
                                       "1000 per arm")


def test_basis_min_n_per_arm_wins_over_estimate_counts():
    res = run(est(**GOOD, n=5000), min_n_per_arm=10, min_sample_per_arm=100)
    assert res.decision.state == "hold"


def test_minimum_runtime_holds_from_start_or_first_exposure():
    res = run(est(**GOOD), min_runtime=timedelta(days=14), start=START)
    assert res.decision.state == "hold"
    assert res.decision.reasons[0] == "ran 7d, below the minimum runtime 14d"
    res = run(est(**GOOD), min_runtime=timedelta(days=14),
              first_exposure=datetime.fromisoformat("2026-11-20T00:00:00+00:00"))
    assert res.decision.state == "ship"


def test_runtime_rule_without_a_start_is_an_error():
    with pytest.raises(GateError, match="start"):
        run(est(**GOOD), min_runtime=timedelta(days=7))


def test_now_before_start_is_an_error():
    with pytest.raises(GateError, match="before the experiment start"):
        run(est(**GOOD), start=NOW + timedelta(days=1))


def test_rollback_precedes_the_minimum_sample():
    res = run(est(**GOOD, n=50), est("g", **HARM_G, n=50), min_sample_per_arm=1000)
    assert res.decision.state == "rollback"


def test_guardrail_not_shown_noninferior_holds():
    wide = {**OK_G, "low": -0.003, "high": 0.003}
    res = run(est(**GOOD), est("g", **wide))
    assert res.decision.state == "hold"
    assert res.decision.reasons[0].startswith("primary m [treatment] is significantly better")
    assert any("guardrail g [treatment]: non-inferiority not shown yet" in r
               for r in res.decision.reasons)


def test_guardrail_without_margin_only_needs_no_significant_harm():
    g = {"role": "guardrail", "direction": "decrease", "estimate": 0.0, "low": -1, "high": 1}
    res = run(est(**GOOD), est("g", **g))
    assert res.decision.state == "ship"
    assert any("has no margin and is not significantly worse" in r for r in res.decision.reasons)
    harm = {**g, "estimate": 2.0, "low": 1.0, "high": 3.0}
    res = run(est(**GOOD), est("g", **harm))
    assert res.decision.state == "rollback"
    assert "significantly worse (no margin set)" in res.decision.reasons[0]


def test_practical_threshold_must_be_reached():
    res = run(est(**GOOD, threshold=0.5))
    assert res.decision.state == "hold"
    assert "below the practical threshold 0.5" in res.decision.reasons[0]
    res = run(est(**GOOD, threshold=0.3))
    assert res.decision.state == "ship"
    assert "at least the practical threshold 0.3" in res.decision.reasons[0]


def test_horizon_reached_without_decision_is_inconclusive():
    res = run(est(**FLAT, n=20000), horizon_sample_per_arm=20000)
    assert res.decision.state == "inconclusive"
    assert res.decision.reasons[0] == "the planned sample of 20000 per arm is reached (20000)"
    res = run(est(**FLAT), horizon=timedelta(days=7), start=START)
    assert res.decision.state == "inconclusive"
    assert "the planned horizon 7d is reached" in res.decision.reasons


def test_otherwise_hold_with_the_open_items():
    res = run(est(**FLAT))
    assert res.decision.state == "hold"
    assert res.decision.reasons == ("primary m [treatment]: significant improvement not shown "
                                    "yet: "
                                    "+0.05 [-0.2, +0.3]",)


def test_multi_arm_ships_the_arm_that_wins():
    res = run(est(**FLAT, arm="a"), est(**GOOD, arm="b"), est("g", **OK_G, arm="a"),
              est("g", **OK_G, arm="b"))
    assert res.decision.state == "ship"
    assert res.decision.reasons[0] == "arm(s) that may ship: b"


def test_harm_in_any_arm_rolls_back():
    res = run(est(**GOOD, arm="a"), est(**GOOD, arm="b"), est("g", **OK_G, arm="a"),
              est("g", **HARM_G, arm="b"))
    assert res.decision.state == "rollback"


def test_msprt_reads_confidence_sequences_built_from_fixed_intervals():
    # se 0.1 at half the planned information: se^2 at the horizon is 0.005
    e = est(estimate=0.4, low=0.204, high=0.596, se=0.1, n=5000, ci_kind="fixed")
    rep = report(e, horizon_sample_per_arm=10000)
    f = rep.estimates[0]
    la = -2 * math.log(0.05)
    tau2 = 0.005 * (la + math.log1p(la))
    var = 0.01
    half = math.sqrt(var * (var + tau2) / tau2 * (la + math.log((var + tau2) / var)))
    assert (f.decision_ci_low, f.decision_ci_high) == pytest.approx((0.4 - half, 0.4 + half),
                                                                    rel=1e-12)
    assert f.interval_kind == "always_valid"
    assert decide(rep).decision.state == "ship"  # 0.4 - 0.305 > 0
    # without a planned horizon no decision interval can be built: error, fail closed
    res = decide(report(e))
    assert res.decision.state == "error"
    assert "planned horizon" in res.decision.reasons[0]


def test_primary_without_direction_is_an_error():
    with pytest.raises(GateError, match="no direction"):
        run(est(**GOOD, direction=None))


def test_warn_checks_and_basis_notes_become_warning_reasons():
    rep = report(est(**GOOD), checks=[Check("carryover", Status.WARN, "p = 0.03")])
    rep = replace(rep, decision_basis=replace(rep.decision_basis, notes=("a note",)))
    res = decide(rep)
    assert res.decision.state == "ship"
    assert res.warnings == ("a note", "check carryover warns: p = 0.03")
    assert res.decision.reasons[-2:] == ("warning: a note",
                                         "warning: check carryover warns: p = 0.03")


def test_naive_time_is_rejected():
    with pytest.raises(GateError, match="time zone"):
        decide(report(est(**GOOD)), now=datetime(2026, 1, 1))


def test_a_report_without_decision_basis_has_no_decision_rules():
    rep = Report(experiment=Experiment(name="x", kind="observational"))
    with pytest.raises(GateError, match="kind observational has no decision rules; run it "
                                        "with `causalkit run`"):
        decide(rep)


def test_now_defaults_to_the_basis_and_can_be_moved():
    rep = report(est(**GOOD), min_runtime=timedelta(days=10), start=START)
    assert decide(rep).decision.state == "hold"
    assert decide(rep).look.time == NOW
    later = decide(rep, now=NOW + timedelta(days=3))
    assert later.decision.state == "ship"
    assert later.runtime == timedelta(days=10)


# -- one small test per rule, in order -------------------------------------------------------


def _facts(rep, history=()):
    from causalkit.gate.rules import _facts

    return _facts(rep, history, None)


def test_rules_are_in_the_documented_order():
    assert [r.__name__ for r in RULES] == ["invalid", "sticky", "unusable", "rollback",
                                           "too_early", "segment_guardrails", "ship",
                                           "horizon_reached", "hold"]


def test_rule_invalid_answers_only_for_failed_checks_or_broken_estimates():
    invalid = RULES[0]
    assert invalid(_facts(report(est(**GOOD)))) is None
    bad = report(est(**GOOD), checks=[Check("srm", Status.FAIL, "p=0")])
    assert invalid(_facts(bad)).state == "invalid"


def test_rule_sticky_answers_only_after_a_terminal_look_on_other_statistics():
    sticky = RULES[1]
    rep = report(est(**FLAT))
    assert sticky(_facts(rep)) is None
    assert sticky(_facts(rep, [_look(1, "ship")])).state == "ship"
    same = _look(1, "ship", key=rep.decision_basis.look_key)
    assert sticky(_facts(rep, [same])) is None


def test_rule_unusable_answers_when_the_intervals_could_not_be_built():
    unusable = RULES[2]
    assert unusable(_facts(report(est(**GOOD)))) is None
    broken = report(est(**GOOD, ci_kind="fixed"))  # msprt without a planned horizon
    assert broken.decision_basis.problem
    answer = unusable(_facts(broken))
    assert answer.state == "error"
    assert answer.reasons == (broken.decision_basis.problem,)
    # a failed check still comes first: invalid (as before the problem was recorded)
    failed = report(est(**GOOD, ci_kind="fixed"), checks=[Check("srm", Status.FAIL, "p=0")])
    assert decide(failed).decision.state == "invalid"


def test_rule_rollback_answers_only_for_harm():
    rollback = RULES[3]
    assert rollback(_facts(report(est(**GOOD), est("g", **WITHIN_G)))) is None
    assert rollback(_facts(report(est(**GOOD), est("g", **HARM_G)))).state == "rollback"


def test_rule_too_early_answers_below_the_minimum_sample():
    too_early = RULES[4]
    assert too_early(_facts(report(est(**GOOD)))) is None
    facts = _facts(report(est(**GOOD, n=10), min_sample_per_arm=20))
    assert too_early(facts).state == "hold"


def test_rule_ship_answers_for_a_better_primary_and_safe_guardrails():
    ship = RULES[6]
    assert ship(_facts(report(est(**FLAT)))) is None
    assert ship(_facts(report(est(**GOOD), est("g", **{**OK_G, "high": 0.003})))) is None
    assert ship(_facts(report(est(**GOOD), est("g", **OK_G)))).state == "ship"


def test_rule_horizon_reached_answers_at_the_planned_sample():
    horizon_reached = RULES[7]
    assert horizon_reached(_facts(report(est(**FLAT), horizon_sample_per_arm=9000))) is None
    facts = _facts(report(est(**FLAT, n=9000), horizon_sample_per_arm=9000))
    assert horizon_reached(facts).state == "inconclusive"


def test_rule_hold_always_answers():
    hold = RULES[-1]
    assert hold(_facts(report(est(**GOOD)))).state == "hold"


def test_facts_read_the_basis():
    f = _facts(report(est(**GOOD)))
    assert isinstance(f, Facts)
    assert f.index == 1
    assert f.key == look_key(f.report.estimates, f.report.checks, 5000)


# -- stickiness and looks -------------------------------------------------------------------


def _look(index, decision, key="other", **kw):
    return Look(index=index, time=NOW - timedelta(days=3), key=key, n_per_arm=100,
                decision=decision, reasons=(f"was {decision}",), **kw)


@pytest.mark.parametrize("final", ["ship", "rollback", "inconclusive"])
def test_a_terminal_decision_is_sticky(final):
    res = run(est(**FLAT), history=[_look(1, "hold", key="a"), _look(2, final, key="b")])
    assert res.decision.state == final
    assert res.decision.reasons[0].startswith(f"{final} was decided at look 2")
    assert res.sticky_from == 2
    assert res.look.index == 3
    assert res.look.tested is False


def test_hold_and_invalid_are_not_sticky():
    res = run(est(**GOOD), history=[_look(1, "hold", key="a"), _look(2, "invalid", key="b")])
    assert res.decision.state == "ship"


def test_invalid_overrides_a_sticky_ship():
    res = run(est(**GOOD), checks=[Check("sample_ratio_mismatch", Status.FAIL, "p=0")],
              history=[_look(1, "ship")])
    assert res.decision.state == "invalid"


def test_same_statistics_are_the_same_look():
    rep = report(est(**GOOD))
    first = decide(rep)
    again_rep = report(est(**GOOD), history=[first.look], now=NOW + timedelta(hours=1))
    again = decide(again_rep, history=[first.look])
    assert again.look.index == 1
    assert again.decision == first.decision
    assert rep.decision_basis.look_key == first.look.key


# -- group-sequential ------------------------------------------------------------------------


def _gst_est(z, n, se=0.1, **kw):
    return est(estimate=z * se, low=z * se - 1.96 * se, high=z * se + 1.96 * se, se=se, n=n,
               ci_kind="fixed", **kw)


GST = {"sequential": "gst", "horizon_sample_per_arm": 10000}


def test_gst_early_look_needs_the_obrien_fleming_boundary():
    res = run(_gst_est(2.5, 2000), **GST)  # t = 0.2, boundary 4.88
    assert res.decision.state == "hold"
    assert res.look.information_fraction == pytest.approx(0.2)
    assert res.look.boundary_z == pytest.approx(4.877, abs=2e-3)
    # 4 (1 - Phi(z_{1-alpha/4} / sqrt(t))) = 2 (1 - Phi(4.877)) at t = 0.2
    assert res.look.spent_alpha == pytest.approx(4 * norm.sf(norm.isf(0.0125) / math.sqrt(0.2)))
    assert res.look.spent_alpha == pytest.approx(2 * norm.sf(4.877), rel=2e-3)
    assert "boundary |z| >= 4.877" in res.decision.reasons[-1]
    assert res.decision.needs_history is False
    # the same z at the final look (all alpha spent) ships
    hist = [res.look]
    fractions = [0.4, 0.6, 0.8]
    for i, t in enumerate(fractions, start=2):
        r = run(_gst_est(1.0 + i * 0.01, int(t * 10000)), history=hist, **GST)
        assert r.decision.state == "hold"
        hist.append(r.look)
    last = run(_gst_est(2.5, 10000), history=hist, **GST)
    assert last.decision.state == "ship"
    assert last.look.boundary_z == pytest.approx(2.031, abs=2e-3)
    assert last.look.spent_alpha == pytest.approx(0.05)


def test_gst_without_history_is_a_first_look_and_says_so():
    rep = report(_gst_est(2.5, 10000), history=None, **GST)
    res = decide(rep)
    assert res.decision.needs_history is True
    assert f"warning: {GST_FIRST_LOOK_NOTE}" in res.decision.reasons
    assert sum("--state FILE" in r for r in res.decision.reasons) == 1
    # a basis without the note (another producer) still gets it once
    bare = replace(rep, decision_basis=replace(rep.decision_basis, notes=()))
    assert decide(bare).decision.reasons == res.decision.reasons


def test_gst_final_look_without_decision_is_inconclusive():
    res = run(_gst_est(1.0, 10000), **GST)
    assert res.decision.state == "inconclusive"


def test_gst_information_must_grow():
    first = run(_gst_est(1.0, 5000), **GST)
    res = run(_gst_est(1.1, 5000), history=[first.look], **GST)
    assert res.decision.state == "error"
    assert "information did not grow" in res.decision.reasons[0]
    assert res.look.tested is False


def test_gst_after_complete_information_reuses_the_final_boundary():
    rules = {**GST, "start": START, "min_runtime": timedelta(days=10)}
    first = run(_gst_est(3.0, 12000), **rules)
    assert first.decision.state == "hold"  # ran 7d of 10d, although the sample is complete
    assert first.look.boundary_z == pytest.approx(1.96, abs=1e-3)
    later = run(_gst_est(3.1, 13000), now=NOW + timedelta(days=4), history=[first.look],
                **rules)
    assert later.decision.state == "ship"
    assert later.look.boundary_z == pytest.approx(first.look.boundary_z)
    assert later.look.spent_alpha == pytest.approx(0.05)


def test_gst_needs_planned_information_and_se():
    res = run(_gst_est(1.0, 5000), sequential="gst")
    assert res.decision.state == "error"
    assert "planned information" in res.decision.reasons[0]
    e = replace(est(**GOOD, ci_kind="fixed"), se=None)
    res = run(e, sequential="gst", horizon_sample_per_arm=10)
    assert res.decision.state == "error"
    assert "standard error" in res.decision.reasons[0]


def test_gst_time_based_information():
    res = run(_gst_est(1.0, 5000), sequential="gst", horizon=timedelta(days=28), start=START)
    assert res.look.information_fraction == pytest.approx(0.25)


def test_gst_guardrail_uses_its_own_alpha_level():
    g = est("g", role="guardrail", direction="decrease", margin=0.3, estimate=0.0,
            low=-0.196, high=0.196, se=0.1, n=10000, ci_kind="fixed", alpha=0.025)
    rep = report(_gst_est(3.0, 10000), g, **GST)
    gv = next(e for e in rep.estimates if e.metric == "g")
    assert gv.decision_ci_high == pytest.approx(0.1 * 2.2414, abs=1e-3)  # z_{1-0.0125}
    assert decide(rep).decision.state == "ship"


# -- properties ------------------------------------------------------------------------------

interval = st.tuples(st.floats(-5, 5), st.floats(0.001, 3)).map(
    lambda t: {"estimate": t[0], "low": t[0] - t[1], "high": t[0] + t[1]})


@settings(max_examples=200, deadline=None)
@given(p=interval, g=interval, margin=st.floats(0, 2), srm=st.booleans(),
       direction=st.sampled_from(["increase", "decrease"]))
def test_property_ship_only_with_evidence_and_never_when_invalid(p, g, margin, srm, direction):
    checks = [Check("sample_ratio_mismatch", Status.FAIL, "p=0")] if srm else []
    res = run(est(direction=direction, **p),
              est("g", role="guardrail", direction="decrease", margin=margin, **g),
              checks=checks)
    if srm:
        assert res.decision.state == "invalid"
    sign = 1 if direction == "increase" else -1
    if res.decision.state == "ship":
        assert min(sign * p["low"], sign * p["high"]) > 0
        assert g["high"] < margin
    if res.decision.state == "rollback":
        assert max(sign * p["low"], sign * p["high"]) < 0 or g["low"] > margin
    assert res.decision.reasons


@settings(max_examples=200, deadline=None)
@given(p=interval, g=interval, margin=st.floats(0, 2),
       direction=st.sampled_from(["increase", "decrease"]))
def test_property_rollback_is_exactly_harm(p, g, margin, direction):
    rep = report(est(direction=direction, **p),
                 est("g", role="guardrail", direction="decrease", margin=margin, **g))
    res = decide(rep)
    assert (res.decision.state == "rollback") == any(e.harm for e in rep.estimates)


@settings(max_examples=100, deadline=None)
@given(p=interval)
def test_property_direction_mirror(p):
    up = run(est(direction="increase", **p))
    down = run(est(direction="decrease", estimate=-p["estimate"], low=-p["high"],
                   high=-p["low"]))
    assert up.decision.state == down.decision.state
