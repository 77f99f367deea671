"""Published observational analyses reproduced from data that ship in the ``causaldata`` package.

* Hernán & Robins, *Causal Inference: What If* (2020), NHEFS, effect of quitting smoking
  (qsmk) on weight gain 1971-82 (wt82_71), n = 1,566 with the outcome observed:
  - Chapter 12 (Program 12.3/12.4), IPW with a logistic propensity in sex, race, age, age²,
    education (categorical), smokeintensity, smokeintensity², smokeyrs, smokeyrs²,
    exercise and active (categorical), wt71, wt71²: 3.4 kg, 95% CI 2.4 to 4.5
    (robust, weights treated as known);
  - Chapter 13 (Program 13.2-13.4), standardization with the same covariates and a
    qsmk × smokeintensity interaction: 3.5 kg, 95% CI 2.6 to 4.5 (bootstrap).
* Cunningham, *Causal Inference: The Mixtape* (2021), section 7 (instrumental variables),
  Card (1995) returns to schooling, 2SLS of log wage on education instrumented by
  college proximity (nearc4), controls exper, black, south, married, smsa:
  0.124 (SE 0.050); OLS 0.071.
* Dehejia & Wahba (1999), Table 3 / LaLonde (1986): NSW experimental benchmark of the
  job-training effect on 1978 earnings, 185 treated and 260 controls: $1,794 (SE 633).
"""

from __future__ import annotations

import pytest

from causalkit import analyze
from causalkit.spec.observational import ObservationalSpec

causaldata = pytest.importorskip("causaldata")

NHEFS_COVARIATES = ["sex", "race", "age", "education", "smokeintensity", "smokeyrs", "exercise",
                    "active", "wt71"]
NHEFS_TERMS = {"age": "quadratic", "smokeintensity": "quadratic", "smokeyrs": "quadratic",
               "wt71": "quadratic", "education": "categorical", "exercise": "categorical",
               "active": "categorical"}


def _nhefs():
    from causaldata import nhefs

    d = nhefs.load_pandas().data
    return d[d["wt82_71"].notna()][["qsmk", *NHEFS_COVARIATES, "wt82_71"]]


def _nhefs_spec(**kw):
    covs = " ".join(NHEFS_COVARIATES)
    return ObservationalSpec(
        name="nhefs", kind="observational",
        graph=f"digraph {{ {{{covs}}} -> {{qsmk wt82_71}}; qsmk -> wt82_71 }}",
        treatment="qsmk", outcome="wt82_71", terms=NHEFS_TERMS,
        refuters=[], implications=False, **kw)


def test_nhefs_ipw_what_if_chapter_12():
    df = _nhefs()
    assert len(df) == 1566
    rep = analyze(_nhefs_spec(estimators=["ipw"]), df)
    ipw = rep.estimates[0]
    assert round(ipw.estimate, 1) == 3.4
    se_fixed = float(ipw.extra["se_fixed_weights"])
    assert round(ipw.estimate - 1.959964 * se_fixed, 1) == 2.4
    assert round(ipw.estimate + 1.959964 * se_fixed, 1) == 4.5
    # accounting for the estimated propensity narrows the interval (M-estimation)
    assert ipw.se is not None
    assert ipw.se < se_fixed


def test_nhefs_standardization_what_if_chapter_13():
    rep = analyze(_nhefs_spec(estimators=["regression"],
                                    outcome_interactions=["smokeintensity"]), _nhefs())
    reg = rep.estimates[0]
    assert round(reg.estimate, 1) == 3.5
    assert round(reg.ci_low, 1) == 2.6
    assert round(reg.ci_high, 1) == 4.5


def test_card_iv_mixtape():
    from causaldata import close_college

    d = close_college.load_pandas().data.dropna()
    spec = ObservationalSpec(
        name="card", kind="observational",
        graph="digraph { nearc4 -> educ -> lwage; educ <-> lwage; "
              "{exper black south married smsa} -> {nearc4 educ lwage} }",
        treatment="educ", outcome="lwage", refuters=[],
        implications=False)
    rep = analyze(spec, d)
    iv = rep.estimates[0]
    assert iv.method == "iv_2sls"
    assert round(iv.estimate, 3) == 0.124
    assert round(float(iv.extra["se_classical"]), 3) == 0.050
    assert iv.extra["first_stage_f"] > 10


def test_nsw_experimental_benchmark():
    from causaldata import nsw_mixtape

    d = nsw_mixtape.load_pandas().data
    spec = ObservationalSpec(name="nsw", kind="observational", graph="digraph { treat -> re78 }",
                             treatment="treat", outcome="re78",
                             refuters=[], implications=False)
    rep = analyze(spec, d)
    by = {e.method: e for e in rep.estimates}
    assert round(by["regression"].estimate) == 1794
    assert round(by["ipw"].estimate) == 1794
    # heteroskedasticity-robust error (the published 633 pools the arms' variances)
    assert 620 < (by["regression"].se or 0) < 700
