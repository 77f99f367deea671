"""Sample ratio mismatch: a chi-square goodness-of-fit test of arm sizes against planned weights.

A sample ratio mismatch (more units in one arm than the weights allow by
chance) means assignment or logging is broken, and every estimate of the test is
suspect (Fabijan et al., KDD 2019). The usual threshold is ``p < 0.001``.

Example:
    >>> r = srm_test([1000, 1200], [0.5, 0.5])
    >>> round(float(r.p_value), 9)
    2.0079e-05
    >>> isinstance(r, SRMResult)
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True)
class SRMResult:
    """Chi-square statistic, degrees of freedom, p-value and the expected counts."""

    statistic: float
    df: int
    p_value: float
    expected: NDArray[np.float64]


def srm_test(counts: ArrayLike, weights: ArrayLike) -> SRMResult:
    """Chi-square test of observed arm counts against planned weights (normalized to 1).

    Args:
        counts: observed units per arm.
        weights: planned traffic weights in the same order (any positive scale).

    Raises:
        ValueError: for mismatched lengths, fewer than two arms, or non-positive weights.

    Example:
        >>> srm_test([500, 500], [1, 1]).p_value
        1.0
    """
    from scipy import stats

    obs = np.asarray(counts, dtype=np.float64).reshape(-1)
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if obs.size != w.size or obs.size < 2:
        raise ValueError("need one count per weight and at least two arms")
    if np.any(w <= 0):
        raise ValueError("weights must be positive")
    total = obs.sum()
    if total <= 0:
        return SRMResult(0.0, int(obs.size - 1), 1.0, np.zeros_like(obs))
    expected = w / w.sum() * total
    stat = float(np.sum((obs - expected) ** 2 / expected))
    df = int(obs.size - 1)
    return SRMResult(stat, df, float(stats.chi2.sf(stat, df)), expected)
