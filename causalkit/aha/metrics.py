"""Classification metrics of conditions, exact tests and false-discovery control.

Pure numpy/scipy over arrays of 2x2 tables: a condition ``C`` (reached or not)
against retention ``R``. ``tp`` = reached and retained, ``fp`` = reached and
not retained, ``fn`` = not reached and retained, ``tn`` = neither.

Example:
    >>> import numpy as np
    >>> m = condition_metrics(np.array([30]), np.array([10]), np.array([20]), np.array([40]))
    >>> round(float(m.precision[0]), 3), round(float(m.recall[0]), 3), round(float(m.lift[0]), 3)
    (0.75, 0.6, 1.5)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_REL_TOL = 1 + 1e-7  # ties of the hypergeometric pmf, as in scipy.stats.fisher_exact
P_FLOOR = float(np.nextafter(0.0, 1.0))
"""The smallest positive double: a p-value below it is stored as it (never as 0); its
exact size is kept as ``log10_p_value``."""


def _div(num: FloatArray, den: FloatArray) -> FloatArray:
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


@dataclass(frozen=True)
class ConditionMetrics:
    """Metrics of many 2x2 tables (arrays of one shape).

    ``precision`` = P(retained | reached), ``recall`` = P(reached | retained),
    ``specificity`` = P(not reached | not retained), ``npv`` = P(not retained |
    not reached), ``coverage`` = P(reached), ``lift`` = precision / P(retained),
    ``phi`` = the correlation of the two indicators, ``p_value`` = two-sided
    Fisher exact test (NaN when a margin is empty: nothing to test; never 0:
    at least :data:`P_FLOOR`), ``log10_p_value`` = its exact base-10 logarithm
    (also below the smallest double, e.g. ``-412.3``).

    Example:
        >>> condition_metrics([1], [1], [1], [1]).n.tolist()
        [4]
    """

    tp: IntArray
    fp: IntArray
    fn: IntArray
    tn: IntArray
    precision: FloatArray
    recall: FloatArray
    specificity: FloatArray
    npv: FloatArray
    coverage: FloatArray
    lift: FloatArray
    phi: FloatArray
    p_value: FloatArray
    log10_p_value: FloatArray | None = None

    @property
    def n(self) -> IntArray:
        """Users per table."""
        return self.tp + self.fp + self.fn + self.tn


def condition_metrics(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike, tn: ArrayLike,
                      *, p_values: bool = True) -> ConditionMetrics:
    """Precision, recall, specificity, NPV, coverage, lift, phi and Fisher p of 2x2 tables.

    Args:
        tp, fp, fn, tn: counts (arrays of one shape).
        p_values: compute the Fisher exact p-values (else NaN).

    Example:
        >>> m = condition_metrics([8], [2], [1], [5])
        >>> round(float(m.phi[0]), 4), round(float(m.p_value[0]), 4)
        (0.6181, 0.035)
    """
    tp_, fp_, fn_, tn_ = (np.asarray(a, dtype=np.int64) for a in (tp, fp, fn, tn))
    t, f, n_, tn_f = (a.astype(np.float64) for a in (tp_, fp_, fn_, tn_))
    n = t + f + n_ + tn_f
    reached, retained = t + f, t + n_
    base = _div(retained, n)
    precision = _div(t, reached)
    denom = reached * (n - reached) * retained * (n - retained)
    phi = _div(t * tn_f - f * n_, np.sqrt(denom))
    log_p = (fisher_exact_two_sided_log(tp_, fp_, fn_, tn_) if p_values
             else np.full(n.shape, np.nan))
    return ConditionMetrics(
        tp=tp_, fp=fp_, fn=fn_, tn=tn_,
        precision=precision,
        recall=_div(t, retained),
        specificity=_div(tn_f, f + tn_f),
        npv=_div(tn_f, n_ + tn_f),
        coverage=_div(reached, n),
        lift=_div(precision, base),
        phi=phi,
        p_value=p_from_log(log_p),
        log10_p_value=log_p / np.log(10.0),
    )


def _log_tail(start: IntArray, up: NDArray[np.bool_], total: IntArray, good: IntArray,
              draws: IntArray, *, block: int = 64) -> FloatArray:
    """Logs of hypergeometric tail sums from ``start`` away from the mode, vectorized.

    ``up``: log P(X >= start), else log P(X <= start). The pmf at ``start`` is
    kept as its log (``betaln``), so tails far below the smallest double keep
    their size; the following terms come from the ratio of consecutive
    probabilities, ``block`` at a time, until they stop adding to the sum.
    """
    from scipy.stats import hypergeom

    out = np.zeros(start.shape)
    if start.size == 0:
        return out
    log_p0 = hypergeom.logpmf(start, total, good, draws)
    s0 = start.astype(np.float64)
    m = total.astype(np.float64)
    g = good.astype(np.float64)
    d = draws.astype(np.float64)
    direction = np.where(up, 1.0, -1.0)
    acc = np.ones(start.shape)
    carry = np.ones(start.shape)
    active = np.arange(start.size)
    step = np.arange(block, dtype=np.float64)
    offset = 0
    while active.size:
        k = s0[active, None] + direction[active, None] * (offset + step[None, :])
        ga, da, ma = g[active, None], d[active, None], m[active, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            # beyond the support a factor turns zero (or negative: clipped); cumprod keeps it 0
            ratio_up = (ga - k) * (da - k) / ((k + 1) * (ma - ga - da + k + 1))
            ratio_down = k * (ma - ga - da + k) / ((ga - k + 1) * (da - k + 1))
        ratio = np.where(up[active, None], ratio_up, ratio_down)
        ratio = np.nan_to_num(ratio, nan=0.0, posinf=0.0)
        ratio = np.clip(ratio, 0.0, None)
        terms = carry[active, None] * np.cumprod(ratio, axis=1)
        acc[active] += terms.sum(axis=1)
        carry[active] = terms[:, -1]
        offset += block
        done = (carry[active] <= 1e-17 * acc[active]) | (ratio[:, -1] <= 0)
        active = active[~done]
    return np.asarray(log_p0 + np.log(acc), dtype=np.float64)


def p_from_log(log_p: ArrayLike) -> FloatArray:
    """p-values from their natural logs, never 0: at least :data:`P_FLOOR` (NaN stays NaN).

    Example:
        >>> p_from_log([np.log(0.25), -800.0, np.nan]).tolist()
        [0.25, 5e-324, nan]
    """
    lp = np.asarray(log_p, dtype=np.float64)
    with np.errstate(over="ignore", under="ignore"):
        p = np.exp(np.minimum(lp, 0.0))
    return np.where(np.isnan(lp), np.nan, np.maximum(p, P_FLOOR))


def normal_two_sided_p(z: ArrayLike) -> FloatArray:
    """Two-sided normal p-values ``2 P(Z > |z|)`` from the log survival function: never 0.

    Example:
        >>> [f"{p:.3g}" for p in normal_two_sided_p([1.96, 30.0, 100.0])]
        ['0.05', '9.81e-198', '4.94e-324']
    """
    from scipy.stats import norm

    zz = np.abs(np.asarray(z, dtype=np.float64))
    return p_from_log(np.log(2.0) + norm.logsf(zz))


def fisher_exact_two_sided(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike,
                           tn: ArrayLike) -> FloatArray:
    """Two-sided Fisher exact p-values of many 2x2 tables at once (never 0).

    The p-values of :func:`fisher_exact_two_sided_log`; one too small for a
    double is :data:`P_FLOOR`.

    Example:
        >>> from scipy.stats import fisher_exact
        >>> p = fisher_exact_two_sided([8, 3], [2, 7], [1, 4], [5, 9])
        >>> bool(abs(p[0] - fisher_exact([[8, 2], [1, 5]]).pvalue) < 1e-12)
        True
        >>> float(fisher_exact_two_sided(4000, 0, 0, 4000))   # exact: 10**-2405.9
        5e-324
    """
    return p_from_log(fisher_exact_two_sided_log(tp, fp, fn, tn))


def fisher_exact_two_sided_log(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike,
                               tn: ArrayLike) -> FloatArray:
    """Natural logs of the two-sided Fisher exact p-values of many 2x2 tables at once.

    The p-value sums the hypergeometric probabilities of every table with the
    same margins that is no more likely than the observed one (the
    "minimum-likelihood" definition of :func:`scipy.stats.fisher_exact`, with its
    relative tolerance for ties). Vectorized: the pmf is unimodal, so the tail on
    the far side of the mode is found by a bisection run on all tables together.
    Tables with an empty margin get NaN. Both tails are summed as logs, so
    p-values far below the smallest double keep their exact size.

    Example:
        >>> from scipy.stats import fisher_exact
        >>> lp = fisher_exact_two_sided_log([8, 3], [2, 7], [1, 4], [5, 9])
        >>> bool(abs(np.exp(lp[0]) - fisher_exact([[8, 2], [1, 5]]).pvalue) < 1e-12)
        True
        >>> round(float(fisher_exact_two_sided_log(4000, 0, 0, 4000) / np.log(10)), 1)
        -2405.9
    """
    from scipy.stats import hypergeom

    a = np.asarray(tp, dtype=np.int64)
    b = np.asarray(fp, dtype=np.int64)
    c = np.asarray(fn, dtype=np.int64)
    d = np.asarray(tn, dtype=np.int64)
    shape = np.broadcast(a, b, c, d).shape
    a, b, c, d = (np.broadcast_to(x, shape).ravel() for x in (a, b, c, d))
    total = a + b + c + d
    row = a + b  # reached
    col = a + c  # retained
    ok = (row > 0) & (row < total) & (col > 0) & (col < total)
    out = np.full(a.shape, np.nan)
    if not ok.any():
        return out.reshape(shape)
    m_, n_, k_, x = total[ok], col[ok], row[ok], a[ok]
    lo = np.maximum(0, k_ - (m_ - n_))
    hi = np.minimum(k_, n_)
    mode = np.floor((k_ + 1) * (n_ + 1) / (m_ + 2)).astype(np.int64)
    mode = np.clip(mode, lo, hi)
    logp_obs = hypergeom.logpmf(x, m_, n_, k_)
    cut = logp_obs + np.log(_REL_TOL)
    upper = x >= mode
    # far side: the support on the other side of the mode whose pmf <= pmf(obs)
    # upper case: search [lo, min(mode, x-1)] for the largest k with pmf(k) <= cut
    # lower case: search [max(mode, x+1), hi] for the smallest k with pmf(k) <= cut
    left = np.where(upper, lo, np.maximum(mode, x + 1))
    right = np.where(upper, np.minimum(mode, x - 1), hi)
    # bisection for the boundary; pmf increases on [lo, mode] and decreases on [mode, hi]
    found = np.where(upper, lo - 1, hi + 1)  # no such k yet
    for _ in range(64):
        active = left <= right
        if not active.any():
            break
        mid = (left + right) // 2
        lp = hypergeom.logpmf(np.where(active, mid, mode), m_, n_, k_)
        small = lp <= cut
        # upper case (increasing side): small -> boundary at or right of mid
        up_small = active & upper & small
        up_big = active & upper & ~small
        found = np.where(up_small, mid, found)
        left = np.where(up_small, mid + 1, left)
        right = np.where(up_big, mid - 1, right)
        # lower case (decreasing side): small -> boundary at or left of mid
        lo_small = active & ~upper & small
        lo_big = active & ~upper & ~small
        found = np.where(lo_small, mid, found)
        right = np.where(lo_small, mid - 1, right)
        left = np.where(lo_big, mid + 1, left)
    # P(X >= x) and P(X <= found) for the upper case; P(X <= x) + P(X >= found) otherwise
    near = _log_tail(x, upper, m_, n_, k_)
    has_far = np.where(upper, found >= lo, found <= hi)
    far = np.full_like(near, -np.inf)
    if has_far.any():
        far[has_far] = _log_tail(found[has_far], ~upper[has_far], m_[has_far], n_[has_far],
                                 k_[has_far])
    out[ok] = np.minimum(0.0, np.logaddexp(near, far))
    return out.reshape(shape)


def fdr_qvalues(p_values: ArrayLike, *, method: str = "bh") -> FloatArray:
    """Benjamini-Hochberg (``bh``) or Benjamini-Yekutieli (``by``) adjusted p-values.

    NaN p-values (untestable conditions) stay NaN and are not counted in the family.

    Example:
        >>> fdr_qvalues([0.01, 0.04, 0.03, float("nan"), 0.5]).round(3).tolist()
        [0.04, 0.053, 0.053, nan, 0.5]
    """
    p = np.asarray(p_values, dtype=np.float64)
    flat = p.ravel()
    q = np.full(flat.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(flat))
    m = ok.size
    if m == 0:
        return q.reshape(p.shape)
    order = ok[np.argsort(flat[ok], kind="stable")]
    ranks = np.arange(1, m + 1)
    scale = float(np.sum(1.0 / ranks)) if method == "by" else 1.0
    adj = flat[order] * m * scale / ranks
    adj = np.minimum.accumulate(adj[::-1])[::-1]
    q[order] = np.minimum(adj, 1.0)
    return q.reshape(p.shape)


def pareto_front(precision: ArrayLike, recall: ArrayLike) -> NDArray[np.bool_]:
    """Which points are not dominated in (precision, recall), both to be maximized.

    A point is dominated when another is at least as good on both and better on
    one. NaN points are never on the front.

    Example:
        >>> pareto_front([0.9, 0.5, 0.4, 0.6], [0.2, 0.8, 0.7, 0.5]).tolist()
        [True, True, False, True]
    """
    shape = np.shape(precision)
    prec = np.asarray(precision, dtype=np.float64).ravel()
    rec = np.asarray(recall, dtype=np.float64).ravel()
    front = np.zeros(prec.shape, dtype=bool)
    ok = np.flatnonzero(~(np.isnan(prec) | np.isnan(rec)))
    if ok.size == 0:
        return front.reshape(shape)
    # sort by recall descending, then precision descending; keep strict precision records
    order = ok[np.lexsort((-prec[ok], -rec[ok]))]
    p_sorted = prec[order]
    best_before = np.concatenate([[-np.inf], np.maximum.accumulate(p_sorted)[:-1]])
    front[order[p_sorted > best_before]] = True
    return front.reshape(shape)
