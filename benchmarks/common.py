"""Shared helpers of the benchmark suite (not part of the test run).

Every benchmark module in this folder exposes ``run(quick: bool) -> list[Result]``;
``python benchmarks/run_all.py`` runs them all and writes the Markdown table.
Timings are ratios against a named peer measured on the same data in the same run.
"""

from __future__ import annotations

import gc
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Result:
    """One benchmark row: causalkit's time, the peer's time on the same data, the ratio."""

    benchmark: str
    case: str
    causalkit_seconds: float
    peer: str
    peer_seconds: float | None
    goal: str
    agree: bool | None = None
    peak_memory_mb: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """causalkit time / peer time (below 1 means causalkit is faster)."""
        if self.peer_seconds is None or self.peer_seconds == 0:
            return None
        return self.causalkit_seconds / self.peer_seconds


def best_of(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Smallest wall time of ``repeat`` calls, and the last result."""
    best = float("inf")
    out = None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux: ru_maxrss is in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
