"""Simulated gated experiments: daily cumulative sufficient statistics -> Reports -> decide().

Vectorized over experiments: per-day sums and sums of squared deviations of
normal outcomes are drawn exactly (sum ~ N(m mu, m sd^2), deviations ~ sd^2
chi2(m - 1)), accumulated, and analysed by the A/B statistics core
(:func:`causalkit.stats.effects.welch_from_sums`,
:func:`causalkit.stats.sequential.msprt`). Once per experiment and day a gated
report is built as a gated shape builds it (schema-2 estimates, a decision
basis, :func:`causalkit.report.intervals.finish` with the earlier looks) and
the pure decision function :func:`causalkit.gate.decide` reads it, with the
looks of that experiment as its history, exactly as the CLI does with a state
file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from causalkit.gate import Look, decide
from causalkit.report import Check, DecisionBasis, Estimate, Experiment, Meta, Report, Status
from causalkit.report.basis import PriorLook, iso
from causalkit.report.intervals import finish
from causalkit.stats.effects import welch_from_sums
from causalkit.stats.group_sequential import precompute
from causalkit.stats.sequential import msprt, msprt_tau2

START = datetime(2026, 12, 1, tzinfo=UTC)
SRM_PASS = (Check("sample_ratio_mismatch", Status.PASS, "p = 0.5"),)


@dataclass(frozen=True)
class Plan:
    """The decision settings of the simulated experiments."""

    sequential: str = "msprt"
    alpha: float = 0.05
    min_sample_per_arm: int = 0
    horizon_sample_per_arm: int | None = None


@dataclass(frozen=True)
class DailyStats:
    """Cumulative per-arm statistics, shape (experiments, days)."""

    n: np.ndarray
    sum_c: np.ndarray
    sumsq_c: np.ndarray
    sum_t: np.ndarray
    sumsq_t: np.ndarray


def daily_stats(rng: np.random.Generator, *, experiments: int, days: int, per_day: int,
                effect: float, mean: float = 10.0, sd: float = 1.0) -> DailyStats:
    """Exact draws of each day's per-arm sums and sums of squares, accumulated."""

    def arm(mu: float) -> tuple[np.ndarray, np.ndarray]:
        s = rng.normal(per_day * mu, np.sqrt(per_day) * sd, (experiments, days))
        ssd = sd * sd * rng.chisquare(per_day - 1, (experiments, days))
        sq = ssd + s * s / per_day
        return np.cumsum(s, axis=1), np.cumsum(sq, axis=1)

    sc, qc = arm(mean)
    st, qt = arm(mean + effect)
    n = np.broadcast_to(per_day * np.arange(1, days + 1), (experiments, days))
    return DailyStats(np.asarray(n, dtype=float), sc, qc, st, qt)


@dataclass(frozen=True)
class Intervals:
    """Per experiment and day: estimate, se, always-valid and fixed-horizon intervals."""

    estimate: np.ndarray
    se: np.ndarray
    av_low: np.ndarray
    av_high: np.ndarray
    fixed_low: np.ndarray
    fixed_high: np.ndarray


def intervals(stats: DailyStats, *, alpha: float, horizon_n: float, sd: float = 1.0
              ) -> Intervals:
    """Welch estimates (fixed-horizon) and mSPRT confidence sequences.

    The mixture variance is fixed in advance from the planning sd and the
    planned horizon (``msprt_tau2`` of the planned variance of the estimate).
    """
    w = welch_from_sums(stats.n, stats.sum_c, stats.sumsq_c, stats.n, stats.sum_t,
                        stats.sumsq_t, alpha=alpha)
    tau2 = float(msprt_tau2(2 * sd * sd / horizon_n, alpha))
    av = msprt(w.estimate, w.se ** 2, tau2, alpha)
    return Intervals(w.estimate, w.se, av.ci_low, av.ci_high, w.ci_low, w.ci_high)


def _report(est: float, se: float, low: float, high: float, n: int, kind: str,
            plan: Plan, now: datetime, history: list[Look]) -> Report:
    e = Estimate(metric="chat_minutes", arm="treatment", reference="control", method="welch",
                 estimate=est, ci_low=low, ci_high=high, se=se, role="primary",
                 direction="increase", n=n, n_reference=n, n_unit="users", alpha=plan.alpha,
                 interval_kind=kind, extra={"z": est / se})
    basis = DecisionBasis(sequential=plan.sequential, alpha=plan.alpha, min_n_per_arm=n,
                          n_unit="users", min_sample_per_arm=plan.min_sample_per_arm,
                          horizon_sample_per_arm=plan.horizon_sample_per_arm, now=iso(now))
    prior = [PriorLook(lk.index, lk.key, lk.information_fraction, lk.tested) for lk in history]
    ests, basis = finish([e], SRM_PASS, basis, history=prior)
    return Report(experiment=Experiment(name="sim", kind="ab"), estimates=tuple(ests),
                  checks=SRM_PASS, meta=Meta(alpha=plan.alpha), decision_basis=basis)


def run_gate(iv: Intervals, n: np.ndarray, plan: Plan, *, use: str = "always_valid"
             ) -> tuple[np.ndarray, np.ndarray]:
    """Run the gate day by day on every experiment; return (first ship day or -1, decisions).

    ``use`` picks the intervals: ``always_valid`` (the gate's msprt mode), ``fixed``
    (a naive gate that trusts fixed-horizon intervals at every look, labelled
    always-valid so the same rules run), or ``gst`` (fixed-horizon estimate and se;
    the report's decision intervals follow the group-sequential boundaries of the
    look history).
    """
    experiments, days = iv.estimate.shape
    if plan.sequential == "gst" and plan.horizon_sample_per_arm:
        precompute(tuple(np.minimum(n[0] / plan.horizon_sample_per_arm, 1.0)), plan.alpha)
    first_ship = np.full(experiments, -1)
    final = np.empty(experiments, dtype=object)
    for i in range(experiments):
        history: list[Look] = []
        state = "hold"
        for d in range(days):
            if use == "always_valid":
                low, high, kind = iv.av_low[i, d], iv.av_high[i, d], "always_valid"
            elif use == "fixed":
                low, high, kind = iv.fixed_low[i, d], iv.fixed_high[i, d], "always_valid"
            else:
                low, high, kind = iv.fixed_low[i, d], iv.fixed_high[i, d], "fixed"
            now = START + timedelta(days=d + 1)
            rep = _report(float(iv.estimate[i, d]), float(iv.se[i, d]), float(low),
                          float(high), int(n[i, d]), kind, plan, now, history)
            res = decide(rep, history=history)
            history.append(res.look)
            state = res.decision.state.value
            if state == "ship" and first_ship[i] < 0:
                first_ship[i] = d
            if state in ("ship", "rollback", "inconclusive"):
                break  # sticky: later days repeat the decision
        final[i] = state
    return first_ship, final


def binomial_tolerance(rate: float, trials: int, k: float = 3.0) -> float:
    """``k`` binomial standard errors of a share estimated from ``trials``."""
    return k * float(np.sqrt(rate * (1 - rate) / trials))
