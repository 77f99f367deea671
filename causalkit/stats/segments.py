"""Reading effects by segment honestly: family corrections, heterogeneity, mix shift, pooling.

Pure functions on per-segment numbers (no data access):

* the family correction of segment tests is :func:`causalkit.stats.multiplicity.adjust_pvalues`
  (Benjamini–Hochberg or Holm) with :func:`~causalkit.stats.multiplicity.interval_levels`;
* :func:`cochran_q` -- Cochran's Q test that the segment effects are equal, with I²;
  for independent segments it is the Wald test of the arm × segment interactions
  (with segment-specific covariate slopes for CUPED), so one function serves both;
* :func:`post_stratified` -- the overall effect as the segment-share weighted sum of
  within-segment effects, with its variance (Miratrix, Sekhon and Yu 2013, conditional
  on the segment sizes);
* :func:`mix_shift` -- Simpson's-paradox guard: the segment mix differs between arms
  (chi-square test of the arm × segment table) and the pooled effect's sign disagrees
  with the within-segment (post-stratified) effect;
* :func:`pool_small` -- segments below a minimum size merged into ``other``.

Example:
    >>> q = cochran_q([0.10, 0.12, 0.50], [0.05, 0.05, 0.05])
    >>> round(q.q, 3), q.df, q.p_value < 0.001
    (40.64, 2, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

OTHER = "other"
"""Name of the pooled small segments."""


@dataclass(frozen=True)
class Heterogeneity:
    """Cochran's Q test of equal effects across segments.

    Attributes:
        q: the statistic, ``sum w_i (theta_i - theta_bar)^2`` with ``w_i = 1 / se_i^2``.
        df: segments with a finite estimate and a positive standard error, minus one.
        p_value: ``P(chi2_df >= q)``; NaN with fewer than two segments.
        i2: the share of the variation beyond chance, ``max(0, (q - df) / q)``.
        pooled: the inverse-variance weighted mean effect.

    Example:
        >>> cochran_q([2.0, 0.0], [1.0, 1.0])
        Heterogeneity(q=2.0, df=1, p_value=0.1573, i2=0.5, pooled=1.0)
        >>> cochran_q([0.2], [0.1])  # one segment: nothing to compare
        Heterogeneity(q=nan, df=0, p_value=nan, i2=nan, pooled=0.2)
    """

    q: float
    df: int
    p_value: float
    i2: float
    pooled: float


def cochran_q(estimates: ArrayLike, ses: ArrayLike) -> Heterogeneity:
    """Cochran's Q over independent segment estimates (see :class:`Heterogeneity`).

    Example:
        >>> h = cochran_q([1.0, 1.0], [0.1, 0.2])
        >>> h.q, h.df, h.p_value, h.i2
        (0.0, 1, 1.0, 0.0)
    """
    from scipy import stats

    th = np.asarray(estimates, dtype=float)
    se = np.asarray(ses, dtype=float)
    ok = np.isfinite(th) & np.isfinite(se) & (se > 0)
    th, se = th[ok], se[ok]
    if th.size < 2:
        return Heterogeneity(float("nan"), max(th.size - 1, 0), float("nan"), float("nan"),
                             float(th[0]) if th.size else float("nan"))
    w = 1.0 / se**2
    pooled = float(np.sum(w * th) / np.sum(w))
    q = float(np.sum(w * (th - pooled) ** 2))
    df = int(th.size - 1)
    p = float(stats.chi2.sf(q, df))
    i2 = max(0.0, (q - df) / q) if q > 0 else 0.0
    return Heterogeneity(q, df, p, i2, pooled)


@dataclass(frozen=True)
class PostStratified:
    """The post-stratified overall effect and its standard error.

    Attributes:
        estimate: ``sum_s w_s theta_s``.
        se: ``sqrt(sum_s w_s^2 Var(theta_s))``.
        weights: the segment shares ``w_s = n_s / n``.

    Example:
        >>> post_stratified([2.0, 0.0], [1.0, 1.0], [10, 10])
        PostStratified(estimate=1.0, se=0.7071, weights=(0.5, 0.5))
    """

    estimate: float
    se: float
    weights: tuple[float, ...]


def post_stratified(effects: ArrayLike, variances: ArrayLike, sizes: ArrayLike
                    ) -> PostStratified:
    """``sum_s w_s theta_s`` with ``w_s = n_s / n`` and ``Var = sum_s w_s^2 Var(theta_s)``.

    Args:
        effects: within-segment effects (difference in means per segment).
        variances: their variances (``s_T^2 / n_T + s_C^2 / n_C`` per segment).
        sizes: units per segment (both arms), the weights' basis.

    Example:
        >>> ps = post_stratified([1.0, 3.0], [0.04, 0.04], [50, 150])
        >>> ps.estimate, round(ps.se, 4), ps.weights
        (2.5, 0.1581, (0.25, 0.75))
    """
    th = np.asarray(effects, dtype=float)
    var = np.asarray(variances, dtype=float)
    n = np.asarray(sizes, dtype=float)
    w = n / n.sum()
    return PostStratified(float(np.sum(w * th)), float(np.sqrt(np.sum(w**2 * var))),
                          tuple(float(x) for x in w))


@dataclass(frozen=True)
class MixShift:
    """Simpson's-paradox guard.

    Attributes:
        chi2: the chi-square statistic of the arm × segment count table.
        p_value: its p-value (small: the segment mix differs between arms).
        pooled: the pooled (unstratified) effect.
        within: the post-stratified (within-segment) effect.
        reversed: the two effects have opposite signs (both non-zero).
        flagged: ``reversed`` and the mix differs at ``alpha``.

    Example:
        >>> mix_shift([[50, 50], [50, 50]], pooled=0.1, within=-0.1)  # same mix: no flag
        MixShift(chi2=0.0, p_value=1.0, pooled=0.1, within=-0.1, reversed=True, flagged=False)
        >>> mix_shift([[90, 10], [10, 90]], pooled=0.1, within=-0.1).flagged
        True
    """

    chi2: float
    p_value: float
    pooled: float
    within: float
    reversed: bool
    flagged: bool


def mix_shift(counts: ArrayLike, pooled: float, within: float, *, alpha: float = 0.05
              ) -> MixShift:
    """Test the arm × segment table and compare the pooled and within-segment effects.

    Args:
        counts: units per (arm, segment), shape ``(arms, segments)``.
        pooled: the effect ignoring segments.
        within: the post-stratified effect (:func:`post_stratified`).
        alpha: the level for "the mix differs".

    Example:
        >>> m = mix_shift([[900, 100], [100, 900]], pooled=-0.2, within=0.1)
        >>> m.reversed, m.flagged
        (True, True)
    """
    from scipy import stats

    table = np.asarray(counts, dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or table.shape[0] < 2:
        chi2, p = 0.0, 1.0
    else:
        chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
    rev = bool(pooled * within < 0)
    return MixShift(float(chi2), float(p), float(pooled), float(within), rev,
                    bool(rev and p < alpha))


def pool_small(sizes: Mapping[str, int], min_size: int) -> dict[str, str]:
    """Map each segment to itself, or to ``other`` when it has fewer than ``min_size`` units.

    When only one segment would be pooled, it stays itself (``other`` of one is no
    pooling); missing segment values are named by the caller.

    Example:
        >>> pool_small({"KR": 500, "JP": 40, "BR": 30, "US": 900}, 100)
        {'KR': 'KR', 'JP': 'other', 'BR': 'other', 'US': 'US'}
    """
    small = [k for k, n in sizes.items() if n < min_size]
    if len(small) < 2:
        return {k: k for k in sizes}
    return {k: (OTHER if k in small else k) for k in sizes}


def segment_srm(counts: Sequence[Sequence[float]], weights: Sequence[float]
                ) -> NDArray[np.float64]:
    """Per-segment sample-ratio p-values: chi-square of each segment's arm counts vs weights.

    Args:
        counts: units per (segment, arm), shape ``(segments, arms)``.
        weights: planned traffic weights per arm.

    Example:
        >>> segment_srm([[500, 500], [700, 300]], [0.5, 0.5]).round(6).tolist()
        [1.0, 0.0]
    """
    from causalkit.stats.srm import srm_test

    c = np.asarray(counts, dtype=float)
    out = np.full(c.shape[0], np.nan)
    for i, row in enumerate(c):
        if row.sum() > 0:
            out[i] = srm_test(row, weights).p_value
    return out


__all__ = ["OTHER", "Heterogeneity", "MixShift", "PostStratified", "cochran_q", "mix_shift", "pool_small", "post_stratified", "segment_srm"]
