"""The decision basis of a gated report: the spec's rules, the time, the information, the look.

A shape that can be gated (``ab``, ``switchback``) builds a
:class:`~causalkit.report.DecisionBasis` with :func:`decision_basis`, then
finishes its estimates' decision intervals with
:func:`causalkit.report.intervals.finish`. The decision rules
(:mod:`causalkit.gate.rules`) read nothing else.

**The analysis time.** ``now`` is the time a decision is taken at: ``--now`` when
given, else the wall clock, but never earlier than the data's last exposure (data
cannot come from the future; simulated data and back-fills can look as if they
did). ``causalkit run`` and ``causalkit gate`` use the same rule, so they reach
the same decision on the same data.

Example:
    >>> from causalkit.spec.common import Analysis, DecisionRules
    >>> b = decision_basis(DecisionRules(horizon_sample_per_arm=10_000), Analysis(),
    ...                    min_n_per_arm=5_000, now=parse_time("2026-12-08T00:00Z"))
    >>> b.sequential.value, information_fraction(b)
    ('none', 0.5)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from causalkit.errors import GateError
from causalkit.report.model import Check, DecisionBasis, Estimate
from causalkit.spec.common import Analysis, DecisionRules
from causalkit.spec.types import parse_timestamp

GST_FIRST_LOOK_NOTE = (
    "the group-sequential boundary is that of a first look; `causalkit gate --state FILE` "
    "remembers the earlier looks and uses the boundary of the current one")
"""Said when a group-sequential decision is taken without the earlier looks."""


@dataclass(frozen=True)
class PriorLook:
    """What an analysis needs to know of an earlier look (from the gate's state file).

    Example:
        >>> PriorLook(index=1, key="sha256:ab", information_fraction=0.25).tested
        True
    """

    index: int
    key: str
    information_fraction: float | None = None
    tested: bool = True


def iso(t: datetime | None) -> str | None:
    """ISO 8601 UTC text with ``Z`` (seconds), or None.

    Example:
        >>> iso(datetime(2026, 1, 1, tzinfo=UTC))
        '2026-01-01T00:00:00Z'
    """
    if t is None:
        return None
    return t.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_time(text: str | None) -> datetime | None:
    """The inverse of :func:`iso` (any ISO 8601 text with a zone).

    Raises:
        GateError: for text that is not a timestamp with a zone.

    Example:
        >>> parse_time("2026-01-01T09:00+09:00").isoformat()
        '2026-01-01T00:00:00+00:00'
    """
    if text is None:
        return None
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise GateError(f"{text!r} is not a timestamp: {exc}") from None


def analysis_time(now: datetime | None, last_exposure: datetime | None) -> datetime:
    """The time a decision is taken at (see the module docstring).

    Example:
        >>> analysis_time(None, datetime(2100, 1, 1, tzinfo=UTC)).year
        2100
        >>> analysis_time(datetime(2026, 1, 1, tzinfo=UTC), None).year
        2026
    """
    if now is not None:
        if now.tzinfo is None:
            raise GateError("the analysis time needs a time zone")
        return now
    wall = datetime.now(UTC).replace(microsecond=0)
    if last_exposure is not None and last_exposure > wall:
        return last_exposure
    return wall


def decision_basis(rules: DecisionRules, analysis: Analysis, *, min_n_per_arm: int,
                   n_unit: str = "units", start: datetime | None = None,
                   planned_horizon: timedelta | None = None,
                   first_exposure: datetime | None = None,
                   last_exposure: datetime | None = None,
                   now: datetime | None = None) -> DecisionBasis:
    """The basis of a gated shape's decision, before its group-sequential look is known.

    Args:
        rules: the spec's ``decision`` settings.
        analysis: the spec's ``analysis`` settings (alpha, sequential).
        min_n_per_arm: units in the smallest arm (what ``n_unit`` counts).
        n_unit: what the counts count (``users``, ``region-periods``).
        start: the spec's start; without it the first exposure is the start.
        planned_horizon: the horizon the shape plans when ``decision.horizon`` is not set
            (``end - start``, a switch-back schedule's length).
        first_exposure: the first exposure in the data.
        last_exposure: the last exposure in the data.
        now: the ``--now`` time, or None for :func:`analysis_time`'s default.

    Example:
        >>> b = decision_basis(DecisionRules(), Analysis(sequential="msprt"), min_n_per_arm=9,
        ...                    first_exposure=datetime(2026, 1, 1, tzinfo=UTC),
        ...                    now=datetime(2026, 1, 8, tzinfo=UTC))
        >>> b.start, b.now
        ('2026-01-01T00:00:00Z', '2026-01-08T00:00:00Z')
    """
    horizon = rules.horizon or planned_horizon
    t_now = analysis_time(now, last_exposure)
    begin = start or first_exposure
    return DecisionBasis(
        sequential=analysis.sequential, alpha=analysis.alpha, min_n_per_arm=int(min_n_per_arm),
        n_unit=n_unit, min_sample_per_arm=rules.min_sample_per_arm,
        min_runtime=None if rules.min_runtime is None else rules.min_runtime.total_seconds(),
        horizon=None if horizon is None else horizon.total_seconds(),
        horizon_sample_per_arm=rules.horizon_sample_per_arm,
        start=iso(begin), first_exposure=iso(first_exposure), last_exposure=iso(last_exposure),
        now=iso(t_now), fail_on=tuple(rules.fail_on),
        segment_guardrails=bool(getattr(rules, "segment_guardrails", False)),
    )


def runtime(basis: DecisionBasis) -> timedelta | None:
    """How long the experiment has run at the analysis time (None without a start).

    Raises:
        GateError: when the analysis time is before the start.

    Example:
        >>> runtime(DecisionBasis(sequential="msprt", alpha=0.05, min_n_per_arm=1,
        ...     start="2026-01-01T00:00Z", now="2026-01-03T00:00Z"))
        datetime.timedelta(days=2)
    """
    start, now = parse_time(basis.start), parse_time(basis.now)
    if start is None or now is None:
        return None
    if now < start:
        raise GateError(f"the analysis time {basis.now} is before the experiment start "
                        f"{basis.start}", hint="pass --now inside the experiment's window")
    return now - start


def information_fraction(basis: DecisionBasis) -> float:
    """Information fraction: units per arm over the planned units per arm, else time.

    The time scale counts the time the data cover: up to the last exposure when
    known (a run after the experiment ended adds no information).

    Raises:
        GateError: when the spec plans neither a sample nor a horizon (with a start).

    Example:
        >>> information_fraction(DecisionBasis(sequential="gst", alpha=0.05, min_n_per_arm=1,
        ...     horizon=28 * 86400.0, start="2026-01-01T00:00Z", now="2026-01-08T00:00Z"))
        0.25
    """
    if basis.horizon_sample_per_arm is not None:
        return basis.min_n_per_arm / basis.horizon_sample_per_arm
    ran = runtime(basis) if basis.horizon is not None else None
    if basis.horizon is not None and ran is not None:
        last, start = parse_time(basis.last_exposure), parse_time(basis.start)
        if last is not None and start is not None:
            ran = max(min(ran, last - start), timedelta(0))
        return ran.total_seconds() / basis.horizon
    raise GateError(
        "the decision needs the planned information",
        hint="set decision.horizon_sample_per_arm (or decision.horizon with a start time)",
    )


def look_key(estimates: Sequence[Estimate], checks: Sequence[Check], min_n_per_arm: int) -> str:
    """A digest of the statistics a decision reads: equal digests mean the same look.

    It reads the estimates, their standard errors and reported intervals (not the
    decision intervals, which depend on the earlier looks), the counts and the
    checks. Two runs on the same data give the same key, whatever the data
    source's fingerprint.

    Example:
        >>> look_key((), (), 0) == look_key((), (), 0)
        True
    """
    rows = [
        [e.metric, e.contrast, [[e.reference, e.n_reference], [e.arm, e.n]], repr(e.estimate),
         repr(e.se), repr(e.ci_low), repr(e.ci_high)]
        for e in estimates
    ]
    rows.sort(key=lambda r: json.dumps(r))
    marks = sorted([c.name, c.status.value, c.metric or ""] for c in checks)
    text = json.dumps({"e": rows, "c": marks, "n": int(min_n_per_arm)}, sort_keys=True)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]
