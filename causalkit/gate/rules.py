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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from causalkit.errors import GateError
from causalkit.gate.intervals import (
    GateRules,
    gst_look,
    min_n_per_arm,
    start_time,
    verdicts_for,
)
from causalkit.gate.looks import TERMINAL, Look
from causalkit.gate.verdicts import Verdict
from causalkit.report.model import Decision, Report, Status
from causalkit.spec.types import format_duration


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


def _runtime(report: Report, rules: GateRules, now: datetime) -> timedelta | None:
    start = start_time(report, rules)
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
        shown = verdicts_for(report, rules, None, runtime) if rules.sequential != "gst" else []
        return done(final.decision, reasons, shown, tested=False, sticky=final.index,
                    fraction=final.information_fraction, spent=final.spent_alpha,
                    z=final.boundary_z)

    # intervals (always-valid, or repeated intervals from the group-sequential boundary)
    fraction = spent = z_nominal = None
    z_by_alpha: dict[float, float] | None = None
    if rules.sequential == "gst":
        fraction, z_by_alpha, spent = gst_look(report, rules, history, same, runtime)
        z_nominal = z_by_alpha[rules.alpha]
    verdicts = verdicts_for(report, rules, z_by_alpha, runtime)
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
