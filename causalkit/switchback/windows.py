"""Lag-p windows of a coin design and their exact (joint) probabilities.

The lag-p effect compares periods whose last ``p + 1`` assignments were all
treatment with periods whose last ``p + 1`` were all control. Whether window
``t-p..t`` of a region is all treated is a condition on a few coins ("coin ``c``
shows ``v``"); its probability is ``q^{#1}(1-q)^{#0}`` over the distinct coins.
Windows with the same condition are grouped, because they are always in or out
together. Two groups are *dependent* when their conditions share a coin; only
those pairs enter a variance.

Example:
    >>> from causalkit.switchback.design import block_starts, regular_design
    >>> d = regular_design(1, 12, block_starts(12, 2, optimal=True), q=0.5)
    >>> w = lag_windows(d, 2)
    >>> w.n_windows, w.n_groups, w.pi1.tolist()
    (10, 5, [0.5, 0.25, 0.25, 0.25, 0.5])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from causalkit.errors import SpecError
from causalkit.switchback.design import CoinDesign

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Windows:
    """Lag-p windows grouped by identical coin conditions.

    Attributes:
        p: the lag.
        q: coin probability.
        region, period: ``(N,)`` region and 0-based period of each window.
        group: ``(N,)`` group of each window.
        coins, values: ``(G, w)`` the coins of each group's condition and the value
            each must show for "all treated" (``-1`` pads unused slots).
        pi1, pi0: ``(G,)`` probabilities of all treated / all control.
        size: ``(G,)`` number of windows per group.
    """

    p: int
    q: float
    region: NDArray[np.int64]
    period: NDArray[np.int64]
    group: NDArray[np.int64]
    coins: NDArray[np.int64]
    values: NDArray[np.int64]
    pi1: FloatArray
    pi0: FloatArray
    size: NDArray[np.int64]

    @property
    def n_windows(self) -> int:
        """Number of windows ``N``."""
        return len(self.group)

    @property
    def n_groups(self) -> int:
        """Number of groups ``G``."""
        return len(self.pi1)

    def indicators(self, coins: BoolArray) -> tuple[BoolArray, BoolArray]:
        """All-treated and all-control indicators per group for coin values.

        Args:
            coins: ``(n_coins,)`` or ``(D, n_coins)``.

        Returns:
            ``(U, L)`` with shape ``(G,)`` or ``(D, G)``.

        Example:
            >>> from causalkit.switchback.design import regular_design
            >>> w = lag_windows(regular_design(1, 4, np.array([0, 2]), q=0.5), 1)
            >>> [x.tolist() for x in w.indicators(np.array([True, False]))]
            [[True, False, False], [False, False, True]]
        """
        c = np.asarray(coins, dtype=bool)
        treated = np.ones((*c.shape[:-1], self.n_groups), dtype=bool)
        control = np.ones_like(treated)
        for j in range(self.coins.shape[1]):  # a few columns: one vector op each
            col = self.coins[:, j]
            live = col >= 0
            shown = c[..., np.where(live, col, 0)]
            want = self.values[:, j] == 1
            treated &= (shown == want) | ~live
            control &= (shown != want) | ~live
        return treated, control

    def group_sums(self, y: FloatArray) -> FloatArray:
        """Sum a per-window array (last axis ``N``) within groups (last axis ``G``).

        Example:
            >>> from causalkit.switchback.design import regular_design
            >>> w = lag_windows(regular_design(1, 4, np.array([0, 2]), q=0.5), 1)
            >>> w.group_sums(np.array([1.0, 2.0, 3.0])).tolist()
            [1.0, 2.0, 3.0]
        """
        y = np.asarray(y, dtype=np.float64)
        lead = y.shape[:-1]
        rows = int(np.prod(lead)) if lead else 1
        flat = (np.arange(rows)[:, None] * self.n_groups + self.group[None, :]).ravel()
        sums = np.bincount(flat, weights=y.reshape(rows, -1).ravel(),
                           minlength=rows * self.n_groups)
        return np.asarray(sums.reshape(*lead, self.n_groups), dtype=np.float64)


def _canonical(coins: NDArray[np.int64], values: NDArray[np.int64]
               ) -> tuple[NDArray[np.int64], NDArray[np.int64], BoolArray]:
    """Sort each row by coin, blank out repeated coins, flag rows whose coins conflict."""
    order = np.argsort(coins, axis=1, kind="stable")
    c = np.take_along_axis(coins, order, axis=1)
    v = np.take_along_axis(values, order, axis=1)
    valid = c >= 0
    same = np.zeros_like(valid)
    same[:, 1:] = (c[:, 1:] == c[:, :-1]) & valid[:, 1:]
    conflict = np.any(same[:, 1:] & (v[:, 1:] != v[:, :-1]), axis=1)
    c = np.where(same, -1, c)
    v = np.where(same, -1, v)
    order = np.argsort(c, axis=1, kind="stable")
    return np.take_along_axis(c, order, axis=1), np.take_along_axis(v, order, axis=1), conflict


def _prob(values: NDArray[np.int64], q: float) -> FloatArray:
    n1 = np.sum(values == 1, axis=-1)
    n0 = np.sum(values == 0, axis=-1)
    return np.asarray(q ** n1 * (1.0 - q) ** n0, dtype=np.float64)


def lag_windows(design: CoinDesign, p: int, include: BoolArray | None = None) -> Windows:
    """The lag-``p`` windows ``t-p..t`` (0-based ``t >= p``) of every region.

    Args:
        design: the coin design.
        p: the lag (the carryover order ``m`` for the lag-m effect).
        include: optional ``(R, T)`` mask; windows whose last period is masked out are
            left out (e.g. region-periods without data).

    Raises:
        SpecError: when ``p`` leaves no window, or a window cannot be all treated
            (both periods of a balanced pair inside one window).

    Example:
        >>> from causalkit.switchback.design import regular_design
        >>> lag_windows(regular_design(2, 3, np.arange(3), q=0.5), 1).n_groups
        4
    """
    n_regions, n_periods = design.shape
    if p < 0 or p >= n_periods:
        raise SpecError(f"lag {p} leaves no window in {n_periods} periods", field="schedule")
    t = np.arange(p, n_periods)
    idx = t[:, None] - np.arange(p, -1, -1)[None, :]
    coins = design.coin_of[:, idx].reshape(-1, p + 1)
    values = (~design.flip[:, idx]).astype(np.int64).reshape(-1, p + 1)
    region = np.repeat(np.arange(n_regions, dtype=np.int64), len(t))
    period = np.tile(t.astype(np.int64), n_regions)
    if include is not None:
        keep = np.asarray(include, dtype=bool)[region, period]
        coins, values, region, period = coins[keep], values[keep], region[keep], period[keep]
    if len(region) == 0:
        raise SpecError("no region-period is left to analyse", field="schedule")
    c, v, conflict = _canonical(coins, values)
    if conflict.any():
        raise SpecError(
            f"a lag-{p} window holds both periods of a balanced pair, so it can never be "
            "all treated", field="schedule.design",
            hint="use a shorter carryover or the optimal design",
        )
    rows, group = np.unique(np.concatenate([c, v], axis=1), axis=0, return_inverse=True)
    group = group.ravel()
    first = np.full(len(rows), len(group), dtype=np.int64)
    np.minimum.at(first, group, np.arange(len(group)))
    order = np.argsort(first, kind="stable")  # groups in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    rows, group = rows[order], rank[group]
    width = c.shape[1]
    gc, gv = rows[:, :width], rows[:, width:]
    pi1 = _prob(gv, design.q)
    pi0 = _prob(np.where(gv >= 0, 1 - gv, -1), design.q)
    size = np.bincount(group, minlength=len(rows)).astype(np.int64)
    return Windows(p=p, q=design.q, region=region, period=period,
                   group=group.astype(np.int64), coins=gc, values=gv,
                   pi1=pi1, pi0=pi0, size=size)


@dataclass(frozen=True, eq=False)
class Pairs:
    """Ordered pairs ``(g, h)`` of dependent groups (sharing a coin; includes ``g == h``)
    with their joint probabilities: both all treated (``pi11``), both all control
    (``pi00``), ``g`` all treated and ``h`` all control (``pi10``).

    Example:
        >>> from causalkit.switchback.design import regular_design
        >>> w = lag_windows(regular_design(1, 3, np.arange(3), q=0.5), 1)
        >>> w.coins.tolist()  # two windows: coins (0, 1) and (1, 2)
        [[0, 1], [1, 2]]
        >>> pr = dependent_pairs(w)
        >>> list(zip(pr.g.tolist(), pr.h.tolist())), pr.pi11.tolist(), pr.pi10.tolist()
        ([(0, 0), (0, 1), (1, 0), (1, 1)], [0.25, 0.125, 0.125, 0.25], [0.0, 0.0, 0.0, 0.0])
    """

    g: NDArray[np.int64]
    h: NDArray[np.int64]
    pi11: FloatArray
    pi00: FloatArray
    pi10: FloatArray


def _joint(c1: NDArray[np.int64], v1: NDArray[np.int64], c2: NDArray[np.int64],
           v2: NDArray[np.int64], q: float) -> FloatArray:
    _c, v, conflict = _canonical(np.concatenate([c1, c2], axis=1),
                                np.concatenate([v1, v2], axis=1))
    prob = _prob(v, q)
    prob[conflict] = 0.0
    return prob


def dependent_pairs(w: Windows) -> Pairs:
    """Every ordered pair of groups whose conditions share a coin.

    Example:
        >>> from causalkit.switchback.design import regular_design
        >>> pr = dependent_pairs(lag_windows(regular_design(1, 4, np.array([0, 2]), q=0.5), 1))
        >>> list(zip(pr.g.tolist(), pr.h.tolist()))
        [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 1), (2, 2)]
    """
    n_groups, width = w.coins.shape
    gid = np.repeat(np.arange(n_groups, dtype=np.int64), width)
    cid = w.coins.ravel()
    keep = cid >= 0
    gid, cid = gid[keep], cid[keep]
    order = np.lexsort((gid, cid))
    gid, cid = gid[order], cid[order]
    starts = np.flatnonzero(np.r_[True, cid[1:] != cid[:-1]])
    sizes = np.diff(np.r_[starts, len(cid)])
    per_elem = np.repeat(sizes, sizes)
    first_of = np.repeat(starts, sizes)
    i_idx = np.repeat(np.arange(len(gid)), per_elem)
    offs = np.arange(int(per_elem.sum())) - np.repeat(np.cumsum(per_elem) - per_elem, per_elem)
    j_idx = np.repeat(first_of, per_elem) + offs
    key = np.unique(gid[i_idx] * n_groups + gid[j_idx])
    g, h = key // n_groups, key % n_groups
    cg, vg, ch, vh = w.coins[g], w.values[g], w.coins[h], w.values[h]
    vh_control = np.where(vh >= 0, 1 - vh, -1)
    vg_control = np.where(vg >= 0, 1 - vg, -1)
    return Pairs(
        g=g, h=h,
        pi11=_joint(cg, vg, ch, vh, w.q),
        pi00=_joint(cg, vg_control, ch, vh_control, w.q),
        pi10=_joint(cg, vg, ch, vh_control, w.q),
    )
