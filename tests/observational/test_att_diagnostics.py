"""Issue 13.2: under ``estimand: att`` the overlap and balance diagnostics use the ATT weights.

LaLonde's comparison (Dehejia & Wahba 1999): the 185 NSW trainees against the
15,992 CPS controls (``causaldata``'s ``nsw_mixtape`` and ``cps_mixtape``). ATT
weights are 1 for every treated unit and ``e/(1-e)`` for the controls, so the
treated arm's effective sample size is its size, and the control arm's is
recomputed here from a statsmodels logistic fit of the same design (independent
of causalkit's own IRLS).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import causalkit
from causalkit.observational.diagnostics import overlap

causaldata = pytest.importorskip("causaldata")
sm = pytest.importorskip("statsmodels.api")

COVARIATES = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]
SQUARED = ["age", "educ", "re74", "re75"]


@pytest.fixture(scope="module")
def lalonde() -> pd.DataFrame:
    from causaldata import cps_mixtape, nsw_mixtape

    nsw = nsw_mixtape.load_pandas().data
    cps = cps_mixtape.load_pandas().data
    df = pd.concat([nsw[nsw["treat"] == 1], cps], ignore_index=True)
    return df[["treat", *COVARIATES, "re78"]]


def _spec(estimand: str) -> dict[str, object]:
    return {"name": "lalonde-cps", "kind": "observational",
            "graph": f"digraph {{ {{{' '.join(COVARIATES)}}} -> {{treat re78}}; treat -> re78 }}",
            "treatment": "treat", "outcome": "re78", "estimand": estimand,
            "estimators": ["ipw"], "refuters": [], "implications": False,
            "terms": dict.fromkeys(SQUARED, "quadratic")}


def _independent_propensity(df: pd.DataFrame) -> np.ndarray:
    x = df[COVARIATES].astype(float).copy()
    for c in SQUARED:
        x[f"{c}^2"] = x[c] ** 2
    design = sm.add_constant(x)
    fit = sm.Logit(df["treat"].astype(float), design).fit(disp=0, method="newton", maxiter=200)
    return np.asarray(fit.predict(design))


@pytest.fixture(scope="module")
def att_report(lalonde):
    return causalkit.analyze(_spec("att"), data=lalonde, seed=1)


def test_control_ess_under_att_equals_an_independent_computation(lalonde, att_report):
    e = _independent_propensity(lalonde)
    t = lalonde["treat"].to_numpy()
    w = e[t == 0] / (1 - e[t == 0])
    ess_control = w.sum() ** 2 / np.sum(w ** 2)
    n1, n0 = int(t.sum()), int((t == 0).sum())
    assert (n1, n0) == (185, 15992)
    table = next(tb for tb in att_report.tables if tb.name == "overlap")
    rows = {r[0]: dict(zip(table.columns, r, strict=True)) for r in table.rows}
    assert rows["treated"]["rows"] == n1
    assert rows["treated"]["effective_sample_size"] == n1  # every ATT weight of a treated unit is 1
    assert rows["control"]["rows"] == n0
    assert rows["control"]["effective_sample_size"] == pytest.approx(ess_control, rel=1e-6)
    assert rows["control"]["weights"] == "e/(1-e)"
    check = next(c for c in att_report.checks if c.name == "overlap")
    assert check.value == pytest.approx(ess_control / min(n0, n1), rel=1e-6)
    assert f"treated {n1:,} of {n1:,}" in check.detail
    assert f"control effective sample size {ess_control:,.0f} of {n0:,}" in check.detail
    # the audit's complaint: the ATE weights' "treated 9 of 185" must not appear under ATT
    assert "1/e" not in check.detail


def test_ate_keeps_the_ate_weights(lalonde):
    rep = causalkit.analyze(_spec("ate"), data=lalonde, seed=1)
    e = _independent_propensity(lalonde)
    t = lalonde["treat"].to_numpy()
    w1 = 1 / e[t == 1]
    table = next(tb for tb in rep.tables if tb.name == "overlap")
    treated = dict(zip(table.columns, table.rows[0], strict=True))
    assert treated["effective_sample_size"] == pytest.approx(w1.sum() ** 2 / np.sum(w1 ** 2),
                                                             rel=1e-6)
    assert treated["effective_sample_size"] < 20  # ATE weights lean on a handful of trainees


def test_balance_after_att_weighting_matches_an_independent_computation(lalonde, att_report):
    e = _independent_propensity(lalonde)
    t = lalonde["treat"].to_numpy() == 1
    table = next(tb for tb in att_report.tables if tb.name == "balance")
    assert "ATT" in table.title
    rows = {r[0]: dict(zip(table.columns, r, strict=True)) for r in table.rows}
    w0 = e[~t] / (1 - e[~t])
    for c in ("age", "educ", "black", "re75"):
        x = lalonde[c].to_numpy(float)
        sd = np.sqrt((x[t].var(ddof=1) + x[~t].var(ddof=1)) / 2)
        after = (x[t].mean() - np.average(x[~t], weights=w0)) / sd
        assert rows[c]["smd_after"] == pytest.approx(after, rel=1e-5, abs=1e-7)
    check = next(c for c in att_report.checks if c.name == "covariate_balance")
    assert "after ATT weighting" in check.detail


def test_overlap_function_under_att():
    t = np.array([0.0, 0, 0, 1, 1, 1])
    e = np.array([0.2, 0.3, 0.5, 0.5, 0.7, 0.8])
    ov = overlap(t, e, target="att")
    w = e[:3] / (1 - e[:3])
    assert ov.ess_treated == 3
    assert ov.ess_control == pytest.approx(w.sum() ** 2 / np.sum(w ** 2))
    assert ov.target == "att"
    # controls with scores near 0 get weights near 0: harmless under the ATT
    many = np.r_[np.zeros(200), np.ones(20)]
    scores = np.r_[np.full(150, 1e-4), np.full(50, 0.3), np.full(20, 0.3)]
    assert overlap(many, scores, target="att").status.value == "pass"
    assert overlap(many, scores).status.value != "pass"
