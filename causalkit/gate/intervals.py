"""Decision intervals: what the gate reads from each estimate, and how it builds them.

The gate decides from intervals with a guarantee over repeated looks:

* the analysis' always-valid interval (``extra.ci_kind == "always_valid"``);
* with ``sequential: msprt`` and a fixed-horizon interval (switch-backs,
  ``sequential: none``), a normal-mixture confidence sequence built from the
  estimate and its standard error (:func:`sequence_interval`);
* with ``sequential: gst``, a repeated confidence interval ``estimate +/- c_k se``
  at the Lan-DeMets O'Brien-Fleming boundary of the current look
  (:func:`gst_boundaries_for`).

Example:
    >>> from causalkit.report import Report, Experiment, Estimate
    >>> est = Estimate(metric="m", contrast="treatment - control", method="welch",
    ...     estimate=0.4, ci_low=0.2, ci_high=0.6, se=0.1, role="primary",
    ...     direction="increase", n={"control": 5000, "treatment": 5000},
    ...     extra={"ci_kind": "fixed", "alpha": 0.05})
    >>> rep = Report(experiment=Experiment(name="x", kind="ab"), estimates=(est,))
    >>> rules = GateRules(horizon_sample_per_arm=10000)
    >>> information_fraction(rep, rules, None)
    0.5
    >>> [round(x, 3) for x in sequence_interval(est, 0.05, rep, rules, None)]
    [0.092, 0.708]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from causalkit.errors import GateError
from causalkit.gate.looks import Look
from causalkit.gate.verdicts import Verdict, judge
from causalkit.report.model import Estimate, Report
from causalkit.spec.types import parse_timestamp


@dataclass(frozen=True)
class GateRules:
    """The decision settings of a spec, as the gate uses them.

    ``sequential`` is ``msprt`` (always-valid intervals from the analysis) or
    ``gst`` (Lan-DeMets O'Brien-Fleming boundaries applied by the gate).
    ``start`` is the spec's start; without it the data's first exposure is used.

    Example:
        >>> GateRules(min_sample_per_arm=1000).sequential
        'msprt'
    """

    sequential: str = "msprt"
    alpha: float = 0.05
    min_sample_per_arm: int = 0
    min_runtime: timedelta | None = None
    horizon: timedelta | None = None
    horizon_sample_per_arm: int | None = None
    start: datetime | None = None


def arm_of(est: Estimate) -> str:
    """The treatment arm of an estimate (``"b - control"`` -> ``"b"``).

    Example:
        >>> arm_of(Estimate(metric="m", contrast="b - control", method="welch", estimate=0.0))
        'b'
    """
    if " - " in est.contrast:
        return est.contrast.split(" - ", 1)[0].strip()
    return est.contrast.strip() or "treatment"


def min_n_per_arm(report: Report) -> int:
    """The smallest arm: ``meta.extra["min_n_per_arm"]``, else the smallest ``n`` of any estimate.

    Example:
        >>> from causalkit.report import Experiment
        >>> min_n_per_arm(Report(experiment=Experiment(name="x", kind="ab"), estimates=(
        ...     Estimate(metric="m", contrast="t - c", method="w", estimate=0.0,
        ...              n={"c": 10, "t": 12}),)))
        10
    """
    value = report.meta.extra.get("min_n_per_arm")
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return int(value)
    counts = [int(c) for e in report.estimates for c in e.n.values()]
    return min(counts) if counts else 0


def start_time(report: Report, rules: GateRules) -> datetime | None:
    """The experiment's start: the spec's, else the first exposure in the data, else None.

    Example:
        >>> from causalkit.report import Report, Experiment, Meta
        >>> rep = Report(experiment=Experiment(name="x", kind="ab"),
        ...              meta=Meta(extra={"first_exposure": "2026-11-01T08:00:00Z"}))
        >>> start_time(rep, GateRules()).isoformat()
        '2026-11-01T08:00:00+00:00'
    """
    if rules.start is not None:
        return rules.start
    first = report.meta.extra.get("first_exposure")
    if isinstance(first, str):
        try:
            return parse_timestamp(first)
        except ValueError:
            raise GateError(f"report meta first_exposure {first!r} is not a timestamp") from None
    return None


def _decision_estimates(report: Report) -> list[Estimate]:
    return [e for e in report.estimates if e.role in ("primary", "guardrail")]


def _alpha_of(est: Estimate, rules: GateRules, family_size: int) -> float:
    value = est.extra.get("alpha")
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1:
        return float(value)
    return rules.alpha / max(family_size, 1)


def _margin(est: Estimate) -> float | None:
    value = est.extra.get("margin")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return abs(float(value))
    return None


def _threshold(est: Estimate) -> float | None:
    value = est.extra.get("practical_threshold")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def information_fraction(report: Report, rules: GateRules, runtime: timedelta | None) -> float:
    """Information fraction: units per arm over the planned units per arm, else time.

    The time scale counts the time the data cover: up to the last exposure when
    the report knows it (a run after the experiment ended adds no information).

    Raises:
        GateError: when the spec plans neither a sample nor a horizon.

    Example:
        >>> from causalkit.report import Report, Experiment
        >>> rep = Report(experiment=Experiment(name="x", kind="ab"))
        >>> information_fraction(rep, GateRules(horizon=timedelta(days=28)), timedelta(days=7))
        0.25
    """
    if rules.horizon_sample_per_arm is not None:
        return min_n_per_arm(report) / rules.horizon_sample_per_arm
    if rules.horizon is not None and runtime is not None:
        last = report.meta.extra.get("last_exposure")
        start = start_time(report, rules)
        if isinstance(last, str) and start is not None:
            try:
                covered = parse_timestamp(last) - start
            except ValueError:
                covered = runtime
            runtime = max(min(runtime, covered), timedelta(0))
        return runtime / rules.horizon
    raise GateError(
        "the gate needs the planned information",
        hint="set decision.horizon_sample_per_arm (or decision.horizon with a start time)",
    )


def sequence_interval(est: Estimate, alpha: float, report: Report, rules: GateRules,
                      runtime: timedelta | None) -> tuple[float, float]:
    """An always-valid interval from a fixed-horizon estimate and its standard error.

    The normal-mixture confidence sequence of :func:`causalkit.stats.sequential.msprt`,
    with the mixture tuned at the planned horizon: the estimator's variance there is
    ``se**2 * t`` for the information fraction ``t`` (see the module example).

    Raises:
        GateError: without a standard error or a planned horizon.

    Example:
        >>> from causalkit.report import Report, Experiment, Estimate
        >>> est = Estimate(metric="m", contrast="t - c", method="welch", estimate=0.4,
        ...                se=0.1, n={"c": 10000, "t": 10000})
        >>> rep = Report(experiment=Experiment(name="x", kind="ab"), estimates=(est,))
        >>> low, high = sequence_interval(est, 0.05, rep, GateRules(horizon_sample_per_arm=10000),
        ...                               None)
        >>> round(0.4 - low, 4), round(3.0352 * 0.1, 4)  # at the horizon: 3.035 se
        (0.3035, 0.3035)
    """
    from causalkit.stats.sequential import msprt, msprt_tau2

    if est.se is None:
        raise GateError(f"estimate {est.metric} ({est.contrast}) has a fixed-horizon interval "
                        "and no standard error",
                        hint="the gate needs se to build an always-valid interval")
    if not (math.isfinite(est.se) and est.se > 0 and math.isfinite(est.estimate)):
        return (math.nan, math.nan)
    try:
        t = information_fraction(report, rules, runtime)
    except GateError:
        raise GateError(
            f"estimate {est.metric} ({est.contrast}) has a fixed-horizon interval; the gate "
            "turns it into an always-valid one tuned at the planned horizon",
            hint="set decision.horizon_sample_per_arm or decision.horizon (with a start)",
        ) from None
    if t <= 0:
        return (math.nan, math.nan)
    se2 = est.se * est.se
    av = msprt(est.estimate, se2, float(msprt_tau2(se2 * t, alpha)), alpha)
    return (float(av.ci_low), float(av.ci_high))


def verdicts_for(report: Report, rules: GateRules, z_by_alpha: dict[float, float] | None,
                 runtime: timedelta | None = None) -> list[Verdict]:
    """The verdict on every estimate, read from its decision interval.

    Args:
        report: the analysis report.
        rules: the gate's rules.
        z_by_alpha: group-sequential boundary per alpha level (``None`` outside ``gst``).
        runtime: time since the start (for time-based information).

    Example:
        >>> from causalkit.report import Report, Experiment, Estimate
        >>> est = Estimate(metric="m", contrast="b - control", method="welch", estimate=1.0,
        ...     ci_low=0.5, ci_high=1.5, se=0.25, role="primary", direction="increase",
        ...     extra={"ci_kind": "always_valid"})
        >>> rep = Report(experiment=Experiment(name="x", kind="ab"), estimates=(est,))
        >>> [(v.label, v.better, v.interval) for v in verdicts_for(rep, GateRules(), None)]
        [('m [b]', True, 'report')]
    """
    out = []
    fam = {r: sum(1 for e in report.estimates if e.role == r) for r in ("primary", "guardrail")}
    for est in report.estimates:
        low, high = est.ci_low, est.ci_high
        source = "report"
        if est.role in ("primary", "guardrail"):
            alpha = _alpha_of(est, rules, fam.get(est.role, 1))
            if z_by_alpha is not None:
                if est.se is None:
                    raise GateError(
                        f"estimate {est.metric} ({est.contrast}) has no standard error",
                        hint="the group-sequential gate builds intervals from se")
                from causalkit.gate.gst import repeated_interval

                low, high = repeated_interval(est.estimate, est.se, z_by_alpha[alpha])
                source = "repeated_gst"
            elif est.extra.get("ci_kind") != "always_valid":
                low, high = sequence_interval(est, alpha, report, rules, runtime)
                source = "always_valid"
        out.append(judge(
            metric=est.metric, arm=arm_of(est), role=est.role, direction=est.direction,
            estimate=est.estimate,
            low=math.nan if low is None else float(low),
            high=math.nan if high is None else float(high),
            margin=_margin(est), practical_threshold=_threshold(est), interval=source,
        ))
    return out


def gst_look(report: Report, rules: GateRules, history: Sequence[Look], same: Look | None,
             runtime: timedelta | None) -> tuple[float, dict[float, float], float]:
    """Information fraction, boundary per alpha level, and alpha spent (nominal level).

    Args:
        report: the analysis report.
        rules: the gate's rules (``sequential: gst``).
        history: earlier looks; their information fractions fix the earlier boundaries.
        same: the earlier look on the same statistics, if any (its boundary is reused).
        runtime: time since the start.

    Raises:
        GateError: when the information did not grow since the last look.

    Example:
        >>> from causalkit.report import Report, Experiment, Estimate
        >>> est = Estimate(metric="m", contrast="t - c", method="welch", estimate=1.0,
        ...     se=0.5, role="primary", n={"c": 5000, "t": 5000}, extra={"alpha": 0.05})
        >>> rep = Report(experiment=Experiment(name="x", kind="ab"), estimates=(est,))
        >>> t, z, spent = gst_look(rep, GateRules(sequential="gst", horizon_sample_per_arm=10000),
        ...                        [], None, None)
        >>> t, round(z[0.05], 3), round(spent, 5)
        (0.5, 2.963, 0.00305)
    """
    from causalkit.gate.gst import spent_alpha

    tested = [lk for lk in history if lk.tested and lk.information_fraction is not None]
    prior: list[float]
    if same is not None and same.information_fraction is not None:
        t = same.information_fraction
        prior = [float(lk.information_fraction or 0) for lk in tested if lk.index < same.index]
    else:
        t = information_fraction(report, rules, runtime)
        prior = [min(float(lk.information_fraction or 0), 1.0) for lk in tested]
        if prior and prior[-1] >= 1.0:
            # The plan's information was complete at an earlier look that could not decide
            # (it held for the minimum runtime): no alpha is left, the final boundary stands.
            return t, _levels(report, rules, tuple(prior)), spent_alpha(1.0, rules.alpha)
        if prior and min(t, 1.0) <= prior[-1]:
            raise GateError(
                f"the data changed but the information did not grow (fraction {t:.4f} now, "
                f"{prior[-1]:.4f} at look {tested[-1].index})",
                hint="a group-sequential look needs more data than the last one; if the "
                     "earlier data were wrong, start a new state file",
            )
    if t <= 0:
        raise GateError("no information yet (information fraction 0)",
                        hint="wait for data in every arm")
    fractions = (*prior, min(t, 1.0))
    return t, _levels(report, rules, fractions), spent_alpha(t, rules.alpha)


def _levels(report: Report, rules: GateRules, fractions: tuple[float, ...]
            ) -> dict[float, float]:
    """The boundary at the last of ``fractions`` for every alpha level in use."""
    from causalkit.gate.gst import boundary

    fam = {r: sum(1 for e in report.estimates if e.role == r) for r in ("primary", "guardrail")}
    levels = {_alpha_of(e, rules, fam[e.role]) for e in _decision_estimates(report)}
    return {a: boundary(fractions, a) for a in levels | {rules.alpha}}
