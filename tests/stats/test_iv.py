"""causalkit.stats.iv: 2SLS from sufficient statistics against linearmodels, the
Anderson-Rubin set against a grid inversion, and the coverage of both intervals."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pytest
from scipy import stats

from causalkit.stats.iv import WEAK_F, ARSet, IVResult, IVSums, ar_set, iv_fit


def experiment(rng: np.random.Generator, n: int, *, k: int = 0, pi: float = 0.5,
               beta: float = 2.0, rho: float = 0.5, binary: bool = True
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(y, d, z, x)`` of an encouragement experiment with endogenous ``d`` (corr ``rho``)."""
    z = rng.integers(0, 2, n).astype(float)
    x = rng.normal(size=(n, k))
    u = rng.normal(size=n)
    v = rho * u + math.sqrt(1 - rho * rho) * rng.normal(size=n)
    if binary:
        d = (stats.norm.cdf(v) < 0.2 + pi * z + 0.1 * np.tanh(x.sum(axis=1))).astype(float)
    else:
        d = pi * z + v + 0.2 * x.sum(axis=1)
    y = 1.0 + beta * d + x @ np.linspace(0.5, -0.3, k) + u * (1 + 0.5 * d)
    return y, d, z, x


def fit_of(y: np.ndarray, d: np.ndarray, z: np.ndarray, x: np.ndarray,
           cov_type: Literal["HC0", "HC1"] = "HC0") -> IVResult:
    c, t = z == 0, z == 1
    xs = x if x.shape[1] else None
    return iv_fit(IVSums.from_data(y[c], d[c], None if xs is None else xs[c]),
                  IVSums.from_data(y[t], d[t], None if xs is None else xs[t]), cov_type=cov_type)


@pytest.mark.parametrize("k", [0, 1, 2])
@pytest.mark.parametrize("binary", [True, False])
def test_matches_linearmodels_iv2sls_robust(k: int, binary: bool) -> None:
    lm = pytest.importorskip(
        "linearmodels.iv", reason="linearmodels is needed for this known-answer test "
                                  "(pip install linearmodels; in the test extra)")
    import pandas as pd

    rng = np.random.default_rng(10 + k + 5 * binary)
    y, d, z, x = experiment(rng, 1500, k=k, binary=binary)
    cols = [f"x{i}" for i in range(k)]
    frame = pd.DataFrame({"y": y, "d": d, "z": z, "const": 1.0,
                          **{c: x[:, i] for i, c in enumerate(cols)}})
    cases: tuple[tuple[bool, Literal["HC0", "HC1"]], ...] = ((False, "HC0"), (True, "HC1"))
    for debiased, cov_type in cases:
        ref = lm.IV2SLS(frame.y, frame[["const", *cols]], frame.d, frame.z).fit(
            cov_type="robust", debiased=debiased)
        got = fit_of(y, d, z, x, cov_type=cov_type)
        assert got.beta == pytest.approx(ref.params["d"], rel=1e-9, abs=1e-12)
        assert got.se == pytest.approx(ref.std_errors["d"], rel=1e-9)
        assert got.params[0] == pytest.approx(ref.params["const"], rel=1e-9, abs=1e-12)
        for i, c in enumerate(cols):
            assert got.params[2 + i] == pytest.approx(ref.params[c], rel=1e-9, abs=1e-12)
            assert math.sqrt(got.cov[2 + i, 2 + i]) == pytest.approx(ref.std_errors[c], rel=1e-9)
        f_ref = float(ref.first_stage.diagnostics["f.stat"].iloc[0])
        assert got.first_stage_f == pytest.approx(f_ref, rel=1e-9)


def ar_statistic_ols(y: np.ndarray, d: np.ndarray, z: np.ndarray, x: np.ndarray,
                     b0: float) -> float:
    """The robust (HC0) Wald statistic of ``z`` in the OLS of ``y - b0 d`` on (1, z, x),
    computed by statsmodels on the unit-level data (independent of causalkit)."""
    import statsmodels.api as sm

    exog = np.column_stack([np.ones_like(z), z, x])
    res = sm.OLS(y - b0 * d, exog).fit(cov_type="HC0")
    return float(res.params[1] ** 2 / res.cov_params()[1, 1])


@pytest.mark.parametrize(("pi", "expected"), [(0.5, "interval"), (0.04, None)])
def test_ar_set_equals_a_grid_inversion_of_the_ar_test(pi: float, expected: str | None) -> None:
    rng = np.random.default_rng(7)
    y, d, z, x = experiment(rng, 600, k=1, pi=pi, binary=False, rho=0.8)
    got = fit_of(y, d, z, x)
    if expected is not None:
        assert got.ar.kind == expected
    else:
        assert got.ar.kind in ("two_rays", "whole_line")
    crit = stats.chi2.isf(0.05, 1)
    ends = [e for e in (got.ar.low, got.ar.high) if np.isfinite(e)]
    centre = got.beta if np.isfinite(got.beta) else 0.0
    grid = np.concatenate([np.linspace(centre - 50, centre + 50, 401),
                           *(np.linspace(e - 0.05, e + 0.05, 21) for e in ends)])
    for b0 in grid:
        if any(abs(b0 - e) < 1e-6 for e in ends):
            continue
        accepted = ar_statistic_ols(y, d, z, x, b0) <= crit
        assert accepted == got.ar.contains(float(b0)), (b0, got.ar)
    for e in ends:  # the ends are where the statistic equals the critical value
        assert ar_statistic_ols(y, d, z, x, e) == pytest.approx(crit, rel=1e-7)


def test_ar_set_shapes_in_closed_form() -> None:
    assert ar_set(1.0, 0.5, (0.01, 0.0, 0.01)).kind == "interval"
    assert ar_set(0.0, 0.0, (1.0, 0.0, 1.0)).kind == "whole_line"
    rays = ar_set(1.0, 0.05, (0.01, 0.0, 0.01))
    assert rays.kind == "two_rays"
    assert not rays.contains(0.0)
    assert rays.contains(1e6)
    crit = stats.chi2.isf(0.05, 1)
    # A = fs^2 - c v_dd exactly 0: a single ray
    ray = ar_set(1.0, math.sqrt(crit * 0.01), (0.01, 0.0, 0.01))
    assert ray.kind == "ray_up"
    assert ray.contains(1e9)
    assert not ray.contains(-1e9)
    assert "unbounded" in rays.text()
    assert "whole line" in ARSet("whole_line").text()
    # a first stage significant and the model rejected (over-tight variances): empty
    assert ar_set(1.0, 1.0, (1e-4, 0.01, 1e-4)).kind in ("interval", "empty")


def _sums_batch(rng: np.random.Generator, reps: int, n: int, pi: float, beta: float,
                rho: float) -> list[tuple[IVSums, IVSums]]:
    """Per-arm sums of ``reps`` experiments (continuous dose, endogenous), vectorized."""
    z = np.zeros((reps, n))
    z[:, n // 2:] = 1.0
    u = rng.normal(size=(reps, n))
    v = rho * u + math.sqrt(1 - rho * rho) * rng.normal(size=(reps, n))
    d = pi * z + v
    y = beta * d + u
    out = []
    for arm in (slice(0, n // 2), slice(n // 2, n)):
        ya, da = y[:, arm], d[:, arm]
        out.append((ya.sum(1), da.sum(1), (ya * ya).sum(1), (ya * da).sum(1), (da * da).sum(1)))
    batch = []
    for r in range(reps):
        pair = []
        for sy, sd, syy, syd, sdd in out:
            pair.append(IVSums(n // 2, np.array([sy[r], sd[r]]),
                               np.array([[syy[r], syd[r]], [syd[r], sdd[r]]]),
                               np.zeros((2, 2, 0)), np.zeros((2, 2, 0, 0))))
        batch.append((pair[0], pair[1]))
    return batch


def band(p: float, reps: int) -> float:
    """Three binomial standard errors."""
    return 3 * math.sqrt(p * (1 - p) / reps)


def test_coverage_strong_first_stage_wald_and_ar() -> None:
    reps, beta = 1200, 1.0
    rng = np.random.default_rng(2026)
    fits = [iv_fit(c, t) for c, t in _sums_batch(rng, reps, 400, 1.0, beta, 0.6)]
    wald = np.mean([f.ci_low <= beta <= f.ci_high for f in fits])
    ar = np.mean([f.ar.contains(beta) for f in fits])
    assert min(f.first_stage_f for f in fits) > WEAK_F
    assert abs(wald - 0.95) <= band(0.95, reps), wald
    assert abs(ar - 0.95) <= band(0.95, reps), ar


def test_weak_first_stage_ar_keeps_coverage_wald_does_not() -> None:
    reps, beta = 1200, 1.0
    rng = np.random.default_rng(99)
    fits = [iv_fit(c, t) for c, t in _sums_batch(rng, reps, 400, 0.05, beta, 0.9)]
    wald = np.mean([f.ci_low <= beta <= f.ci_high for f in fits])
    ar = np.mean([f.ar.contains(beta) for f in fits])
    weak = np.mean([f.weak for f in fits])
    unbounded = np.mean([not f.ar.bounded for f in fits])
    assert abs(ar - 0.95) <= band(0.95, reps), ar
    assert wald < 0.95 - band(0.95, reps), wald  # the Wald interval undercovers
    assert weak > 0.9  # and the weak-instrument warning fires
    assert unbounded > 0.5  # the AR set says "unbounded" instead of a false precision
