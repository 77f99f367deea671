"""Parts of the spec format that every kind writes the same way.

Metrics, the data source, analysis settings and decision settings are shared by
the ``ab``, ``switchback``, ``observational`` and ``aha`` kinds.

Example:
    >>> m = Metric(name="chat_minutes", type="mean", column="chat_minutes")
    >>> (m.type, m.role)
    (<MetricType.MEAN: 'mean'>, <Role.SECONDARY: 'secondary'>)
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from causalkit.spec.limits import (
    MAX_COUNT,
    MAX_DRAWS,
    MAX_LIST,
    MAX_LOOKS,
)
from causalkit.spec.types import (
    Bool,
    Duration,
    FieldError,
    Float,
    Int,
    Seed,
    Text,
    unique_choices,
)


class StrictModel(BaseModel):
    """Base of every spec model: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class MetricType(StrEnum):
    """How a metric is aggregated per unit."""

    MEAN = "mean"
    PROPORTION = "proportion"
    RATIO = "ratio"


class MetricFields(StrEnum):
    """Which spec fields name a metric type's columns."""

    COLUMN = "column"
    """``column`` (and ``covariate`` for CUPED)."""
    RATIO = "ratio"
    """``numerator`` and ``denominator`` (and ``covariate_numerator`` /
    ``covariate_denominator`` for CUPED)."""


METRIC_TYPES: dict[str, MetricFields] = {
    MetricType.MEAN.value: MetricFields.COLUMN,
    MetricType.PROPORTION.value: MetricFields.COLUMN,
    MetricType.RATIO.value: MetricFields.RATIO,
}
"""Metric type name -> the fields its columns are named by. Built-in types are here;
:func:`causalkit.metrics.register` adds more."""


def register_metric_type(name: str, fields: MetricFields) -> None:
    """Let specs use ``type: name`` (the metric kind itself lives in :mod:`causalkit.metrics`).

    Example:
        >>> register_metric_type("mean", MetricFields.COLUMN)
    """
    METRIC_TYPES[name] = MetricFields(fields)


class Role(StrEnum):
    """What a metric is for in the decision."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    GUARDRAIL = "guardrail"


class Direction(StrEnum):
    """Which way is better for a metric."""

    INCREASE = "increase"
    DECREASE = "decrease"


class MarginKind(StrEnum):
    """Whether a non-inferiority margin is in the metric's units or relative to control."""

    ABSOLUTE = "absolute"
    RELATIVE = "relative"


class Metric(StrictModel):
    """One metric: what to aggregate, its role and its desired direction.

    ``mean`` and ``proportion`` read ``column``; ``ratio`` reads ``numerator`` and
    ``denominator`` (per-unit sums, analysed by the delta method). ``covariate``
    (or ``covariate_numerator``/``covariate_denominator`` for a ratio) names a
    pre-period column for CUPED. A ``guardrail`` needs a ``direction``; its
    ``margin`` is the largest harm that still counts as non-inferior.
    """

    name: Text = Field(min_length=1, description="name shown in reports")
    type: Text = Field(description="how the metric is aggregated per unit: mean, proportion, "
                                  "ratio, or a type registered with causalkit.metrics.register",
                      json_schema_extra=lambda schema: schema.update(enum=list(METRIC_TYPES)))
    column: Text | None = Field(None, description="column for mean and proportion metrics")
    numerator: Text | None = Field(None, description="numerator column of a ratio metric")
    denominator: Text | None = Field(None, description="denominator column of a ratio metric")
    covariate: Text | None = Field(None, description="pre-period column for CUPED")
    covariate_numerator: Text | None = Field(
        None, description="pre-period numerator for ratio CUPED")
    covariate_denominator: Text | None = Field(
        None, description="pre-period denominator for ratio CUPED"
    )
    role: Role = Field(Role.SECONDARY, description="what the metric is for in the decision")
    direction: Direction | None = Field(
        None, description="which way is better; needed by guardrails and margins"
    )
    margin: Float | None = Field(None, ge=0, description="non-inferiority margin (>= 0)")
    margin_kind: MarginKind = Field(
        MarginKind.ABSOLUTE, description="margin in metric units or relative to control"
    )
    practical_threshold: Float | None = Field(
        None, description="smallest improvement worth shipping, in the metric's units"
    )

    @field_validator("type", mode="after")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in METRIC_TYPES:
            raise ValueError(f"{value!r} is not one of {', '.join(METRIC_TYPES)}")
        builtin = {t.value: t for t in MetricType}
        return builtin.get(value, value)

    @property
    def fields(self) -> MetricFields:
        """Which spec fields name the metric's columns."""
        return METRIC_TYPES[self.type]

    @model_validator(mode="after")
    def _check_columns(self) -> Self:
        if self.fields is MetricFields.RATIO:
            if self.numerator is None or self.denominator is None:
                missing = "numerator" if self.numerator is None else "denominator"
                raise ValueError(f"a ratio metric needs a {missing} column")
            if self.column is not None:
                raise ValueError("a ratio metric takes numerator and denominator, not column")
            if self.covariate is not None:
                raise ValueError(
                    "a ratio metric takes covariate_numerator and covariate_denominator for CUPED"
                )
            if (self.covariate_numerator is None) != (self.covariate_denominator is None):
                raise ValueError("give both covariate_numerator and covariate_denominator")
        else:
            if self.column is None:
                raise ValueError(f"a {self.type} metric needs a column")
            if self.numerator is not None or self.denominator is not None:
                raise ValueError(
                    f"a {self.type} metric takes column, not numerator/denominator"
                )
            if self.covariate_numerator is not None or self.covariate_denominator is not None:
                raise ValueError(
                    f"a {self.type} metric takes covariate, not covariate_numerator"
                )
        if self.role is Role.GUARDRAIL and self.direction is None:
            raise ValueError(
                "a guardrail needs a direction (increase or decrease): which way is better?"
            )
        if self.margin is not None and self.direction is None:
            raise ValueError("a margin needs a direction (increase or decrease)")
        return self

    @property
    def columns(self) -> tuple[str, ...]:
        """Every data column the metric reads, in a fixed order."""
        cols = (
            self.column,
            self.numerator,
            self.denominator,
            self.covariate,
            self.covariate_numerator,
            self.covariate_denominator,
        )
        return tuple(c for c in cols if c is not None)


class Engine(StrEnum):
    """Where data scans run."""

    DUCKDB = "duckdb"
    SPARK = "spark"


class FileFormat(StrEnum):
    """File formats the engines read."""

    CSV = "csv"
    PARQUET = "parquet"


class Simulator(StrEnum):
    """Built-in data generators with a known truth."""

    AB = "ab"
    MATCHING_MARKET = "matching_market"
    SCM = "scm"
    EVENT_LOG = "event_log"


class DataSource(StrictModel):
    """Where the data comes from: exactly one of ``path``, ``sql``, ``table`` or ``simulate``.

    Relative paths resolve against the folder of the spec file.
    """

    path: Text | None = Field(None, description="a CSV or Parquet file (or a glob of them)")
    format: FileFormat | None = Field(None, description="file format; inferred from the suffix")
    sql: Text | None = Field(None, description="a query run by the engine")
    table: Text | None = Field(None, description="a table name known to the engine")
    engine: Engine = Field(Engine.DUCKDB, description="where scans run")
    simulate: Simulator | None = Field(None, description="a built-in generator")
    params: dict[Text, Any] = Field(default_factory=dict, max_length=MAX_LIST,
                                    description="generator parameters")
    seed: Seed | None = Field(None, description="generator seed")

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [k for k in ("path", "sql", "table", "simulate") if getattr(self, k) is not None]
        if len(given) != 1:
            what = ", ".join(given) if given else "none"
            raise ValueError(
                f"give exactly one of path, sql, table or simulate (got {what})"
            )
        if self.params and self.simulate is None:
            raise ValueError("params only go with simulate")
        return self


class Correction(StrEnum):
    """Multiple-testing corrections across primary metrics and arms."""

    NONE = "none"
    BONFERRONI = "bonferroni"
    HOLM = "holm"
    BH = "bh"


class Sequential(StrEnum):
    """How repeated looks are made safe."""

    NONE = "none"
    MSPRT = "msprt"
    GST = "gst"


class Analysis(StrictModel):
    """Analysis settings shared by every kind."""

    alpha: Float = Field(0.05, gt=0, lt=0.5, description="two-sided significance level")
    correction: Correction = Field(
        Correction.HOLM, description="multiple-testing correction across primary metrics and arms"
    )
    sequential: Sequential = Field(
        Sequential.NONE, description="always-valid (msprt) or group-sequential (gst) inference"
    )
    power: Float = Field(0.8, gt=0, lt=1, description="target power for planning")
    msprt_tau: Float | None = Field(
        None, gt=0, description="mixture scale of the mSPRT, in units of the metric's sd"
    )
    looks: Int | None = Field(None, ge=1, le=MAX_LOOKS,
                              description="planned looks of a group-sequential plan")
    seed: Seed | None = Field(None, description="seed for resampling and randomization tests")
    draws: Int = Field(10_000, ge=100, le=MAX_DRAWS,
                       description="draws of randomization tests and bootstraps")


class DecisionState(StrEnum):
    """What the gate decides."""

    SHIP = "ship"
    HOLD = "hold"
    INCONCLUSIVE = "inconclusive"
    ROLLBACK = "rollback"
    INVALID = "invalid"
    ERROR = "error"


class DecisionRules(StrictModel):
    """When a gated experiment may ship, must hold, or is finished."""

    min_sample_per_arm: Int = Field(0, ge=0, le=MAX_COUNT,
                                    description="hold below this many units per arm")
    min_runtime: Duration | None = Field(None, description="hold until the test ran this long")
    horizon: Duration | None = Field(None, description="planned runtime")
    horizon_sample_per_arm: Int | None = Field(
        None, ge=1, le=MAX_COUNT, description="planned units per arm"
    )
    fail_on: list[DecisionState] = Field(
        default_factory=lambda: [DecisionState.ROLLBACK, DecisionState.INVALID,
                                 DecisionState.ERROR],
        description="decisions that should fail a CI job that only knows zero and non-zero",
        max_length=MAX_LIST,
    )
    segment_guardrails: Bool = Field(
        False, description="hold (do not ship) while a guardrail is shown harmed in some "
        "segment after the family correction (needs segments)")

    @field_validator("fail_on")
    @classmethod
    def _once(cls, value: list[DecisionState]) -> list[DecisionState]:
        return unique_choices(value)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if (self.min_runtime is not None and self.horizon is not None
                and self.min_runtime > self.horizon):
            raise FieldError("min_runtime must not be longer than the horizon", "min_runtime")
        if (self.horizon_sample_per_arm is not None
                and self.min_sample_per_arm > self.horizon_sample_per_arm):
            raise FieldError(
                f"min_sample_per_arm ({self.min_sample_per_arm}) must not exceed "
                f"horizon_sample_per_arm ({self.horizon_sample_per_arm})", "min_sample_per_arm"
            )
        return self
