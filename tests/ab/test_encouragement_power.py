"""Power of encouragement designs: closed form, 1 / lift**2, the planner, and simulation.

The simulation draws whole experiments as cell counts (arm x reached x retained) from
the planning model -- control: a share ``c`` reaches the condition, retention ``r1`` /
``r0``; nudged: a further ``L`` of the non-reachers reach it and their retention rises
by ``beta`` -- and checks that the stated units give the stated power for the ITT z-test
and for the CACE's robust Wald test, within 3 binomial standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from causalkit.ab.encouragement_power import (
    DEFAULT_FIRST_STAGE_LIFT,
    binary_variances,
    cace_variance,
    encouragement_sample_size,
)
from causalkit.entry import run_planner

C, R1, R0 = 0.3, 0.6, 0.25      # coverage, retention among reachers / the rest
P = C * R1 + (1 - C) * R0
COV = C * (1 - C) * (R1 - R0)


def closed_form(var_c: float, var_t: float, effect: float, alpha: float, power: float,
                sc: float, st: float) -> float:
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return z * z * (var_c / sc + var_t / st) / effect ** 2


@pytest.mark.parametrize(("lift", "beta", "alpha", "power", "sc"), [
    (0.1, 0.3, 0.05, 0.8, 0.5), (0.05, 0.2, 0.01, 0.9, 0.3), (0.3, -0.1, 0.1, 0.5, 0.6)])
def test_sample_size_equals_the_closed_form(lift: float, beta: float, alpha: float,
                                            power: float, sc: float) -> None:
    pt = P + lift * beta
    v = P * (1 - P) + beta ** 2 * C * (1 - C) - 2 * beta * COV
    assert cace_variance(P * (1 - P), C * (1 - C), COV, beta) == pytest.approx(v, rel=1e-12)
    # the nudged arm's cells, written out: reached = always-takers + compliers
    dt = C + lift
    eyd = C * R1 + lift * (R0 + beta)
    vt = pt * (1 - pt) + beta ** 2 * dt * (1 - dt) - 2 * beta * (eyd - pt * dt)
    assert binary_variances(P, C, R1, lift, beta) == pytest.approx(
        (P * (1 - P), pt * (1 - pt), v, vt), rel=1e-12)
    got = encouragement_sample_size(P * (1 - P), pt * (1 - pt), v, lift=lift, cace=beta,
                                    alpha=alpha, power=power, share_c=sc, share_t=1 - sc,
                                    var_cace_t=vt)
    assert got.itt_effect == pytest.approx(lift * beta, rel=1e-12)
    assert got.n_itt == pytest.approx(
        closed_form(P * (1 - P), pt * (1 - pt), lift * beta, alpha, power, sc, 1 - sc),
        rel=1e-12)
    za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    n_cace = (za * math.sqrt(v / sc + vt / (1 - sc))
              + zb * math.sqrt(P * (1 - P) / sc + pt * (1 - pt) / (1 - sc))) ** 2 \
        / (lift * beta) ** 2
    assert got.n_cace == pytest.approx(n_cace, rel=1e-12)


def test_units_grow_as_one_over_lift_squared() -> None:
    v = cace_variance(P * (1 - P), C * (1 - C), COV, 0.3)
    base = encouragement_sample_size(0.2, 0.2, v, lift=0.2, cace=0.3)
    for k in (2.0, 3.0, 10.0):
        smaller = encouragement_sample_size(0.2, 0.2, v, lift=0.2 / k, cace=0.3)
        assert smaller.n_itt / base.n_itt == pytest.approx(k * k, rel=1e-12)
        assert smaller.n_cace / base.n_cace == pytest.approx(k * k, rel=1e-12)


def simulate_power(n_total: int, lift: float, beta: float, *, draws: int, seed: int,
                   alpha: float = 0.05) -> tuple[float, float]:
    """Rejection rates of the ITT z-test (unpooled) and the CACE's robust Wald test."""
    rng = np.random.default_rng(seed)
    n_c = n_t = n_total // 2
    # cells: (reached, retained) = (1,1), (1,0), (0,1), (0,0)
    ctrl = [C * R1, C * (1 - R1), (1 - C) * R0, (1 - C) * (1 - R0)]
    comp = lift  # compliers: untreated retention r0, treated r0 + beta
    nt = 1 - C - lift
    trt = [C * R1 + comp * (R0 + beta), C * (1 - R1) + comp * (1 - R0 - beta),
           nt * R0, nt * (1 - R0)]
    cc = rng.multinomial(n_c, ctrl, size=draws).astype(float)
    ct = rng.multinomial(n_t, trt, size=draws).astype(float)

    def arm(cells: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
        d = (cells[:, 0] + cells[:, 1]) / n
        y = (cells[:, 0] + cells[:, 2]) / n
        yd = cells[:, 0] / n
        return y, d, yd

    yc, dc, ydc = arm(cc, n_c)
    yt, dt, ydt = arm(ct, n_t)
    z = stats.norm.isf(alpha / 2)
    itt = yt - yc
    se_itt = np.sqrt(yc * (1 - yc) / n_c + yt * (1 - yt) / n_t)
    fs = dt - dc
    b = itt / fs

    def var_e(y: np.ndarray, d: np.ndarray, yd: np.ndarray) -> np.ndarray:
        # variance of y - b d within the arm (ddof 0; y, d binary so E[y^2] = y, E[d^2] = d)
        return y * (1 - y) + b * b * d * (1 - d) - 2 * b * (yd - y * d)

    se_b = np.sqrt(var_e(yc, dc, ydc) / n_c + var_e(yt, dt, ydt) / n_t) / np.abs(fs)
    return float(np.mean(np.abs(itt) > z * se_itt)), float(np.mean(np.abs(b) > z * se_b))


def test_stated_units_give_the_stated_power_in_simulation() -> None:
    """At the planned units, the ITT test and the CACE test each reject with power 0.8
    within 3 binomial standard errors over 4,000 simulated experiments (+-0.019)."""
    lift, beta = 0.1, 0.3
    assert (P, C) == (0.355, 0.3)
    vc, vt, v_c, v_t = binary_variances(P, C, R1, lift, beta)
    plan = encouragement_sample_size(vc, vt, v_c, lift=lift, cace=beta, var_cace_t=v_t)
    draws = 4000
    tol = 3 * math.sqrt(0.8 * 0.2 / draws)
    itt_power, _ = simulate_power(2 * math.ceil(plan.n_itt / 2), lift, beta, draws=draws, seed=1)
    _, cace_power = simulate_power(2 * math.ceil(plan.n_cace / 2), lift, beta, draws=draws,
                                   seed=2)
    assert abs(itt_power - 0.8) <= tol, itt_power
    assert abs(cace_power - 0.8) <= tol, cace_power
    # and a quarter of the units (the n of twice the lift) is far from enough
    low, _ = simulate_power(2 * math.ceil(plan.n_itt / 8), lift, beta, draws=draws, seed=3)
    assert low < 0.4


def test_power_command_plans_itt_and_cace_from_the_pre_period() -> None:
    """``causalkit power`` on a spec with ``received:``: the encouragement table's units
    equal the closed form on the pre-period's own moments, at the default lift."""
    rng = np.random.default_rng(5)
    n = 20_000
    d = (rng.random(n) < C).astype(int)
    y = (rng.random(n) < np.where(d == 1, R1, R0)).astype(int)
    pre = pd.DataFrame({"user_id": range(n), "reached": d, "retained": y})
    rep = run_planner({
        "name": "nudge", "kind": "ab", "unit": "user_id",
        "variants": {"control": 0.5, "nudge": 0.5},
        "plan": {"mde": 0.3, "mde_kind": "absolute", "units_per_day": 500},
        "metrics": [{"name": "retained", "type": "proportion", "column": "retained",
                     "received": "reached", "role": "primary", "direction": "increase"}]},
        pre_data=pre)
    table = next(t for t in rep.tables if t.name == "encouragement_plan")
    row = dict(zip(table.columns, table.rows[0], strict=True))
    p, dbar = y.mean(), d.mean()
    lift, beta = DEFAULT_FIRST_STAGE_LIFT, 0.3
    pt = p + lift * beta
    r1 = y[d == 1].mean()
    v = p * (1 - p) + beta ** 2 * dbar * (1 - dbar) - 2 * beta * (dbar * r1 - p * dbar)
    dt, eyd = dbar + lift, dbar * r1 + lift * (y[d == 0].mean() + beta)
    vt = pt * (1 - pt) + beta ** 2 * dt * (1 - dt) - 2 * beta * (eyd - pt * dt)
    n_itt = closed_form(p * (1 - p), pt * (1 - pt), lift * beta, 0.05, 0.8, 0.5, 0.5)
    za, zb = stats.norm.ppf(0.975), stats.norm.ppf(0.8)
    n_cace = (za * math.sqrt(2 * v + 2 * vt) + zb * math.sqrt(2 * p * (1 - p) + 2 * pt * (1 - pt))) ** 2 \
        / (lift * beta) ** 2
    assert row["always-taker share"] == pytest.approx(dbar, rel=1e-9)
    assert row["units in total (ITT)"] == math.ceil(n_itt)
    assert row["units in total (CACE)"] == math.ceil(n_cace)
    assert row["days (ITT)"] == pytest.approx(math.ceil(n_itt) / 500)
    main = next(t for t in rep.tables if t.name == "power_plan")
    main_row = dict(zip(main.columns, main.rows[0], strict=True))
    assert main_row["effect to detect"] == pytest.approx(lift * beta)  # the ITT, not the CACE
    assert any("1 / lift**2" in f for f in rep.findings)
