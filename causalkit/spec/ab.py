"""The ``kind: ab`` spec: a user-randomized A/B test.

Example:
    >>> spec = ABSpec(name="x", kind="ab", unit="user_id",
    ...               metrics=[{"name": "m", "type": "mean", "column": "m", "role": "primary"}],
    ...               data={"simulate": "ab"})
    >>> spec.control, sorted(spec.variants)
    ('control', ['control', 'treatment'])
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal, Self

from pydantic import Field, model_validator

from causalkit.spec.common import (
    Analysis,
    DataSource,
    DecisionRules,
    MarginKind,
    Metric,
    MetricFields,
    Role,
    StrictModel,
)
from causalkit.spec.limits import MAX_ARMS, MAX_COUNT, MAX_METRICS
from causalkit.spec.segments import Segments
from causalkit.spec.targeting import Targeting
from causalkit.spec.types import Bool, FieldError, Float, Int, Text, Timestamp


class Assignment(StrictModel):
    """How units are hashed to variants (see the assignment docs for the exact algorithm)."""

    salt: Text | None = Field(None, description="hash salt; defaults to the experiment name")
    buckets: Int = Field(10_000, ge=2, le=2**32, description="number of hash buckets")
    holdout: Float = Field(0.0, ge=0, lt=1, description="share of units kept out of the test")


class PowerPlan(StrictModel):
    """What ``causalkit power`` plans for: the effect to detect and the traffic."""

    mde: Float | None = Field(
        None, gt=0,
        description="effect to detect (relative to the control level unless mde_kind: absolute); "
                    "default: report the MDE at the planned sample only",
    )
    mde_kind: MarginKind = Field(MarginKind.RELATIVE, description="absolute or relative")
    units_per_day: Float | None = Field(
        None, gt=0, le=MAX_COUNT,
        description="units entering the test per day, all arms (default: estimated from the "
                    "pre-period timestamps)",
    )
    sample_per_arm: Int | None = Field(
        None, ge=2, le=MAX_COUNT, description="planned units per arm for the MDE (default: "
                                "decision.horizon_sample_per_arm, else the pre-period size)",
    )
    first_stage_lift: Float | None = Field(
        None, gt=0, le=1,
        description="metrics with `received:`: the assumed share of units the arm makes take "
                    "the treatment (the first-stage lift; default 0.10)",
    )


class ABMetric(Metric):
    """One A/B metric; ``received`` makes it a complier-effect (encouragement) metric.

    With ``received: <column>`` (the treatment each unit actually received: 0/1, or
    a dose) the arms are encouragements: the report adds, per treatment arm, the first
    stage (the arm's effect on ``received``, with its F statistic) and the complier
    average causal effect (2SLS with the CUPED covariate as an exogenous regressor,
    a robust interval and an Anderson-Rubin set); see ``docs/encouragement.md``. The
    metric's own estimate is the intent-to-treat effect and keeps the metric's role;
    the first stage and the complier effect are secondary (never deciding).

    Example:
        >>> m = ABMetric(name="retained", type="proportion", column="retained_d28",
        ...              received="reached_condition")
        >>> m.received, m.columns
        ('reached_condition', ('retained_d28',))
        >>> ABMetric(name="r", type="mean", column="y", received="y")
        Traceback (most recent call last):
        ...
        pydantic_core._pydantic_core.ValidationError: 1 validation error for ABMetric
          Value error, received names the outcome column 'y' itself: give the column of the treatment each unit received (0/1 or a dose) [...]
        ...
    """

    received: Text | None = Field(
        None, min_length=1,
        description="column of the treatment each unit received (0/1 or a dose): the arms "
                    "are encouragements and the report adds the first stage and the complier "
                    "average causal effect (CACE)")

    @model_validator(mode="before")
    @classmethod
    def _from_metric(cls, data: Any) -> Any:
        """Accept a plain :class:`Metric` (built in code) as an A/B metric."""
        if isinstance(data, Metric) and not isinstance(data, ABMetric):
            return data.model_dump(exclude_unset=True)
        return data

    @model_validator(mode="after")
    def _check_received(self) -> Self:
        d = self.received
        if d is None:
            return self
        if self.fields is not MetricFields.COLUMN:
            raise ValueError(
                f"received works with mean and proportion metrics, not {self.type}: the "
                "complier effect of a ratio is not defined here; use a per-unit column")
        if d == self.column:
            raise ValueError(
                f"received names the outcome column {d!r} itself: give the column of the "
                "treatment each unit received (0/1 or a dose)")
        if d == self.covariate:
            raise ValueError(
                f"received names the CUPED covariate {d!r}: the covariate is measured "
                "before the experiment, the received treatment during it; use two columns")
        return self


class ABSpec(StrictModel):
    """A user-randomized A/B test with one control and one or more treatment arms."""

    name: Text = Field(min_length=1, description="experiment name, shown in reports")
    kind: Literal["ab"] = Field(description="the shape of the experiment")
    hypothesis: Text | None = Field(None, description="what the change should do, in words")
    owner: Text | None = Field(None, description="who to ask about the experiment")
    unit: Text = Field(min_length=1, description="column holding the randomization unit id")
    variant_column: Text = Field("variant", description="column holding the arm of each unit")
    timestamp_column: Text | None = Field(
        None, description="column with the unit's first exposure time (for sequential plots)"
    )
    variants: dict[Text, Float] = Field(
        default_factory=lambda: {"control": 0.5, "treatment": 0.5},
        description="arm name -> planned traffic weight (positive, finite)",
        max_length=MAX_ARMS,
    )
    control: Text = Field("control", description="name of the control arm")
    assignment: Assignment = Field(default_factory=Assignment)
    targeting: Targeting | None = Field(
        None, description="who is eligible (a rule over unit attributes) and the staged "
        "rollout shares per segment; ineligible units get no arm")
    segments: Segments | None = Field(
        None, description="unit attributes to break every effect down by (a list of "
        "columns, or by/correction/min_size/post_stratify; docs/segments.md)")
    metrics: list[ABMetric] = Field(min_length=1, max_length=MAX_METRICS)
    analysis: Analysis = Field(default_factory=Analysis)
    decision: DecisionRules = Field(default_factory=DecisionRules)
    start: Timestamp | None = Field(None, description="when exposure started")
    end: Timestamp | None = Field(None, description="planned end")
    data: DataSource | None = Field(
        None, description="where the data are; may be omitted when data are passed "
        "(causalkit.analyze(spec, data=...) or --data)")
    pre_data: DataSource | None = Field(None, description="pre-period data for power and CUPED")
    plan: PowerPlan = Field(default_factory=PowerPlan, description="inputs of `causalkit power`")
    check_duplicates: Bool = Field(
        True, description="check that every unit appears once (skip only when guaranteed)"
    )

    @model_validator(mode="after")
    def _check(self) -> Self:
        if len(self.variants) < 2:
            raise ValueError("variants needs a control and at least one treatment arm")
        if self.control not in self.variants:
            raise ValueError(
                f"control {self.control!r} is not one of the variants "
                f"({', '.join(map(repr, self.variants))})"
            )
        bad = [name for name, w in self.variants.items() if not w > 0]
        if bad:
            raise ValueError(
                f"every variant weight must be positive ({', '.join(map(repr, bad))} is not)")
        if "holdout" in self.variants and self.assignment.holdout > 0:
            raise ValueError("'holdout' labels held-out units; rename that variant")
        names = [m.name for m in self.metrics]
        dupes = sorted(n for n, k in Counter(names).items() if k > 1)
        if dupes:
            raise ValueError(
                f"metric names must be unique; repeated: {', '.join(map(repr, dupes))}")
        if not any(m.role is Role.PRIMARY for m in self.metrics):
            raise ValueError("at least one metric needs role: primary")
        if self.segments is not None:
            clash = [c for c in self.segments.by if c in (self.variant_column, self.unit)]
            if clash:
                raise FieldError(
                    f"segment column {clash[0]!r} is the "
                    f"{'arm' if clash[0] == self.variant_column else 'unit id'} column: "
                    "segments are unit attributes such as country or platform", "segments")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise FieldError("end must be after start", "end")
        return self
