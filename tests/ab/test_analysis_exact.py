"""Every number of the A/B report equals an independent two-pass numpy computation (1e-9)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from causalkit.ab.analysis import analyze_source
from causalkit.data import Source
from causalkit.report import Estimate
from causalkit.simulate.ab import simulate_ab
from causalkit.spec.ab import ABSpec

ARMS = {"control": 0.4, "strict": 0.3, "relaxed": 0.3}
METRICS = [
    {"name": "chat", "type": "mean", "column": "chat_minutes"},
    {"name": "chat_cuped", "type": "mean", "column": "chat_minutes",
     "covariate": "pre_chat_minutes", "role": "primary", "direction": "increase"},
    {"name": "mps", "type": "ratio", "numerator": "matches", "denominator": "sessions",
     "role": "primary", "direction": "increase"},
    {"name": "mps_cuped", "type": "ratio", "numerator": "matches", "denominator": "sessions",
     "covariate_numerator": "pre_matches", "covariate_denominator": "pre_sessions"},
    {"name": "reports", "type": "proportion", "column": "reported", "role": "guardrail",
     "direction": "decrease", "margin": 0.2, "margin_kind": "relative"},
]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return simulate_ab(seed=42, n=9000, weights=ARMS, salt="exact",
                       effects={"strict": {"chat_minutes": 0.4, "matches_per_session": 0.02},
                                "relaxed": {"report_rate": 0.01}}).tables["main"]


def _spec(sequential: str = "none", correction: str = "holm") -> ABSpec:
    return ABSpec.model_validate({
        "name": "exact", "kind": "ab", "unit": "user_id", "variants": ARMS,
        "metrics": METRICS, "data": {"simulate": "ab"},
        "analysis": {"alpha": 0.05, "correction": correction, "sequential": sequential}})


def _lin_ratio(num: np.ndarray, den: np.ndarray, r: float, mden: float) -> np.ndarray:
    return (num - r * den) / mden


def _arm_level(metric: dict, arm: pd.DataFrame, pool: pd.DataFrame
               ) -> tuple[float, float, int, bool]:
    """(level, per-unit variance, n, normal?) computed directly from the rows."""
    n = len(arm)
    t = metric["type"]
    if t == "proportion":
        p = arm[metric["column"]].to_numpy(float).mean()
        return p, p * (1 - p), n, True
    if t == "mean":
        y = arm[metric["column"]].to_numpy(float)
        if "covariate" not in metric:
            return y.mean(), y.var(ddof=1), n, False
        yp = pool[metric["column"]].to_numpy(float)
        xp = pool[metric["covariate"]].to_numpy(float)
        theta = np.cov(yp, xp, ddof=1)[0, 1] / xp.var(ddof=1)
        x = arm[metric["covariate"]].to_numpy(float)
        return y.mean() - theta * (x.mean() - xp.mean()), (y - theta * x).var(ddof=1), n, False
    num, den = arm[metric["numerator"]].to_numpy(float), arm[metric["denominator"]].to_numpy(float)
    r = num.sum() / den.sum()
    ly = _lin_ratio(num, den, r, den.mean())
    if "covariate_numerator" not in metric:
        return r, ly.var(ddof=1), n, False
    xn, xd = (arm[metric["covariate_numerator"]].to_numpy(float),
              arm[metric["covariate_denominator"]].to_numpy(float))
    rx = xn.sum() / xd.sum()
    lx = _lin_ratio(xn, xd, rx, xd.mean())
    pn, pd_ = pool[metric["numerator"]].to_numpy(float), pool[metric["denominator"]].to_numpy(float)
    pxn = pool[metric["covariate_numerator"]].to_numpy(float)
    pxd = pool[metric["covariate_denominator"]].to_numpy(float)
    rp, rxp = pn.sum() / pd_.sum(), pxn.sum() / pxd.sum()
    lyp, lxp = _lin_ratio(pn, pd_, rp, pd_.mean()), _lin_ratio(pxn, pxd, rxp, pxd.mean())
    theta = np.cov(lyp, lxp, ddof=1)[0, 1] / lxp.var(ddof=1)
    return r - theta * (rx - rxp), (ly - theta * lx).var(ddof=1), n, False


def _holm(p: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    m = len(p)
    order = np.argsort(p)
    adj = np.empty(m)
    levels = np.full(m, alpha / m)
    running, rejecting = 0.0, True
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * p[i])
        adj[i] = min(running, 1.0)
        if rejecting:
            levels[i] = alpha / (m - rank)
            rejecting = p[i] <= levels[i]
    return adj, levels


def _expected(frame: pd.DataFrame, sequential: str) -> dict[tuple[str, str], dict[str, float]]:
    out: dict[tuple[str, str], dict[str, float]] = {}
    ctrl = frame[frame["variant"] == "control"]
    for metric in METRICS:
        for arm_name in ("strict", "relaxed"):
            arm = frame[frame["variant"] == arm_name]
            pool = pd.concat([ctrl, arm])
            mc, vc, nc, normal = _arm_level(metric, ctrl, pool)
            mt, vt, nt, _ = _arm_level(metric, arm, pool)
            a, b = vc / nc, vt / nt
            df = math.inf if normal else (a + b) ** 2 / (a * a / (nc - 1) + b * b / (nt - 1))
            est, se = mt - mc, math.sqrt(a + b)
            dist = stats.norm if normal else stats.t(df)
            p = 2 * dist.sf(abs(est / se))
            rel = mt / mc - 1
            rel_se = math.sqrt(b / mc**2 + mt**2 * a / mc**4)
            row = {"est": est, "se": se, "p_raw": p, "rel": rel, "rel_se": rel_se, "df": df,
                   "normal": normal, "V": a + b}
            if sequential == "msprt":
                tau2 = (vc + vt) / 5000 * (-2 * math.log(0.05) + math.log(1 - 2 * math.log(0.05)))
                v = a + b
                log_lr = 0.5 * math.log(v / (v + tau2)) + tau2 * est**2 / (2 * v * (v + tau2))
                row["p_test"] = min(1.0, math.exp(-log_lr))
                row["tau2"] = tau2
            else:
                row["p_test"] = p
            out[(metric["name"], arm_name)] = row
    for role in ("primary", "guardrail"):
        keys = [(m["name"], a) for m in METRICS if m.get("role") == role
                for a in ("strict", "relaxed")]
        adj, levels = _holm(np.array([out[k]["p_test"] for k in keys]), 0.05)
        for k, pa, lv in zip(keys, adj, levels):
            out[k]["p_adj"], out[k]["level"] = pa, lv
    for row in out.values():
        row.setdefault("p_adj", row["p_test"])
        row.setdefault("level", 0.05)
        lv = row["level"]
        q = stats.norm.isf(lv / 2) if row["normal"] else stats.t.isf(lv / 2, row["df"])
        if sequential == "msprt":
            v, t2 = row["V"], row["tau2"]
            half = math.sqrt(v * (v + t2) / t2 * (2 * math.log(1 / lv) + math.log((v + t2) / v)))
            row["lo"], row["hi"] = row["est"] - half, row["est"] + half
        else:
            row["lo"], row["hi"] = row["est"] - q * row["se"], row["est"] + q * row["se"]
            row["rlo"], row["rhi"] = row["rel"] - q * row["rel_se"], row["rel"] + q * row["rel_se"]
    return out


def _by_key(ests: tuple[Estimate, ...]) -> dict[tuple[str, str], Estimate]:
    return {(e.metric, e.arm): e for e in ests}


@pytest.mark.parametrize("sequential", ["none", "msprt"])
def test_every_number_matches_numpy(frame: pd.DataFrame, sequential: str) -> None:
    rep = analyze_source(_spec(sequential), Source.from_frame(frame), figures=False)
    got = _by_key(rep.estimates)
    want = _expected(frame, sequential)
    assert set(got) == set(want)
    for key, w in want.items():
        e = got[key]
        assert e.estimate == pytest.approx(w["est"], rel=1e-9, abs=1e-13), key
        assert e.se == pytest.approx(w["se"], rel=1e-9), key
        assert e.p_value == pytest.approx(w["p_adj"], rel=1e-9), key
        assert e.extra["p_value_unadjusted"] == pytest.approx(w["p_raw"], rel=1e-9), key
        # alpha is the decision interval's level; under none the reported (fixed)
        # interval's level is extra.fixed_alpha
        level = e.extra["fixed_alpha"] if sequential == "none" else e.alpha
        assert level == pytest.approx(w["level"], rel=1e-12), key
        assert e.ci_low == pytest.approx(w["lo"], rel=1e-9), key
        assert e.ci_high == pytest.approx(w["hi"], rel=1e-9), key
        assert e.relative == pytest.approx(w["rel"], rel=1e-9), key
        if sequential == "none":
            assert e.relative_ci_low == pytest.approx(w["rlo"], rel=1e-9), key
            assert e.relative_ci_high == pytest.approx(w["rhi"], rel=1e-9), key
        assert e.extra["z"] == pytest.approx(w["est"] / w["se"], rel=1e-9), key


def test_frame_not_mutated(frame: pd.DataFrame) -> None:
    before = frame.copy()
    analyze_source(_spec(), Source.from_frame(frame), figures=False)
    pd.testing.assert_frame_equal(frame, before)


def test_bh_and_bonferroni_families(frame: pd.DataFrame) -> None:
    from causalkit.stats.multiplicity import adjust_pvalues

    for corr in ("bh", "bonferroni", "none"):
        rep = analyze_source(_spec(correction=corr), Source.from_frame(frame), figures=False)
        prim = [e for e in rep.estimates if e.role == "primary"]
        raw = np.array([e.extra["p_value_unadjusted"] for e in prim])
        np.testing.assert_allclose([e.p_value for e in prim], adjust_pvalues(raw, corr),
                                   rtol=1e-12)
        expected_level = 0.05 if corr == "none" else 0.05 / len(prim)
        assert all(e.alpha == pytest.approx(expected_level) for e in prim)
        sec = [e for e in rep.estimates if e.role == "secondary"]
        assert all(e.p_value == e.extra["p_value_unadjusted"] for e in sec)
