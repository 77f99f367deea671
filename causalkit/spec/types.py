"""Scalar types of the spec format: strict numbers, text and booleans, durations, timestamps.

Numbers, whole numbers, booleans and text are **strict**: ``'0.05'`` (text) is not a
number, ``1e4`` (a number) is not a whole number, ``no`` is not a boolean (YAML 1.2:
only ``true`` and ``false`` are). Numbers are finite (no ``.nan``, no ``.inf``) and at
most :data:`~causalkit.spec.limits.MAX_NUMBER` in size.

Durations are written as a number and a unit, several of them in a row:
``90s``, ``30m``, ``1h``, ``1h30m``, ``7d``, ``2w``. Timestamps are ISO 8601 with a
zone (``2026-12-01T00:00Z``, ``2026-12-01T09:00+09:00``); they are kept in UTC. Both
have a range (see :mod:`causalkit.spec.limits`).

Example:
    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)
    >>> parse_timestamp("2026-12-01T09:00+09:00").isoformat()
    '2026-12-01T00:00:00+00:00'
"""

from __future__ import annotations

import numbers
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import annotated_types as at
from pydantic import AllowInfNan, BeforeValidator, PlainSerializer, Strict, WithJsonSchema

from causalkit.spec.limits import (
    MAX_DURATION,
    MAX_INTEGER,
    MAX_NUMBER,
    MAX_SEED,
    MAX_TIME,
    MIN_TIME,
)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
DURATION_PATTERN = r"^(\d+(\.\d+)?[smhdw])+$"


def parse_duration(value: object) -> timedelta:
    """Parse a duration such as ``30m``, ``1h``, ``7d`` or ``1h30m``.

    Args:
        value: the text (a ``timedelta`` passes through).

    Returns:
        The duration.

    Raises:
        ValueError: with the accepted forms, when the text is not a duration.

    Example:
        >>> parse_duration("7d").days
        7
    """
    if isinstance(value, timedelta):
        if not timedelta(0) < value <= MAX_DURATION:
            raise ValueError(f"{format_duration(value)} is not a duration between 1 microsecond "
                             f"and {MAX_DURATION.days} days")
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a duration; write it like 30m, 1h, 7d or 1h30m")
    text = value.strip()
    if not re.fullmatch(DURATION_PATTERN, text):
        raise ValueError(
            f"{value!r} is not a duration; write a number and a unit (s, m, h, d, w), "
            "e.g. 30m, 1h, 7d or 1h30m"
        )
    seconds = sum(float(num) * _UNITS[unit] for num, unit in _PART.findall(text))
    if seconds <= 0:
        raise ValueError(f"{value!r}: a duration must be positive")
    if not seconds <= MAX_DURATION.total_seconds():
        raise ValueError(f"{value!r} is longer than the limit of {MAX_DURATION.days} days")
    duration = timedelta(seconds=seconds)
    if duration <= timedelta(0):
        raise ValueError(f"{value!r} is shorter than a microsecond, the smallest duration")
    return duration


def format_duration(value: timedelta) -> str:
    """Write a duration in the spec's own notation.

    Example:
        >>> format_duration(timedelta(hours=1, minutes=30))
        '1h30m'
    """
    total = round(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, total = divmod(total, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def parse_timestamp(value: object) -> datetime:
    """Parse an ISO 8601 timestamp that carries a zone, and return it in UTC.

    Raises:
        ValueError: when the text is not ISO 8601, has no zone, or lies outside the
            range causalkit computes with (1900-01-01 to 2200-01-01, UTC).

    Example:
        >>> parse_timestamp("2026-12-01T00:00Z").tzinfo
        datetime.timezone.utc
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"{value!r} is not an ISO 8601 timestamp; write it like 2026-12-01T00:00Z"
            ) from None
    else:
        raise ValueError(f"{value!r} is not a timestamp; write it like 2026-12-01T00:00Z")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(
            f"{value!s} has no time zone; add one, e.g. 'Z' for UTC or '+09:00'"
        )
    try:
        utc = parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 minus an offset, year 9999 plus one
        utc = None
    if utc is None or not MIN_TIME <= utc < MAX_TIME:
        raise ValueError(
            f"{value!s} is outside the range causalkit computes with "
            f"({MIN_TIME:%Y-%m-%d} to {MAX_TIME:%Y-%m-%d}, UTC)"
        )
    return utc


def _dump_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN,
                    "description": "a duration such as 30m, 1h, 7d or 1h30m"}),
]
"""A positive duration written like ``30m``, ``1h``, ``7d``."""

Timestamp = Annotated[
    datetime,
    BeforeValidator(parse_timestamp),
    PlainSerializer(_dump_timestamp, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time",
                    "description": "ISO 8601 with a zone, e.g. 2026-12-01T00:00Z"}),
]
"""An ISO 8601 timestamp with a zone, normalized to UTC."""


class FieldError(ValueError):
    """A model check's complaint about one of its fields (the loader points at that field).

    Example:
        >>> FieldError("end must be after start", "end").field
        ('end',)
    """

    def __init__(self, message: str, *field: str | int) -> None:
        super().__init__(message)
        self.field = tuple(field)


def unique_choices(value: list[Any]) -> list[Any]:
    """Refuse a list of choices (estimators, refuters, ...) that names one twice.

    Example:
        >>> unique_choices(["aipw", "ipw", "aipw"])
        Traceback (most recent call last):
        ...
        ValueError: 'aipw' is listed twice; name each choice once
    """
    seen: set[Any] = set()
    for item in value:
        if item in seen:
            shown = getattr(item, "value", item)
            raise ValueError(f"{shown!r} is listed twice; name each choice once")
        seen.add(item)
    return value


def _whole(value: Any) -> Any:
    """NumPy and other integral numbers become ``int``; everything else is left to the
    strict check (so text, floats and booleans stay errors)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool | int):
        return int(value)
    return value


def _real(value: Any) -> Any:
    """NumPy and other real numbers become ``float``; everything else is left to the
    strict check."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        raise ValueError(f"the number is too large; numbers are at most {MAX_NUMBER:g} in size")
    return value


Float = Annotated[float, BeforeValidator(_real), Strict(), AllowInfNan(False),
                  at.Interval(ge=-MAX_NUMBER, le=MAX_NUMBER)]
"""A finite number (whole numbers are numbers too), at most ``MAX_NUMBER`` in size; text
such as ``'0.05'`` is an error."""

Int = Annotated[int, BeforeValidator(_whole), Strict(),
                at.Interval(ge=-MAX_INTEGER, le=MAX_INTEGER)]
"""A whole number that fits 64 bits; ``1e4``, ``'10'`` and ``true`` are errors."""

Seed = Annotated[int, BeforeValidator(_whole), Strict(), at.Interval(ge=0, le=MAX_SEED)]
"""A seed: a whole number from 0 to ``MAX_SEED``."""

Bool = Annotated[bool, Strict()]
"""``true`` or ``false``; ``no``, ``yes``, ``0`` and ``1`` are errors."""

Text = Annotated[str, Strict()]
"""Text; numbers, booleans and binary data are errors."""
