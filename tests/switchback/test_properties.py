"""Properties of the switch-back p-values (never 0) and of the runs behind Hajek's t df.

Generated cases: ``test_two_sided_p_is_never_zero`` 150, ``test_arm_runs_match_a_loop`` 60.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from causalkit.switchback.design import block_starts, regular_design
from causalkit.switchback.effect import arm_runs, normal_interval
from causalkit.switchback.estimators import P_FLOOR, two_sided_p
from causalkit.switchback.windows import lag_windows


@settings(max_examples=150, deadline=None)
@given(z=st.floats(allow_nan=True, allow_infinity=True),
       df=st.one_of(st.just(math.inf), st.floats(min_value=1.0, max_value=1e6)))
def test_two_sided_p_is_never_zero(z: float, df: float) -> None:
    p = two_sided_p(z, df)
    if math.isnan(z):
        assert math.isnan(p)
        return
    assert P_FLOOR <= p <= 1.0
    lo, hi, p2 = normal_interval(z, 1.0, 0.05, df)
    if math.isfinite(z):
        assert p2 == p
        assert lo <= z <= hi


def _runs_loop(arms: np.ndarray, lag: int) -> tuple[int, int]:
    out = []
    for a in (1, 0):
        count = 0
        for r in range(arms.shape[0]):
            inside = False
            for t in range(lag, arms.shape[1]):
                now = bool(np.all(arms[r, t - lag:t + 1] == a))
                count += now and not inside
                inside = now
        out.append(count)
    return out[0], out[1]


@settings(max_examples=60, deadline=None)
@given(regions=st.integers(1, 3), periods=st.integers(8, 40), m=st.integers(0, 2),
       lag=st.integers(0, 3), optimal=st.booleans(), seed=st.integers(0, 2**16))
def test_arm_runs_match_a_loop(regions: int, periods: int, m: int, lag: int, optimal: bool,
                               seed: int) -> None:
    if optimal and periods < 4 * max(m, 1):
        optimal = False
    d = regular_design(regions, periods, block_starts(periods, m, optimal=optimal), q=0.5)
    coins = d.draw(np.random.default_rng(seed))
    w = lag_windows(d, lag)
    assert arm_runs(w, *w.indicators(coins)) == _runs_loop(d.arms(coins), lag)
