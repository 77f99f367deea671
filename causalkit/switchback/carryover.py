"""Carryover diagnostics: the lag-p estimate across lags, and a test of the carryover order.

If the carryover order is at most ``p``, the outcome of period ``t`` depends on
assignments ``t-p..t`` only, so the lag-``p`` and lag-``(p+1)`` estimands coincide
(up to the one period ``t = p`` that only the shorter lag uses); this is the
misspecification result of Bojinov, Simchi-Levi & Zhao (2023, Sec. 6) turned into
a test. The statistic ``tau_hat(p+1) - tau_hat(p)`` is a linear Horvitz-Thompson
statistic of both window sets at once; its conservative variance comes from the
same pairwise construction as the estimator's, so the z-test is conservative. The
estimated order is the smallest ``p`` after which no difference is significant.

Example:
    >>> from causalkit.switchback.design import regular_design
    >>> d = regular_design(1, 40, np.arange(40), q=0.5)
    >>> coins = d.draw(np.random.default_rng(1))
    >>> y = d.arms(coins) - 0.5  # no carryover, effect 1
    >>> order_test(d, coins, y, 0).p_value > 0.05
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from causalkit.switchback.design import CoinDesign
from causalkit.switchback.estimators import conservative_variance, ht_estimate, two_sided_p
from causalkit.switchback.windows import Windows, dependent_pairs, lag_windows


@dataclass(frozen=True)
class OrderTest:
    """``H0``: the carryover order is at most ``lag``; compares lags ``lag`` and ``lag+1``.

    Example:
        >>> from causalkit.switchback.design import regular_design
        >>> d = regular_design(1, 40, np.arange(40), q=0.5)
        >>> c = d.draw(np.random.default_rng(1))
        >>> a = d.arms(c)[0].astype(float)
        >>> y = 3 * np.r_[0, a[:-1]][None, :] - 1.5  # the effect arrives one period late
        >>> t = order_test(d, c, y, 0)
        >>> t.lag, round(t.difference, 1), t.p_value < 0.05
        (0, 3.1, True)
    """

    lag: int
    difference: float
    se: float
    z: float
    p_value: float


def _stack(a: Windows, b: Windows) -> Windows:
    width = max(a.coins.shape[1], b.coins.shape[1])

    def pad(x: NDArray[np.int64]) -> NDArray[np.int64]:
        return np.pad(x, ((0, 0), (width - x.shape[1], 0)), constant_values=-1)

    return Windows(
        p=b.p, q=a.q, region=np.r_[a.region, b.region], period=np.r_[a.period, b.period],
        group=np.r_[a.group, b.group + a.n_groups],
        coins=np.vstack([pad(a.coins), pad(b.coins)]),
        values=np.vstack([pad(a.values), pad(b.values)]),
        pi1=np.r_[a.pi1, b.pi1], pi0=np.r_[a.pi0, b.pi0], size=np.r_[a.size, b.size],
    )


def _centred(w: Windows, y: NDArray[np.float64]) -> NDArray[np.float64]:
    return w.group_sums(y[w.region, w.period])


def order_test(design: CoinDesign, coins: NDArray[np.bool_], y: NDArray[np.float64],
               lag: int) -> OrderTest:
    """Test ``H0: carryover order <= lag`` with ``tau_hat(lag+1) - tau_hat(lag)``.

    Args:
        design: the coin design; ``coins`` the realized coins.
        y: ``(R, T)`` outcomes (NaN = missing, left out), already centred if wanted.
        lag: the order under the null.

    Example:
        >>> from causalkit.switchback.design import regular_design
        >>> d = regular_design(1, 200, np.arange(200), q=0.5)
        >>> c = d.draw(np.random.default_rng(3))
        >>> a = d.arms(c)[0].astype(float)
        >>> y = 3 * np.r_[0, a[:-1]][None, :] - 1.5  # the effect arrives one period late
        >>> [order_test(d, c, y, lag).p_value < 0.05 for lag in (0, 1)]
        [True, False]
    """
    ok = ~np.isnan(y)
    yy = np.where(ok, y, 0.0)
    w0 = lag_windows(design, lag, ok)
    w1 = lag_windows(design, lag + 1, ok)
    both = _stack(w0, w1)
    y0 = _centred(w0, yy)
    y1 = _centred(w1, yy)
    coef = np.r_[-y0 / w0.n_windows, y1 / w1.n_windows]
    u, lo = both.indicators(coins)
    diff = float(ht_estimate(both, u, lo, coef, coef, 1))
    var = float(conservative_variance(both, dependent_pairs(both), u, lo, coef, coef, 1))
    se = float(np.sqrt(max(var, 0.0)))
    z = diff / se if se > 0 else 0.0
    return OrderTest(lag=lag, difference=diff, se=se, z=z,
                     p_value=two_sided_p(z))


def estimated_order(tests: list[OrderTest], alpha: float) -> int:
    """Smallest lag after which no order test rejects at ``alpha``.

    Example:
        >>> t = [OrderTest(0, 1.0, 0.1, 10.0, 1e-9), OrderTest(1, 0.0, 0.1, 0.0, 1.0)]
        >>> estimated_order(t, 0.05)
        1
    """
    order = 0
    for t in tests:
        if t.p_value < alpha:
            order = t.lag + 1
    return order
