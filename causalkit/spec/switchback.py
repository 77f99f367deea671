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

from collections import Counter
from datetime import timedelta
from enum import StrEnum
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from causalkit.spec.common import Analysis, DataSource, DecisionRules, Metric, StrictModel
from causalkit.spec.limits import (
    MAX_CANDIDATE_PERIODS,
    MAX_CELLS,
    MAX_METRICS,
    MAX_PERIODS,
    MAX_REGIONS,
    MAX_REPLAYS,
)
from causalkit.spec.targeting import Compare, Targeting, columns, comparisons
from causalkit.spec.types import Bool, Duration, FieldError, Float, Int, Seed, Text, Timestamp

AttributeValue = Text | Bool | Int | Float
"""A region attribute's value: text, true/false or a number."""
MAX_ATTRIBUTES = 100
"""Most attributes one region may carry."""


class Region(StrictModel):
    """A region with its IANA time zone (``UTC`` when not given)."""

    name: Text = Field(min_length=1, description="region name as it appears in the data")
    tz: Text = Field("UTC", description="IANA time zone, e.g. Asia/Seoul")
    attributes: dict[Text, AttributeValue] = Field(
        default_factory=dict, max_length=MAX_ATTRIBUTES,
        description="region attributes a targeting rule may read (e.g. continent: asia)")

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory, a long name
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
    """Point estimators of the lag-m effect (``auto``: Hajek, see the switch-back manual)."""

    AUTO = "auto"
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
    carryover: Int | Duration = Field(
        1, description="carryover order m, in periods (an integer) or as a duration; "
        "fewer periods than the schedule holds"
    )
    burn_in: Duration | None = Field(None, description="time dropped after each switch")
    design: Design = Field(Design.OPTIMAL, description="randomization design")
    treatment_probability: Float = Field(
        0.5, gt=0, lt=1, description="chance of treatment at each randomization point"
    )
    pairing: Pairing = Field(
        Pairing.INDEPENDENT, description="independent regions or complementary pairs"
    )
    seed: Seed = Field(0, description="seed of the schedule")

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
            raise FieldError("burn_in must be shorter than the period", "burn_in")
        if self.period.total_seconds() != int(self.period.total_seconds()):
            raise FieldError("period must be a whole number of seconds", "period")
        if (self.end - self.start) < self.period:
            raise ValueError("the schedule must hold at least one period (end - start >= period)")
        n_periods = self.n_periods
        if n_periods > MAX_PERIODS:
            raise FieldError(
                f"the schedule holds {n_periods:,} periods, over the limit of {MAX_PERIODS:,}",
                "period",
            )
        m = self.carryover_periods
        if m >= n_periods:
            raise FieldError(
                f"carryover of {m} period(s) leaves nothing to estimate in a schedule of "
                f"{n_periods} period(s); use a shorter carryover or a longer schedule",
                "carryover",
            )
        paired = self.pairing is Pairing.COMPLEMENTARY
        if (paired or self.design is Design.BALANCED) and self.treatment_probability != 0.5:
            what = "complementary pairing" if paired else "the balanced design"
            raise ValueError(f"{what} needs treatment_probability 0.5")
        return self

    @property
    def n_periods(self) -> int:
        """Whole periods between start and end."""
        return int((self.end - self.start) // self.period)

    @property
    def carryover_periods(self) -> int:
        """Carryover order m in whole periods (a duration is rounded up)."""
        if isinstance(self.carryover, timedelta):
            ratio = self.carryover / self.period
            whole = int(ratio)
            return whole if ratio == whole else whole + 1
        return int(self.carryover)


class RegionSegments(StrictModel):
    """Per-region effects of a switch-back (``segments: true``, ``[region]`` or a mapping).

    A switch-back's units are its regions, so its one segment attribute is the region
    column (``unit``); every metric gets one estimate per targeted region, with the
    family correction over all of them and a heterogeneity test per metric.

    Example:
        >>> RegionSegments().correction, RegionSegments(correction="holm").by
        ('bh', None)
    """

    by: tuple[Text, ...] | None = Field(
        None, min_length=1, max_length=1,
        description="the region column (the spec's unit); the only segment a switch-back has")
    correction: Literal["bh", "holm"] = Field(
        "bh", description="family correction over all per-region tests: bh (false discovery "
        "rate) or holm (family-wise error)")


class SwitchbackSpec(StrictModel):
    """A switch-back test: whole regions switch between arms over time."""

    name: Text = Field(min_length=1, description="experiment name, shown in reports")
    kind: Literal["switchback"] = Field(description="the shape of the experiment")
    hypothesis: Text | None = Field(None, description="what the change should do, in words")
    owner: Text | None = Field(None, description="who to ask about the experiment")
    unit: Text = Field("region", description="column holding the region")
    time_column: Text = Field("timestamp", description="column holding event or period time")
    regions: list[Region] = Field(min_length=1, max_length=MAX_REGIONS)
    targeting: Targeting | None = Field(
        None, description="which listed regions run the experiment: a rule over region "
        "attributes (the region name under the unit column, `tz`, and each region's "
        "`attributes`); the schedule is drawn over every listed region and the others are "
        "left out (no arm, no exposure)")
    segments: RegionSegments | None = Field(
        None, description="per-region effects: true (BH), false, [region] or "
        "{correction: holm}")
    schedule: ScheduleSpec
    metrics: list[Metric] = Field(min_length=1, max_length=MAX_METRICS)
    analysis: Analysis = Field(default_factory=Analysis)
    decision: DecisionRules = Field(default_factory=DecisionRules)
    data: DataSource | None = Field(
        None, description="where the data are; may be omitted when data are passed "
        "(causalkit.analyze(spec, data=...) or --data)")
    pre_data: DataSource | None = Field(None, description="pre-period series for power")
    candidate_periods: list[Duration] = Field(
        default_factory=list, max_length=MAX_CANDIDATE_PERIODS,
        description="period lengths compared by `causalkit power`"
    )
    estimator: Estimator = Field(
        Estimator.AUTO,
        description="auto (Hajek: design-based and efficient with or without pre_data), "
        "horvitz_thompson (exactly unbiased; centre it with pre_data) or hajek",
    )
    center: Centering = Field(
        Centering.AUTO,
        description="centre outcomes by a per-region pre-period constant, for both "
        "estimators (auto: when pre_data is given)",
    )
    period_outcome: PeriodOutcome = Field(
        PeriodOutcome.MEAN,
        description="mean and proportion metrics per region-period: the average over "
        "rows (mean) or the sum (total); ratio metrics are sum(numerator)/sum(denominator)",
    )
    time_unit: TimeUnit = Field(
        TimeUnit.S, description="unit of the time column when it holds integer epochs"
    )
    arm_column: Text | None = Field(
        "arm", description="column with the logged arm; checked against the schedule if present"
    )
    max_lag: Int = Field(
        3, ge=0, le=24, description="largest lag (in periods) in the carryover diagnostic"
    )
    power_effect: Float | None = Field(
        None, description="effect injected by `causalkit power`, in the primary metric's units "
        "(default: its practical_threshold, else 5% of its pre-period mean)",
    )
    power_replays: Int = Field(
        1000, ge=50, le=MAX_REPLAYS,
        description="schedules replayed per candidate period by `causalkit power`"
    )

    @field_validator("segments", mode="before")
    @classmethod
    def _segments(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return {} if value else None
        if isinstance(value, list | tuple):
            return {"by": list(value)}
        if isinstance(value, str):
            return {"by": [value]}
        return value

    @field_validator("regions", mode="before")
    @classmethod
    def _regions(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _unique(self) -> Self:
        names = [r.name for r in self.regions]
        dupes = sorted(n for n, k in Counter(names).items() if k > 1)
        if dupes:
            raise ValueError(
                f"region names must be unique; repeated: {', '.join(map(repr, dupes))}")
        cells = len(self.regions) * self.schedule.n_periods
        if cells > MAX_CELLS:
            raise FieldError(
                f"{len(self.regions):,} regions x {self.schedule.n_periods:,} periods = "
                f"{cells:,} region-periods, over the limit of {MAX_CELLS:,}", "regions",
            )
        self._check_targeting()
        if self.segments is not None and self.segments.by not in (None, (self.unit,)):
            raise FieldError(f"switch-back segments are per region: by: [{self.unit}] "
                             f"(the unit column), not {list(self.segments.by)}", "segments",
                             "by")
        for i, period in enumerate(self.candidate_periods):
            if period.total_seconds() != int(period.total_seconds()):
                raise FieldError("a candidate period must be a whole number of seconds",
                                 "candidate_periods", i)
        return self

    def region_attributes(self) -> dict[str, list[Any]]:
        """What a targeting rule reads: one column per attribute, one value per listed region.

        The region name is under the unit column (``region`` by default), the time zone
        under ``tz``; an attribute a region does not carry is missing (``None``).

        Example:
            >>> spec = SwitchbackSpec(name="x", kind="switchback",
            ...     regions=["KR", {"name": "US", "attributes": {"continent": "america"}}],
            ...     schedule={"start": "2026-12-01T00:00Z", "end": "2026-12-02T00:00Z",
            ...               "period": "1h"},
            ...     metrics=[{"name": "m", "type": "mean", "column": "m"}])
            >>> spec.region_attributes()
            {'region': ['KR', 'US'], 'tz': ['UTC', 'UTC'], 'continent': [None, 'america']}
        """
        out: dict[str, list[Any]] = {self.unit: [r.name for r in self.regions],
                                     "tz": [r.tz for r in self.regions]}
        for key in dict.fromkeys(k for r in self.regions for k in r.attributes):
            out[key] = [r.attributes.get(key) for r in self.regions]
        return out

    def _check_targeting(self) -> None:
        """The rule reads known region attributes, compared with values of their kind."""
        for i, region in enumerate(self.regions):
            for key in region.attributes:
                if key in (self.unit, "tz"):
                    raise FieldError(f"attribute {key!r} of region {region.name!r} clashes "
                                     f"with the region's {'name' if key == self.unit else 'tz'}",
                                     "regions", i, "attributes")
        if self.targeting is None:
            return
        if self.targeting.rollout is not None:
            raise FieldError("a switch-back targets whole regions: rollout shares are for "
                             "user-randomized (ab) specs; list or target the regions instead",
                             "targeting", "rollout")
        tree = self.targeting.tree
        if tree is None:
            return
        attrs = self.region_attributes()
        unknown = sorted(columns(tree) - set(attrs))
        if unknown:
            raise FieldError(f"the rule reads {unknown[0]!r}, which is not a region attribute "
                             f"(known: {', '.join(attrs)}); add it under the regions' "
                             "attributes", "targeting")
        for cmp in comparisons(tree):
            kinds = {_kind(v) for v in attrs[cmp.column] if v is not None}
            if len(kinds) > 1:
                raise FieldError(f"region attribute {cmp.column!r} mixes "
                                 f"{' and '.join(sorted(kinds))} values across regions",
                                 "regions")
            values = (cmp.value,) if isinstance(cmp, Compare) else cmp.values
            for v in values:
                if kinds and _kind(v) not in kinds:
                    raise FieldError(f"the rule compares region attribute {cmp.column!r} "
                                     f"({next(iter(kinds))}) with {_kind(v)} {v!r}",
                                     "targeting")


def _kind(v: object) -> str:
    if isinstance(v, bool):
        return "true/false"
    return "text" if isinstance(v, str) else "number"
