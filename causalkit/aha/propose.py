"""The encouragement experiment proposed for an Aha winner, written as an ``ab`` spec.

The condition an Aha analysis finds ("add_friend >= 3 in 7d") cannot be assigned;
users can only be nudged towards it. :func:`propose_experiment` writes the spec of
the randomized test that settles whether reaching it *causes* retention: arms
from the Aha spec's ``proposal:`` template, the intent-to-treat (ITT) effect on
retention as the primary metric with ``received:`` the winner's condition (so the
A/B report adds the first stage and the complier average causal effect, CACE, as
secondary estimates; the gate decides on the ITT), the template's guardrails, and
the sample size and duration.

Planning (the model of :mod:`causalkit.ab.encouragement_power`): the control arm
is the log as it is -- a share ``c`` (the condition's coverage) reaches the
condition, retention is ``r1`` among them and ``r0`` among the rest, ``p``
overall. The nudge makes a further share ``L`` (``proposal.first_stage_lift``,
default 0.10) reach it, and their retention rises by ``beta`` (the effect to plan
for: ``proposal.effect``, else the causal check's estimate, else ``r1 - r0``), so
the ITT is ``L beta`` and::

    n_ITT  = (z_{1-a/2} + z_power)**2 W / (L beta)**2,  W = p (1-p) / s_c + p_t (1-p_t) / s_t
    n_CACE = (z_{1-a/2} sqrt(V_c / s_c + V_t / s_t) + z_power sqrt(W))**2 / (L beta)**2,

``p_t = p + L beta``, ``V_arm = var(Y - beta D)`` in the arm (control: ``D`` is 1 for a
share ``c`` with retention ``r1``; nudged: for ``c + L``, the ``L`` compliers with
retention ``r0 + beta``); with several nudged arms ``a`` is split over them. The
proposal's sample size is the ITT's (the comparison the gate decides on); the
duration is the enrolment (``n_ITT / (signups per day x proposal.traffic)``) plus
the retention window's end (the last enrolled user's retention must be observed).

Example:
    >>> from causalkit.spec.aha import AhaSpec
    >>> spec = AhaSpec(name="friends", kind="aha", data={"simulate": "event_log"})
    >>> inputs = PlanInputs(condition="add_friend >= 3 in 7d", action="add_friend",
    ...     window=7, threshold=3, coverage=0.28, retention=0.35, retention_reached=0.63,
    ...     retention_not_reached=0.24, effect=0.3, effect_source="the causal check")
    >>> text, summary = propose_experiment(inputs, spec, signups_per_day=600.0)
    >>> summary.units_per_arm, round(summary.duration_days)
    (4039, 48)
    >>> "received: reached" in text
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from scipy import stats

from causalkit.errors import CausalkitError, SpecError
from causalkit.report.model import Report, Table
from causalkit.stats.power import power_at, required_total

if TYPE_CHECKING:
    from causalkit.aha.analysis import AhaResult
    from causalkit.data import Source
    from causalkit.spec.aha import AhaSpec

NUDGE = 0.5
"""The simulated nudge (log-rate of the action) when the proposal points at the simulator."""


@dataclass(frozen=True)
class PlanInputs:
    """What the proposal reads of an Aha analysis: the winner and its rates on the log.

    ``coverage``: share of users reaching the condition; ``retention``: overall;
    ``retention_reached`` / ``retention_not_reached``: among users who did / did not;
    ``effect``: the effect of reaching it to plan for (None: the raw difference).

    Example:
        >>> PlanInputs("add_friend >= 3 in 7d", "add_friend", 7, 3, 0.3, 0.35, 0.6, 0.25).window
        7
    """

    condition: str
    action: str
    window: int
    threshold: int
    coverage: float
    retention: float
    retention_reached: float
    retention_not_reached: float
    effect: float | None = None
    effect_source: str = "the raw difference in retention"
    outcome: str = "retained"


@dataclass(frozen=True)
class ProposalSummary:
    """The plan of the proposed experiment (what the spec's comments and the report say).

    Example:
        >>> from causalkit.spec.aha import AhaSpec
        >>> spec = AhaSpec(name="x", kind="aha", data={"simulate": "event_log"})
        >>> s = plan_experiment(PlanInputs("c", "a", 7, 3, 0.3, 0.35, 0.6, 0.25, 0.3), spec)
        >>> s.sentences()[1][:40]
        'It needs 4,039 users per arm (8,078 in t'
    """

    name: str
    inputs: PlanInputs
    effect: float
    first_stage_lift: float
    itt_effect: float
    alpha: float
    power: float
    share_control: float
    share_nudge: float
    units_total: int
    units_per_arm: int
    units_total_cace: int
    power_at_units: float
    signups_per_day: float | None
    traffic: float
    enrolment_days: float | None
    duration_days: float | None
    simulated: bool

    def sentences(self) -> tuple[str, ...]:
        """The plan in words (the report's findings and the spec's header).

        Example:
            >>> # see the module example
            >>> ProposalSummary.sentences.__name__
            'sentences'
        """
        i = self.inputs
        rate = (self.signups_per_day or 0.0) * self.traffic
        when = (f"; at {rate:,.0f} enrolled signups a day that "
                f"is {self.enrolment_days:.1f} days of enrolment and {self.duration_days:.0f} "
                "days until the last retention window closes"
                if self.enrolment_days is not None and self.duration_days is not None
                else "; the signup rate is not known, so there is no duration")
        return (
            f"Proposed experiment {self.name}: nudge new users towards {i.condition} "
            f"(arms {self.share_control:.0%} control / {self.share_nudge:.0%} nudge); the ITT "
            "on retention decides, the first stage and the CACE are reported",
            f"It needs {self.units_per_arm:,} users per arm ({self.units_total:,} in total) to "
            f"detect an ITT of {self.itt_effect:+.4f} = first-stage lift {self.first_stage_lift:g}"
            f" x effect {self.effect:+.4f} ({i.effect_source}) with power {self.power:g} at "
            f"alpha {self.alpha:g}{when}",
            f"Assumptions: {i.coverage:.1%} reach the condition without a nudge, retention "
            f"{i.retention:.1%} ({i.retention_reached:.1%} among them, "
            f"{i.retention_not_reached:.1%} among the rest); units grow as 1 / lift**2 (a lift "
            f"of {self.first_stage_lift / 2:g} needs four times as many)",
        )


def inputs_of(aha: AhaResult | Report | PlanInputs) -> PlanInputs:
    """The winner's rates from an :class:`~causalkit.aha.analysis.AhaResult` or an Aha report.

    Raises:
        CausalkitError: when the analysis has no winner.

    Example:
        >>> inputs_of(PlanInputs("c", "a", 1, 1, 0.2, 0.3, 0.5, 0.25)).coverage
        0.2
    """
    if isinstance(aha, PlanInputs):
        return aha
    if isinstance(aha, Report):
        return _from_report(aha)
    from causalkit.aha.search import index_of

    if aha.winner is None:
        raise _no_winner()
    d = aha.grid.discovery
    i = index_of(aha.grid, aha.winner)
    assert i is not None
    tp, fp, fn, tn = (float(x[i]) for x in (d.tp, d.fp, d.fn, d.tn))
    main = next((c for c in aha.causal if c.key == aha.winner), None)
    effect = float(main.effect) if main is not None and math.isfinite(main.effect) else None
    return _inputs(aha.winner.label, aha.winner.action, aha.winner.window,
                   aha.winner.threshold, tp, fp, fn, tn, effect, aha.outcome)


def _inputs(label: str, action: str, window: int, threshold: int, tp: float, fp: float,
            fn: float, tn: float, effect: float | None, outcome: str) -> PlanInputs:
    n = tp + fp + fn + tn
    if not n or not tp + fp or not fn + tn:
        raise CausalkitError(f"the winner {label} is reached by every user or by none: there "
                             "is nothing to nudge", hint="check the Aha report's coverage")
    r1, r0 = tp / (tp + fp), fn / (fn + tn)
    source = "the causal check's estimate"
    if effect is None or not effect > 0:
        source = ("the raw difference in retention (the causal check estimated "
                  f"{effect:+.3f})" if effect is not None else
                  "the raw difference in retention")
        effect = r1 - r0
    return PlanInputs(label, action, window, threshold, (tp + fp) / n, (tp + fn) / n, r1, r0,
                      effect, source, outcome)


def _no_winner() -> CausalkitError:
    return CausalkitError("no condition won the Aha search, so there is no experiment to "
                          "propose", hint="see the Aha report's aha_discoveries check")


def _from_report(rep: Report) -> PlanInputs:
    winner = rep.meta.extra.get("winner")
    if not isinstance(winner, str):
        raise _no_winner()
    tables = {t.name: t for t in rep.tables}

    def row(table: str, key: str, value: object) -> dict[str, Any] | None:
        t = tables.get(table)
        if t is None:
            return None
        for r in t.rows:
            d = dict(zip(t.columns, r, strict=True))
            if d.get(key) == value:
                return d
        return None

    cond = row("aha_conditions", "condition", winner)
    users = row("aha_users", "what", "discovery users (search)")
    if cond is None or users is None:
        raise CausalkitError(f"the Aha report does not list its winner {winner} with its "
                             "counts", hint="pass the AhaResult, or raise report_rows")
    n = float(users["count"])
    reached, tp = float(cond["reached"]), float(cond["retained"])
    retained_all = tp / float(cond["recall"])
    causal = row("aha_causal", "condition", winner)
    effect = causal.get("effect") if causal is not None else None
    return _inputs(winner, str(cond["action"]), int(cond["window_days"]),
                   int(cond["threshold"]), tp, reached - tp, retained_all - tp,
                   n - reached - (retained_all - tp),
                   float(effect) if isinstance(effect, int | float) else None, "retained")


def signup_rate(users: Source, signup_column: str = "signup_at") -> float | None:
    """Signups per day in a users table (count over the span of signup times), or None.

    Example:
        >>> import pandas as pd
        >>> from causalkit.data import Source
        >>> t = pd.to_datetime(["2026-01-01", "2026-01-11"], utc=True)
        >>> signup_rate(Source.from_frame(pd.DataFrame({"signup_at": t})))
        0.2
    """
    from causalkit.data import get_engine, quote_ident
    from causalkit.data.sql import dialect_of, epoch_seconds

    engine = get_engine(source := users)
    q = quote_ident(signup_column)
    d = dialect_of(engine)
    row = engine.query(source, f"SELECT COUNT({q}) AS n, {epoch_seconds(f'MAX({q})', d)} - "
                               f"{epoch_seconds(f'MIN({q})', d)} AS s FROM src").to_pylist()[0]
    n, seconds = row["n"], row["s"]
    if not n or not seconds:
        return None
    return float(n) / (float(seconds) / 86_400.0)


def plan_experiment(inputs: PlanInputs, spec: AhaSpec, *,
                    signups_per_day: float | None = None) -> ProposalSummary:
    """The sample size and duration of the proposed experiment (see the module docstring).

    Example:
        >>> from causalkit.spec.aha import AhaSpec
        >>> spec = AhaSpec(name="x", kind="aha", data={"simulate": "event_log"})
        >>> s = plan_experiment(PlanInputs("c", "a", 7, 3, 0.3, 0.35, 0.6, 0.25, 0.3), spec)
        >>> s.itt_effect, s.units_per_arm, s.duration_days is None
        (0.03, 4039, True)
    """
    prop = spec.proposal
    eff = prop.effect if prop.effect is not None else inputs.effect
    if prop.effect is not None:
        inputs = replace(inputs, effect=prop.effect, effect_source="proposal.effect")
    if eff is None or not eff:
        raise SpecError("the effect to plan for is 0", field="proposal.effect",
                             hint="set proposal.effect (absolute change in retention)")
    total_w = sum(prop.variants.values())
    nudges = [a for a in prop.variants if a != prop.control]
    share_c = prop.variants[prop.control] / total_w
    share_t = min(prop.variants[a] for a in nudges) / total_w
    alpha = prop.alpha / len(nudges)
    lift = prop.first_stage_lift
    itt = lift * eff
    p, c = inputs.retention, inputs.coverage
    p_t = min(max(p + itt, 0.0), 1.0)
    total = float(required_total(p * (1 - p), p_t * (1 - p_t), itt, alpha=alpha,
                                 power=prop.power, share_c=share_c, share_t=share_t))
    r1, r0 = inputs.retention_reached, inputs.retention_not_reached
    d_t, eyd_t = c + lift, c * r1 + lift * (r0 + eff)
    v_c = p * (1 - p) + eff * eff * c * (1 - c) - 2 * eff * c * (1 - c) * (r1 - r0)
    v_t = p_t * (1 - p_t) + eff * eff * d_t * (1 - d_t) - 2 * eff * (eyd_t - p_t * d_t)
    za, zb = float(stats.norm.isf(alpha / 2)), float(stats.norm.ppf(prop.power))
    w = p * (1 - p) / share_c + p_t * (1 - p_t) / share_t
    total_cace = (za * math.sqrt(v_c / share_c + v_t / share_t) + zb * math.sqrt(w)) ** 2 \
        / itt ** 2
    per_arm = math.ceil(total * share_c)
    units = math.ceil(per_arm / share_c)
    pw = float(power_at(itt, p * (1 - p), p_t * (1 - p_t), units, alpha=alpha,
                        share_c=share_c, share_t=share_t))
    enrol = units / (signups_per_day * prop.traffic) if signups_per_day else None
    return ProposalSummary(
        name=prop.name or f"{spec.name}-nudge", inputs=inputs, effect=eff,
        first_stage_lift=lift, itt_effect=itt, alpha=alpha, power=prop.power,
        share_control=share_c, share_nudge=share_t, units_total=units, units_per_arm=per_arm,
        units_total_cace=math.ceil(total_cace), power_at_units=pw,
        signups_per_day=signups_per_day, traffic=prop.traffic, enrolment_days=enrol,
        duration_days=enrol + spec.retention.end_day if enrol is not None else None,
        simulated=spec.data is not None and spec.data.simulate is not None
        and spec.data.simulate.value == "event_log")


def propose_experiment(aha: AhaResult | Report | PlanInputs, spec: AhaSpec, *,
                       signups_per_day: float | None = None, users: Source | None = None,
                       ) -> tuple[str, ProposalSummary]:
    """The encouragement-experiment ``ab`` spec (YAML text) for the Aha winner, and its plan.

    Args:
        aha: the Aha analysis (:class:`~causalkit.aha.analysis.AhaResult`, its report, or
            :class:`PlanInputs`).
        spec: the Aha spec (its ``proposal:`` template, retention window and columns).
        signups_per_day: new users per day (default: measured in ``users``).
        users: the users table, to measure the signup rate when it is not given.

    Raises:
        CausalkitError: when there is no winner or nothing to plan for.

    Example:
        >>> # see the module example
        >>> propose_experiment.__name__
        'propose_experiment'
    """
    import yaml

    inputs = inputs_of(aha)
    if isinstance(aha, Report):  # the report's estimate names carry the condition
        inputs = replace(inputs, outcome=f"retained_d{spec.retention.start_day}_"
                                         f"{spec.retention.end_day}")
    if signups_per_day is None and users is not None:
        signups_per_day = signup_rate(users, spec.columns.signup)
    s = plan_experiment(inputs, spec, signups_per_day=signups_per_day)
    prop = spec.proposal
    i = s.inputs
    metrics: list[dict[str, Any]] = [{
        "name": i.outcome, "type": "proportion", "column": prop.retained_column,
        "received": prop.received_column, "role": "primary", "direction": "increase"}]
    for g in prop.guardrails:
        metrics.append({**g.model_dump(mode="json", exclude_defaults=True),
                        "role": "guardrail"})
    plan: dict[str, Any] = {"mde": round(s.effect, 6), "mde_kind": "absolute",
                            "first_stage_lift": s.first_stage_lift}
    if s.signups_per_day:
        plan["units_per_day"] = round(s.signups_per_day * s.traffic, 3)
    out: dict[str, Any] = {
        "name": s.name, "kind": "ab",
        "hypothesis": (f"Nudging new users towards {i.condition} raises {i.outcome}: the Aha "
                       f"search found the condition; this randomized test asks whether "
                       "reaching it causes retention"),
    }
    if spec.owner:
        out["owner"] = spec.owner
    out.update({
        "unit": spec.columns.user, "variant_column": "variant",
        "timestamp_column": spec.columns.signup,
        "variants": dict(prop.variants), "control": prop.control, "metrics": metrics,
        "analysis": {"alpha": prop.alpha, "power": prop.power, "sequential": "msprt"},
        "decision": {"min_sample_per_arm": s.units_per_arm,
                     "horizon_sample_per_arm": s.units_per_arm},
        "plan": plan,
    })
    if spec.targeting is not None and spec.targeting.rule is not None:
        out["targeting"] = spec.targeting.rule  # the experiment runs on the Aha cohort
    if s.simulated:
        assert spec.data is not None
        out["data"], out["pre_data"] = _simulated(spec, s)
    else:
        out["data"] = {"path": "encouragement_experiment.parquet"}
    intro = (f"Encouragement experiment proposed by causalkit for the Aha winner {i.condition} "
             f"(Aha spec {spec.name!r}). The gate decides on the ITT ({i.outcome}); the first "
             "stage and the CACE are reported, never shipped on.")
    header = [f"# {line}" for sentence in (intro, *s.sentences()[1:])
              for line in _wrap(sentence)]
    if not s.simulated:
        header.append("# data: replace the path with the experiment's per-user table (unit, "
                      f"variant, {prop.received_column}, {prop.retained_column}, guardrails)")
    elif i.action != "add_friend":
        header.append(f"# data: the simulator nudges add_friend, not {i.action}")
    text = "\n".join(header) + "\n" + yaml.safe_dump(out, sort_keys=False, width=96)
    return text, s


def _simulated(spec: AhaSpec, s: ProposalSummary) -> tuple[dict[str, Any], dict[str, Any]]:
    """``data`` and ``pre_data`` on the event-log simulator's world of the Aha spec."""
    assert spec.data is not None
    base = dict(spec.data.params)
    signup_days = int(base.get("signup_days", 30))
    retention_end = int(base.get("retention_end", 35))
    # 5 % more users than planned, so the random split leaves each arm its planned size
    base.update({"n_users": max(math.ceil(1.05 * s.units_total), 1_000), "observed_days":
                 signup_days + retention_end, "received_window": s.inputs.window,
                 "received_threshold": s.inputs.threshold})
    seed = spec.data.seed if spec.data.seed is not None else 0
    data = {"simulate": "event_log", "params": {**base, "encouragement": NUDGE},
            "seed": seed + 1}
    pre = {"simulate": "event_log", "params": base, "seed": seed}
    return data, pre


def _wrap(text: str, width: int = 94) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width)


def proposal_table(summary: ProposalSummary) -> Table:
    """The "Proposed experiment" table of the Aha report.

    Example:
        >>> from causalkit.spec.aha import AhaSpec
        >>> spec = AhaSpec(name="x", kind="aha", data={"simulate": "event_log"})
        >>> s = plan_experiment(PlanInputs("c", "a", 7, 3, 0.3, 0.35, 0.6, 0.25, 0.3), spec)
        >>> t = proposal_table(s)
        >>> t.name, t.rows[0]
        ('aha_proposal', ('condition to nudge towards', 'c'))
    """
    i = summary.inputs
    rows: tuple[tuple[str, str | int | float | None], ...] = (
        ("condition to nudge towards", i.condition),
        ("arms", f"control {summary.share_control:.0%}, nudge {summary.share_nudge:.0%}"),
        ("primary (decides)", f"ITT on {i.outcome}"),
        ("secondary (reported)", "first stage, CACE (with the Anderson-Rubin set)"),
        ("coverage without a nudge", round(i.coverage, 6)),
        ("retention (reached / not reached)",
         f"{i.retention_reached:.4f} / {i.retention_not_reached:.4f}"),
        ("assumed first-stage lift", summary.first_stage_lift),
        ("effect to plan for", f"{summary.effect:+.4f} ({i.effect_source})"),
        ("ITT to detect", round(summary.itt_effect, 6)),
        ("users per arm", summary.units_per_arm),
        ("users in total", summary.units_total),
        ("users in total for the CACE test", summary.units_total_cace),
        ("power", round(summary.power_at_units, 4)),
        ("signups per day", None if summary.signups_per_day is None
         else round(summary.signups_per_day, 3)),
        ("enrolment days", None if summary.enrolment_days is None
         else round(summary.enrolment_days, 2)),
        ("days until the last retention is observed", None if summary.duration_days is None
         else round(summary.duration_days, 2)),
    )
    return Table("aha_proposal", "Proposed experiment: the encouragement test that settles "
                 "whether the condition causes retention", ("what", "value"), rows,
                 priority=(0, 0))


PROPOSAL_KEY = "proposed_experiment"
"""``Report.meta.extra`` key of the proposed spec's YAML text (what ``--propose-experiment``
writes)."""


def add_proposal(report: Report, aha: AhaResult, spec: AhaSpec, *,
                 users: Source | None = None) -> Report:
    """The Aha report with the "Proposed experiment" table, its sentences and the spec text.

    The spec's YAML text goes to ``report.meta.extra["proposed_experiment"]`` (the CLI's
    ``--propose-experiment OUT.yaml`` writes it). Without a winner, or when there is
    nothing to plan for, the report gets an ``aha_proposal`` warning instead.

    Example:
        >>> add_proposal.__name__  # see tests/aha/test_propose.py
        'add_proposal'
    """
    from dataclasses import replace as replace_

    from causalkit.report.model import Check, Status

    try:
        text, summary = propose_experiment(aha, spec, users=users)
    except CausalkitError as exc:
        check = Check("aha_proposal", Status.WARN, f"no experiment proposed: {exc}")
        return replace_(report, checks=(*report.checks, check))
    extra = {**report.meta.extra, PROPOSAL_KEY: text}
    return replace_(report, tables=(*report.tables, proposal_table(summary)),
                    findings=(*report.findings, *summary.sentences()[:2]),
                    meta=replace_(report.meta, extra=extra))
