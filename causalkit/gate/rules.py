"""The decision rules: a gated Report (plus the earlier looks) -> a decision with reasons.

A pure function (:func:`decide`): no files, no clock, no printing, no statistics.
It reads only the report: its :class:`~causalkit.report.DecisionBasis` (the spec's
decision settings, the analysis time, the group-sequential look), its checks, and
each estimate's typed ``assessment``, ``harm``, ``role``, ``direction``, ``arm``
and decision interval. The intervals and assessments were computed by the shape
(:func:`causalkit.report.intervals.finish`); the gate recomputes nothing.

The rules, in order (:data:`RULES`; the first that answers wins):

1. ``invalid``: a failed check (sample ratio mismatch, a ``data_*`` check, any
   other ``fail``), a primary metric without an estimate, a primary or
   guardrail estimate that is not computable (non-finite), or one whose interval
   is not calibrated (``Estimate.calibrated`` is False: a model-based interval
   whose coverage was not shown; the gate decides only from calibrated
   intervals). No effect is trusted.
2. a decision already reached at an earlier look (``ship``, ``rollback``,
   ``inconclusive``) is sticky; it stays even when the statistics of that very
   look are read again later and the rules would now answer otherwise.
3. ``error``: the analysis could not build the decision intervals (the basis
   records the ``problem``, e.g. no planned information): fail closed.
4. ``rollback``: some estimate shows harm (``Estimate.harm``: a primary or
   guardrail ``worse``, or ``inferior`` beyond its margin). A guardrail that is
   worse but within its margin (``worse_within_margin``) is not harm.
5. ``hold``: below ``min_sample_per_arm`` or ``min_runtime``.
6. ``hold`` (opt-in, ``decision.segment_guardrails``): an arm that would ship has a
   guardrail shown harmed in some segment (a per-segment estimate, ``segment`` set,
   ``worse`` or ``inferior`` on its family-adjusted interval); the reasons name the
   metric and the segments. Otherwise per-segment estimates take no part in the
   rules: only the overall estimates decide.
7. ``ship``: in some treatment arm a primary metric is ``better`` (significantly,
   and at least ``practical_threshold`` when set) and every guardrail of the arm
   is safe (:data:`causalkit.report.assessment.SAFE`: shown non-inferior, or not
   significantly worse when it has no margin).
8. ``inconclusive``: the planned horizon (sample, time, or the group-sequential
   plan's final look) is reached.
9. ``hold`` otherwise.

The warnings (the basis' notes, such as ``sequential: none`` read with
always-valid intervals, and checks that warn) close the reasons as
``warning: ...`` lines, so ``causalkit run`` and ``causalkit gate`` say the same.

Example:
    >>> from causalkit.report import Report, Experiment, Estimate, DecisionBasis
    >>> est = Estimate(metric="m", arm="treatment", reference="control", method="welch",
    ...     estimate=0.4, ci_low=0.1, ci_high=0.7, role="primary", direction="increase",
    ...     interval_kind="always_valid", n=5000, n_reference=5000)
    >>> basis = DecisionBasis(sequential="msprt", alpha=0.05, min_n_per_arm=5000,
    ...                       now="2026-01-08T00:00:00Z")
    >>> rep = Report(experiment=Experiment(name="x", kind="ab"), estimates=(est,),
    ...              decision_basis=basis)
    >>> result = decide(rep)
    >>> result.decision.state.value, result.decision.reasons[0]
    ('ship', 'primary m [treatment] is significantly better: +0.4 [+0.1, +0.7]')
    >>> type(result).__name__, result.look.index
    ('GateResult', 1)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from causalkit.errors import GateError
from causalkit.gate.looks import TERMINAL, Look
from causalkit.report.assessment import SAFE, Assessment, IntervalKind
from causalkit.report.basis import GST_FIRST_LOOK_NOTE, iso, look_key, parse_time, runtime
from causalkit.report.model import (
    Check,
    Decision,
    DecisionBasis,
    Estimate,
    Experiment,
    Report,
    Status,
)
from causalkit.spec.common import DecisionState, Direction, Role, Sequential
from causalkit.spec.types import format_duration


@dataclass(frozen=True)
class GateResult:
    """A decision and the look it was made at.

    ``warnings`` are also the last reasons of the decision (as ``warning: ...``);
    ``sticky_from`` is the look whose decision was repeated; ``details`` are the
    gate's numbers (sequential method, look, information, alpha spent, boundary,
    units in the smallest arm, runtime) that the gated report writes to
    ``meta.extra`` as ``gate_*``.
    """

    decision: Decision
    look: Look
    warnings: tuple[str, ...] = ()
    runtime: timedelta | None = None
    sticky_from: int | None = None
    details: dict[str, float | str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """What a rule says: the state, its reasons, whether the look tested anything.

    Example:
        >>> Answer(DecisionState.HOLD, ("not yet",)).tested
        True
    """

    state: DecisionState
    reasons: tuple[str, ...]
    tested: bool = True
    sticky: Look | None = None


@dataclass(frozen=True)
class Facts:
    """What the rules read: the report, its basis at the analysis time, the earlier looks.

    Example:
        >>> facts(example_report()).gst
        False
    """

    report: Report
    basis: DecisionBasis
    history: tuple[Look, ...]
    now: datetime
    runtime: timedelta | None
    key: str
    index: int

    @property
    def deciding(self) -> tuple[Estimate, ...]:
        """The overall primary and guardrail estimates (per-segment ones are read only by
        :func:`segment_guardrails`)."""
        return tuple(e for e in self.report.estimates if e.deciding and e.segment is None)

    @property
    def segment_guardrails(self) -> tuple[Estimate, ...]:
        """The per-segment guardrail estimates (``segment`` set)."""
        return tuple(e for e in self.report.estimates
                     if e.segment is not None and e.role is Role.GUARDRAIL)

    @property
    def gst(self) -> bool:
        """Whether the decision intervals follow a group-sequential plan."""
        return self.basis.sequential is Sequential.GST

    @property
    def sequential_note(self) -> tuple[str, ...]:
        """The group-sequential look in words (empty outside ``gst``)."""
        b = self.basis
        if not self.gst or b.information_fraction is None or b.boundary_z is None:
            return ()
        spent = f"{b.spent_alpha:.4g}" if b.spent_alpha is not None else "?"
        return (f"look {self.index} of a group-sequential plan: information fraction "
                f"{min(b.information_fraction, 1.0):.3f}, boundary |z| >= {b.boundary_z:.3f}, "
                f"alpha spent {spent} of {b.alpha:g}",)


Rule = Callable[[Facts], Answer | None]


# -- words -------------------------------------------------------------------------------------


def _fmt(x: float | None) -> str:
    if x is None:
        return "nan"
    return f"{x:+.4g}" if math.isfinite(x) else str(x)


def label(e: Estimate) -> str:
    """How the reasons name an estimate: ``metric [arm]``.

    Example:
        >>> label(Estimate(metric="m", arm="b", reference="a", method="welch", estimate=1.0))
        'm [b]'
    """
    return f"{e.metric} [{e.arm}]"


def interval_text(e: Estimate) -> str:
    """The estimate and its decision interval, e.g. ``+0.41 [+0.12, +0.7]``.

    Example:
        >>> interval_text(Estimate(metric="m", arm="t", reference="c", method="welch",
        ...                        estimate=0.41, ci_low=0.12, ci_high=0.7))
        '+0.41 [+0.12, +0.7]'
    """
    return f"{_fmt(e.estimate)} [{_fmt(e.decision_ci_low)}, {_fmt(e.decision_ci_high)}]"


def _margin(e: Estimate) -> str:
    return f"{abs(e.margin or 0.0):g}"


def _threshold(e: Estimate) -> str:
    return f"{abs(e.practical_threshold or 0.0):g}"


# -- the rules, in order -----------------------------------------------------------------------


def invalid(f: Facts) -> Answer | None:
    """A failed check, no primary estimate, or a deciding estimate not computable or uncalibrated.

    Example:
        >>> bad = Check("sample_ratio_mismatch", Status.FAIL, "p = 1e-9")
        >>> invalid(facts(example_report(checks=[bad]))).state.value
        'invalid'
        >>> invalid(facts(example_report())) is None
        True
    """
    failed = [f"check {c.name} failed" + (f" ({c.metric})" if c.metric else "")
              + (f": {c.detail}" if c.detail else "") for c in f.report.failed_checks]
    if not any(e.role is Role.PRIMARY for e in f.report.estimates):
        failed.append("the report has no estimate for a primary metric")
    if failed:
        return Answer(DecisionState.INVALID,
                      (*failed, "no effect is trusted while a check fails"), tested=False)
    broken = [f"{e.role} {label(e)} has no finite estimate or interval ({interval_text(e)})"
              for e in f.deciding if not e.finite]
    broken += [f"{e.role} {label(e)} has an uncalibrated interval ({e.method}: model-based, "
               "its coverage was not shown); the gate decides only from calibrated intervals"
               for e in f.deciding if e.finite and not e.calibrated]
    if broken:
        return Answer(DecisionState.INVALID, (*broken, "no effect is trusted"), tested=False)
    return None


def sticky(f: Facts) -> Answer | None:
    """A decision reached at an earlier look (on other statistics) stands.

    Example:
        >>> from datetime import UTC, datetime
        >>> shipped = Look(index=1, time=datetime(2026, 1, 1, tzinfo=UTC), key="sha256:old",
        ...                n_per_arm=4000, decision="ship")
        >>> sticky(facts(example_report(), history=[shipped])).state.value
        'ship'
    """
    final = _terminal(f)
    if final is None or final.key == f.key:
        return None
    return _sticky_answer(final)


def _terminal(f: Facts) -> Look | None:
    return next((lk for lk in f.history if lk.decision in TERMINAL), None)


def _sticky_answer(final: Look) -> Answer:
    reasons = (f"{final.decision} was decided at look {final.index} "
               f"({final.time.isoformat().replace('+00:00', 'Z')}) and is final; later "
               "data do not change it", *final.reasons)
    return Answer(DecisionState(final.decision), reasons, tested=False, sticky=final)


def _keep_terminal(f: Facts, answer: Answer) -> Answer:
    """The look that reached a terminal decision, read again, keeps that decision."""
    final = _terminal(f)
    if (final is None or answer.state.value == final.decision
            or answer.state in (DecisionState.INVALID, DecisionState.ERROR)):
        return answer
    return _sticky_answer(final)


def unusable(f: Facts) -> Answer | None:
    """The decision intervals could not be built (the basis says why): ``error``.

    Example:
        >>> unusable(facts(example_report(problem="no planned information"))).reasons
        ('no planned information',)
    """
    if f.basis.problem is None:
        return None
    return Answer(DecisionState.ERROR, (f.basis.problem,), tested=False)


def rollback(f: Facts) -> Answer | None:
    """Harm shown on a primary metric or a guardrail, in any arm.

    Example:
        >>> rollback(facts(example_report(guardrail=(0.012, 0.02)))).state.value
        'rollback'
        >>> rollback(facts(example_report(guardrail=(0.001, 0.008)))) is None  # within margin
        True
    """
    harm = []
    for e in f.deciding:
        if not e.harm:
            continue
        if e.assessment is Assessment.INFERIOR:
            harm.append(f"{e.role} {label(e)} is worse than its margin {_margin(e)}: "
                        f"{interval_text(e)}")
        elif e.role is Role.GUARDRAIL:
            harm.append(f"guardrail {label(e)} is significantly worse (no margin set): "
                        f"{interval_text(e)}")
        else:
            harm.append(f"primary {label(e)} is significantly worse: {interval_text(e)}")
    if not harm:
        return None
    return Answer(DecisionState.ROLLBACK, (*harm, *f.sequential_note))


def too_early(f: Facts) -> Answer | None:
    """Below the minimum sample per arm or the minimum runtime.

    Example:
        >>> too_early(facts(example_report(min_sample_per_arm=10_000))).reasons[0]
        '5000 units in the smallest arm, below the minimum of 10000 per arm'
    """
    b = f.basis
    short = []
    if b.min_n_per_arm < b.min_sample_per_arm:
        short.append(f"{b.min_n_per_arm} units in the smallest arm, below the minimum of "
                     f"{b.min_sample_per_arm} per arm")
    if b.min_runtime is not None and f.runtime is not None:
        minimum = timedelta(seconds=b.min_runtime)
        if f.runtime < minimum:
            short.append(f"ran {format_duration(f.runtime)}, below the minimum runtime "
                         f"{format_duration(minimum)}")
    if not short:
        return None
    return Answer(DecisionState.HOLD, (*short, *f.sequential_note))


def _guardrail_words(e: Estimate) -> str:
    if e.margin is None:
        return (f"guardrail {label(e)} has no margin and is not significantly worse: "
                f"{interval_text(e)}")
    if e.assessment is Assessment.WORSE_WITHIN_MARGIN:
        return (f"guardrail {label(e)} is worse but within its margin {_margin(e)} "
                f"(non-inferior): {interval_text(e)}")
    return f"guardrail {label(e)} is non-inferior (margin {_margin(e)}): {interval_text(e)}"


def shipping_arms(f: Facts) -> list[str]:
    """The arms whose primary metric is better and whose (overall) guardrails are all safe.

    Example:
        >>> shipping_arms(facts(example_report())), shipping_arms(facts(example_report(
        ...     primary=(-0.1, 0.5))))
        (['treatment'], [])
    """
    deciding = f.deciding
    out = []
    for arm in sorted({e.arm for e in deciding}):
        prim = [e for e in deciding if e.arm == arm and e.role is Role.PRIMARY]
        guards = [e for e in deciding if e.arm == arm and e.role is Role.GUARDRAIL]
        if (any(e.assessment is Assessment.BETTER for e in prim)
                and all(e.assessment in SAFE for e in guards)):
            out.append(arm)
    return out


SEGMENT_HARM = (Assessment.WORSE, Assessment.INFERIOR)
"""Assessments of a per-segment guardrail that :func:`segment_guardrails` reads as harm."""


def segment_guardrails(f: Facts) -> Answer | None:
    """Opt-in (``decision.segment_guardrails``): do not ship while a guardrail is shown
    harmed in some segment -- ``worse``, or ``inferior`` beyond its margin, on its
    family-adjusted interval -- in an arm that would otherwise ship: ``hold``, naming the
    metric and the segments.

    Example:
        >>> from dataclasses import replace
        >>> rep = example_report(segment_guardrails=True)
        >>> seg = replace(rep.estimates[1], segment="region=KR", estimate=0.021,
        ...               ci_low=0.012, ci_high=0.03, decision_ci_low=None,
        ...               decision_ci_high=None, assessment=None)
        >>> answer = segment_guardrails(facts(replace(rep, estimates=(*rep.estimates, seg))))
        >>> answer.state.value, answer.reasons[0]
        ('hold', 'guardrail g [treatment] is harmed in segment region=KR: worse than its \
margin 0.01: +0.021 [+0.012, +0.03]')
    """
    if not f.basis.segment_guardrails:
        return None
    arms = set(shipping_arms(f))
    harmed = [e for e in f.segment_guardrails
              if e.arm in arms and e.assessment in SEGMENT_HARM]
    if not harmed:
        return None
    reasons = []
    for e in harmed:
        how = (f"worse than its margin {_margin(e)}" if e.assessment is Assessment.INFERIOR
               else "significantly worse")
        reasons.append(f"guardrail {label(e)} is harmed in segment {e.segment}: {how}: "
                       f"{interval_text(e)}")
    by_metric: dict[str, list[str]] = {}
    for e in harmed:
        by_metric.setdefault(e.metric, []).append(str(e.segment))
    summary = "; ".join(f"{m} in {', '.join(segs)}" for m, segs in by_metric.items())
    reasons.append(f"not shipping while a guardrail is harmed in a segment ({summary}); "
                   "the segment intervals are family-adjusted (decision.segment_guardrails)")
    return Answer(DecisionState.HOLD, (*reasons, *f.sequential_note))


def ship(f: Facts) -> Answer | None:
    """An arm whose primary metric is better and whose guardrails are all safe.

    Example:
        >>> ship(facts(example_report(guardrail=(0.001, 0.008)))).state.value
        'ship'
        >>> ship(facts(example_report(primary=(-0.1, 0.5)))) is None
        True
    """
    deciding = f.deciding
    arms = sorted({e.arm for e in deciding})
    shipping = shipping_arms(f)
    reasons: list[str] = []
    for arm in shipping:
        prim = [e for e in deciding if e.arm == arm and e.role is Role.PRIMARY]
        guards = [e for e in deciding if e.arm == arm and e.role is Role.GUARDRAIL]
        wins = [e for e in prim if e.assessment is Assessment.BETTER]
        for e in wins:
            extra = (f", at least the practical threshold {_threshold(e)}"
                     if e.practical_threshold is not None else "")
            reasons.append(f"primary {label(e)} is significantly better: "
                           f"{interval_text(e)}{extra}")
        reasons += [_guardrail_words(e) for e in guards]
    if not shipping:
        return None
    head = [] if arms == ["treatment"] else [f"arm(s) that may ship: {', '.join(shipping)}"]
    return Answer(DecisionState.SHIP, (*head, *reasons, *f.sequential_note))


def _open_items(f: Facts) -> list[str]:
    out = []
    for e in f.deciding:
        if e.role is Role.PRIMARY:
            if e.assessment is Assessment.BETTER_BELOW_THRESHOLD:
                out.append(f"primary {label(e)} is significantly better but below the "
                           f"practical threshold {_threshold(e)}: {interval_text(e)}")
            elif e.assessment is Assessment.BETTER:
                out.append(f"primary {label(e)} is significantly better: {interval_text(e)}")
            else:
                out.append(f"primary {label(e)}: significant improvement not shown yet: "
                           f"{interval_text(e)}")
        elif e.assessment not in SAFE:
            out.append(f"guardrail {label(e)}: non-inferiority not shown yet "
                       f"(margin {_margin(e)}): {interval_text(e)}")
    return out


def horizon_reached(f: Facts) -> Answer | None:
    """The planned sample, the planned horizon or the plan's final look is reached.

    Example:
        >>> f = facts(example_report(primary=(-0.1, 0.5), horizon_sample_per_arm=5000))
        >>> horizon_reached(f).state.value
        'inconclusive'
    """
    b = f.basis
    reached = []
    if b.horizon_sample_per_arm is not None and b.min_n_per_arm >= b.horizon_sample_per_arm:
        reached.append(f"the planned sample of {b.horizon_sample_per_arm} per arm "
                       f"is reached ({b.min_n_per_arm})")
    if b.horizon is not None and f.runtime is not None:
        horizon = timedelta(seconds=b.horizon)
        if f.runtime >= horizon:
            reached.append(f"the planned horizon {format_duration(horizon)} is reached")
    fraction = b.information_fraction
    if f.gst and fraction is not None and fraction >= 1.0 and not reached:
        reached.append("the group-sequential plan is at its final look")
    if not reached:
        return None
    return Answer(DecisionState.INCONCLUSIVE, (*reached, *_open_items(f), *f.sequential_note))


def hold(f: Facts) -> Answer:
    """Nothing decided yet: the open items.

    Example:
        >>> hold(facts(example_report(primary=(-0.1, 0.5)))).reasons[0]
        'primary m [treatment]: significant improvement not shown yet: +0.2 [-0.1, +0.5]'
    """
    return Answer(DecisionState.HOLD, (*_open_items(f), *f.sequential_note))


RULES: tuple[Rule, ...] = (invalid, sticky, unusable, rollback, too_early,
                           segment_guardrails, ship, horizon_reached, hold)
"""The decision rules in the order they are tried; the first answer wins."""


# -- decide ------------------------------------------------------------------------------------


def no_decision_rules(kind: str) -> GateError:
    """The error for a kind the gate cannot decide (its report has no decision basis).

    Example:
        >>> str(no_decision_rules("aha")).startswith(
        ...     "kind aha has no decision rules; run it with `causalkit run`")
        True
    """
    return GateError(f"kind {kind} has no decision rules; run it with `causalkit run`",
                     hint="the gate decides experiments whose spec has decision rules and "
                          "whose report has a decision basis (ab and switch-back tests)")


def _basis(report: Report) -> DecisionBasis:
    if report.decision_basis is None:
        raise no_decision_rules(report.experiment.kind)
    return report.decision_basis


def _check_directions(report: Report) -> None:
    undirected = sorted({e.metric for e in report.estimates
                         if e.deciding and e.direction is None})
    if undirected:
        raise GateError(f"metric(s) {', '.join(undirected)} decide the rollout but have no "
                        "direction",
                        hint="set direction: increase or decrease on every primary metric "
                             "and guardrail")


def _runtime(basis: DecisionBasis) -> timedelta | None:
    if basis.start is None:
        if basis.min_runtime is not None or (
                basis.horizon is not None and basis.horizon_sample_per_arm is None):
            raise GateError(
                "the runtime rules need the experiment's start",
                hint="set start: in the spec, or a timestamp column so the first exposure "
                     "is known",
            )
        return None
    return runtime(basis)


def facts(report: Report, history: Sequence[Look] = (), now: datetime | None = None) -> Facts:
    """What the rules read of a report at a time, given the earlier looks.

    Example:
        >>> f = facts(example_report(primary=(0.1, 0.7)))
        >>> f.index, f.key.startswith("sha256:"), [e.metric for e in f.deciding]
        (1, True, ['m', 'g'])
    """
    return _facts(report, history, now)


def example_report(*, primary: tuple[float, float] = (0.1, 0.7),
                   guardrail: tuple[float, float] = (-0.004, 0.002), margin: float = 0.01,
                   n: int = 5000, checks: Sequence[Check] = (), **basis: object) -> Report:
    """A small gated report for examples: a primary ``m`` (increase) and a guardrail ``g``
    (decrease, ``margin``) with the given always-valid intervals, ``n`` units per arm.

    Example:
        >>> [e.assessment.value for e in example_report().estimates]
        ['better', 'non_inferior']
    """
    lo, hi = primary
    glo, ghi = guardrail
    est = (
        Estimate(metric="m", arm="treatment", reference="control", method="welch",
                 estimate=(lo + hi) / 2, ci_low=lo, ci_high=hi, role=Role.PRIMARY,
                 direction=Direction.INCREASE, interval_kind=IntervalKind.ALWAYS_VALID,
                 n=n, n_reference=n),
        Estimate(metric="g", arm="treatment", reference="control", method="z",
                 estimate=(glo + ghi) / 2, ci_low=glo, ci_high=ghi, role=Role.GUARDRAIL,
                 direction=Direction.DECREASE, margin=margin,
                 interval_kind=IntervalKind.ALWAYS_VALID, n=n, n_reference=n),
    )
    settings: dict[str, object] = {"now": "2026-01-08T00:00:00Z", **basis}
    return Report(experiment=Experiment(name="example", kind="ab"), estimates=est,
                  checks=tuple(checks),
                  decision_basis=DecisionBasis(sequential=Sequential.MSPRT, alpha=0.05,
                                               min_n_per_arm=n, **settings))  # type: ignore[arg-type]


def _facts(report: Report, history: Sequence[Look], now: datetime | None) -> Facts:
    basis = _basis(report)
    if now is not None:
        if now.tzinfo is None:
            raise GateError("the analysis time needs a time zone")
        basis = replace(basis, now=iso(now))
    t_now = parse_time(basis.now)
    if t_now is None:
        raise GateError("the report's decision basis has no analysis time (now)")
    _check_directions(report)
    key = basis.look_key or look_key(report.estimates, report.checks, basis.min_n_per_arm)
    same = next((lk for lk in history if lk.key == key), None)
    if basis.look is not None:
        index = basis.look
    elif same is not None:
        index = same.index
    else:
        index = max((lk.index for lk in history), default=0) + 1
    return Facts(report, basis, tuple(history), t_now, _runtime(basis), key, index)


def _warnings(f: Facts) -> tuple[str, ...]:
    notes = list(f.basis.notes)
    if f.gst and not f.basis.history_known and GST_FIRST_LOOK_NOTE not in notes:
        notes.append(GST_FIRST_LOOK_NOTE)
    checks = [f"check {c.name} warns: {c.detail}".rstrip(": ")
              for c in f.report.checks if c.status is Status.WARN]
    return (*notes, *checks)


def _result(f: Facts, answer: Answer) -> GateResult:
    b = f.basis
    if answer.sticky is not None:
        fraction, spent, z = (answer.sticky.information_fraction, answer.sticky.spent_alpha,
                              answer.sticky.boundary_z)
    elif answer.tested and f.gst:
        fraction, spent, z = b.information_fraction, b.spent_alpha, b.boundary_z
    else:
        fraction = spent = z = None
    warnings = _warnings(f)
    needs_history = f.gst and not b.history_known
    decision = Decision(answer.state, (*answer.reasons, *(f"warning: {w}" for w in warnings)),
                        needs_history=needs_history)
    look = Look(index=f.index, time=f.now, key=f.key, n_per_arm=b.min_n_per_arm,
                decision=answer.state.value,
                data_fingerprint=f.report.experiment.data_fingerprint,
                information_fraction=fraction, spent_alpha=spent, boundary_z=z,
                reasons=answer.reasons, tested=answer.tested)
    details: dict[str, float | str | None] = {
        "sequential": b.sequential.value, "look": f.index, "information_fraction": fraction,
        "spent_alpha": spent, "boundary_z": z, "n_per_arm": b.min_n_per_arm,
        "runtime": format_duration(f.runtime) if f.runtime is not None else None,
    }
    sticky_from = answer.sticky.index if answer.sticky is not None else None
    return GateResult(decision, look, warnings, f.runtime, sticky_from, details)


def decide(report: Report, *, history: Sequence[Look] = (), now: datetime | None = None
           ) -> GateResult:
    """Decide from a gated report and the earlier looks.

    Args:
        report: the analysis of a gated kind: estimates with their decision intervals
            and assessments, checks, and a :class:`~causalkit.report.DecisionBasis`.
        history: earlier looks from the state file, oldest first (they make a
            terminal decision sticky).
        now: the analysis time (timezone-aware); the basis' ``now`` when None.

    Returns:
        The decision with its reasons, and the look it was made at.

    Raises:
        GateError: for a report without a decision basis (a kind that is not
            gated), a deciding metric without a direction, a runtime rule without
            a start time, or an analysis time before the start.

    Example:
        >>> from causalkit.report import (Report, Experiment, Check, Status,
        ...                               DecisionBasis)
        >>> rep = Report(experiment=Experiment(name="x", kind="ab"),
        ...              checks=(Check("sample_ratio_mismatch", Status.FAIL, "p = 1e-9"),),
        ...              decision_basis=DecisionBasis(sequential="msprt", alpha=0.05,
        ...                  min_n_per_arm=10, now="2026-01-01T00:00:00Z"))
        >>> decide(rep).decision.state.value
        'invalid'
    """
    facts = _facts(report, history, now)
    for rule in RULES:
        answer = rule(facts)
        if answer is not None:
            return _result(facts, _keep_terminal(facts, answer))
    raise AssertionError("the last rule always answers")  # pragma: no cover
