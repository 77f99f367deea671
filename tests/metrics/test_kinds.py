"""Each built-in metric kind against an independent numpy computation on random data.

Level, per-unit variance and CUPED pieces (covariate level, its variance, its
covariance with the metric) of ``mean`` (``np.mean``, ``np.var`` ddof 1),
``proportion`` (``p (1 - p)``, ddof 0) and ``ratio`` (the variance of the
delta-method linearization ``(N - r D) / mean(D)`` computed from the per-unit
rows); and the kinds give the same outputs on ``Moments`` added over two
partitions as on the whole.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalkit.data import Moments
from causalkit.metrics import KINDS, MEAN, PROPORTION, RATIO, kind_of
from causalkit.spec.common import Metric

REL = 1e-9
MEAN_M = Metric(name="m", type="mean", column="y", covariate="x")
PROP_M = Metric(name="p", type="proportion", column="y", covariate="x")
RATIO_M = Metric(name="r", type="ratio", numerator="n", denominator="d",
                 covariate_numerator="xn", covariate_denominator="xd")
CASES = {"mean": MEAN_M, "proportion": PROP_M, "ratio": RATIO_M}

seeds = st.integers(min_value=0, max_value=2**32 - 1)
sizes = st.integers(min_value=3, max_value=300)
locs = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False)
scales = st.floats(min_value=1e-2, max_value=1e2, allow_nan=False)


def close(a: float, b: float, scale: float = 1.0) -> bool:
    return math.isclose(a, b, rel_tol=REL, abs_tol=REL * scale)


def rows(kind: str, seed: int, n: int, loc: float = 0.0, scale: float = 1.0
         ) -> dict[str, np.ndarray]:
    """Random per-unit rows for one metric kind (correlated metric and covariate)."""
    rng = np.random.default_rng(seed)
    if kind == "mean":
        x = loc + scale * rng.normal(size=n)
        return {"x": x, "y": 0.5 * x + scale * rng.normal(size=n)}
    if kind == "proportion":
        x = rng.normal(size=n)
        y = (x + rng.normal(size=n) > 0).astype(float)
        y[:2] = [0.0, 1.0]  # both values present
        return {"y": y, "x": x}
    d = rng.integers(1, 20, size=n).astype(float)
    xd = rng.integers(1, 20, size=n).astype(float)
    xn = rng.poisson(2.0 * xd).astype(float)
    return {"n": rng.poisson(0.5 * d + 0.1 * xn).astype(float), "d": d, "xn": xn, "xd": xd}


def moments(data: dict[str, np.ndarray], cols: tuple[str, ...], idx: slice = slice(None)
            ) -> Moments:
    return Moments.from_array(cols, np.column_stack([data[c][idx] for c in cols]))


def expected(kind: str, data: dict[str, np.ndarray]) -> tuple[float, float, float, float, float]:
    """(level, variance, covariate level, covariate variance, covariance) by numpy."""
    if kind == "mean":
        y, x = data["y"], data["x"]
        return (np.mean(y), np.var(y, ddof=1), np.mean(x), np.var(x, ddof=1),
                np.cov(y, x, ddof=1)[0, 1])
    if kind == "proportion":
        y, x = data["y"], data["x"]
        p = np.mean(y)
        return p, p * (1 - p), np.mean(x), np.var(x, ddof=0), np.cov(y, x, ddof=0)[0, 1]
    num, den, xn, xd = data["n"], data["d"], data["xn"], data["xd"]
    r, rx = num.sum() / den.sum(), xn.sum() / xd.sum()
    ly = (num - r * den) / den.mean()  # the delta-method linearization per unit
    lx = (xn - rx * xd) / xd.mean()
    return r, np.var(ly, ddof=1), rx, np.var(lx, ddof=1), np.cov(ly, lx, ddof=1)[0, 1]


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=40, deadline=None)
@given(seed=seeds, n=sizes, loc=locs, scale=scales)
def test_level_variance_and_cuped_pieces_equal_numpy(name: str, seed: int, n: int, loc: float,
                                                     scale: float) -> None:
    metric = CASES[name]
    kind = kind_of(metric)
    data = rows(name, seed, n, loc, scale)
    m = moments(data, kind.columns(metric))
    level, var, xl, xv, c = expected(name, data)
    got_level, got_var = kind.level(metric, m)
    got_xl, got_xv, got_c = kind.covariate(metric, m)
    # rounding of a two-pass moment grows with |mean| x sd (loc and scale shape mean rows only)
    size, sd = (abs(loc) + scale, scale) if name == "mean" else (1.0, 1.0)
    assert close(got_level, level, size)
    assert close(got_var, var, size * sd)
    assert close(got_xl, xl, size)
    assert close(got_xv, xv, size * sd)
    assert close(got_c, c, size * sd)


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=40, deadline=None)
@given(seed=seeds, n=sizes, cut=st.floats(min_value=0.0, max_value=1.0))
def test_moments_added_over_two_partitions_give_the_same_outputs(name: str, seed: int, n: int,
                                                                 cut: float) -> None:
    metric = CASES[name]
    kind = kind_of(metric)
    data = rows(name, seed, n)
    cols = kind.columns(metric)
    k = int(cut * n)
    whole = moments(data, cols)
    parts = moments(data, cols, slice(0, k)) + moments(data, cols, slice(k, None))
    assert parts.n == whole.n
    for a, b in zip((*kind.level(metric, parts), *kind.covariate(metric, parts)),
                    (*kind.level(metric, whole), *kind.covariate(metric, whole))):
        assert close(a, b, 1.0)
    assert kind.problem(metric, parts, whole) == kind.problem(metric, whole, whole)


@settings(max_examples=60, deadline=None)
@given(p=st.sampled_from([0.0, 1.0]) | st.floats(min_value=1e-9, max_value=1 - 1e-9),
       effect=st.floats(min_value=-1.0, max_value=1.0),
       keep=st.just(0.0) | st.floats(min_value=1e-6, max_value=1.0))
def test_planning_variance(p: float, effect: float, keep: float) -> None:
    """A proportion plans with ``p' (1 - p')`` (CUPED share kept); the others with the variance.

    Levels and kept shares are kept out of the subnormal range, where ``p (1 - p) keep``
    underflows and the kept share cannot be recovered (a proportion of 1e-320 is no level).
    """
    pt = min(max(p + effect, 0.0), 1.0)
    base = p * (1 - p)
    got = PROPORTION.planning_variance(p, base * keep, effect)
    assert close(got, pt * (1 - pt) * (keep if base > 0 else 1.0), 1.0)
    assert MEAN.planning_variance(p, 2.5, effect) == 2.5
    assert RATIO.planning_variance(p, 2.5, effect) == 2.5


def test_declarations() -> None:
    """Columns, co-moment pairs, flags and labels of the built-in kinds."""
    assert sorted(KINDS) == ["mean", "proportion", "ratio"]
    assert MEAN.columns(MEAN_M) == ("y", "x")
    assert set(RATIO.pairs(RATIO_M)) == {(a, b) for i, a in enumerate(("n", "d", "xn", "xd"))
                                         for b in ("n", "d", "xn", "xd")[i:]}
    assert [(k.method(m), k.binary, k.normal, k.ddof)
            for k, m in ((MEAN, MEAN_M), (PROPORTION, PROP_M), (RATIO, RATIO_M))] == [
        ("welch+cuped", False, False, 1), ("z+cuped", True, True, 0),
        ("delta+welch+cuped", False, False, 1)]
    plain = Metric(name="r", type="ratio", numerator="n", denominator="d")
    assert (RATIO.method(plain), RATIO.has_covariate(plain), RATIO.derived(plain)) == \
        ("delta+welch", False, {})
    assert RATIO.data_columns(RATIO_M, RATIO.values(RATIO_M)) == ("n", "d")


def test_ratio_problem_and_period_outcome() -> None:
    z = Moments.from_array(("n", "d"), np.array([[1.0, 0.0], [2.0, 0.0]]))
    ok = Moments.from_array(("n", "d"), np.array([[1.0, 2.0], [2.0, 1.0]]))
    plain = Metric(name="r", type="ratio", numerator="n", denominator="d")
    assert RATIO.problem(plain, z, ok) == "zero_denominator"
    assert RATIO.problem(plain, ok, ok) is None
    total = {"n": np.array([3.0, 1.0]), "d": np.array([2.0, 0.0])}
    out = RATIO.period_outcome(plain, total, total, per_period_total=False)
    assert out[0] == 1.5
    assert np.isnan(out[1])
    m = Metric(name="m", type="mean", column="y")
    got = MEAN.period_outcome(m, {"y": np.array([6.0, 0.0])}, {"y": np.array([2.0, 0.0])},
                              per_period_total=False)
    assert got[0] == 3.0
    assert np.isnan(got[1])
