"""Scalar types of the spec format: durations and zoned timestamps.

Durations are written as a number and a unit, several of them in a row:
``90s``, ``30m``, ``1h``, ``1h30m``, ``7d``, ``2w``. Timestamps are ISO 8601 with a
zone (``2026-12-01T00:00Z``, ``2026-12-01T09:00+09:00``); they are kept in UTC.

Example:
    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)
    >>> parse_timestamp("2026-12-01T09:00+09:00").isoformat()
    '2026-12-01T00:00:00+00:00'
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

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
    return timedelta(seconds=seconds)


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
        ValueError: when the text is not ISO 8601 or has no zone.

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
    return parsed.astimezone(UTC)


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


def _json_safe(value: Any) -> Any:  # pragma: no cover - helper for schema defaults
    return value
