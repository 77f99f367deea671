"""The ``segments:`` spec field: which unit attributes to break effects down by, and how.

In a spec, ``segments:`` is a list of columns (``[country, platform]``) or a mapping
with ``by`` and the options below.

Example:
    >>> s = Segments.model_validate(["country", "platform"])
    >>> s.by, s.correction, s.min_size
    (('country', 'platform'), 'bh', 200)
    >>> Segments.model_validate({"by": ["country"], "correction": "holm"}).correction
    'holm'
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from causalkit.spec.common import StrictModel
from causalkit.spec.types import Bool, Int, Text

MIN_SEGMENT_SIZE = 200
"""Default minimum units (all arms) of a segment; smaller ones are pooled into ``other``."""
MAX_SEGMENTS = 1_000
"""Most segment values per attribute (after pooling) that an analysis reports."""


class Segments(StrictModel):
    """Segment analysis settings (see ``docs/segments.md``)."""

    by: tuple[Text, ...] = Field(min_length=1, max_length=20,
                                 description="unit attribute columns to break effects down by")
    correction: Literal["bh", "holm"] = Field(
        "bh", description="family correction over all segment tests: bh (false discovery "
        "rate) or holm (family-wise error)")
    min_size: Int = Field(MIN_SEGMENT_SIZE, ge=2, le=10**9,
                          description="segments with fewer units (all arms) are pooled into "
                          "'other'")
    post_stratify: Bool = Field(False, description="also report the post-stratified overall "
                                "effect (variance reduction from pre-assignment segments)")

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, data: Any) -> Any:
        if isinstance(data, list | tuple):
            return {"by": list(data)}
        if isinstance(data, str):
            return {"by": [data]}
        return data

    @field_validator("by")
    @classmethod
    def _unique(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        twice = sorted({c for c in v if v.count(c) > 1})
        if twice:
            raise ValueError(f"segment column {twice[0]!r} is listed twice")
        if any(not c.strip() for c in v):
            raise ValueError("segment column names cannot be empty")
        return v


__all__ = ["MAX_SEGMENTS", "MIN_SEGMENT_SIZE", "Segments"]
