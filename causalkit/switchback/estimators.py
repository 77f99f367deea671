"""Horvitz-Thompson estimation of the lag-p effect, its exact and conservative variances.

For windows ``i`` (region-periods with ``t >= p``) let ``U_i``/``L_i`` say that the
last ``p + 1`` assignments were all treatment/all control, with probabilities
``pi1_i``/``pi0_i``. The estimator of Bojinov, Simchi-Levi & Zhao (2023) is

    tau_hat = (1/N) * sum_i [ Y_i U_i / pi1_i  -  Y_i L_i / pi0_i ].

Its exact variance is a sum over dependent pairs (shared coins) of
``Y1_i Y1_j (pi11/(pi1 pi1) - 1) + Y0_i Y0_j (pi00/(pi0 pi0) - 1)
- 2 Y1_i Y0_j (pi10/(pi1 pi0) - 1)``. Products ``Y1_i Y0_j`` of windows that can
never be observed together (``pi10 = 0``), and ``Y1_i Y1_j`` with ``pi11 = 0``, are
bounded with ``2ab <= a^2 + b^2`` as in the paper's conservative variance; every
other term is estimated without bias by inverse joint probabilities. The resulting
estimator has expectation >= the true variance (tested by enumeration).

Example:
    >>> from causalkit.switchback.design import block_starts, regular_design
    >>> from causalkit.switchback.windows import dependent_pairs, lag_windows
    >>> d = regular_design(1, 12, block_starts(12, 2, optimal=True), q=0.5)
    >>> w = lag_windows(d, 2)
    >>> ones = w.group_sums(np.ones(w.n_windows))
    >>> exact_variance(w, dependent_pairs(w), ones, ones, w.n_windows)  # 16·4·4/100
    2.56
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from causalkit.progress import track
from causalkit.switchback.design import draw_coins
from causalkit.switchback.windows import BoolArray, FloatArray, Pairs, Windows

P_FLOOR = float(np.nextafter(0.0, 1.0))
"""The smallest positive double: a p-value too small for a double is reported as this
upper bound, never as 0."""


def two_sided_p(z: float, df: float = float("inf")) -> float:
    """Two-sided p-value ``2 sf(|z|)`` (normal, or Student's t with ``df`` degrees of freedom).

    Survival functions, not ``1 - cdf``, so the far tail keeps its digits; a finite
    statistic never gives 0 (below the smallest double the bound :data:`P_FLOOR` is
    returned); a NaN statistic gives NaN.

    Example:
        >>> two_sided_p(1.959963984540054), two_sided_p(30.0), two_sided_p(50.0)
        (0.05, 9.81...e-198, 5e-324)
        >>> round(two_sided_p(3.0, df=4), 4), two_sided_p(float("inf"))
        (0.0399, 5e-324)
    """
    from scipy import stats

    if np.isnan(z) or np.isnan(df):
        return float("nan")
    a = abs(float(z))
    p = 2.0 * float(stats.norm.sf(a) if np.isinf(df) else stats.t.sf(a, df))
    return min(1.0, max(p, P_FLOOR))


def _div(num: FloatArray, den: FloatArray) -> FloatArray:
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


def ht_estimate(w: Windows, treated: BoolArray, control: BoolArray, yt: FloatArray,
                yc: FloatArray, n: int) -> FloatArray:
    """The Horvitz-Thompson estimate from group sums.

    Args:
        w: the windows.
        treated, control: ``(..., G)`` all-treated / all-control indicators.
        yt, yc: ``(..., G)`` group sums of the outcome used for the treated and the
            control part (the same observed outcome for a plain estimate).
        n: number of windows ``N``.

    Example:
        >>> from causalkit.switchback.design import regular_design
        >>> from causalkit.switchback.windows import lag_windows
        >>> w = lag_windows(regular_design(1, 3, np.arange(3), q=0.5), 0)
        >>> U, L = w.indicators(np.array([True, False, True]))
        >>> float(ht_estimate(w, U, L, np.array([3.0, 1, 3]), np.array([3.0, 1, 3]), 3))
        3.3333333333333335
    """
    t = np.sum(np.where(treated, yt / w.pi1, 0.0), axis=-1)
    c = np.sum(np.where(control, yc / w.pi0, 0.0), axis=-1)
    return np.asarray((t - c) / n)


def conservative_variance(w: Windows, pairs: Pairs, treated: BoolArray, control: BoolArray,
                          yt: FloatArray, yc: FloatArray, n: int) -> FloatArray:
    """Estimate of an upper bound of the variance of :func:`ht_estimate`.

    Works for any linear statistic ``(1/N) sum [a_i U_i/pi1_i - b_i L_i/pi0_i]``
    (pass ``yt = a``, ``yc = b``), which is what the delta method and the Hajek
    linearization need. Leading axes of the inputs broadcast (many draws at once).

    Example:
        >>> from causalkit.switchback.design import regular_design
        >>> from causalkit.switchback.windows import dependent_pairs, lag_windows
        >>> w = lag_windows(regular_design(1, 2, np.arange(2), q=0.5), 0)
        >>> U, L = w.indicators(np.array([True, False]))
        >>> y = np.array([1.0, 1.0])
        >>> float(conservative_variance(w, dependent_pairs(w), U, L, y, y, 2))
        2.0
    """
    g, h = pairs.g, pairs.h
    pi1, pi0 = w.pi1, w.pi0
    ut = np.where(treated, yt, 0.0)
    lc = np.where(control, yc, 0.0)
    sq_t = _div(ut * ut, pi1)  # unbiased for yt^2 when multiplied out
    sq_c = _div(lc * lc, pi0)
    # treated x treated
    both = _div(ut[..., g] * ut[..., h], pairs.pi11)
    a = np.where(pairs.pi11 > 0, both * (pairs.pi11 / (pi1[g] * pi1[h]) - 1.0),
                 0.5 * (sq_t[..., g] + sq_t[..., h]))
    # control x control
    both = _div(lc[..., g] * lc[..., h], pairs.pi00)
    b = np.where(pairs.pi00 > 0, both * (pairs.pi00 / (pi0[g] * pi0[h]) - 1.0),
                 0.5 * (sq_c[..., g] + sq_c[..., h]))
    # -2 Cov(treated part of g, control part of h)
    both = _div(ut[..., g] * lc[..., h], pairs.pi10)
    c = np.where(pairs.pi10 > 0, -2.0 * both * (pairs.pi10 / (pi1[g] * pi0[h]) - 1.0),
                 sq_t[..., g] + sq_c[..., h])
    return np.asarray(np.sum(a + b + c, axis=-1) / float(n) ** 2)


def exact_variance(w: Windows, pairs: Pairs, y1: FloatArray, y0: FloatArray, n: int) -> float:
    """Exact design variance of :func:`ht_estimate` given both potential outcomes.

    Args:
        y1, y0: ``(G,)`` group sums of the outcomes under all treatment / all control.

    Example:
        >>> from causalkit.switchback.design import regular_design
        >>> from causalkit.switchback.windows import dependent_pairs, lag_windows
        >>> w = lag_windows(regular_design(1, 2, np.arange(2), q=0.5), 0)
        >>> exact_variance(w, dependent_pairs(w), np.ones(2), np.ones(2), 2)
        2.0
    """
    g, h = pairs.g, pairs.h
    a = y1[g] * y1[h] * (pairs.pi11 / (w.pi1[g] * w.pi1[h]) - 1.0)
    b = y0[g] * y0[h] * (pairs.pi00 / (w.pi0[g] * w.pi0[h]) - 1.0)
    c = -2.0 * y1[g] * y0[h] * (pairs.pi10 / (w.pi1[g] * w.pi0[h]) - 1.0)
    return float(np.sum(a + b + c) / float(n) ** 2)


def hajek_estimate(w: Windows, treated: BoolArray, control: BoolArray, y: FloatArray
                   ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Self-normalized (Hajek) means and effect: ``(mu1, mu0, mu1 - mu0)``.

    ``y`` are group sums; the weights are the windows per group over the probability.

    Example:
        >>> from causalkit.switchback.design import regular_design
        >>> from causalkit.switchback.windows import lag_windows
        >>> w = lag_windows(regular_design(1, 3, np.arange(3), q=0.5), 0)
        >>> U, L = w.indicators(np.array([True, False, True]))
        >>> [float(x) for x in hajek_estimate(w, U, L, np.array([3.0, 1, 3]))]
        [3.0, 1.0, 2.0]
    """
    wt = np.sum(np.where(treated, w.size / w.pi1, 0.0), axis=-1)
    wc = np.sum(np.where(control, w.size / w.pi0, 0.0), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu1 = np.sum(np.where(treated, y / w.pi1, 0.0), axis=-1) / wt
        mu0 = np.sum(np.where(control, y / w.pi0, 0.0), axis=-1) / wc
    return np.asarray(mu1), np.asarray(mu0), np.asarray(mu1 - mu0)


@dataclass(frozen=True)
class RandomizationResult:
    """A Fisher randomization test of the sharp null of no effect.

    Attributes:
        statistic: the observed estimate.
        p_value: two-sided, ``P(|T*| >= |T_obs|)`` (Monte Carlo: ``(1 + k) / (1 + D)``).
        draws: schedules drawn (or enumerated).
        exact: whether every possible schedule was enumerated.
        null_sd: standard deviation of the statistic over the draws.

    Example:
        >>> from causalkit.switchback.design import regular_design
        >>> from causalkit.switchback.windows import lag_windows
        >>> w = lag_windows(regular_design(1, 4, np.arange(4), q=0.5), 0)
        >>> r = randomization_test(w, 4, np.array([3.0, 1.0, 3.0, 1.0]), 2.0, n=4)
        >>> r.exact, r.draws, r.p_value  # all 2**4 schedules enumerated
        (True, 16, 0.5)
    """

    statistic: float
    p_value: float
    draws: int
    exact: bool
    null_sd: float


def _all_coins(n_coins: int, q: float) -> tuple[BoolArray, FloatArray]:
    codes = np.arange(2 ** n_coins, dtype=np.int64)
    coins = ((codes[:, None] >> np.arange(n_coins)) & 1).astype(bool)
    ones = coins.sum(axis=1)
    return coins, q ** ones * (1 - q) ** (n_coins - ones)


def randomization_test(w: Windows, n_coins: int, y: FloatArray, observed: float, *,
                       n: int, draws: int = 10_000, hajek: bool = False,
                       rng: np.random.Generator | None = None, block: int = 2_000
                       ) -> RandomizationResult:
    """Re-draw schedules from the design and recompute the estimate under the sharp null.

    Under the sharp null the observed outcomes do not depend on the schedule, so
    each draw's estimate is a matrix product of its (draws x groups) indicators with
    the fixed outcomes. Designs with at most ``log2(draws)`` coins are enumerated
    exactly (weighted by their probabilities).

    Args:
        w: windows of the analysed lag.
        n_coins: coins of the design.
        y: ``(G,)`` group sums of the (centred) observed outcome.
        observed: the observed estimate.
        n: number of windows.
        draws: Monte Carlo draws (at least 10,000 recommended).
        hajek: use the Hajek estimate as the statistic.
        rng: random generator.
        block: draws per vectorized block (bounds memory).

    Example:
        >>> from causalkit.switchback.design import regular_design
        >>> from causalkit.switchback.windows import lag_windows
        >>> w = lag_windows(regular_design(1, 3, np.arange(3), q=0.5), 0)
        >>> randomization_test(w, 3, np.array([1.0, 2, 3]), 4.0, n=3).exact
        True
    """
    rng = rng or np.random.default_rng(0)
    a1 = y / w.pi1
    a0 = y / w.pi0
    obs = abs(observed)
    tol = 1e-12 * max(1.0, obs)

    def stats(coins: BoolArray) -> FloatArray:
        u, lo = w.indicators(coins)
        uf = u.astype(np.float64)
        lf = lo.astype(np.float64)
        if hajek:
            with np.errstate(invalid="ignore", divide="ignore"):
                mu1 = (uf @ a1) / (uf @ (w.size / w.pi1))
                mu0 = (lf @ a0) / (lf @ (w.size / w.pi0))
            return np.asarray(mu1 - mu0)
        return np.asarray((uf @ a1 - lf @ a0) / n)

    if n_coins <= 30 and 2 ** n_coins <= draws:
        coins, prob = _all_coins(n_coins, w.q)
        s = stats(coins)
        extreme = ~(np.abs(s) < obs - tol)  # NaN counts as extreme
        mean = float(np.sum(prob * np.nan_to_num(s)))
        sd = float(np.sqrt(np.sum(prob * (np.nan_to_num(s) - mean) ** 2)))
        return RandomizationResult(float(observed), float(np.sum(prob[extreme])),
                                   len(prob), True, sd)
    count = 0
    total = 0.0
    total_sq = 0.0
    done = 0
    with track("randomization test", total=draws, unit="draws") as step:
        while done < draws:
            size = min(block, draws - done)
            s = stats(draw_coins(rng, size, n_coins, w.q))
            count += int(np.sum(~(np.abs(s) < obs - tol)))
            finite = np.nan_to_num(s)
            total += float(finite.sum())
            total_sq += float((finite ** 2).sum())
            done += size
            step.advance(size)
    mean = total / draws
    sd = float(np.sqrt(max(total_sq / draws - mean ** 2, 0.0)))
    return RandomizationResult(float(observed), (1 + count) / (1 + draws), draws, False, sd)
