"""Switch-back designs, all written as independent coins.

Every design here is a set of independent coins, each showing 1 with probability
``q``. The arm of region ``r`` in period ``t`` is the value of coin
``coin_of[r, t]``, flipped where ``flip[r, t]`` is true:

* ``optimal`` (Bojinov, Simchi-Levi & Zhao 2023, Theorem 3): for ``T = n·m``
  periods and ``n >= 4``, coins at the (1-indexed) randomization points
  ``{1, 2m+1, 3m+1, ..., (n-2)m+1}``, i.e. blocks of ``2m`` periods at both ends and
  ``m`` in between. When ``T`` is not a multiple of ``m``, the ``T - n·m`` leftover
  periods join the last block (the design stays regular, so the estimators stay
  unbiased; minimax optimality is only proven for ``T = n·m``). ``m = 0`` means a
  coin every period.
* ``bernoulli``: a coin every period.
* ``balanced``: within each region, periods that start at the same local
  time-of-week slot are paired in time order; one coin decides which period of a
  pair is treated, so each slot gets equal treated time (an odd one out gets its
  own coin).
* complementary pairing: the second region of a pair reads the first region's
  coins, flipped, so the two are always in opposite arms.

Example:
    >>> randomization_points(12, 2)
    [1, 5, 7, 9]
    >>> d = regular_design(1, 12, block_starts(12, 2, optimal=True), q=0.5)
    >>> d.coin_of[0].tolist()
    [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 3, 3]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from causalkit.errors import SpecError


@dataclass(frozen=True, eq=False)
class CoinDesign:
    """A design as independent coins (see the module docstring).

    Attributes:
        coin_of: ``(R, T)`` coin index of each region-period.
        flip: ``(R, T)`` whether the period is treated when its coin shows 0.
        q: probability that a coin shows 1.
        n_coins: number of coins.
        randomization_point: ``(R, T)`` whether a new coin decides the period's arm
            (its coin differs from the previous period's).

    Example:
        >>> d = regular_design(2, 4, np.array([0, 2]), q=0.5, complementary=True)
        >>> d.arms(np.array([True, False])).tolist()
        [[1, 1, 0, 0], [0, 0, 1, 1]]
    """

    coin_of: NDArray[np.int64]
    flip: NDArray[np.bool_]
    q: float
    n_coins: int
    randomization_point: NDArray[np.bool_]

    @property
    def shape(self) -> tuple[int, int]:
        """``(regions, periods)``."""
        r, t = self.coin_of.shape
        return int(r), int(t)

    def arms(self, coins: NDArray[np.bool_]) -> NDArray[np.int8]:
        """Arms (1 treatment, 0 control) for coin values ``(n_coins,)`` or ``(D, n_coins)``.

        Example:
            >>> regular_design(1, 3, np.array([0, 1]), q=0.5).arms(
            ...     np.array([[True, False], [False, True]])).tolist()
            [[[1, 0, 0]], [[0, 1, 1]]]
        """
        values = np.asarray(coins, dtype=bool)[..., self.coin_of]
        return (values ^ self.flip).astype(np.int8)

    def draw(self, rng: np.random.Generator, size: int | None = None) -> NDArray[np.bool_]:
        """Draw coin values: ``(n_coins,)`` or ``(size, n_coins)``.

        Example:
            >>> regular_design(1, 4, np.array([0, 2]), q=0.5).draw(
            ...     np.random.default_rng(0), 3).shape
            (3, 2)
        """
        coins = draw_coins(rng, 1 if size is None else size, self.n_coins, self.q)
        return coins[0] if size is None else coins


def draw_coins(rng: np.random.Generator, size: int, n_coins: int, q: float
               ) -> NDArray[np.bool_]:
    """``(size, n_coins)`` independent coins showing 1 with probability ``q``
    (fair coins come from random bits, 64 times cheaper than uniform doubles).

    Example:
        >>> draw_coins(np.random.default_rng(0), 4, 3, 0.5).shape
        (4, 3)
    """
    if q == 0.5:
        nbytes = (n_coins + 7) // 8
        raw = rng.integers(0, 256, (size, nbytes), dtype=np.uint8)
        return np.unpackbits(raw, axis=1, count=n_coins).view(bool)
    return rng.random((size, n_coins)) < q


def block_starts(n_periods: int, carryover: int, *, optimal: bool) -> NDArray[np.int64]:
    """0-based first periods of the blocks of a regular design.

    Args:
        n_periods: ``T``.
        carryover: ``m`` in periods.
        optimal: the minimax design of Bojinov et al.; otherwise a coin every period.

    Raises:
        SpecError: when the optimal design needs more periods (``T < 4m``).

    Example:
        >>> block_starts(13, 3, optimal=True).tolist()
        [0, 6]
        >>> block_starts(4, 0, optimal=True).tolist()
        [0, 1, 2, 3]
    """
    if n_periods < 1:
        raise SpecError("the schedule has no period", field="schedule")
    if not optimal or carryover == 0:
        return np.arange(n_periods, dtype=np.int64)
    n = n_periods // carryover
    if n < 4:
        raise SpecError(
            f"the optimal design needs at least 4·m = {4 * carryover} periods "
            f"(carryover m = {carryover}), but the schedule has {n_periods}",
            field="schedule",
            hint="lengthen the schedule, shorten the period, or use design: bernoulli",
        )
    inner = np.arange(2, n - 1, dtype=np.int64) * carryover
    return np.concatenate([np.zeros(1, dtype=np.int64), inner])


def randomization_points(n_periods: int, carryover: int) -> list[int]:
    """1-indexed randomization points of the optimal design (the paper's notation).

    Example:
        >>> len(randomization_points(120, 2))
        58
    """
    return [int(x) + 1 for x in block_starts(n_periods, carryover, optimal=True)]


def _pair_regions(n_regions: int, complementary: bool) -> tuple[NDArray[np.int64],
                                                                NDArray[np.bool_]]:
    """Leader region of each region, and whether it reads its leader's coins flipped."""
    leader = np.arange(n_regions, dtype=np.int64)
    flipped = np.zeros(n_regions, dtype=bool)
    if complementary:
        second = np.arange(1, n_regions - n_regions % 2, 2)
        leader[second] = second - 1
        flipped[second] = True
    return leader, flipped


def regular_design(n_regions: int, n_periods: int, starts: NDArray[np.int64], *, q: float,
                   complementary: bool = False) -> CoinDesign:
    """A regular switch-back: one coin per block and (leader) region.

    Example:
        >>> regular_design(3, 2, np.array([0]), q=0.5, complementary=True).coin_of.tolist()
        [[0, 0], [0, 0], [1, 1]]
    """
    block = np.searchsorted(starts, np.arange(n_periods), side="right") - 1
    n_blocks = len(starts)
    leader, flipped = _pair_regions(n_regions, complementary)
    _, leader_rank = np.unique(leader, return_inverse=True)
    coin_of = leader_rank[:, None] * n_blocks + block[None, :]
    flip = np.repeat(flipped[:, None], n_periods, axis=1)
    rp = np.zeros((n_regions, n_periods), dtype=bool)
    rp[:, starts] = True
    return CoinDesign(coin_of=coin_of.astype(np.int64), flip=flip, q=q,
                      n_coins=int(leader_rank.max() + 1) * n_blocks, randomization_point=rp)


def balanced_design(slots: NDArray[np.int64], *, q: float,
                    complementary: bool = False) -> CoinDesign:
    """Pair periods of the same local time-of-week slot; one coin per pair.

    Args:
        slots: ``(R, T)`` slot key of each region-period (e.g. local weekday·1440 +
            minute of day of the period start).
        q: coin probability (0.5 for equal treated time).
        complementary: regions in pairs, the second reading the first's coins flipped.

    Example:
        >>> d = balanced_design(np.array([[0, 1, 0, 1]]), q=0.5)
        >>> d.coin_of.tolist(), d.flip.astype(int).tolist()
        ([[0, 1, 0, 1]], [[0, 0, 1, 1]])
    """
    n_regions, n_periods = slots.shape
    leader, _flipped = _pair_regions(n_regions, complementary)
    leaders = np.unique(leader)
    coin_of = np.zeros((n_regions, n_periods), dtype=np.int64)
    flip = np.zeros((n_regions, n_periods), dtype=bool)
    offset = 0
    t = np.arange(n_periods)
    for r in leaders:  # one pass per leader region; everything inside is vectorized
        order = np.lexsort((t, slots[r]))
        key = slots[r][order]
        new_slot = np.r_[True, key[1:] != key[:-1]]
        slot_start = np.maximum.accumulate(np.where(new_slot, np.arange(n_periods), 0))
        rank = np.arange(n_periods) - slot_start
        pair_id = np.cumsum(new_slot | (rank % 2 == 0)) - 1
        coin_of[r, order] = offset + pair_id
        flip[r, order] = rank % 2 == 1
        offset += int(pair_id.max()) + 1
    for r in range(n_regions):
        if leader[r] != r:
            coin_of[r] = coin_of[leader[r]]
            flip[r] = ~flip[leader[r]]
    return CoinDesign(coin_of=coin_of, flip=flip, q=q, n_coins=offset,
                      randomization_point=np.ones((n_regions, n_periods), dtype=bool))
