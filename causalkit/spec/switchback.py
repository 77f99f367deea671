"""The ``kind: switchback`` spec: regions randomized over time.

Example:
    >>> spec = SwitchbackSpec(name="x", kind="switchback",
    ...     regions=["KR", {"name": "US", "tz": "America/New_York"}],
    ...     schedule={"start": "2026-12-01T00:00Z", "end": "2026-12-02T00:00Z",
    ...               "period": "1h", "carryover": 1},
    ...     metrics=[{"name": "m", "type": "mean", "column": "m", "role": "primary"}],
    ...     data={"simulate": "matching_market"})
    >>> [r.name for r in spec.regions], spec.schedule.period
    (['KR', 'US'], datetime.timedelta(seconds=3600))
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from causalkit.spec.common import Analysis, DataSource, DecisionRules, Metric, StrictModel
from causalkit.spec.types import Duration, Timestamp


class Region(StrictModel):
    """A region with its IANA time zone (``UTC`` when not given)."""

    name: str = Field(min_length=1, description="region name as it appears in the data")
    tz: str = Field("UTC", description="IANA time zone, e.g. Asia/Seoul")

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Seoul)") from None
        return value


class Design(StrEnum):
    """Switch-back schedule designs."""

    OPTIMAL = "optimal"
    BERNOULLI = "bernoulli"
    BALANCED = "balanced"


class Pairing(StrEnum):
    """How regions are randomized relative to each other."""

    INDEPENDENT = "independent"
    COMPLEMENTARY = "complementary"


class Estimator(StrEnum):
    """Point estimators of the lag-m effect."""

    HORVITZ_THOMPSON = "horvitz_thompson"
    HAJEK = "hajek"


class Centering(StrEnum):
    """How outcomes are centred before the Horvitz-Thompson estimator."""

    AUTO = "auto"
    NONE = "none"
    PRE_PERIOD = "pre_period"


class PeriodOutcome(StrEnum):
    """How ``mean`` and ``proportion`` metrics become one outcome per region-period."""

    MEAN = "mean"
    TOTAL = "total"


class TimeUnit(StrEnum):
    """Unit of an integer epoch time column."""

    S = "s"
    MS = "ms"
    US = "us"
    NS = "ns"


class ScheduleSpec(StrictModel):
    """The time grid and randomization design of a switch-back."""

    start: Timestamp = Field(description="first period starts (UTC)")
    end: Timestamp = Field(description="last period ends (UTC)")
    period: Duration = Field(description="length of one period")
    carryover: int | Duration = Field(
        1, description="carryover order m, in periods (an integer) or as a duration"
    )
    burn_in: Duration | None = Field(None, description="time dropped after each switch")
    design: Design = Field(Design.OPTIMAL, description="randomization design")
    treatment_probability: float = Field(
        0.5, gt=0, lt=1, description="chance of treatment at each randomization point"
    )
    pairing: Pairing = Field(
        Pairing.INDEPENDENT, description="independent regions or complementary pairs"
    )
    seed: int = Field(0, description="seed of the schedule")

    @field_validator("carryover", mode="before")
    @classmethod
    def _carry(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("carryover is a whole number of periods or a duration")
        return value

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if isinstance(self.carryover, int) and self.carryover < 0:
            raise ValueError("carryover must be >= 0")
        if self.burn_in is not None and self.burn_in >= self.period:
            raise ValueError("burn_in must be shorter than the period")
        if self.period.total_seconds() != int(self.period.total_seconds()):
            raise ValueError("period must be a whole number of seconds")
        if (self.end - self.start) < self.period:
            raise ValueError("the schedule must hold at least one period (end - start >= period)")
        paired = self.pairing is Pairing.COMPLEMENTARY
        if (paired or self.design is Design.BALANCED) and self.treatment_probability != 0.5:
            what = "complementary pairing" if paired else "the balanced design"
            raise ValueError(f"{what} needs treatment_probability 0.5")
        return self

    @property
    def carryover_periods(self) -> int:
        """Carryover order m in whole periods (a duration is rounded up)."""
        if isinstance(self.carryover, timedelta):
            ratio = self.carryover / self.period
            whole = int(ratio)
            return whole if ratio == whole else whole + 1
        return int(self.carryover)


class SwitchbackSpec(StrictModel):
    """A switch-back test: whole regions switch between arms over time."""

    name: str = Field(min_length=1, description="experiment name, shown in reports")
    kind: Literal["switchback"] = Field(description="the shape of the experiment")
    hypothesis: str | None = Field(None, description="what the change should do, in words")
    owner: str | None = Field(None, description="who to ask about the experiment")
    unit: str = Field("region", description="column holding the region")
    time_column: str = Field("timestamp", description="column holding event or period time")
    regions: list[Region] = Field(min_length=1)
    schedule: ScheduleSpec
    metrics: list[Metric] = Field(min_length=1)
    analysis: Analysis = Field(default_factory=Analysis)
    decision: DecisionRules = Field(default_factory=DecisionRules)
    data: DataSource | None = Field(
        None, description="where the data are; may be omitted when data are passed "
        "(causalkit.analyze(spec, data=...) or --data)")
    pre_data: DataSource | None = Field(None, description="pre-period series for power")
    candidate_periods: list[Duration] = Field(
        default_factory=list, description="period lengths compared by `causalkit power`"
    )
    estimator: Estimator = Field(
        Estimator.HORVITZ_THOMPSON,
        description="horvitz_thompson (unbiased; centre it) or hajek (self-normalized)",
    )
    center: Centering = Field(
        Centering.AUTO,
        description="centre outcomes by a per-region pre-period constant "
        "(auto: when pre_data is given)",
    )
    period_outcome: PeriodOutcome = Field(
        PeriodOutcome.MEAN,
        description="mean and proportion metrics per region-period: the average over "
        "rows (mean) or the sum (total); ratio metrics are sum(numerator)/sum(denominator)",
    )
    time_unit: TimeUnit = Field(
        TimeUnit.S, description="unit of the time column when it holds integer epochs"
    )
    arm_column: str | None = Field(
        "arm", description="column with the logged arm; checked against the schedule if present"
    )
    max_lag: int = Field(
        3, ge=0, le=24, description="largest lag (in periods) in the carryover diagnostic"
    )
    power_effect: float | None = Field(
        None, description="effect injected by `causalkit power`, in the primary metric's units "
        "(default: its practical_threshold, else 5% of its pre-period mean)",
    )
    power_replays: int = Field(
        1000, ge=50, description="schedules replayed per candidate period by `causalkit power`"
    )

    @field_validator("regions", mode="before")
    @classmethod
    def _regions(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _unique(self) -> Self:
        names = [r.name for r in self.regions]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"region names must be unique; repeated: {', '.join(dupes)}")
        return self
