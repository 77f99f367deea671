"""The vectorized condition grid: counts -> cumulative counts -> histograms -> every (Y, X, Z).

For each user, action and day the counts are cumulated over days (numpy), read
at every window X, capped at ``Zmax + 1`` and histogrammed by (action, window,
capped count, holdout, retained) with one ``np.bincount``. A reverse cumulative
sum over the count axis then gives, for every threshold Z at once, how many
retained and not-retained users reached "at least Z". Histograms of chunks
add, so the log is read one bucket of users at a time.

Example:
    >>> import numpy as np
    >>> # two users, one action: user 0 did it 2 times on day 0 and 1 time on day 2
    >>> h = count_histogram(np.array([0, 0]), np.array([0, 0]), np.array([0, 2]),
    ...                     np.array([2, 1]), n_users=2, n_actions=1,
    ...                     windows=np.array([1, 3]), z_cap=4,
    ...                     label=np.array([1, 0]))
    >>> h.shape
    (1, 2, 5, 4)
    >>> h[0, :, :, 1].tolist()   # label 1 (user 0): count 2 by day 1, 3 by day 3
    [[0, 0, 1, 0, 0], [0, 0, 0, 1, 0]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from causalkit.aha.metrics import ConditionMetrics, condition_metrics

IntArray = NDArray[np.int64]
CELL_BUDGET = 6_000_000
"""Cells (users x actions x days) processed at once; bounds the numpy working memory."""


def _dense_cumulative(uidx: NDArray[np.integer], action: NDArray[np.integer],
                      day: NDArray[np.integer], count: NDArray[np.integer], *, n_users: int,
                      n_actions: int, n_days: int, cap: int) -> NDArray[np.int32]:
    """(users, actions, days) cumulative counts, capped at ``cap``."""
    dtype = np.int16 if n_days * cap < np.iinfo(np.int16).max else np.int32
    dense = np.zeros((n_users, n_actions, n_days), dtype=dtype)
    dense[uidx, action, day] = np.minimum(count, cap).astype(dtype)
    np.cumsum(dense, axis=2, out=dense)
    np.minimum(dense, cap, out=dense)
    return dense


def user_blocks(uidx: NDArray[np.integer], n_users: int, cells_per_user: int
                ) -> list[tuple[int, int, NDArray[np.intp]]]:
    """Split users into blocks of bounded cells; each block's rows of the sparse counts.

    Example:
        >>> [(lo, hi, rows.tolist()) for lo, hi, rows in user_blocks(np.array([2, 0, 1]), 3, 3_000_000)]
        [(0, 2, [1, 2]), (2, 3, [0])]
    """
    per = max(1, CELL_BUDGET // max(cells_per_user, 1))
    n_blocks = max(1, -(-n_users // per))
    block = uidx // per
    # a stable sort of small block numbers is a radix sort: linear in the rows
    block = block.astype(np.int16 if n_blocks < 2**15 else np.int64)
    order = np.argsort(block, kind="stable")
    bounds = np.searchsorted(block[order], np.arange(n_blocks + 1))
    out = []
    for i, lo in enumerate(range(0, n_users, per)):
        out.append((lo, min(lo + per, n_users), order[bounds[i]:bounds[i + 1]]))
    return out


def count_histogram(uidx: NDArray[np.integer], action: NDArray[np.integer],
                    day: NDArray[np.integer], count: NDArray[np.integer], *, n_users: int,
                    n_actions: int, windows: NDArray[np.integer], z_cap: int,
                    label: NDArray[np.integer], n_labels: int = 4) -> IntArray:
    """Histogram of capped cumulative counts: shape (actions, windows, z_cap + 1, labels).

    Args:
        uidx, action, day, count: sparse counts (unique (uidx, action, day) rows).
        n_users: users of the chunk (``uidx`` < n_users); users without rows count 0.
        n_actions: actions (``action`` < n_actions).
        windows: windows X in days (counts of days ``[0, X)``).
        z_cap: counts are capped here (``max(thresholds) + 1``).
        label: per user, a label in ``[0, n_labels)`` (e.g. 2 * holdout + retained).
        n_labels: number of labels.

    Example:
        >>> count_histogram(np.array([0]), np.array([0]), np.array([0]), np.array([3]), n_users=2,
        ...                 n_actions=1, windows=np.array([1]), z_cap=2,
        ...                 label=np.array([0, 1]))[0, 0].tolist()
        [[0, 1, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]]
    """
    windows = np.asarray(windows, dtype=np.int64)
    n_w = windows.size
    n_days = int(windows.max())
    keep = day < n_days
    uidx, action, day, count = uidx[keep], action[keep], day[keep], count[keep]
    n_bins = z_cap + 1
    base = (np.arange(n_actions)[:, None] * n_w + np.arange(n_w)[None, :]) * n_bins
    hist = np.zeros(n_actions * n_w * n_bins * n_labels, dtype=np.int64)
    for lo, hi, rows in user_blocks(uidx, n_users, n_actions * max(n_days, n_w)):
        dense = _dense_cumulative(uidx[rows] - lo, action[rows], day[rows], count[rows],
                                  n_users=hi - lo, n_actions=n_actions, n_days=n_days,
                                  cap=z_cap)
        at = dense[:, :, windows - 1].astype(np.int64)  # (users, actions, windows)
        at += base[None, :, :]
        at *= n_labels
        at += np.asarray(label[lo:hi], dtype=np.int64)[:, None, None]
        hist += np.bincount(at.ravel(), minlength=hist.size)
    return hist.reshape(n_actions, n_w, n_bins, n_labels)


@dataclass(frozen=True)
class ConditionGrid:
    """Every condition (action Y, window X, threshold Z) on discovery and holdout users.

    Arrays in ``discovery`` and ``holdout`` have shape (actions, windows, thresholds).
    ``q_value`` holds the discovery false-discovery-rate q-values.

    Example:
        >>> m = condition_metrics(np.ones((1, 1, 1)), np.ones((1, 1, 1)), np.ones((1, 1, 1)),
        ...                       np.ones((1, 1, 1)))
        >>> ConditionGrid(("a",), np.array([7]), np.array([1]), m, m, np.ones((1, 1, 1))).shape
        (1, 1, 1)
    """

    actions: tuple[str, ...]
    windows: IntArray
    thresholds: IntArray
    discovery: ConditionMetrics
    holdout: ConditionMetrics
    q_value: NDArray[np.float64]

    @property
    def shape(self) -> tuple[int, int, int]:
        """(actions, windows, thresholds)."""
        return (len(self.actions), int(self.windows.size), int(self.thresholds.size))


def tables_from_histogram(hist: IntArray, thresholds: NDArray[np.integer], *,
                          retained_label: int, other_label: int
                          ) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """(tp, fp, fn, tn) of every (action, window, threshold) from a count histogram.

    ``tp[a, w, z]`` = users with label ``retained_label`` whose count reached
    ``thresholds[z]``; one reverse cumulative sum gives every threshold.

    Example:
        >>> h = np.zeros((1, 1, 4, 2), dtype=np.int64)
        >>> h[0, 0, :, 1] = [5, 3, 2, 1]   # retained users with counts 0, 1, 2, 3+
        >>> h[0, 0, :, 0] = [9, 2, 1, 0]
        >>> [x.ravel().tolist() for x in tables_from_histogram(h, np.array([1, 3]),
        ...                                                    retained_label=1, other_label=0)]
        [[6, 1], [3, 0], [5, 10], [9, 12]]
    """
    at_least = np.cumsum(hist[:, :, ::-1, :], axis=2)[:, :, ::-1, :]
    thr = np.asarray(thresholds, dtype=np.int64)
    total_r = hist[:, :, :, retained_label].sum(axis=2)[:, :, None]
    total_o = hist[:, :, :, other_label].sum(axis=2)[:, :, None]
    tp = at_least[:, :, thr, retained_label]
    fp = at_least[:, :, thr, other_label]
    return tp, fp, total_r - tp, total_o - fp


def grid_from_histogram(hist: IntArray, actions: tuple[str, ...], windows: IntArray,
                        thresholds: IntArray, *, fdr: str = "bh") -> ConditionGrid:
    """Metrics, Fisher p-values and q-values of every condition from the 4-label histogram.

    Labels: 0 discovery not retained, 1 discovery retained, 2 holdout not
    retained, 3 holdout retained.

    Example:
        >>> h = np.zeros((1, 1, 3, 4), dtype=np.int64)
        >>> h[0, 0, :, 1] = [10, 20, 30]   # discovery retained users with counts 0, 1, 2+
        >>> h[0, 0, :, 0] = [40, 20, 10]
        >>> g = grid_from_histogram(h, ("a",), np.array([7]), np.array([1, 2]))
        >>> g.discovery.precision.ravel().round(3).tolist()
        [0.625, 0.75]
    """
    from causalkit.aha.metrics import fdr_qvalues

    disc = condition_metrics(*tables_from_histogram(hist, thresholds, retained_label=1,
                                                    other_label=0))
    hold = condition_metrics(*tables_from_histogram(hist, thresholds, retained_label=3,
                                                    other_label=2))
    return ConditionGrid(actions=actions, windows=np.asarray(windows, dtype=np.int64),
                         thresholds=np.asarray(thresholds, dtype=np.int64), discovery=disc,
                         holdout=hold, q_value=fdr_qvalues(disc.p_value, method=fdr))
