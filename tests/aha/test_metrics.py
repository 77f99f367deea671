"""Known answers for the metrics of 2x2 tables, the exact test, FDR and the Pareto front."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact

from causalkit.aha.metrics import (
    condition_metrics,
    fdr_qvalues,
    fisher_exact_two_sided,
    pareto_front,
)

counts = st.integers(min_value=0, max_value=300)


@settings(max_examples=300, deadline=None)
@given(counts, counts, counts, counts)
def test_fisher_matches_scipy(a: int, b: int, c: int, d: int) -> None:
    p = fisher_exact_two_sided(a, b, c, d)
    if a + b == 0 or c + d == 0 or a + c == 0 or b + d == 0:
        assert np.isnan(p)
        return
    expected = fisher_exact([[a, b], [c, d]]).pvalue
    assert p == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_fisher_vectorized_equals_scalar_calls() -> None:
    rng = np.random.default_rng(4)
    t = rng.integers(1, 2_000, size=(4, 500))
    p = fisher_exact_two_sided(*t)
    for i in range(0, 500, 37):
        assert p[i] == pytest.approx(fisher_exact([[t[0, i], t[1, i]], [t[2, i], t[3, i]]]).pvalue,
                                     rel=1e-9)


def test_known_table_values() -> None:
    # Lady tasting tea (Fisher 1935): [[3, 1], [1, 3]] -> two-sided p = 0.4857
    assert float(fisher_exact_two_sided(3, 1, 1, 3)) == pytest.approx(0.485714, abs=1e-6)
    m = condition_metrics([30], [10], [20], [40])
    assert m.precision[0] == pytest.approx(0.75)
    assert m.recall[0] == pytest.approx(0.6)
    assert m.specificity[0] == pytest.approx(0.8)
    assert m.npv[0] == pytest.approx(40 / 60)
    assert m.coverage[0] == pytest.approx(0.4)
    assert m.lift[0] == pytest.approx(0.75 / 0.5)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=4, max_size=200))
def test_phi_is_the_pearson_correlation(pairs: list[tuple[bool, bool]]) -> None:
    c = np.array([p[0] for p in pairs], dtype=float)
    r = np.array([p[1] for p in pairs], dtype=float)
    tp = int((c * r).sum())
    fp = int((c * (1 - r)).sum())
    fn = int(((1 - c) * r).sum())
    tn = len(pairs) - tp - fp - fn
    phi = condition_metrics([tp], [fp], [fn], [tn]).phi[0]
    if c.std() == 0 or r.std() == 0:
        assert np.isnan(phi)
    else:
        assert phi == pytest.approx(np.corrcoef(c, r)[0, 1], abs=1e-12)


@pytest.mark.parametrize("method", ["bh", "by"])
def test_fdr_matches_statsmodels(method: str) -> None:
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(1)
    p = np.concatenate([rng.uniform(size=200), rng.uniform(0, 0.001, size=20)])
    q = fdr_qvalues(p, method=method)
    expected = multipletests(p, method="fdr_bh" if method == "bh" else "fdr_by")[1]
    np.testing.assert_allclose(q, expected, rtol=1e-12)


def test_fdr_skips_untestable_conditions() -> None:
    q = fdr_qvalues([0.01, np.nan, 0.02])
    np.testing.assert_allclose(q, [0.02, np.nan, 0.02])
    assert np.isnan(fdr_qvalues([np.nan, np.nan])).all()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=60))
def test_pareto_front_matches_brute_force(points: list[tuple[float, float]]) -> None:
    p = np.array([x[0] for x in points])
    r = np.array([x[1] for x in points])
    front = pareto_front(p, r)
    for i in range(len(points)):
        dominated = np.any((p >= p[i]) & (r >= r[i]) & ((p > p[i]) | (r > r[i])))
        duplicate_before = np.any((p[:i] == p[i]) & (r[:i] == r[i])) or np.any(
            (p[i + 1:] == p[i]) & (r[i + 1:] == r[i]))
        if dominated:
            assert not front[i]
        elif not duplicate_before:
            assert front[i]
    # exactly one representative of each non-dominated point
    kept = {(float(a), float(b)) for a, b in zip(p[front], r[front])}
    assert len(kept) == int(front.sum())
