"""Exact small p-values: Fisher tails and normal tails in log space, never 0 in a report."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import fisher_exact, hypergeom, norm

from causalkit.aha.metrics import (
    P_FLOOR,
    condition_metrics,
    fdr_qvalues,
    fisher_exact_two_sided,
    fisher_exact_two_sided_log,
    normal_two_sided_p,
    p_from_log,
)


def _brute_log_p(a: int, b: int, c: int, d: int) -> float:
    """log of the two-sided (minimum-likelihood) Fisher p by summing the whole support."""
    total, col, row = a + b + c + d, a + c, a + b
    ks = np.arange(max(0, row - (total - col)), min(row, col) + 1)
    logpmf = hypergeom.logpmf(ks, total, col, row)
    cut = hypergeom.logpmf(a, total, col, row) + math.log(1 + 1e-7)
    return float(min(0.0, logsumexp(logpmf[logpmf <= cut])))


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 6_000), st.integers(0, 6_000), st.integers(0, 6_000),
       st.integers(1, 6_000))
def test_log_p_matches_the_whole_support(a: int, b: int, c: int, d: int) -> None:
    lp = float(fisher_exact_two_sided_log(a, b, c, d))
    ref = _brute_log_p(a, b, c, d)
    assert lp == pytest.approx(ref, rel=1e-9, abs=1e-10)  # abs: p near 1, rel 1e-10
    p = float(fisher_exact_two_sided(a, b, c, d))
    assert p >= P_FLOOR
    if ref > -700:  # a double holds it: the plain p-value agrees too
        assert p == pytest.approx(math.exp(ref), rel=1e-8)


def test_extreme_tables_keep_their_size() -> None:
    # p-values far below the smallest double: scipy's fisher_exact says 0; the log does not
    tables = [(3_000, 10, 12, 3_000), (20_000, 0, 0, 20_000), (900, 100, 100, 900)]
    for a, b, c, d in tables:
        lp = float(fisher_exact_two_sided_log(a, b, c, d))
        assert lp == pytest.approx(_brute_log_p(a, b, c, d), rel=1e-9)
        assert float(fisher_exact_two_sided(a, b, c, d)) >= P_FLOOR
    assert fisher_exact([[3_000, 10], [12, 3_000]]).pvalue == 0.0
    m = condition_metrics([20_000], [0], [0], [20_000])
    assert m.p_value[0] == P_FLOOR
    assert m.log10_p_value is not None
    assert m.log10_p_value[0] < -10_000  # exact: 2 / C(40000, 20000)


def test_normal_tails_and_the_floor() -> None:
    z = np.array([0.0, 1.96, 8.0, 37.0, 38.5, 60.0, np.inf])
    p = normal_two_sided_p(z)
    assert p[0] == 1.0
    assert p[1] == pytest.approx(0.05, rel=1e-3)
    for zi, pi in zip(z[2:5], p[2:5]):
        assert pi == pytest.approx(math.exp(math.log(2) + norm.logsf(zi)), rel=1e-12)
    assert (p[5:] == P_FLOOR).all()
    assert 2 * norm.sf(40.0) == 0.0  # what the tables printed before
    assert np.isnan(p_from_log([np.nan])[0])


def test_q_values_of_tiny_p_values_are_never_zero() -> None:
    p = np.array([P_FLOOR, 1e-310, 1e-200, 0.01, 0.5])
    q = fdr_qvalues(p)
    assert (q > 0).all()
    assert q[3] == pytest.approx(0.01 * 5 / 4)


def test_no_p_value_cell_of_an_aha_report_is_zero() -> None:
    """A log with a strong effect: every p/q cell and estimate p-value is positive."""
    import causalkit
    from causalkit.simulate.event_log import simulate_event_log

    sim = simulate_event_log(seed=4, n_users=20_000, effect=3.0)
    spec = {"name": "p", "kind": "aha", "covariates": ["age", "ios", "paid", "referred"],
            "actions": {"exclude": ["app_open"]}, "heatmaps": 0,
            "check": {"top": 1, "refuters": [], "estimators": ["aipw"]}}
    rep = causalkit.analyze(spec, data=(sim.tables["events"], sim.tables["users"]), seed=4)
    seen = 0
    smallest = 1.0
    for table in rep.tables:
        for i, col in enumerate(table.columns):
            if col.endswith(("p_value", "q_value")):
                for row in table.rows:
                    v = row[i]
                    if v is not None:
                        assert isinstance(v, float), (table.name, col, row)
                        assert v > 0, (table.name, col, row)
                        seen += 1
                        smallest = min(smallest, float(v))
    assert seen > 20
    assert smallest < 1e-100  # the exact tails really are that small
    for e in rep.estimates:
        assert e.p_value is None or e.p_value > 0, e.label
