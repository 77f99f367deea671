"""One look of the gate at the data: when, how much information, what it decided.

Looks are what the state file remembers between CI runs. A look is identified by
``key``, a digest of the statistics it read (:func:`causalkit.report.basis.look_key`),
so re-running on unchanged data finds the same look instead of adding one.

Example:
    >>> from datetime import datetime, UTC
    >>> lk = Look(index=1, time=datetime(2026, 1, 1, tzinfo=UTC), key="sha256:ab",
    ...           n_per_arm=500, decision="hold")
    >>> Look.from_dict(lk.to_dict()) == lk
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from causalkit.spec.types import parse_timestamp

TERMINAL = frozenset({"ship", "rollback", "inconclusive"})
"""Decisions that end an experiment: once reached they are sticky."""


@dataclass(frozen=True)
class Look:
    """A look: its number, time, statistics key, sample, information and decision.

    ``information_fraction``, ``spent_alpha`` (cumulative, at the nominal alpha)
    and ``boundary_z`` are set for group-sequential plans. ``tested`` is False for
    looks that tested nothing (invalid data, a sticky decision): they spend no alpha.
    """

    index: int
    time: datetime
    key: str
    n_per_arm: int
    decision: str
    data_fingerprint: str | None = None
    information_fraction: float | None = None
    spent_alpha: float | None = None
    boundary_z: float | None = None
    reasons: tuple[str, ...] = ()
    tested: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form (time in ISO 8601 UTC)."""
        return {
            "index": self.index,
            "time": self.time.isoformat().replace("+00:00", "Z"),
            "key": self.key,
            "data_fingerprint": self.data_fingerprint,
            "n_per_arm": self.n_per_arm,
            "information_fraction": self.information_fraction,
            "spent_alpha": self.spent_alpha,
            "boundary_z": self.boundary_z,
            "decision": self.decision,
            "reasons": list(self.reasons),
            "tested": self.tested,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Look:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            KeyError, TypeError, ValueError: on a malformed record (the state
                loader turns these into a ``GateError``).
        """
        def opt_float(name: str) -> float | None:
            value = data.get(name)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{name} must be a number")
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(f"{name} must be a finite number")
            return number

        index, n = data["index"], data["n_per_arm"]
        if isinstance(index, bool) or not isinstance(index, int) or index < 1:
            raise ValueError("index must be a positive integer")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError("n_per_arm must be a non-negative integer")
        for name in ("key", "decision", "time"):
            if not isinstance(data[name], str):
                raise TypeError(f"{name} must be text")
        reasons = data.get("reasons", [])
        if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
            raise TypeError("reasons must be a list of text")
        tested = data.get("tested", True)
        if not isinstance(tested, bool):
            raise TypeError("tested must be true or false")
        fp = data.get("data_fingerprint")
        if fp is not None and not isinstance(fp, str):
            raise TypeError("data_fingerprint must be text")
        return cls(
            index=index,
            time=parse_timestamp(data["time"]),
            key=data["key"],
            n_per_arm=n,
            decision=data["decision"],
            data_fingerprint=fp,
            information_fraction=opt_float("information_fraction"),
            spent_alpha=opt_float("spent_alpha"),
            boundary_z=opt_float("boundary_z"),
            reasons=tuple(reasons),
            tested=tested,
        )
