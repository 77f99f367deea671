"""Issue 13.4: every interval a switch-back report shows either covers in A/A simulations
(design-based: the headline, the other estimator, the relative effect, the carryover
table) or is marked model-based and uncalibrated (the fixed-effects regression rows,
which never decide).

A/A here means outcomes that do not depend on the schedule: the cheap model of
``simulation.py`` with no effect, and the matching market's all-control world with a
fresh schedule drawn for every replication.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from scipy import stats

import causalkit
from causalkit.report import Report
from causalkit.simulate.market import DEFAULT_REGIONS, run_market
from causalkit.switchback.analysis import FE_NOTE
from causalkit.switchback.design import block_starts, regular_design
from causalkit.switchback.effect import fit_lag
from causalkit.switchback.regression import fe_regression
from tests.switchback.simulation import band, issue_spec, replay
from tests.switchback.test_default_estimator import _rows, _spec_dict

DESIGN_BASED = ("default", "ht", "relative", "lag0", "lag2", "lag3")


def _methods(rep: Report) -> list[dict[str, Any]]:
    tab = next(t for t in rep.tables if t.name == "methods")
    return [dict(zip(tab.columns, row, strict=True)) for row in tab.rows]


def test_fe_rows_are_marked_uncalibrated_in_the_report() -> None:
    spec = _spec_dict(analysis={"draws": 200, "seed": 1})
    rep = causalkit.analyze(spec, data=_rows(spec, 0.0, seed=5, per_period=50))
    back = Report.from_json(rep.to_json())
    for r in (rep, back):
        rows = _methods(r)
        fe = [x for x in rows if str(x["method"]).startswith("fe_regression")]
        assert len(fe) == 2
        assert all(x["calibrated"] is False and x["note"] == FE_NOTE for x in fe)
        others = [x for x in rows if x not in fe]
        assert all(x["calibrated"] is True for x in others)
    tab = json.loads(rep.to_json())["tables"]
    methods = next(t for t in tab if t["name"] == "methods")
    assert "calibrated" in methods["columns"]
    # the estimates (what the gate reads) are the calibrated design-based ones
    assert all(e.calibrated and e.method == "hajek" for e in rep.estimates)
    assert all(float(p) > 0 for x in _methods(rep) if (p := x["p_value"]) is not None)


def _coverage_cheap(n: int, seed: int, pre: bool) -> dict[str, dict[str, float]]:
    rep = replay(issue_spec(), n, 0.0, pre=pre, seed=seed, lags=(0, 2, 3), fe=True)
    return {k: rep.summary(k) for k in rep.est}


def test_aa_cheap_model_small() -> None:
    res = _coverage_cheap(100, seed=3, pre=False)
    lo, _ = band(100)
    for name in DESIGN_BASED:
        assert res[name]["coverage"] >= lo, (name, res[name])


@pytest.mark.slow
@pytest.mark.parametrize("pre", [False, True], ids=["no_pre", "pre"])
def test_aa_cheap_model_500(pre: bool) -> None:
    """Measured (seeds 12/13): design-based rows cover 0.930-0.970 (no pre-period) and
    0.936-0.968 (pre-period); fixed effects with cluster errors (t, 2 df) 0.916/0.908,
    with HAC errors 0.860/0.862: rejection 8.4%/9.2% and 14.0%/13.8% at alpha 5%."""
    n = 500
    res = _coverage_cheap(n, seed=12 + pre, pre=pre)
    lo, hi = band(n)
    for name in DESIGN_BASED:
        assert lo <= res[name]["coverage"] <= hi, (name, res[name])
        assert abs(res[name]["bias"]) <= 3.5 * res[name]["mc_se"], (name, res[name])
    assert res["fe_hac"]["coverage"] < lo  # why the regression rows are marked uncalibrated


def market_aa(reps: int, days: int, regions: int, seed: int) -> dict[str, dict[str, float]]:
    """A/A on the market: the all-control world, a fresh optimal schedule (1 h periods,
    m = 1, 10-minute burn-in) per replication; rejection rate at 5% of each method."""
    m, t = 1, 24 * days
    reg = list(DEFAULT_REGIONS[:regions])
    design = regular_design(len(reg), t, block_starts(t, m, optimal=True), q=0.5)
    run = run_market(regions=reg, start_ns=1_796_083_200 * 10**9, n_seconds=t * 3600,
                     pre_seconds=86400, arms=np.zeros((len(reg), t), np.int8),
                     period_ns=3600 * 10**9, replications=reps, tick_seconds=120,
                     bucket_seconds=600, seed=seed, worlds=("all_control",))
    vals = run.values.astype(np.float64).sum(axis=4)[0]  # (S, R, B, M)
    pre, exp = vals[:, :, :run.n_pre], vals[:, :, run.n_pre:]
    cube = exp.reshape(reps, len(reg), t, 6, 4)
    keep = np.ones((t, 6), bool)
    keep[design.randomization_point[0], 0] = False
    tot = np.where(keep[None, None, :, :, None], cube, 0.0).sum(axis=3)
    rng = np.random.default_rng(seed + 1)
    z = float(stats.norm.isf(0.025))
    out: dict[str, dict[str, float]] = {}
    for col, name in ((2, "chat_minutes_per_join"), (1, "match_rate")):
        y = tot[..., col] / tot[..., 0]
        centre = pre[..., col].sum(axis=2) / pre[..., 0].sum(axis=2)
        rej: dict[str, list[bool]] = {}
        for s in range(reps):
            coins = design.draw(rng)
            for key, kw in (("default", {"hajek": True}),
                            ("default_pre", {"hajek": True, "center": centre[s]}),
                            ("ht", {}), ("ht_pre", {"center": centre[s]})):
                f = fit_lag(design, coins, y[s], m, **kw)  # type: ignore[arg-type]
                crit = z if np.isinf(f.df) else float(stats.t.isf(0.025, f.df))
                rej.setdefault(key, []).append(abs(f.estimate) > crit * f.se)
            fe = fe_regression(y[s], design.arms(coins), m)
            crit = float(stats.t.isf(0.025, fe.df_cluster))
            rej.setdefault("fe_cluster", []).append(abs(fe.estimate) > crit * fe.se_cluster)
            rej.setdefault("fe_hac", []).append(abs(fe.estimate) > z * fe.se_hac)
        out[name] = {k: float(np.mean(v)) for k, v in rej.items()}
    return out


def test_aa_market_small() -> None:
    res = market_aa(reps=30, days=2, regions=3, seed=7)
    for rates in res.values():
        for key in ("default", "default_pre", "ht", "ht_pre"):
            assert rates[key] <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 30), (key, rates)


@pytest.mark.slow
def test_aa_market_500() -> None:
    """500 market replications (4 days, 5 regions). The design-based rows reject at
    most alpha within the binomial band (their variance bound is conservative: they
    may reject less); the regression rows are reported, not asserted calibrated.
    Measured (chat minutes per join / match rate): Hajek 2.0%/5.8%, Hajek centred
    2.4%/3.8%, HT 6.4%/6.0%, HT centred 1.8%/3.0%; fixed effects with cluster errors
    8.4%/6.6%, with HAC errors 9.8%/10.6%."""
    n = 500
    res = market_aa(reps=n, days=4, regions=5, seed=11)
    hi = 0.05 + 3 * np.sqrt(0.05 * 0.95 / n)
    for metric, rates in res.items():
        for key in ("default", "default_pre", "ht", "ht_pre"):
            assert rates[key] <= hi, (metric, key, rates)
