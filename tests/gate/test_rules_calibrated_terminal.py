"""The gate decides only from calibrated intervals, and a terminal decision stays.

Generated cases: ``test_an_uncalibrated_deciding_estimate_never_decides`` 60.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from causalkit.gate import decide
from causalkit.spec.common import DecisionState

from .gate_helpers import NOW, est, gate, report

GOOD = {"estimate": 0.4, "low": 0.1, "high": 0.7}
FLAT = {"estimate": 0.05, "low": -0.2, "high": 0.3}


def test_an_uncalibrated_primary_makes_the_decision_invalid() -> None:
    e = replace(est(**GOOD), calibrated=False, method="fe_hac")
    res = gate(e)
    assert res.decision.state is DecisionState.INVALID
    assert "uncalibrated interval (fe_hac" in res.decision.reasons[0]
    assert res.look.tested is False


def test_an_uncalibrated_secondary_is_shown_but_does_not_decide() -> None:
    side = replace(est("s", role="secondary", direction=None, estimate=-9.0, low=-10.0,
                       high=-8.0), calibrated=False)
    assert gate(est(**GOOD), side).decision.state is DecisionState.SHIP


@settings(max_examples=60, deadline=None)
@given(role=st.sampled_from(["primary", "guardrail"]),
       estimate=st.floats(min_value=-5, max_value=5), half=st.floats(min_value=0.01, max_value=3))
def test_an_uncalibrated_deciding_estimate_never_decides(role: str, estimate: float,
                                                         half: float) -> None:
    kw = {"margin": 0.5, "direction": "decrease"} if role == "guardrail" else {}
    bad = replace(est("u", role=role, estimate=estimate, low=estimate - half,
                      high=estimate + half, **kw), calibrated=False)
    res = gate(est(**GOOD), bad)
    assert res.decision.state is DecisionState.INVALID


def test_a_terminal_look_read_again_keeps_its_decision() -> None:
    first = gate(est(**GOOD))
    assert first.decision.state is DecisionState.SHIP
    # the very same statistics, read so early that the minimum runtime is not reached:
    # the rules alone would hold, but the ship at this look stands
    rep = report(est(**GOOD), history=[first.look], min_runtime=timedelta(days=30),
                 start=NOW - timedelta(days=7))
    again = decide(rep, history=[first.look])
    assert again.look.key == first.look.key
    assert again.decision.state is DecisionState.SHIP
    assert again.decision.reasons[0].startswith("ship was decided at look 1")
    # other statistics that now look flat: sticky as before
    later = gate(est(**FLAT), history=[first.look])
    assert later.decision.state is DecisionState.SHIP
    assert later.sticky_from == 1
