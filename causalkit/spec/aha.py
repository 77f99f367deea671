"""The ``kind: aha`` spec: search "do Y at least Z times within X days" conditions.

Example:
    >>> spec = AhaSpec(name="x", kind="aha", data={"simulate": "event_log"},
    ...     windows=[3, 7], thresholds=[1, 2, 5])
    >>> spec.retention.start_day, spec.retention.end_day
    (28, 35)
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from causalkit.spec.common import Analysis, DataSource, StrictModel


class Retention(StrictModel):
    """Retained = active (or did ``event``) in days [start_day, end_day) after signup."""

    start_day: int = Field(28, ge=1)
    end_day: int = Field(35, ge=2)
    event: str | None = Field(None, description="a named event; any event when not given")

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.end_day <= self.start_day:
            raise ValueError("end_day must be after start_day")
        return self


class Actions(StrictModel):
    """Which actions Y to search: all, a list, or the top N by frequency."""

    include: list[str] | None = None
    top: int | None = Field(None, ge=1)
    exclude: list[str] = Field(default_factory=list)


class AhaColumns(StrictModel):
    """Column names of the event log and the users table."""

    user: str = "user_id"
    event: str = "event"
    timestamp: str = "timestamp"
    signup: str = "signup_at"


class AhaSpec(StrictModel):
    """Aha-moment discovery with its causal check."""

    name: str = Field(min_length=1)
    kind: Literal["aha"]
    hypothesis: str | None = None
    owner: str | None = None
    data: DataSource | None = Field(
        None, description="a simulator giving both tables, or the event log"
    )
    events: DataSource | None = Field(None, description="event log: user, event, timestamp")
    users: DataSource | None = Field(None, description="users: user, signup time, covariates")
    columns: AhaColumns = Field(default_factory=AhaColumns)
    covariates: list[str] = Field(default_factory=list, description="signup covariates")
    retention: Retention = Field(default_factory=Retention)
    windows: list[int] = Field(default_factory=lambda: [1, 3, 7, 14], min_length=1)
    thresholds: list[int] = Field(default_factory=lambda: [1, 2, 3, 5, 10], min_length=1)
    actions: Actions = Field(default_factory=Actions)
    combine_top: int = Field(5, ge=0, description="top conditions combined with AND and OR")
    holdout: float = Field(0.3, ge=0, lt=1, description="share of users kept for re-checking")
    observed_until: str | None = Field(None, description="end of the data (ISO 8601 with zone)")
    graph: str | None = Field(None, description="DOT diagram replacing the default one")
    experiment: str | None = Field(
        None, description="path to an A/B report (JSON) whose estimate nudged the action"
    )
    analysis: Analysis = Field(default_factory=Analysis)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.data is None and self.events is None:
            raise ValueError("give data (a simulator) or events and users")
        if self.events is not None and self.users is None:
            raise ValueError("events needs a users table with signup times")
        if any(w < 1 for w in self.windows) or any(z < 1 for z in self.thresholds):
            raise ValueError("windows and thresholds must be positive")
        if max(self.windows) >= self.retention.start_day:
            raise ValueError(
                f"window of {max(self.windows)} days reaches into the retention window "
                f"(from day {self.retention.start_day}): a condition measured while retention "
                "is being measured credits users for staying (immortal-time bias); "
                "use windows that end before the retention window starts"
            )
        return self
