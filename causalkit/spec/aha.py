"""The ``kind: aha`` spec: search "do Y at least Z times within X days" conditions.

A condition is measured in days ``[0, X)`` after signup; retention in days
``[start_day, end_day)``. The condition window must end before the retention
window starts, or users are credited with the condition *because* they stayed
(immortal-time bias); the spec refuses such windows.

Example:
    >>> spec = AhaSpec(name="x", kind="aha", data={"simulate": "event_log"},
    ...     windows=[3, 7], thresholds=[1, 2, 5])
    >>> spec.retention.start_day, spec.retention.end_day
    (28, 35)
    >>> AhaSpec(name="x", kind="aha", data={"simulate": "event_log"}, windows=[30])
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for AhaSpec
    windows
      Value error, a condition window of 30 days overlaps the retention window ...
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator

from causalkit.spec.common import Analysis, DataSource, Metric, StrictModel
from causalkit.spec.limits import (
    MAX_CONDITIONS,
    MAX_DAYS,
    MAX_LIST,
    MAX_SIMULATIONS,
    MAX_THRESHOLD,
    grid_size_problem,
)
from causalkit.spec.observational import EstimatorName, RefuterName, refuse_rollout
from causalkit.spec.targeting import Targeting
from causalkit.spec.types import (
    Bool,
    FieldError,
    Float,
    Int,
    Text,
    Timestamp,
    unique_choices,
)


class Retention(StrictModel):
    """Retained = active (or did ``event``) in days [start_day, end_day) after signup."""

    start_day: Int = Field(28, ge=1, le=MAX_DAYS, description="first day of the retention window")
    end_day: Int = Field(35, ge=2, le=MAX_DAYS,
                         description="day after the last day of the retention window")
    event: Text | None = Field(None, description="a named event; any event when not given")

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.end_day <= self.start_day:
            raise ValueError(
                f"end_day ({self.end_day}) must be after start_day ({self.start_day}): "
                "retention is measured in days [start_day, end_day)"
            )
        return self


class Actions(StrictModel):
    """Which actions Y to search: all, a list, or the top N by frequency."""

    include: list[Text] | None = Field(None, max_length=MAX_LIST,
                                       description="search only these actions")
    top: Int | None = Field(
        None, ge=1, le=MAX_CONDITIONS,
        description="search the N most frequent actions (in the condition windows)"
    )
    exclude: list[Text] = Field(
        default_factory=list, max_length=MAX_LIST,
        description="never search these (e.g. app_open, the signup event)"
    )


class AhaColumns(StrictModel):
    """Column names of the event log and the users table."""

    user: Text = Field("user_id", description="user id, in both tables")
    event: Text = Field("event", description="event (action) name in the event log")
    timestamp: Text = Field("timestamp", description="event time (timestamp or epoch seconds)")
    signup: Text = Field("signup_at", description="signup time in the users table")


class FdrMethod(StrEnum):
    """False-discovery-rate procedure over the condition grid."""

    BH = "bh"
    BY = "by"


class Condition(StrictModel):
    """One condition: did ``action`` at least ``threshold`` times within ``window`` days."""

    action: Text = Field(min_length=1, description="the action Y")
    window: Int = Field(ge=1, le=MAX_DAYS, description="days after signup, X")
    threshold: Int = Field(ge=1, le=MAX_THRESHOLD, description="minimum count, Z")


class CausalCheck(StrictModel):
    """How the chosen conditions are carried into a causal (observational) analysis."""

    enabled: Bool = Field(True, description="run the causal check")
    top: Int = Field(
        2, ge=0, le=100,
        description="check the best surviving condition of each of the top N actions"
    )
    conditions: list[Condition] = Field(
        default_factory=list, max_length=100, description="conditions to check in any case"
    )
    proxy_days: Int = Field(
        1, ge=1, le=MAX_DAYS,
        description="early activity (other actions) counted in days [0, proxy_days)"
    )
    estimators: list[EstimatorName] = Field(
        description="estimators of the causal check",
        default_factory=lambda: [EstimatorName.AIPW, EstimatorName.IPW,
                                 EstimatorName.REGRESSION]
    )
    refuters: list[RefuterName] = Field(
        description="refuters of the causal check",
        default_factory=lambda: [RefuterName.PLACEBO, RefuterName.RANDOM_COMMON_CAUSE,
                                 RefuterName.SUBSET, RefuterName.SENSITIVITY,
                                 RefuterName.E_VALUE]
    )
    simulations: Int = Field(20, ge=1, le=MAX_SIMULATIONS, description="simulations per refuter")
    fragile_e_value: Float = Field(
        2.0, gt=1,
        description="an effect whose interval E-value is below this is flagged as fragile",
    )

    @field_validator("estimators", "refuters")
    @classmethod
    def _once(cls, value: list[Any]) -> list[Any]:
        return unique_choices(value)


DEFAULT_FIRST_STAGE_LIFT = 0.10
"""The first-stage lift a proposal assumes when ``proposal.first_stage_lift`` is not set: the
nudge makes 10 % of new users reach the condition who would not have (the same default as
``causalkit power`` for a ``received:`` metric)."""


class Proposal(StrictModel):
    """The template of the encouragement experiment proposed for the Aha winner.

    ``causalkit run AHA_SPEC --propose-experiment OUT.yaml`` writes an ``ab`` spec:
    the arms below, the ITT on retention as the primary metric with ``received:`` the
    winner's condition (so the report adds the first stage and the CACE), these
    guardrails, and the sample size and duration for the assumed first-stage lift.
    """

    first_stage_lift: Float = Field(
        DEFAULT_FIRST_STAGE_LIFT, gt=0, le=1,
        description="assumed share of new users the nudge makes reach the condition "
                    "(compliers); default 0.10")
    effect: Float | None = Field(
        None, gt=-1, lt=1,
        description="effect of reaching the condition on retention (for the compliers, "
                    "absolute) to plan for; default: the causal check's estimate, else the "
                    "raw difference in retention")
    variants: dict[Text, Float] = Field(
        default_factory=lambda: {"control": 0.5, "nudge": 0.5}, max_length=MAX_LIST,
        description="arm name -> traffic weight (one control, nudged arms)")
    control: Text = Field("control", description="the arm without the nudge")
    traffic: Float = Field(1.0, gt=0, le=1,
                           description="share of new signups enrolled in the experiment")
    alpha: Float = Field(0.05, gt=0, lt=0.5, description="two-sided level of the ITT test")
    power: Float = Field(0.8, gt=0, lt=1, description="power to plan for")
    guardrails: list[Metric] = Field(
        default_factory=list, max_length=MAX_LIST,
        description="A/B metrics copied into the proposed spec as guardrails (each as in an "
                    "ab spec: name, type, column, direction, margin...)")
    name: Text | None = Field(None, description="name of the proposed experiment "
                                                "(default: the Aha spec's name + -nudge)")
    received_column: Text = Field("reached", description="column of the experiment's table: "
                                  "1 when the user reached the condition")
    retained_column: Text = Field("retained", description="column of the experiment's "
                                  "table: 1 when the user was retained")

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.control not in self.variants or len(self.variants) < 2:
            raise ValueError("proposal.variants needs the control arm and at least one "
                             "nudged arm")
        if any(not w > 0 for w in self.variants.values()):
            raise ValueError("proposal.variants weights must be positive")
        for g in self.guardrails:
            if g.direction is None:
                raise ValueError(f"proposal.guardrails: {g.name!r} needs a direction "
                                 "(increase or decrease): a guardrail guards one way")
        return self


class AhaSpec(StrictModel):
    """Aha-moment discovery with its causal check."""

    name: Text = Field(min_length=1, description="experiment name, shown in reports")
    kind: Literal["aha"] = Field(description="the shape of the experiment")
    hypothesis: Text | None = Field(None, description="what the change should do, in words")
    owner: Text | None = Field(None, description="who to ask about the experiment")
    data: DataSource | None = Field(
        None, description="a simulator giving both tables, or the event log"
    )
    events: DataSource | None = Field(None, description="event log: user, event, timestamp")
    users: DataSource | None = Field(None, description="users: user, signup time, covariates")
    columns: AhaColumns = Field(default_factory=AhaColumns)
    targeting: Targeting | None = Field(
        None, description="the cohort: a rule over users-table columns (docs/segments.md); "
        "only the users it selects, and their events, are searched (a rule only: no rollout)")
    covariates: list[Text] = Field(
        default_factory=list, max_length=MAX_LIST,
        description="numeric signup covariates in the users table"
    )
    retention: Retention = Field(default_factory=Retention)
    windows: list[Annotated[Int, Field(le=MAX_DAYS)]] = Field(
        default_factory=lambda: [1, 3, 7, 14], min_length=1, max_length=MAX_DAYS,
        description="condition windows X, in days after signup",
    )
    thresholds: list[Annotated[Int, Field(le=MAX_THRESHOLD)]] = Field(
        default_factory=lambda: [1, 2, 3, 5, 10], min_length=1, max_length=MAX_LIST,
        description="thresholds Z (at least Z times)",
    )
    actions: Actions = Field(default_factory=Actions)
    combine_top: Int = Field(5, ge=0, le=100, description="top conditions combined with AND and OR")
    holdout: Float = Field(0.3, ge=0, lt=1, description="share of users kept for re-checking")
    observed_until: Timestamp | None = Field(
        None, description="end of the data (ISO 8601 with zone); default: the last event"
    )
    fdr: FdrMethod = Field(FdrMethod.BH, description="bh, or by (any dependence)")
    chunk_users: Int = Field(
        1_000_000, ge=1_000, le=100_000_000,
        description="users per scan of the event log (bounds memory, about 1 KB per user)"
    )
    report_rows: Int = Field(30, ge=1, le=MAX_CONDITIONS,
                             description="conditions listed in the report's table")
    heatmaps: Int = Field(6, ge=0, le=100, description="X-by-Z heatmaps for this many best actions")
    graph: Text | None = Field(
        None, description="DOT diagram replacing the default one (nodes: covariates, "
        "early_activity, reached, retained)"
    )
    check: CausalCheck = Field(default_factory=CausalCheck)
    experiment: Text | None = Field(
        None, description="path to an A/B report (JSON) whose estimate nudged the action"
    )
    experiment_metric: Text | None = Field(
        None, description="metric of the A/B report to use (default: its primary estimate)"
    )
    analysis: Analysis = Field(default_factory=Analysis)
    proposal: Proposal = Field(default_factory=Proposal,
                               description="template of the proposed encouragement experiment")

    @field_validator("windows", "thresholds")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if any(v < 1 for v in value):
            raise ValueError("windows and thresholds must be positive whole numbers")
        return sorted(set(value))

    @field_validator("windows")
    @classmethod
    def _before_retention(cls, value: list[int], info: ValidationInfo) -> list[int]:
        retention = info.data.get("retention")
        if isinstance(retention, Retention) and max(value) > retention.start_day:
            raise ValueError(
                f"a condition window of {max(value)} days overlaps the retention window "
                f"(days {retention.start_day} to {retention.end_day}): a condition that can "
                "still be reached while retention is measured credits users with it because "
                "they stayed (immortal-time bias), so it predicts retention by construction; "
                f"use windows of at most {retention.start_day} days or start retention later"
            )
        return value

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.data is not None and self.events is not None:
            raise ValueError("give data (a simulator) or events, not both")
        if self.data is not None and self.data.simulate is None and self.users is None:
            raise ValueError("data is the event log here; give users with signup times too")
        if self.events is not None and self.users is None:
            raise ValueError("events needs a users table with signup times")
        refuse_rollout(self.targeting, "Aha users")
        for cond in self.check.conditions:
            if cond.window > self.retention.start_day:
                raise ValueError(
                    f"check.conditions: {cond.action!r} within {cond.window} days overlaps the "
                    f"retention window (from day {self.retention.start_day}): immortal-time "
                    "bias; use a window that ends before retention starts"
                )
        if self.check.proxy_days > self.retention.start_day:
            raise ValueError("check.proxy_days must end before the retention window starts")
        self._check_grid()
        return self

    def _check_grid(self) -> None:
        """The condition grid fits MAX_CONDITIONS when its actions are known from the spec
        (listed or counted); otherwise the scan checks it once the data are read."""
        known = [n for n in (
            len(set(self.actions.include)) if self.actions.include is not None else None,
            self.actions.top) if n is not None]
        n_actions = min(known) if known else None
        problem = grid_size_problem(n_actions, len(self.windows), len(self.thresholds))
        if problem is not None:
            where = ("actions",) if known else ("thresholds",)
            raise FieldError(problem + "; search fewer actions, windows or thresholds", *where)
