"""The decision rules: Report + rules + time + earlier looks -> a decision with reasons.

A pure function (:func:`decide`): no files, no clock, no printing. The rules, in
order (the first that applies wins):

1. ``invalid``: a failed check (sample ratio mismatch, a ``data_*`` check, any
   other ``fail``), a primary metric without an estimate, or a non-finite interval.
   No effect is trusted.
2. a decision already reached at an earlier look (``ship``, ``rollback``,
   ``inconclusive``) is sticky.
3. ``rollback``: a guardrail is significantly worse than its margin (worse than
   zero when it has no margin), or a primary metric is significantly worse.
4. ``hold``: below ``min_sample_per_arm`` or ``min_runtime``.
5. ``ship``: in some treatment arm a primary metric is significantly better (and at
   least ``practical_threshold`` when set) and every guardrail is shown non-inferior.
6. ``inconclusive``: the planned horizon is reached.
7. ``hold`` otherwise.

Example:
    >>> from datetime import datetime, UTC
    >>> from causalkit.report import Report, Experiment, Estimate
    >>> est = Estimate(metric="m", contrast="treatment - control", method="welch",
    ...     estimate=0.4, ci_low=0.1, ci_high=0.7, role="primary", direction="increase",
    ...     se=0.1, n={"control": 5000, "treatment": 5000},
    ...     extra={"ci_kind": "always_valid", "alpha": 0.05})
    >>> rep = Report(experiment=Experiment(name="x", kind="ab"), estimates=(est,))
    >>> result = decide(rep, GateRules(), now=datetime(2026, 1, 8, tzinfo=UTC))
    >>> result.decision.state, result.decision.reasons[0]
    ('ship', 'primary m [treatment] is significantly better: +0.4 [+0.1, +0.7]')
    >>> type(result).__name__, result.look.index
    ('GateResult', 1)
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from causalkit.errors import GateError
from causalkit.gate.looks import TERMINAL, Look
from causalkit.gate.verdicts import Verdict, judge
from causalkit.report.model import Decision, Estimate, Report, Status
from causalkit.spec.types import format_duration, parse_timestamp


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


@dataclass(frozen=True)
class GateResult:
    """A decision, the verdict on every estimate, and the look it was made at."""

    decision: Decision
    verdicts: tuple[Verdict, ...]
    look: Look
    warnings: tuple[str, ...] = ()
    runtime: timedelta | None = None
    sticky_from: int | None = None
    details: dict[str, float | str | None] = field(default_factory=dict)


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


def look_key(report: Report) -> str:
    """A digest of the statistics a decision reads: equal digests mean the same look.

    Two runs on the same data give the same numbers and so the same key, whatever
    the data source's fingerprint (a SQL source keeps its fingerprint while its
    rows grow, a rewritten file changes it without changing a number).

    Example:
        >>> from causalkit.report import Experiment
        >>> r = Report(experiment=Experiment(name="x", kind="ab"))
        >>> look_key(r) == look_key(r)
        True
    """
    rows = [
        [e.metric, e.contrast, sorted(e.n.items()), repr(e.estimate), repr(e.se),
         repr(e.ci_low), repr(e.ci_high)]
        for e in report.estimates
    ]
    rows.sort()
    checks = sorted([c.name, c.status.value, c.metric or ""] for c in report.checks)
    text = json.dumps({"e": rows, "c": checks, "n": min_n_per_arm(report)}, sort_keys=True)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _start(report: Report, rules: GateRules) -> datetime | None:
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


def _fraction(report: Report, rules: GateRules, runtime: timedelta | None) -> float:
    """Information fraction: units per arm over the planned units per arm, else time.

    The time scale counts the time the data cover: up to the last exposure when
    the report knows it (a run after the experiment ended adds no information).
    """
    if rules.horizon_sample_per_arm is not None:
        return min_n_per_arm(report) / rules.horizon_sample_per_arm
    if rules.horizon is not None and runtime is not None:
        last = report.meta.extra.get("last_exposure")
        start = _start(report, rules)
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


def _sequence(est: Estimate, alpha: float, report: Report, rules: GateRules,
              runtime: timedelta | None) -> tuple[float, float]:
    """An always-valid interval from a fixed-horizon estimate and its standard error.

    The normal-mixture confidence sequence of :func:`causalkit.stats.sequential.msprt`,
    with the mixture tuned at the planned horizon: the estimator's variance there is
    ``se**2 * t`` for the information fraction ``t``.
    """
    from causalkit.stats.sequential import msprt, msprt_tau2

    if est.se is None:
        raise GateError(f"estimate {est.metric} ({est.contrast}) has a fixed-horizon interval "
                        "and no standard error",
                        hint="the gate needs se to build an always-valid interval")
    if not (math.isfinite(est.se) and est.se > 0 and math.isfinite(est.estimate)):
        return (math.nan, math.nan)
    try:
        t = _fraction(report, rules, runtime)
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


def _verdicts(report: Report, rules: GateRules, z_by_alpha: dict[float, float] | None,
              runtime: timedelta | None = None) -> list[Verdict]:
    """Verdicts on every estimate; ``z_by_alpha`` set means group-sequential intervals."""
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
                low, high = _sequence(est, alpha, report, rules, runtime)
                source = "always_valid"
        out.append(judge(
            metric=est.metric, arm=arm_of(est), role=est.role, direction=est.direction,
            estimate=est.estimate,
            low=math.nan if low is None else float(low),
            high=math.nan if high is None else float(high),
            margin=_margin(est), practical_threshold=_threshold(est), interval=source,
        ))
    return out


def _gst(report: Report, rules: GateRules, history: Sequence[Look], same: Look | None,
         runtime: timedelta | None) -> tuple[float, dict[float, float], float]:
    """Information fraction, boundary per alpha level, and alpha spent (nominal level)."""
    from causalkit.gate.gst import boundary, spent_alpha

    tested = [lk for lk in history if lk.tested and lk.information_fraction is not None]
    prior: list[float]
    if same is not None and same.information_fraction is not None:
        t = same.information_fraction
        prior = [float(lk.information_fraction or 0) for lk in tested if lk.index < same.index]
    else:
        t = _fraction(report, rules, runtime)
        prior = [float(lk.information_fraction or 0) for lk in tested]
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
    fam = {r: sum(1 for e in report.estimates if e.role == r) for r in ("primary", "guardrail")}
    levels = {_alpha_of(e, rules, fam[e.role]) for e in _decision_estimates(report)}
    z_by_alpha = {a: boundary(fractions, a) for a in levels | {rules.alpha}}
    return t, z_by_alpha, spent_alpha(t, rules.alpha)


def _runtime(report: Report, rules: GateRules, now: datetime) -> timedelta | None:
    start = _start(report, rules)
    if start is None:
        if rules.min_runtime is not None or (
            rules.horizon is not None and rules.horizon_sample_per_arm is None
        ):
            raise GateError(
                "the runtime rules need the experiment's start",
                hint="set start: in the spec, or a timestamp column so the first exposure "
                     "is known",
            )
        return None
    if now < start:
        raise GateError(f"--now {now.isoformat()} is before the experiment start "
                        f"{start.isoformat()}")
    return now - start


def decide(report: Report, rules: GateRules, *, now: datetime,
           history: Sequence[Look] = ()) -> GateResult:
    """Decide from a report alone (plus the plan, the time and the earlier looks).

    Args:
        report: the analysis of a spec (see ``notes/GATE_CONTRACT`` in the docs:
            estimates with roles, directions, intervals and ``extra``; checks).
        rules: the spec's decision settings.
        now: the analysis time (timezone-aware).
        history: earlier looks from the state file, oldest first.

    Returns:
        The decision with its reasons, the verdict on every estimate and the look.

    Raises:
        GateError: when the report or the plan cannot support a decision (an
            interval that is not always-valid under ``msprt``, no planned
            information under ``gst``, a runtime rule without a start time).

    Example:
        >>> from datetime import datetime, UTC
        >>> from causalkit.report import Report, Experiment, Check, Status
        >>> rep = Report(experiment=Experiment(name="x", kind="ab"),
        ...              checks=(Check("sample_ratio_mismatch", Status.FAIL, "p = 1e-9"),))
        >>> decide(rep, GateRules(), now=datetime(2026, 1, 1, tzinfo=UTC)).decision.state
        'invalid'
    """
    if now.tzinfo is None:
        raise GateError("the analysis time needs a time zone")
    key = look_key(report)
    n_arm = min_n_per_arm(report)
    runtime = _runtime(report, rules, now)
    same = next((lk for lk in history if lk.key == key), None)
    index = same.index if same is not None else (max((lk.index for lk in history), default=0) + 1)
    warnings = tuple(f"check {c.name} warns: {c.detail}".rstrip(": ")
                     for c in report.checks if c.status is Status.WARN)
    base = {"index": index, "time": now, "key": key,
            "data_fingerprint": report.experiment.data_fingerprint, "n_per_arm": n_arm}

    def done(state: str, reasons: list[str], verdicts: Sequence[Verdict], *, tested: bool,
             fraction: float | None = None, spent: float | None = None,
             z: float | None = None, sticky: int | None = None) -> GateResult:
        look = Look(**base, information_fraction=fraction, spent_alpha=spent,  # type: ignore[arg-type]
                    boundary_z=z, decision=state, reasons=tuple(reasons), tested=tested)
        details: dict[str, float | str | None] = {
            "sequential": rules.sequential, "look": index, "information_fraction": fraction,
            "spent_alpha": spent, "boundary_z": z, "n_per_arm": n_arm,
            "runtime": format_duration(runtime) if runtime is not None else None,
        }
        return GateResult(Decision(state, tuple(reasons)), tuple(verdicts), look, warnings,
                          runtime, sticky, details)

    # 1. invalid ------------------------------------------------------------------------
    invalid = [f"check {c.name} failed" + (f" ({c.metric})" if c.metric else "")
               + (f": {c.detail}" if c.detail else "") for c in report.failed_checks]
    if not any(e.role == "primary" for e in report.estimates):
        invalid.append("the report has no estimate for a primary metric")
    if invalid:
        return done("invalid", [*invalid, "no effect is trusted while a check fails"], (),
                    tested=False)

    # 2. sticky: a decision reached at an earlier look stands (the same look, on the same
    # statistics, is simply evaluated again below and gives the same answer)
    final = next((lk for lk in history if lk.decision in TERMINAL), None)
    if final is not None and final.key != key:
        reasons = [f"{final.decision} was decided at look {final.index} "
                   f"({final.time.isoformat().replace('+00:00', 'Z')}) and is final; later "
                   "data do not change it",
                   *final.reasons]
        shown = _verdicts(report, rules, None, runtime) if rules.sequential != "gst" else []
        return done(final.decision, reasons, shown, tested=False, sticky=final.index,
                    fraction=final.information_fraction, spent=final.spent_alpha,
                    z=final.boundary_z)

    # intervals (always-valid, or repeated intervals from the group-sequential boundary)
    fraction = spent = z_nominal = None
    z_by_alpha: dict[float, float] | None = None
    if rules.sequential == "gst":
        fraction, z_by_alpha, spent = _gst(report, rules, history, same, runtime)
        z_nominal = z_by_alpha[rules.alpha]
    verdicts = _verdicts(report, rules, z_by_alpha, runtime)
    deciding = [v for v in verdicts if v.role in ("primary", "guardrail")]
    broken = [v for v in deciding if not v.finite]
    if broken:
        reasons = [f"{v.role} {v.label} has no finite estimate or interval "
                   f"({v.interval_text})" for v in broken]
        return done("invalid", [*reasons, "no effect is trusted"], verdicts, tested=False)
    undirected = [v for v in deciding if v.direction is None]
    if undirected:
        names = ", ".join(sorted({v.metric for v in undirected}))
        raise GateError(f"metric(s) {names} decide the rollout but have no direction",
                        hint="set direction: increase or decrease on every primary metric")
    seq_note = []
    if rules.sequential == "gst" and fraction is not None and z_nominal is not None:
        seq_note.append(
            f"look {index} of a group-sequential plan: information fraction "
            f"{min(fraction, 1.0):.3f}, boundary |z| >= {z_nominal:.3f}, alpha spent "
            f"{spent:.4g} of {rules.alpha:g}")

    # 3. rollback -------------------------------------------------------------------------
    harm = []
    for v in deciding:
        if v.role == "guardrail" and v.worse_than_margin:
            what = (f"worse than its margin {v.margin:g}" if v.margin is not None
                    else "significantly worse (no margin set)")
            harm.append(f"guardrail {v.label} is {what}: {v.interval_text}")
        elif v.role == "primary" and v.worse:
            harm.append(f"primary {v.label} is significantly worse: {v.interval_text}")
    if harm:
        return done("rollback", [*harm, *seq_note], verdicts, tested=True, fraction=fraction, spent=spent,
                    z=z_nominal)

    # 4. hold: minimum sample and runtime -----------------------------------------------
    short = []
    if n_arm < rules.min_sample_per_arm:
        short.append(f"{n_arm} units in the smallest arm, below the minimum of "
                     f"{rules.min_sample_per_arm} per arm")
    if rules.min_runtime is not None and runtime is not None and runtime < rules.min_runtime:
        short.append(f"ran {format_duration(runtime)}, below the minimum runtime "
                     f"{format_duration(rules.min_runtime)}")
    if short:
        return done("hold", [*short, *seq_note], verdicts, tested=True, fraction=fraction, spent=spent,
                    z=z_nominal)

    # 5. ship -----------------------------------------------------------------------------
    arms = sorted({v.arm for v in deciding})
    shipping, waiting = [], []
    for arm in arms:
        prim = [v for v in deciding if v.arm == arm and v.role == "primary"]
        guards = [v for v in deciding if v.arm == arm and v.role == "guardrail"]
        wins = [v for v in prim if v.ships]
        blocked = [v for v in guards if not v.guardrail_ok]
        if wins and not blocked:
            shipping.append(arm)
            for v in wins:
                extra = (f", at least the practical threshold {abs(v.practical_threshold):g}"
                         if v.practical_threshold is not None else "")
                waiting.append(f"primary {v.label} is significantly better: "
                               f"{v.interval_text}{extra}")
            for v in guards:
                if v.noninferior:
                    waiting.append(f"guardrail {v.label} is non-inferior (margin "
                                   f"{v.margin:g}): {v.interval_text}")
                else:
                    waiting.append(f"guardrail {v.label} has no margin and is not "
                                   f"significantly worse: {v.interval_text}")
    if shipping:
        head = [] if arms == ["treatment"] else [f"arm(s) that may ship: {', '.join(shipping)}"]
        return done("ship", [*head, *waiting, *seq_note], verdicts, tested=True, fraction=fraction, spent=spent,
                    z=z_nominal)

    open_items = []
    for v in deciding:
        if v.role == "primary":
            if v.better and not v.meets_threshold:
                open_items.append(
                    f"primary {v.label} is significantly better but below the practical "
                    f"threshold {abs(v.practical_threshold or 0):g}: {v.interval_text}")
            elif not v.better:
                open_items.append(f"primary {v.label} is not significantly better yet: "
                                  f"{v.interval_text}")
            else:
                open_items.append(f"primary {v.label} is significantly better: "
                                  f"{v.interval_text}")
        elif not v.guardrail_ok:
            open_items.append(f"guardrail {v.label} is not yet shown non-inferior "
                              f"(margin {v.margin:g}): {v.interval_text}")

    # 6. inconclusive -------------------------------------------------------------------
    reached = []
    if rules.horizon_sample_per_arm is not None and n_arm >= rules.horizon_sample_per_arm:
        reached.append(f"the planned sample of {rules.horizon_sample_per_arm} per arm "
                       f"is reached ({n_arm})")
    if rules.horizon is not None and runtime is not None and runtime >= rules.horizon:
        reached.append(f"the planned horizon {format_duration(rules.horizon)} is reached")
    if fraction is not None and fraction >= 1.0 and not reached:
        reached.append("the group-sequential plan is at its final look")
    if reached:
        return done("inconclusive", [*reached, *open_items, *seq_note], verdicts,
                    tested=True, fraction=fraction, spent=spent,
                    z=z_nominal)

    # 7. hold -----------------------------------------------------------------------------
    return done("hold", [*open_items, *seq_note], verdicts, tested=True, fraction=fraction, spent=spent,
                    z=z_nominal)
