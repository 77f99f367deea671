"""Issues 13.7 and 12.7: treatment coding, degenerate outcomes, collinear covariates, extremes.

Each bad input is a ``DataError`` naming the column(s) and what to do, or (a constant
outcome) a ``fail`` check with no estimate and no p-value; never a traceback, never a
silent number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import causalkit
from causalkit.errors import DataError
from causalkit.observational.datachecks import constant_outcome, treatment_coding
from causalkit.observational.learners import dependent_columns
from causalkit.report.model import Status

GRAPH = "digraph { z -> t -> y; z -> y; w -> t; w -> y }"


def _frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    t = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    return pd.DataFrame({"z": z, "w": rng.normal(size=n), "t": t,
                         "y": 2 * t + z + rng.normal(size=n)})


def _analyze(df: pd.DataFrame, **kw: object):
    spec = {"name": "x", "kind": "observational", "graph": GRAPH, "treatment": "t",
            "outcome": "y", "refuters": [], "implications": False, **kw}
    return causalkit.analyze(spec, data=df, seed=1)


@pytest.mark.parametrize(("codes", "shown"), [((3, 5), "{3, 5}"), ((1, 2), "{1, 2}"),
                                              ((-1, 1), "{-1, 1}"), ((0, 2), "{0, 2}")])
def test_a_two_valued_treatment_must_be_coded_0_1(codes, shown):
    df = _frame()
    df["t"] = np.where(df["t"] == 1, codes[1], codes[0])
    with pytest.raises(DataError) as info:
        _analyze(df)
    text = str(info.value)
    assert "column 't'" in text
    assert f"must be coded 0/1; found {shown}" in text
    assert f"(t == {codes[1]})" in text  # says how to recode


def test_zero_one_and_boolean_treatments_are_binary_and_three_values_continuous():
    df = _frame()
    rep = _analyze(df.assign(t=df["t"].astype(bool)))
    assert rep.estimates[0].arm == "t=1"
    assert rep.estimates[0].n == int(df["t"].sum())
    dose = df.assign(t=df["t"] + (df.index % 3 == 0))  # values 0, 1, 2
    rep = _analyze(dose)
    assert (rep.estimates[0].method, rep.estimates[0].arm) == ("plm", "t+1")


def test_a_constant_treatment_and_a_tiny_arm_are_errors():
    df = _frame()
    with pytest.raises(DataError, match=r"column 't': the treatment does not vary \(every row "
                                        r"is 1\)"):
        _analyze(df.assign(t=1))
    tiny = df.assign(t=(df.index == 0).astype(int))
    with pytest.raises(DataError, match=r"column 't': 1 treated and 599 control row\(s\)"):
        _analyze(tiny)


@pytest.mark.parametrize("value", [3.0, 0.0, 1.0, -2.5e6])
def test_a_constant_outcome_is_a_fail_check_without_estimates(value):
    rep = _analyze(_frame().assign(y=value), refuters=["placebo", "sensitivity"])
    assert rep.estimates == ()
    check = next(c for c in rep.checks if c.name == "outcome_variance")
    assert check.status is Status.FAIL
    assert "'y' is constant" in check.detail
    assert "no p-value" in check.detail
    assert all(c.name != "overlap" for c in rep.checks)  # nothing estimated, nothing diagnosed


def test_an_outcome_constant_up_to_rounding_is_also_flagged():
    y = np.full(600, 0.1 + 0.2)
    y[::2] = 0.3  # 0.30000000000000004 and 0.3: one ulp apart
    assert constant_outcome(y, "y") is not None
    assert "up to float64 rounding" in constant_outcome(y, "y").detail
    assert constant_outcome(np.array([0.3, 0.3 + 1e-9]), "y") is None


def test_a_near_constant_outcome_keeps_its_estimates():
    df = _frame()
    rep = _analyze(df.assign(y=1e-6 * df["y"]))
    assert len(rep.estimates) == 3
    assert all(e.p_value is not None and e.p_value < 1e-6 for e in rep.estimates)


def test_collinear_covariates_are_named():
    df = _frame()
    with pytest.raises(DataError) as info:
        _analyze(df.assign(w=2 * df["z"] + 1))
    assert "the adjustment set: z, w are collinear" in str(info.value)
    assert "drop or combine" in str(info.value)
    # a categorical dummy equal to another covariate
    cat = df.assign(w=np.where(df["z"] > 0, "hi", "lo"), z=(df["z"] > 0).astype(float))
    with pytest.raises(DataError, match=r"z, w=lo are collinear"):
        _analyze(cat)


def test_a_covariate_constant_within_an_arm_is_named():
    df = _frame()
    df["w"] = np.where(df["t"] == 1, 1.0, df["w"])  # no variation among the treated
    with pytest.raises(DataError, match=r"among the treated rows \(t = 1, \d+ rows\) w does not "
                                        r"vary, so the treated arm's outcome model"):
        _analyze(df)
    # ipw alone fits no outcome model per arm: the propensity tells the overlap story
    rep = _analyze(df, estimators=["ipw"])
    assert rep.estimates[0].method == "ipw"


@pytest.mark.parametrize(("column", "value", "message"), [
    ("z", np.inf, "1 infinite value"), ("y", -np.inf, "1 infinite value"),
    ("z", 3e300, "too large for float64"), ("y", 1e150, "too large for float64"),
    ("t", np.nan, "missing or NaN"), ("w", np.nan, "missing or NaN"),
])
def test_non_finite_and_extreme_values_are_named(column, value, message):
    df = _frame().astype({"t": float})
    df.loc[7, column] = value
    with pytest.raises(DataError, match=rf"column '{column}': .*{message}"):
        _analyze(df)


def test_a_column_varying_below_float_resolution_is_named():
    df = _frame()
    with pytest.raises(DataError, match=r"column 'z': values vary by only"):
        _analyze(df.assign(z=1e-300 * df["z"]))


def test_frontdoor_and_iv_collinearity_is_named():
    rng = np.random.default_rng(1)
    n = 500
    t = (rng.random(n) < 0.4).astype(int)
    fd = pd.DataFrame({"t": t, "m": 3.0 * t, "y": rng.normal(size=n)})
    with pytest.raises(DataError, match=r"front-door models .*: t, m are collinear"):
        causalkit.analyze({"name": "fd", "kind": "observational",
                           "graph": "digraph { t -> m -> y; t <-> y }", "treatment": "t",
                           "outcome": "y", "refuters": [], "implications": False}, data=fd)
    z = rng.normal(size=n)
    iv = pd.DataFrame({"z": z, "c": 2 * z, "t": z + rng.normal(size=n), "y": rng.normal(size=n)})
    with pytest.raises(DataError, match=r"first stage .*: z, c are collinear"):
        causalkit.analyze({"name": "iv", "kind": "observational",
                           "graph": "digraph { z -> t -> y; t <-> y; c -> {t y} }",
                           "treatment": "t", "outcome": "y", "refuters": [],
                           "implications": False}, data=iv)


def test_helpers_directly():
    assert treatment_coding(np.array([0.0, 1, 0, 1]), "t") is True
    assert treatment_coding(np.array([0.0, 1, 2]), "t") is False
    a = np.arange(6.0)
    assert dependent_columns(np.column_stack([np.ones(6), a, a ** 2]), ["1", "a", "a2"]) == ()
    assert dependent_columns(np.column_stack([np.ones(6), a, 1 - a]),
                             ["(intercept)", "a", "b"]) == ("(intercept)", "a", "b")
    assert dependent_columns(np.ones((2, 3)), ["a", "b", "c"]) == ("a", "b", "c")
