"""Issue 13.1: the front-door interval covers at any share treated; IV / PLM / front-door count n right.

The front-door data: a latent ``u`` confounds a 0/1 treatment and the outcome,
the treatment acts only through a mediator, ``m = δ t + e``, ``y = β m + γ u + e'``;
the true effect is ``δ β``. The share treated is set by the logistic intercept.
Coverage must lie within three binomial standard errors of 0.95 at 30%, 50%,
60% and 90% treated (the bug lost the SE, interval and p-value above 50%).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

import causalkit
from causalkit.observational import estimators as est
from causalkit.simulate.scm import simulate_scm

DELTA, BETA, GAMMA = 0.5, 1.0, 1.0
SHARES = (0.3, 0.5, 0.6, 0.9)
FRONTDOOR_GRAPH = ("digraph { treatment -> m -> outcome; u -> treatment; u -> outcome; "
                   "u [latent=true] }")


def _intercept(share: float) -> float:
    """The logistic intercept ``a`` with ``P(t = 1) = E[expit(a + u)] = share``, u ~ N(0, 1)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    weights = weights / weights.sum()
    return float(optimize.brentq(
        lambda a: float(weights @ (1 / (1 + np.exp(-(a + nodes))))) - share, -30, 30))


def _frontdoor_coverage(share: float, sims: int, n: int, seed: int) -> tuple[float, float]:
    a = _intercept(share)
    rng = np.random.default_rng(seed)
    truth = DELTA * BETA
    hits = 0
    treated = 0.0
    for _ in range(sims):
        u = rng.normal(size=n)
        t = (rng.random(n) < 1 / (1 + np.exp(-(a + u)))).astype(float)
        m = DELTA * t + rng.normal(size=n)
        y = BETA * m + GAMMA * u + rng.normal(size=n)
        r = est.frontdoor_linear(t, y, m[:, None])
        assert np.isfinite(r.se)
        assert r.se > 0
        assert r.n_treated == int(t.sum())
        assert r.n_control == n - int(t.sum())
        hits += int(r.ci_low <= truth <= r.ci_high)
        treated += t.mean()
    return hits / sims, treated / sims


def _check_band(share: float, sims: int, n: int, seed: int) -> None:
    cover, treated = _frontdoor_coverage(share, sims, n, seed)
    assert abs(treated - share) < 0.01, treated
    band = 3 * math.sqrt(0.95 * 0.05 / sims)  # three binomial standard errors
    assert abs(cover - 0.95) <= band, (share, cover, band)


@pytest.mark.parametrize("share", SHARES)
def test_frontdoor_interval_covers_at_every_share_treated(share):
    _check_band(share, sims=2000, n=1000, seed=int(share * 100))


@pytest.mark.slow
@pytest.mark.parametrize("share", SHARES)
def test_frontdoor_interval_covers_at_every_share_treated_10000_simulations(share):
    _check_band(share, sims=10_000, n=1000, seed=1000 + int(share * 100))


@pytest.mark.slow
@pytest.mark.parametrize("share", SHARES)
def test_frontdoor_interval_covers_with_few_controls(share):
    """n = 400: at 90% treated only about 40 controls; the delta-method interval still covers."""
    _check_band(share, sims=4000, n=400, seed=2000 + int(share * 100))


@pytest.mark.parametrize("share", SHARES)
def test_frontdoor_report_has_se_interval_and_counts(share):
    """Through causalkit.analyze on `simulate: scm` with treated_share: the report's row is the
    estimator's, with a finite SE, interval and p-value, and n counts the treated rows."""
    sim = simulate_scm(seed=3, n=3000, graph=FRONTDOOR_GRAPH, treated_share=share)
    df = sim.tables["main"]
    rep = causalkit.analyze({"name": "fd", "kind": "observational", "graph": FRONTDOOR_GRAPH,
                             "treatment": "treatment", "outcome": "outcome", "refuters": [],
                             "implications": False}, data=df, seed=1)
    (e,) = rep.estimates
    assert e.method == "frontdoor"
    assert (e.arm, e.reference) == ("treatment=1", "treatment=0")
    n1 = int(df["treatment"].sum())
    assert (e.n, e.n_reference) == (n1, len(df) - n1)
    assert abs(n1 / len(df) - share) < 0.03
    direct = est.frontdoor_linear(df["treatment"].to_numpy(float), df["outcome"].to_numpy(float),
                                  df[["m"]].to_numpy(float))
    assert e.estimate == pytest.approx(direct.estimate, rel=1e-12)
    assert e.se == pytest.approx(direct.se, rel=1e-12)
    assert e.ci_low == pytest.approx(direct.ci_low, rel=1e-12)
    assert e.p_value is not None
    assert 0 <= e.p_value <= 1
    assert abs(e.estimate - sim.truth["ate"]) < 4 * direct.se


def _iv_frame(binary: bool, share: float, n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    u = rng.normal(size=n)
    if binary:
        score = z + u
        t = (score > np.quantile(score, 1 - share)).astype(int)
    else:
        t = z + u + rng.normal(size=n)
    y = 1.5 * t + u + rng.normal(size=n)
    return pd.DataFrame({"z": z, "t": t, "y": y})


IV_SPEC = {"name": "iv", "kind": "observational", "graph": "digraph { z -> t -> y; t <-> y }",
           "treatment": "t", "outcome": "y", "refuters": [], "implications": False}


@pytest.mark.parametrize("share", [0.3, 0.7])
def test_iv_counts_treated_rows_of_a_binary_treatment(share):
    df = _iv_frame(True, share)
    (e,) = causalkit.analyze(IV_SPEC, data=df).estimates
    assert e.method == "iv_2sls"
    assert (e.arm, e.reference) == ("t=1", "t=0")
    n1 = int(df["t"].sum())
    assert (e.n, e.n_reference) == (n1, len(df) - n1)
    assert n1 == round(share * len(df))
    assert e.se is not None
    assert np.isfinite(e.se)


def test_iv_continuous_treatment_counts_all_rows_without_a_split():
    df = _iv_frame(False, 0.5)
    (e,) = causalkit.analyze(IV_SPEC, data=df).estimates
    assert (e.arm, e.reference) == ("t+1", "t")
    assert (e.n, e.n_reference) == (len(df), None)
    assert abs(e.estimate - 1.5) < 4 * (e.se or 1)


def test_plm_counts_rows_for_binary_and_continuous_treatments():
    spec = {"name": "plm", "kind": "observational", "graph": "digraph { x -> t -> y; x -> y }",
            "treatment": "t", "outcome": "y", "estimators": ["plm"], "refuters": [],
            "implications": False}
    rng = np.random.default_rng(4)
    x = rng.normal(size=3000)
    t_bin = (rng.random(3000) < 1 / (1 + np.exp(-(1.5 + x)))).astype(int)  # about 75% treated
    df = pd.DataFrame({"x": x, "t": t_bin, "y": 2 * t_bin + x + rng.normal(size=3000)})
    (e,) = causalkit.analyze(spec, data=df).estimates
    n1 = int(t_bin.sum())
    assert n1 > 1800
    assert (e.method, e.arm, e.n, e.n_reference) == ("plm", "t=1", n1, 3000 - n1)
    t_cont = x + rng.normal(size=3000)
    df = pd.DataFrame({"x": x, "t": t_cont, "y": 0.5 * t_cont + x + rng.normal(size=3000)})
    (e,) = causalkit.analyze(spec, data=df).estimates
    assert (e.method, e.arm, e.n, e.n_reference) == ("plm", "t+1", 3000, None)


def test_arm_counts_follow_the_coding_not_the_median():
    assert est.arm_counts(np.array([1.0, 1, 1, 1, 0])) == (4, 1)
    assert est.arm_counts(np.array([0.0, 0, 0, 1])) == (1, 3)


def test_frontdoor_and_2sls_do_not_depend_on_units():
    """Found by the hostile suite: a covariate in units of 1e14 made 2SLS's least squares drop
    columns (a negative first-stage F, an SE of NaN). Both estimators now work on centred and
    scaled columns; changing units changes the effect by exactly the unit factor."""
    rng = np.random.default_rng(9)
    n = 2000
    u, z, w = rng.normal(size=(3, n))
    t = z + u + w + rng.normal(size=n)
    y = 1.5 * t + u + w + rng.normal(size=n)
    base = est.two_stage_least_squares(t, y, z[:, None], w[:, None])
    scaled = est.two_stage_least_squares(t * 1e-8, y, z[:, None] * 1e14, w[:, None] * 1.6e14)
    assert scaled.estimate == pytest.approx(base.estimate * 1e8, rel=1e-8)
    assert scaled.se == pytest.approx(base.se * 1e8, rel=1e-8)
    assert scaled.extra["first_stage_f"] == pytest.approx(base.extra["first_stage_f"], rel=1e-8)
    assert scaled.extra["first_stage_f"] > 100
    tb = (u + rng.normal(size=n) > 0).astype(float)
    m = 0.5 * tb + rng.normal(size=n)
    yb = m + u + rng.normal(size=n)
    fd = est.frontdoor_linear(tb, yb, m[:, None])
    fd_scaled = est.frontdoor_linear(tb, yb, 1e14 * m[:, None] + 3e15)
    assert fd_scaled.estimate == pytest.approx(fd.estimate, rel=1e-8)
    assert fd_scaled.se == pytest.approx(fd.se, rel=1e-8)
    # the front-door estimate is the product of two least-squares coefficients
    delta = np.linalg.lstsq(np.column_stack([np.ones(n), tb]), m, rcond=None)[0][1]
    beta = np.linalg.lstsq(np.column_stack([np.ones(n), tb, m]), yb, rcond=None)[0][2]
    assert fd.estimate == pytest.approx(delta * beta, rel=1e-10)
