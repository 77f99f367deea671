"""AND and OR combinations of the top conditions, measured on discovery and re-checked on holdout.

Combinations are built from conditions chosen on the discovery users, so their
discovery p-values are not honest; they are re-tested on the holdout users
(Fisher exact, with a false-discovery correction over the re-checked family).

Example:
    >>> import numpy as np
    >>> from causalkit.aha.search import Key
    >>> ind = np.array([[1, 0], [1, 1], [0, 1], [0, 0]] * 50, dtype=bool)
    >>> retained = np.array([1, 1, 0, 0] * 50, dtype=np.int8)
    >>> holdout = np.zeros(200, dtype=bool)
    >>> c = combine([Key("a", 7, 1), Key("b", 7, 1)], ind, retained, holdout)
    >>> [x.label for x in c.items], c.discovery.precision.tolist()
    (['a >= 1 in 7d AND b >= 1 in 7d', 'a >= 1 in 7d OR b >= 1 in 7d'], [1.0, 0.6666666666666666])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations as pairs

import numpy as np
from numpy.typing import NDArray

from causalkit.aha.metrics import ConditionMetrics, condition_metrics, fdr_qvalues
from causalkit.aha.search import Key


@dataclass(frozen=True)
class Combination:
    """``left AND right`` or ``left OR right``.

    Example:
        >>> Combination("or", Key("a", 7, 1), Key("b", 3, 2)).label
        'a >= 1 in 7d OR b >= 2 in 3d'
    """

    op: str
    left: Key
    right: Key

    @property
    def label(self) -> str:
        """e.g. ``add_friend >= 3 in 7d AND like_post >= 5 in 3d``."""
        return f"{self.left.label} {self.op.upper()} {self.right.label}"


@dataclass(frozen=True)
class Combinations:
    """Combinations with their metrics on discovery and holdout users."""

    items: tuple[Combination, ...]
    discovery: ConditionMetrics
    holdout: ConditionMetrics


def tables(indicator: NDArray[np.bool_], retained: NDArray[np.integer]
           ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """(tp, fp, fn, tn) of each column of a (users, conditions) indicator matrix.

    Example:
        >>> tables(np.array([[True], [True], [False]]), np.array([1, 0, 1]))
        (array([1]), array([1]), array([1]), array([0]))
    """
    r = np.asarray(retained, dtype=np.int64)
    reached = indicator.sum(axis=0).astype(np.int64)
    tp = (indicator.T.astype(np.int64) @ r).astype(np.int64)
    n_ret = int(r.sum())
    n = indicator.shape[0]
    fp = reached - tp
    fn = n_ret - tp
    tn = n - n_ret - fp
    return tp, fp, fn, tn


def combine(keys: Sequence[Key], indicators: NDArray[np.bool_], retained: NDArray[np.integer],
            holdout: NDArray[np.bool_]) -> Combinations:
    """Every pairwise AND and OR of ``keys`` (columns of ``indicators``), on both splits.

    Example:
        >>> ind = np.array([[1, 1], [1, 0], [0, 0]], dtype=bool)
        >>> c = combine([Key("a", 7, 1), Key("b", 7, 1)], ind, np.array([1, 0, 0]),
        ...             np.zeros(3, dtype=bool))
        >>> c.discovery.tp.tolist(), c.discovery.fp.tolist()
        ([1, 1], [0, 1])
    """
    items: list[Combination] = []
    cols: list[NDArray[np.bool_]] = []
    for i, j in pairs(range(len(keys)), 2):
        a, b = indicators[:, i], indicators[:, j]
        items.append(Combination("and", keys[i], keys[j]))
        cols.append(a & b)
        items.append(Combination("or", keys[i], keys[j]))
        cols.append(a | b)
    mat = np.column_stack(cols) if cols else np.zeros((indicators.shape[0], 0), dtype=bool)
    disc, hold = ~holdout, holdout
    return Combinations(
        items=tuple(items),
        discovery=condition_metrics(*tables(mat[disc], retained[disc]), p_values=False),
        holdout=condition_metrics(*tables(mat[hold], retained[hold])),
    )


def holdout_family(singles: ConditionMetrics, combos: Combinations, *, method: str = "bh"
                   ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """FDR q-values on holdout over the re-checked family (single winners, then combinations).

    Example:
        >>> m = condition_metrics([40], [10], [10], [40])
        >>> c = Combinations((), condition_metrics([], [], [], []), condition_metrics([], [], [], []))
        >>> q_single, q_combo = holdout_family(m, c)
        >>> bool(q_single[0] < 1e-6), q_combo.size
        (True, 0)
    """
    p = np.concatenate([singles.p_value.ravel(), combos.holdout.p_value.ravel()])
    q = fdr_qvalues(p, method=method)
    k = singles.p_value.size
    return q[:k], q[k:]
