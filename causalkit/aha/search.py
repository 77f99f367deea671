"""The search: one pass over the log for the whole grid, a second for the chosen conditions.

:func:`run_grid` scans the log bucket by bucket (one aggregate query per
bucket), accumulates the count histogram and returns every condition's
metrics; :func:`condition_indicators` re-reads only the few chosen actions to
get each user's indicator of the chosen conditions (for AND/OR combinations and
the causal check).

Example:
    >>> from causalkit.simulate.event_log import simulate_event_log
    >>> from causalkit.data import Source
    >>> from causalkit.aha.inputs import plan_scan
    >>> sim = simulate_event_log(seed=3, n_users=3_000)
    >>> plan = plan_scan(Source.from_frame(sim.tables["events"]),
    ...                  Source.from_frame(sim.tables["users"]), max_window=7, holdout=0.3)
    >>> grid, users = run_grid(plan, ["add_friend", "view_shop"], [3, 7], [1, 3])
    >>> best = ranked(grid)[0]
    >>> best.action
    'add_friend'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from causalkit.aha.grid import ConditionGrid, count_histogram, grid_from_histogram, user_blocks
from causalkit.aha.inputs import ScanPlan
from causalkit.aha.scan import UserFacts, action_day_counts, scan_chunk


@dataclass(frozen=True, order=True)
class Key:
    """A condition: did ``action`` at least ``threshold`` times within ``window`` days.

    Example:
        >>> Key("add_friend", 7, 3).label
        'add_friend >= 3 in 7d'
    """

    action: str
    window: int
    threshold: int

    @property
    def label(self) -> str:
        """Short text, e.g. ``add_friend >= 3 in 7d``."""
        return f"{self.action} >= {self.threshold} in {self.window}d"


def _concat_facts(parts: list[UserFacts], n_cov: int) -> UserFacts:
    if not parts:
        return UserFacts(np.zeros(0, np.int8), np.zeros(0, bool), np.zeros(0, np.int64),
                         np.zeros((0, n_cov)))
    return UserFacts(
        retained=np.concatenate([p.retained for p in parts]),
        holdout=np.concatenate([p.holdout for p in parts]),
        early=np.concatenate([p.early for p in parts]),
        covariates=np.concatenate([p.covariates for p in parts]),
    )


def run_grid(plan: ScanPlan, actions: Sequence[str], windows: Sequence[int],
             thresholds: Sequence[int], *, proxy_days: int = 1, fdr: str = "bh",
             progress: Callable[[int, int], None] | None = None
             ) -> tuple[ConditionGrid, UserFacts]:
    """Metrics of every (action, window, threshold) and the users' facts, in one pass.

    Args:
        plan: from :func:`~causalkit.aha.inputs.plan_scan`.
        actions: actions Y.
        windows: windows X (days).
        thresholds: thresholds Z.
        proxy_days: early activity is counted in days ``[0, proxy_days)``.
        fdr: ``bh`` or ``by``.
        progress: called with (chunks done, chunks) after each bucket.

    Example:
        >>> run_grid.__name__  # see the module example
        'run_grid'
    """
    w = np.asarray(sorted(set(windows)), dtype=np.int64)
    z = np.asarray(sorted(set(thresholds)), dtype=np.int64)
    z_cap = int(z.max()) + 1
    hist = np.zeros((len(actions), w.size, z_cap + 1, 4), dtype=np.int64)
    facts: list[UserFacts] = []
    for chunk in range(plan.n_chunks):
        f, counts = scan_chunk(plan, chunk, actions, max_day=int(w.max()),
                               proxy_days=proxy_days)
        label = 2 * f.holdout.astype(np.int64) + f.retained
        hist += count_histogram(counts.uidx, counts.action, counts.day, counts.count,
                                n_users=f.n, n_actions=len(actions), windows=w, z_cap=z_cap,
                                label=label)
        facts.append(f)
        if progress is not None:
            progress(chunk + 1, plan.n_chunks)
    grid = grid_from_histogram(hist, tuple(actions), w, z, fdr=fdr)
    return grid, _concat_facts(facts, len(plan.covariates))


def key_at(grid: ConditionGrid, index: tuple[int, int, int]) -> Key:
    """The condition at a grid index (action, window, threshold positions).

    Example:
        >>> from causalkit.aha.metrics import condition_metrics
        >>> m = condition_metrics(np.ones((1, 2, 1)), np.ones((1, 2, 1)), np.ones((1, 2, 1)), np.ones((1, 2, 1)))
        >>> g = ConditionGrid(("a",), np.array([3, 7]), np.array([2]), m, m, np.ones((1, 2, 1)))
        >>> key_at(g, (0, 1, 0)).label
        'a >= 2 in 7d'
    """
    a, w, z = index
    return Key(grid.actions[a], int(grid.windows[w]), int(grid.thresholds[z]))


def index_of(grid: ConditionGrid, key: Key) -> tuple[int, int, int] | None:
    """Grid position of ``key``, or None when it is not on the grid.

    Example:
        >>> from causalkit.aha.metrics import condition_metrics
        >>> m = condition_metrics(np.ones((1, 2, 1)), np.ones((1, 2, 1)), np.ones((1, 2, 1)), np.ones((1, 2, 1)))
        >>> g = ConditionGrid(("a",), np.array([3, 7]), np.array([2]), m, m, np.ones((1, 2, 1)))
        >>> index_of(g, Key("a", 7, 2)), index_of(g, Key("b", 7, 2))
        ((0, 1, 0), None)
    """
    if key.action not in grid.actions:
        return None
    w = np.flatnonzero(grid.windows == key.window)
    z = np.flatnonzero(grid.thresholds == key.threshold)
    if w.size == 0 or z.size == 0:
        return None
    return grid.actions.index(key.action), int(w[0]), int(z[0])


def survivors(grid: ConditionGrid, alpha: float) -> NDArray[np.bool_]:
    """Conditions that survive the FDR correction and raise retention (phi > 0).

    Example:
        >>> from causalkit.aha.metrics import condition_metrics
        >>> m = condition_metrics(np.array([[[30, 10]]]), np.array([[[10, 30]]]),
        ...                       np.array([[[20, 40]]]), np.array([[[40, 20]]]))
        >>> g = ConditionGrid(("a",), np.array([7]), np.array([1, 2]), m, m, np.full((1, 1, 2), 0.01))
        >>> survivors(g, 0.05).tolist()   # the second condition lowers retention
        [[[True, False]]]
    """
    q = np.nan_to_num(grid.q_value, nan=np.inf)
    return (q <= alpha) & (np.nan_to_num(grid.discovery.phi, nan=0.0) > 0)


def ranked(grid: ConditionGrid, *, only: NDArray[np.bool_] | None = None) -> list[Key]:
    """Conditions ordered by discovery phi (highest first; untestable ones last).

    ``only`` restricts to a mask of the grid.

    Example:
        >>> from causalkit.aha.metrics import condition_metrics
        >>> m = condition_metrics(np.array([[[30, 10]]]), np.array([[[10, 30]]]),
        ...                       np.array([[[20, 40]]]), np.array([[[40, 20]]]))
        >>> g = ConditionGrid(("a",), np.array([7]), np.array([1, 2]), m, m, np.full((1, 1, 2), 0.01))
        >>> [k.label for k in ranked(g)]
        ['a >= 1 in 7d', 'a >= 2 in 7d']
    """
    phi = np.nan_to_num(grid.discovery.phi, nan=-np.inf).ravel()
    idx = np.argsort(-phi, kind="stable")
    if only is not None:
        idx = idx[only.ravel()[idx]]
    shape = grid.shape
    return [key_at(grid, tuple(int(i) for i in np.unravel_index(j, shape)))  # type: ignore[arg-type]
            for j in idx]


def best_per_action(grid: ConditionGrid, alpha: float, top: int) -> list[Key]:
    """The best surviving condition (by phi) of each of the ``top`` best actions.

    Example:
        >>> from causalkit.aha.metrics import condition_metrics
        >>> m = condition_metrics(np.array([[[30, 20]], [[25, 5]]]), np.array([[[10, 5]], [[10, 1]]]),
        ...                       np.array([[[20, 30]], [[25, 45]]]), np.array([[[40, 45]], [[40, 49]]]))
        >>> g = ConditionGrid(("a", "b"), np.array([7]), np.array([1, 2]), m, m,
        ...                   np.full((2, 1, 2), 0.01))
        >>> [k.label for k in best_per_action(g, 0.05, 2)]
        ['a >= 1 in 7d', 'b >= 1 in 7d']
    """
    out: list[Key] = []
    seen: set[str] = set()
    for key in ranked(grid, only=survivors(grid, alpha)):
        if key.action not in seen:
            seen.add(key.action)
            out.append(key)
        if len(out) >= top:
            break
    return out


def condition_indicators(plan: ScanPlan, keys: Sequence[Key], *, proxy_days: int = 1
                         ) -> tuple[NDArray[np.bool_], dict[str, NDArray[np.int64]]]:
    """Each eligible user's indicator of each condition, and early counts per action.

    A second scan restricted to the conditions' actions (bucket by bucket, in the
    same user order as :func:`run_grid`'s facts).

    Returns:
        ``(indicators, early)``: a (users, len(keys)) boolean matrix, and per
        action the user's count in days ``[0, proxy_days)``.

    Example:
        >>> from causalkit.simulate.event_log import simulate_event_log
        >>> from causalkit.data import Source
        >>> from causalkit.aha.inputs import plan_scan
        >>> sim = simulate_event_log(seed=0, n_users=300)
        >>> plan = plan_scan(Source.from_frame(sim.tables["events"]),
        ...                  Source.from_frame(sim.tables["users"]), max_window=7)
        >>> ind, early = condition_indicators(plan, [Key("add_friend", 7, 1)])
        >>> ind.shape == (plan.summary.eligible_users, 1), sorted(early)
        (True, ['add_friend'])
    """
    actions = sorted({k.action for k in keys})
    if not actions:
        return np.zeros((plan.summary.eligible_users, 0), bool), {}
    pos = {a: i for i, a in enumerate(actions)}
    n_days = max(max(k.window for k in keys), proxy_days)
    a_idx = np.array([pos[k.action] for k in keys], dtype=np.int64)
    w_idx = np.array([k.window - 1 for k in keys], dtype=np.int64)
    thr = np.array([k.threshold for k in keys], dtype=np.int64)
    ind_parts: list[NDArray[np.bool_]] = []
    early_parts: list[NDArray[np.int64]] = []
    for chunk in range(plan.n_chunks):
        n_users = _chunk_size(plan, chunk)
        counts = action_day_counts(plan, chunk, actions, max_day=n_days)
        ind = np.zeros((n_users, len(keys)), dtype=bool)
        early_c = np.zeros((n_users, len(actions)), dtype=np.int64)
        for lo, hi, rows in user_blocks(counts.uidx, n_users, len(actions) * n_days):
            dense = np.zeros((hi - lo, len(actions), n_days), dtype=np.int32)
            dense[counts.uidx[rows] - lo, counts.action[rows], counts.day[rows]] = \
                counts.count[rows]
            np.cumsum(dense, axis=2, out=dense)
            ind[lo:hi] = dense[:, a_idx, w_idx] >= thr[None, :]
            early_c[lo:hi] = dense[:, :, proxy_days - 1]
        ind_parts.append(ind)
        early_parts.append(early_c)
    early = np.concatenate(early_parts)
    return np.concatenate(ind_parts), {a: early[:, i] for a, i in pos.items()}


def _chunk_size(plan: ScanPlan, chunk: int) -> int:
    sql = f"SELECT COUNT(*) AS n FROM ({plan.eligible_users_sql(chunk)}) AS u"
    return int(plan.engine.query(plan.events, sql).to_pylist()[0]["n"])
