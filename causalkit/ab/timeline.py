"""The confidence sequence over time: cumulative daily looks from per-day sufficient statistics.

Per-arm moments of each calendar day (UTC) of first exposure add exactly into
cumulative moments, so every daily look is recomputed from the one grouped scan
without touching rows again. Each look is analysed like the final one and gets
the always-valid interval (mSPRT, with the mixture variance of the final look,
so one mixture serves the whole sequence).

Example:
    >>> import numpy as np
    >>> from causalkit.data import Moments
    >>> from causalkit.spec.common import Analysis, Metric
    >>> m = Metric(name="y", type="mean", column="y", role="primary")
    >>> rng = np.random.default_rng(0)
    >>> days = {(a, d): Moments.from_array(["y"], rng.normal(size=(50, 1)))
    ...         for a in ("control", "treatment") for d in range(3)}
    >>> tl = timelines(days, [m], control="control", arms=["treatment"], analysis=Analysis())
    >>> len(tl[0].days), bool(np.all(tl[0].ci_high - tl[0].ci_low > 0))
    (3, True)
    >>> isinstance(tl[0], Timeline)
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from causalkit.ab.inference import mixture_tau2
from causalkit.ab.metrics import contrast
from causalkit.data import Moments
from causalkit.spec.common import Analysis, Metric
from causalkit.stats.sequential import msprt


@dataclass(frozen=True)
class Timeline:
    """Daily cumulative estimates of one metric in one arm with their confidence sequence."""

    metric: str
    arm: str
    days: tuple[Any, ...]
    estimate: NDArray[np.float64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]
    p_value: NDArray[np.float64]


def timelines(by_day: Mapping[tuple[str, Any], Moments], metrics: Sequence[Metric], *,
              control: str, arms: Sequence[str], analysis: Analysis,
              horizon_per_arm: int | None = None) -> list[Timeline]:
    """Cumulative daily looks for each metric x arm (arms with no data on a day carry over).

    Args:
        by_day: ``{(arm, day): Moments}`` from :func:`causalkit.ab.scan.scan`.
        metrics: the metrics to follow (usually the primary ones).
        control: the control arm.
        arms: the treatment arms.
        analysis: alpha and mSPRT settings.
        horizon_per_arm: planned units per arm (tunes the mixture).

    Example:
        >>> timelines({}, [], control="c", arms=["t"], analysis=Analysis())
        []
    """
    days = sorted({d for (_, d) in by_day})
    if not days:
        return []
    cum: dict[str, list[Moments]] = {}
    for arm in [control, *arms]:
        acc: Moments | None = None
        seq = []
        for d in days:
            m = by_day.get((arm, d))
            if m is not None:
                acc = m if acc is None else acc + m
            seq.append(acc if acc is not None else _empty(by_day))
        cum[arm] = seq
    out = []
    for metric in metrics:
        for arm in arms:
            ks = [contrast(metric, c, t, arm) for c, t in zip(cum[control], cum[arm])]
            final = ks[-1]
            if final.problem is not None:
                continue
            tau2 = mixture_tau2(final, analysis, horizon_per_arm)
            est = np.array([k.estimate if k.problem is None and min(k.control.n, k.treatment.n) > 1
                            else math.nan for k in ks])
            se2 = np.array([k.se2 for k in ks])
            av = msprt(est, se2, tau2, analysis.alpha)
            out.append(Timeline(metric.name, arm, tuple(days), est, av.ci_low, av.ci_high,
                                av.p_value))
    return out


def _empty(by_day: Mapping[tuple[str, Any], Moments]) -> Moments:
    return Moments.empty(next(iter(by_day.values())).columns)
