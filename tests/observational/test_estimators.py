"""Estimators: independent computations, unbiasedness and interval coverage on simulated SCMs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from causalkit.errors import DataError
from causalkit.observational import estimators as est
from causalkit.observational.learners import design_matrix
from causalkit.simulate.scm import simulate_scm

GRAPH_COLS = ["age", "income", "activity", "prior_spend", "season"]


def _data(seed: int, n: int, **kw):
    sim = simulate_scm(seed=seed, n=n, **kw)
    df = sim.tables["main"]
    return (df["treatment"].to_numpy(float), df["outcome"].to_numpy(float),
            df[GRAPH_COLS].to_numpy(float), sim.truth)


def test_regression_matches_statsmodels_ols_and_logit():
    import statsmodels.api as sm

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 2))
    t = (rng.random(3000) < 1 / (1 + np.exp(-x[:, 0]))).astype(float)
    y = 1 + t + x @ [1.0, -0.5] + rng.normal(size=3000)
    r = est.regression_adjustment(t, y, x, interactions=[])
    ols = sm.OLS(y, sm.add_constant(np.column_stack([t, x]))).fit(cov_type="HC0")
    assert r.estimate == pytest.approx(ols.params[1], rel=1e-9)
    assert r.se == pytest.approx(ols.bse[1], rel=1e-6)
    # a per-arm logistic g-computation equals the plug-in with statsmodels' fits
    yb = (rng.random(3000) < 1 / (1 + np.exp(-(t + x[:, 0])))).astype(float)
    rb = est.regression_adjustment(t, yb, x)
    d = sm.add_constant(x)
    p1 = sm.Logit(yb[t == 1], d[t == 1]).fit(disp=0).predict(d)
    p0 = sm.Logit(yb[t == 0], d[t == 0]).fit(disp=0).predict(d)
    assert rb.estimate == pytest.approx(np.mean(p1 - p0), rel=1e-6)


def test_ipw_matches_weighted_means_and_propensity_correction_by_bootstrap():
    import statsmodels.api as sm

    t, y, x, _ = _data(3, 4000)
    r = est.ipw(t, y, x)
    e = sm.Logit(t, sm.add_constant(x)).fit(disp=0).predict(sm.add_constant(x))
    w1, w0 = t / e, (1 - t) / (1 - e)
    hajek = np.sum(w1 * y) / w1.sum() - np.sum(w0 * y) / w0.sum()
    assert r.estimate == pytest.approx(hajek, rel=1e-6)
    # bootstrap (refitting the propensity) agrees with the M-estimation SE within 15%
    rng = np.random.default_rng(1)
    boots = []
    for _ in range(150):
        i = rng.integers(0, len(t), len(t))
        boots.append(est.ipw(t[i], y[i], x[i]).estimate)
    assert np.std(boots) == pytest.approx(r.se, rel=0.15)


def test_trimming_only_when_asked():
    t, y, x, _ = _data(4, 3000, confounding=3.0)
    plain = est.ipw(t, y, x)
    trimmed = est.ipw(t, y, x, trim=0.05)
    assert plain.extra["trimmed"] == 0
    assert int(trimmed.extra["trimmed"]) > 0


@pytest.mark.parametrize("target", ["ate", "att"])
def test_estimators_unbiased_under_correct_models(target):
    sims = 60
    truth_key = target
    estimates = {"regression": [], "ipw": [], "aipw": []}
    truth = None
    for s in range(sims):
        t, y, x, truth = _data(100 + s, 1500)
        estimates["regression"].append(est.regression_adjustment(t, y, x, target=target).estimate)
        estimates["ipw"].append(est.ipw(t, y, x, target=target).estimate)
        estimates["aipw"].append(est.aipw(t, y, x, target=target, seed=s).estimate)
    assert truth is not None
    for name, vals in estimates.items():
        v = np.asarray(vals)
        bias = v.mean() - truth[truth_key]
        assert abs(bias) <= 4 * v.std(ddof=1) / np.sqrt(sims), (name, bias)


def _coverage(sims: int, n: int, nonlinear: bool) -> tuple[float, float]:
    hits = 0
    for s in range(sims):
        t, y, x, truth = _data(1000 + s, n, nonlinear=nonlinear)
        r = est.aipw(t, y, x, seed=s, folds=2)
        hits += r.ci_low <= truth["ate"] <= r.ci_high
    rate = hits / sims
    return rate, 3 * np.sqrt(0.95 * 0.05 / sims)


def test_aipw_coverage_small():
    rate, tol = _coverage(120, 800, nonlinear=False)
    assert abs(rate - 0.95) <= tol


@pytest.mark.slow
def test_aipw_coverage_500_simulations():
    rate, tol = _coverage(500, 2000, nonlinear=False)
    assert abs(rate - 0.95) <= tol


def test_plm_continuous_treatment_and_boosting():
    t, y, x, _truth = _data(7, 4000, continuous_treatment=True, effect=0.5)
    lin = est.plm(t, y, x)
    assert abs(lin.estimate - 0.5) < 4 * lin.se
    gb = est.plm(t, y, x, learner="gradient_boosting", folds=2)
    assert abs(gb.estimate - 0.5) < 0.15


def test_aipw_gradient_boosting_nonlinear():
    t, y, x, truth = _data(8, 6000, nonlinear=True)
    r = est.aipw(t, y, x, propensity_learner="gradient_boosting",
                 outcome_learner="gradient_boosting", folds=2)
    assert abs(r.estimate - truth["ate"]) < 4 * r.se + 0.05


def test_frontdoor_and_iv_known_values():
    rng = np.random.default_rng(2)
    n = 50_000
    u = rng.normal(size=n)
    z = rng.normal(size=n)
    t = z + u + rng.normal(size=n)
    m = 0.5 * t + rng.normal(size=n)
    y = 2 * m + u + rng.normal(size=n)
    fd = est.frontdoor_linear(t, y, m[:, None])
    assert abs(fd.estimate - 1.0) < 4 * fd.se
    iv = est.two_stage_least_squares(t, y, z[:, None], np.empty((n, 0)))
    assert abs(iv.estimate - 1.0) < 4 * iv.se
    # the p-value comes from the survival function (no 1 - cdf underflow)
    assert iv.p_value == pytest.approx(2 * stats.norm.sf(iv.estimate / iv.se))


def test_bad_inputs_raise_data_errors():
    x = np.zeros((4, 0))
    with pytest.raises(DataError, match="0/1"):
        est.aipw(np.array([0, 1, 2, 1.0]), np.arange(4.0), x)
    with pytest.raises(DataError, match="two units"):
        est.ipw(np.array([0, 1, 1, 1.0]), np.arange(4.0), x)
    with pytest.raises(DataError, match="missing"):
        design_matrix({"a": np.array([1.0, np.nan])})


def test_inputs_not_mutated():
    t, y, x, _ = _data(9, 500)
    copies = (t.copy(), y.copy(), x.copy())
    est.aipw(t, y, x)
    est.ipw(t, y, x, trim=0.01)
    est.regression_adjustment(t, y, x)
    for a, b in zip((t, y, x), copies):
        np.testing.assert_array_equal(a, b)
