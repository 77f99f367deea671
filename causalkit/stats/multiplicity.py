"""Multiple-testing corrections: Bonferroni, Holm and Benjamini-Hochberg.

:func:`adjust_pvalues` returns adjusted p-values (reject where ``p_adj <= alpha``).
:func:`interval_levels` returns, per hypothesis, the level at which its
confidence interval is drawn so that "the interval excludes 0" agrees with the
adjusted p-value:

* ``bonferroni``: ``alpha / m`` for every hypothesis.
* ``holm``: the hypothesis of rank ``r`` (ascending p) gets ``alpha / (m - r + 1)``
  when every better-ranked hypothesis was rejected, otherwise ``alpha / m``.
  Its interval then excludes 0 exactly when the Holm-adjusted p is ``<= alpha``.
* ``bh``: ``alpha / m`` (Bonferroni-level intervals; BH controls the false
  discovery rate of the p-values, not interval coverage).
* ``none``: ``alpha``.

Example:
    >>> adjust_pvalues([0.01, 0.04, 0.03], "holm").round(3).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "bh").round(3).tolist()
    [0.03, 0.04, 0.04]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

METHODS = ("none", "bonferroni", "holm", "bh")


def _check(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown correction {method!r}; use one of {', '.join(METHODS)}")


def adjust_pvalues(p_values: ArrayLike, method: str) -> FloatArray:
    """Adjusted p-values for a family of hypotheses (NaN p-values are left out of ``m``).

    Args:
        p_values: the unadjusted p-values of one family.
        method: ``none``, ``bonferroni``, ``holm`` or ``bh``.

    Example:
        >>> adjust_pvalues([0.01, 0.02], "bonferroni").tolist()
        [0.02, 0.04]
    """
    _check(method)
    p = np.asarray(p_values, dtype=np.float64).copy()
    ok = np.isfinite(p)
    q = p[ok]
    m = q.size
    if method == "none" or m == 0:
        return p
    if method == "bonferroni":
        adj = np.minimum(q * m, 1.0)
    elif method == "holm":
        order = np.argsort(q, kind="stable")
        scaled = q[order] * (m - np.arange(m))
        adj_sorted = np.minimum(np.maximum.accumulate(scaled), 1.0)
        adj = np.empty(m)
        adj[order] = adj_sorted
    else:  # bh
        order = np.argsort(q, kind="stable")
        scaled = q[order] * m / np.arange(1, m + 1)
        adj_sorted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
        adj = np.empty(m)
        adj[order] = adj_sorted
    p[ok] = adj
    return p


def interval_levels(p_values: ArrayLike, alpha: float, method: str) -> FloatArray:
    """Per-hypothesis interval levels that agree with the adjusted p-values (see module doc).

    Example:
        >>> interval_levels([0.001, 0.02, 0.5], 0.05, "holm").round(4).tolist()
        [0.0167, 0.025, 0.05]
        >>> interval_levels([0.001, 0.04, 0.5], 0.05, "holm").round(4).tolist()
        [0.0167, 0.025, 0.0167]
    """
    _check(method)
    p = np.asarray(p_values, dtype=np.float64)
    ok = np.isfinite(p)
    m = int(ok.sum())
    out = np.full(p.shape, float(alpha))
    if method == "none" or m == 0:
        return out
    if method in ("bonferroni", "bh"):
        out[:] = alpha / m
        return out
    idx = np.flatnonzero(ok)
    order = idx[np.argsort(p[idx], kind="stable")]
    all_rejected = True
    for rank, i in enumerate(order, start=1):
        level = alpha / (m - rank + 1)
        if all_rejected:
            out[i] = level
            all_rejected = bool(p[i] <= level)
        else:
            out[i] = alpha / m
    out[~ok] = alpha / m
    return out
