"""A cheap outcome model for replaying many switch-back schedules with a known effect.

The issue-13 case: 3 regions, 2-hour periods, a completion rate near 0.80 (regions
at 0.77, 0.80, 0.83), a daily cycle, AR(1) noise within a region and an effect
``tau`` that arrives over ``m + 1`` periods (half after one period, all after two), so
the lag-m estimand is exactly ``tau`` in every window. The pre-period is the same
process, without treatment, just before the test.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from causalkit.spec.switchback import Estimator, SwitchbackSpec
from causalkit.switchback import schedule_of
from causalkit.switchback.analysis import headline_estimator
from causalkit.switchback.effect import LagFit, fit_lag
from causalkit.switchback.regression import fe_regression

FloatArray = NDArray[np.float64]
Z = float(stats.norm.isf(0.025))


def issue_spec(**kw: Any) -> SwitchbackSpec:
    """The spec a new user writes: no estimator, no pre_data (unless given)."""
    base: dict[str, Any] = {
        "name": "completion", "kind": "switchback", "regions": ["A", "B", "C"],
        "schedule": {"start": "2026-05-04T00:00Z", "end": "2026-05-18T00:00Z",
                     "period": "2h", "carryover": 1, "seed": 1},
        "metrics": [{"name": "completion", "type": "proportion", "column": "completed",
                     "role": "primary", "direction": "increase"}],
        "analysis": {"draws": 500, "seed": 2},
    }
    base.update(kw)
    return SwitchbackSpec(**base)


@dataclass(frozen=True)
class Model:
    """Outcome per region-period: level + daily cycle + AR(1) noise + effect."""

    levels: tuple[float, ...] = (0.77, 0.80, 0.83)
    cycle: float = 0.03
    noise: float = 0.02
    rho: float = 0.5
    period_hours: float = 2.0

    def outcomes(self, rng: np.random.Generator, n_periods: int,
                 arms: NDArray[np.int8] | None, tau: float, offset: int = 0) -> FloatArray:
        """``(R, T)`` outcomes; ``arms`` None = untreated (pre-period)."""
        n_r = len(self.levels)
        hours = (np.arange(n_periods) + offset) * self.period_hours
        e = rng.normal(0.0, self.noise, (n_r, n_periods))
        for t in range(1, n_periods):
            e[:, t] = self.rho * e[:, t - 1] + np.sqrt(1 - self.rho ** 2) * e[:, t]
        y = (np.asarray(self.levels)[:, None]
             + self.cycle * np.sin(2 * np.pi * hours / 24.0)[None, :] + e)
        if arms is not None:
            a = arms.astype(np.float64)
            prev = np.pad(a, ((0, 0), (1, 0)))[:, :n_periods]
            y = y + tau * (a + prev) / 2.0
        return y


@dataclass
class Replays:
    """Estimates and standard errors of each method over replayed schedules."""

    tau: float
    est: dict[str, list[float]] = field(default_factory=dict)
    se: dict[str, list[float]] = field(default_factory=dict)
    crit: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, estimate: float, se: float, df: float = float("inf")) -> None:
        """One replay's estimate, standard error and the degrees of freedom of its
        interval (infinite: normal)."""
        self.est.setdefault(name, []).append(estimate)
        self.se.setdefault(name, []).append(se)
        self.crit.setdefault(name, []).append(Z if np.isinf(df) else
                                              float(stats.t.isf(0.025, df)))

    def summary(self, name: str) -> dict[str, float]:
        """Bias, its Monte Carlo SE, coverage of the truth and mean interval width."""
        e = np.asarray(self.est[name])
        s = np.asarray(self.se[name])
        c = np.asarray(self.crit[name])
        return {"n": float(len(e)), "bias": float(e.mean() - self.tau),
                "mc_se": float(e.std(ddof=1) / np.sqrt(len(e))), "sd": float(e.std(ddof=1)),
                "mean_se": float(s.mean()),
                "coverage": float(np.mean(np.abs(e - self.tau) <= c * s)),
                "width": float(np.mean(2 * c * s))}


def replay(spec: SwitchbackSpec, n: int, tau: float, *, pre: bool, seed: int,
           model: Model | None = None, lags: tuple[int, ...] = (), fe: bool = False
           ) -> Replays:
    """Draw ``n`` schedules of the spec's design and fit every method on each.

    ``default`` is what the analysis reports as its headline for this spec (the
    estimator of :func:`headline_estimator`, centred by the pre-period means when
    ``pre``, with its t interval); ``hajek`` is plain Hajek with a normal interval
    (the width yardstick); ``ht`` the
    Horvitz-Thompson estimate on the same outcomes as the default; ``lag{p}``
    the default estimator at other lags (the carryover table; only meaningful
    when ``tau`` is 0); ``fe_cluster``/``fe_hac`` the fixed-effects rows.
    """
    model = model or Model()
    sched = schedule_of(spec)
    design, m = sched.design, sched.carryover
    n_t = sched.n_periods
    estimator, _ = headline_estimator(spec)
    hajek = estimator is Estimator.HAJEK
    rng = np.random.default_rng(seed)
    out = Replays(tau)
    for _ in range(n):
        coins = design.draw(rng)
        arms = design.arms(coins)
        y = model.outcomes(rng, n_t, arms, tau)
        centre = model.outcomes(rng, n_t, None, 0.0, offset=-n_t).mean(axis=1) if pre else None
        fits: dict[str, LagFit] = {
            "default": fit_lag(design, coins, y, m, center=centre, hajek=hajek),
            "hajek": replace(fit_lag(design, coins, y, m, hajek=True), df=float("inf")),
            "ht": fit_lag(design, coins, y, m, center=centre),
        }
        for lag in lags:
            fits[f"lag{lag}"] = fit_lag(design, coins, y, lag, center=centre, hajek=hajek)
        for name, f in fits.items():
            out.add(name, f.estimate, f.se, f.df)
        rel = fits["default"]
        out.add("relative", rel.relative, rel.relative_se, rel.df)
        if fe:
            r = fe_regression(y, arms, m)
            out.add("fe_cluster", r.estimate, r.se_cluster, r.df_cluster)
            out.add("fe_hac", r.estimate, r.se_hac)
    return out


def band(n: int, p: float = 0.95, k: float = 3.0) -> tuple[float, float]:
    """The binomial band ``p ± k·sqrt(p(1-p)/n)``."""
    h = k * np.sqrt(p * (1 - p) / n)
    return p - h, p + h
