"""Hand-built gated reports for the gate's unit tests (no analysis needed).

A report is built the way a gated shape builds it: estimates (schema 2), a
decision basis from :func:`causalkit.report.basis.decision_basis`, then
:func:`causalkit.report.intervals.finish` with the earlier looks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from causalkit.gate import GateResult, Look, decide
from causalkit.report import Check, Estimate, Experiment, Meta, Report, Status
from causalkit.report.basis import PriorLook, decision_basis
from causalkit.report.intervals import finish
from causalkit.spec.common import Analysis, DecisionRules

NOW = datetime(2026, 12, 8, tzinfo=UTC)
START = datetime(2026, 12, 1, tzinfo=UTC)


def est(metric: str = "m", *, role: str = "primary", direction: str | None = "increase",
        estimate: float = 0.0, low: float = -1.0, high: float = 1.0, arm: str = "treatment",
        margin: float | None = None, threshold: float | None = None, n: int = 5000,
        se: float | None = None, ci_kind: str = "always_valid", alpha: float = 0.05,
        control: str = "control") -> Estimate:
    if se is None:
        se = (high - low) / (2 * 1.96)
    return Estimate(metric=metric, arm=arm, reference=control, method="welch",
                    estimate=estimate, ci_low=low, ci_high=high, role=role,
                    direction=direction, se=se, n=n, n_reference=n, n_unit="users",
                    margin=margin, practical_threshold=threshold, alpha=alpha,
                    interval_kind=ci_kind)


def prior(history: Sequence[Look] | None) -> tuple[PriorLook, ...] | None:
    """The looks as the analysis sees them (what the command passes to run_analysis)."""
    if history is None:
        return None
    return tuple(PriorLook(lk.index, lk.key, lk.information_fraction, lk.tested)
                 for lk in history)


def report(*estimates: Estimate, checks: Sequence[Check] = (), name: str = "exp",
           history: Sequence[Look] | None = (), now: datetime = NOW,
           sequential: str = "msprt", alpha: float = 0.05, min_n_per_arm: int | None = None,
           start: datetime | None = None, first_exposure: datetime | None = None,
           last_exposure: datetime | None = None, min_sample_per_arm: int = 0,
           min_runtime: timedelta | None = None, horizon: timedelta | None = None,
           horizon_sample_per_arm: int | None = None, srm: bool = True) -> Report:
    """A gated report; ``history=None`` builds it as ``causalkit run`` does (no state)."""
    if min_n_per_arm is None:
        counts = [c for e in estimates for c in (e.n, e.n_reference) if c is not None]
        min_n_per_arm = min(counts) if counts else 0
    rules = DecisionRules(min_sample_per_arm=min_sample_per_arm, min_runtime=min_runtime,
                          horizon=horizon, horizon_sample_per_arm=horizon_sample_per_arm)
    basis = decision_basis(rules, Analysis(alpha=alpha, sequential=sequential),
                           min_n_per_arm=min_n_per_arm, n_unit="users", start=start,
                           first_exposure=first_exposure, last_exposure=last_exposure, now=now)
    all_checks = (*((Check("sample_ratio_mismatch", Status.PASS, "p = 0.43"),) if srm else ()),
                  *checks)
    ests, basis = finish(estimates, all_checks, basis, history=prior(history))
    return Report(experiment=Experiment(name=name, kind="ab", spec_sha256="abc",
                                        data_fingerprint="sha256:data"),
                  estimates=tuple(ests), checks=all_checks, meta=Meta(alpha=alpha),
                  decision_basis=basis)


def gate(*estimates: Estimate, history: Sequence[Look] = (), **kw: object) -> GateResult:
    """Build the report with the looks and decide with them (what the command does)."""
    rep = report(*estimates, history=history, **kw)  # type: ignore[arg-type]
    return decide(rep, history=history)
