"""Aha verdicts that do not overclaim (issue 13.8).

On the simulator's ``confounded`` scenario a latent engagement drives both
``add_friend`` and retention and the true effect is 0; the adjusted estimate still
looks like a clear effect (about +0.25 [0.21, 0.29], E-value about 3.8 — the numbers
the audit saw). The verdict must never be a plain ``pass``: it is graded, benchmarked
against the strongest measured covariate, and says that only a randomized test
settles it. The ``causal`` scenario still finds the planted winner.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from causalkit.aha.analysis import AhaResult, discover
from causalkit.aha.causal import RANDOMIZED_ONLY, Verdict, grade, times
from causalkit.data import Source
from causalkit.errors import SpecError
from causalkit.report.model import Status
from causalkit.simulate.event_log import simulate_event_log
from causalkit.spec.aha import AhaSpec

COVARIATES = ["age", "ios", "paid", "referred"]
PLANTED = "add_friend >= 3 in 7d"


def _run(scenario: str, seed: int, n_users: int = 10_000, **params: Any) -> AhaResult:
    sim = simulate_event_log(seed=seed, n_users=n_users, scenario=scenario, **params)
    assert sim.truth["scenario"] == scenario
    if scenario == "confounded":
        assert sim.truth["ate"] == 0.0
    spec = AhaSpec(name="verdict", kind="aha", covariates=COVARIATES,
                   actions={"exclude": ["app_open"]}, heatmaps=0,
                   check={"top": 2, "refuters": [], "estimators": ["aipw"]})
    return discover(spec, Source.from_frame(sim.tables["events"]),
                    Source.from_frame(sim.tables["users"]), seed=seed)


def _assert_never_plain_pass(res: AhaResult) -> None:
    assert res.causal, "the causal check ran"
    for c in res.causal:
        sens = [ch for ch in c.checks if ch.name == "causal_sensitivity"]
        assert len(sens) == 1
        assert sens[0].status is not Status.PASS, sens[0].detail
        assert RANDOMIZED_ONLY in sens[0].detail
        assert c.verdict in Verdict
        # the superseded observational verdicts are not passed through
        assert not any(ch.name in ("causal_e_value", "causal_robustness_value")
                       for ch in c.checks)
        if c.verdict is Verdict.ROBUST:
            assert c.robust_k >= 1
            assert c.benchmark in [*COVARIATES, "early_activity"]
            assert f"robust to confounding as strong as {times(c.robust_k)} the strongest " \
                   f"measured covariate ({c.benchmark})" in sens[0].detail


def _rows(res: AhaResult) -> dict[str, Any]:
    c = res.causal[0]
    return {"winner": res.winner.label if res.winner else None, "effect": c.effect,
            "ci_low": c.ci_low, "verdict": c.verdict.value, "k": c.robust_k,
            "benchmark": c.benchmark, "e_value": c.e_value}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_confounded_log_never_gets_a_plain_pass(seed: int) -> None:
    res = _run("confounded", seed)
    _assert_never_plain_pass(res)
    row = _rows(res)
    # the trap is real: the winner is the engagement-driven action, and the adjusted
    # estimate excludes zero although the true effect is 0
    assert res.winner is not None
    assert res.winner.action == "add_friend", row
    assert row["ci_low"] > 0.1, row


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_causal_log_still_finds_the_planted_winner(seed: int) -> None:
    res = _run("causal", seed)
    _assert_never_plain_pass(res)
    row = _rows(res)
    assert row["winner"] == PLANTED, row
    assert res.causal[0].key.label == PLANTED
    assert row["verdict"] == Verdict.ROBUST.value, row
    assert row["k"] >= 1, row


@pytest.mark.slow
def test_verdicts_over_many_logs() -> None:
    for seed in range(10, 16):
        conf = _run("confounded", seed, n_users=20_000)
        _assert_never_plain_pass(conf)
        causal = _run("causal", seed, n_users=20_000)
        _assert_never_plain_pass(causal)
        assert _rows(causal)["winner"] == PLANTED
    # when the early-activity proxy sees the engagement, the benchmark grades it down
    seen = _run("confounded", 1, engagement_sessions=1.0)
    _assert_never_plain_pass(seen)
    assert seen.causal[0].verdict in (Verdict.FRAGILE, Verdict.NO_EVIDENCE)
    assert seen.causal[0].benchmark == "early_activity"


def test_grades() -> None:
    assert grade(covers_zero=True, k=5.0, e_value_ci=4.0, fragile_e_value=2.0) \
        is Verdict.NO_EVIDENCE
    assert grade(covers_zero=False, k=0.5, e_value_ci=4.0, fragile_e_value=2.0) \
        is Verdict.FRAGILE
    assert grade(covers_zero=False, k=5.0, e_value_ci=1.5, fragile_e_value=2.0) \
        is Verdict.FRAGILE
    assert grade(covers_zero=False, k=math.nan, e_value_ci=4.0, fragile_e_value=2.0) \
        is Verdict.NOT_BENCHMARKED
    assert grade(covers_zero=False, k=math.inf, e_value_ci=4.0, fragile_e_value=2.0) \
        is Verdict.ROBUST
    assert "pass" not in {v.value for v in Verdict}


def test_report_headline_and_table(tmp_path: Path) -> None:
    import causalkit

    rep = causalkit.analyze(
        "name: conf\nkind: aha\n"
        "data: {simulate: event_log, params: {n_users: 8000, scenario: confounded}, seed: 2}\n"
        "covariates: [age, ios, paid, referred]\nactions: {exclude: [app_open]}\n"
        "check: {top: 1, refuters: [], estimators: [aipw]}\nheatmaps: 0\n")
    extra = rep.meta.extra
    assert extra["causal_verdict"] in {v.value for v in Verdict}
    assert "Only a randomized test settles" in str(extra["headline"])
    sens = [c for c in rep.checks if c.name == "causal_sensitivity"]
    assert sens
    assert all(c.status is not Status.PASS for c in sens)
    table = next(t for t in rep.tables if t.name == "aha_causal")
    assert {"verdict", "robust_k", "benchmark"} <= set(table.columns)
    assert "only a randomized test settles it" in table.title


def test_scenario_parameters_are_checked() -> None:
    with pytest.raises(SpecError, match="scenario must be one of causal, confounded"):
        simulate_event_log(n_users=100, scenario="confunded")
    with pytest.raises(SpecError, match="confounded scenario has no effect"):
        simulate_event_log(n_users=100, scenario="confounded", effect=1.0)
    with pytest.raises(SpecError, match="effect must be finite"):
        simulate_event_log(n_users=100, effect=float("nan"))
    with pytest.raises(SpecError, match="seed"):
        simulate_event_log(seed=-1, n_users=100)
    # the causal scenario's log does not change when engagement could be added
    a = simulate_event_log(seed=3, n_users=500)
    b = simulate_event_log(seed=3, n_users=500, engagement=0.0, engagement_sessions=0.0)
    assert a.tables["events"].equals(b.tables["events"])
