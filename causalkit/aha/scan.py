"""Chunked scans of the event log: per-user facts and per-user, per-action, per-day counts.

Users are split into hash buckets (``hash(user) % n_chunks``); each bucket is one
aggregate query per table, so memory is bounded by the bucket, not the log.
Inside a bucket, users are numbered ``0..n-1`` in id order (``uidx``) by both
queries, so their results line up without a join in Python.

Example:
    >>> from causalkit.simulate.event_log import simulate_event_log
    >>> from causalkit.data import Source
    >>> from causalkit.aha.inputs import plan_scan
    >>> sim = simulate_event_log(seed=0, n_users=300)
    >>> plan = plan_scan(Source.from_frame(sim.tables["events"]),
    ...                  Source.from_frame(sim.tables["users"]), max_window=7)
    >>> users, counts = scan_chunk(plan, 0, ["add_friend", "like_post"], max_day=7)
    >>> bool(counts.uidx.max() < users.n), sorted(set(counts.action.tolist()))
    (True, [0, 1])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from causalkit.aha.inputs import DAY_SECONDS, ScanPlan
from causalkit.data import quote_ident, quote_literal


@dataclass(frozen=True)
class UserFacts:
    """One row per eligible user of a bucket, in ``uidx`` order.

    ``retained`` (0/1), ``holdout`` (bool), ``early`` (events of any kind in the
    first ``proxy_days`` days), ``covariates`` (users x covariates).

    Example:
        >>> UserFacts(np.array([1, 0], np.int8), np.zeros(2, bool), np.zeros(2, np.int64),
        ...           np.zeros((2, 0))).n
        2
    """

    retained: NDArray[np.int8]
    holdout: NDArray[np.bool_]
    early: NDArray[np.int64]
    covariates: NDArray[np.float64]

    @property
    def n(self) -> int:
        """Users in the bucket."""
        return int(self.retained.size)


@dataclass(frozen=True)
class DayCounts:
    """Sparse per-user, per-action, per-day event counts (one row per non-zero cell).

    Example:
        >>> DayCounts(np.array([0], np.int32), np.array([1], np.int16), np.array([2], np.int16),
        ...           np.array([3], np.int32)).count.tolist()
        [3]
    """

    uidx: NDArray[np.int32]
    action: NDArray[np.int16]
    day: NDArray[np.int16]
    count: NDArray[np.int32]


def user_table(plan: ScanPlan, chunk: int) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    """Holdout flags and covariates of a bucket's users, in ``uidx`` order (users table only).

    Example:
        >>> from causalkit.simulate.event_log import simulate_event_log
        >>> from causalkit.data import Source
        >>> from causalkit.aha.inputs import plan_scan
        >>> sim = simulate_event_log(seed=0, n_users=200)
        >>> plan = plan_scan(Source.from_frame(sim.tables["events"]),
        ...                  Source.from_frame(sim.tables["users"]), max_window=7)
        >>> holdout, cov = user_table(plan, 0)
        >>> holdout.size == plan.summary.eligible_users
        True
    """
    covs = "".join(f", u.{quote_ident('cov_' + v)}" for v in plan.covariates)
    sql = (f"SELECT * FROM (WITH u AS ({plan.eligible_users_sql(chunk)}) "
           f"SELECT u.uidx, {plan.holdout_sql('u.uid')} AS holdout{covs} FROM u) AS q "
           "ORDER BY uidx")
    tab = plan.engine.query(plan.events, sql)
    cov = np.column_stack(
        [tab.column("cov_" + v).to_numpy() for v in plan.covariates]
    ) if plan.covariates else np.zeros((tab.num_rows, 0))
    return tab.column("holdout").to_numpy().astype(bool), np.asarray(cov, dtype=np.float64)


def scan_chunk(plan: ScanPlan, chunk: int, actions: Sequence[str], *, max_day: int,
               proxy_days: int = 1) -> tuple[UserFacts, DayCounts]:
    """One aggregate query over the log for a bucket: the day counts and the users' facts.

    Every event of an eligible user in days ``[0, end_day)`` falls in one group:
    ``(user, action, day)`` for the searched actions in days ``[0, max_day)``;
    ``(user, -3)`` for other events in the first ``proxy_days`` days (early
    activity); ``(user, -1)`` for events that count as retention. Retained users
    and early activity are then read off the groups with ``np.bincount``.

    Example:
        >>> from causalkit.simulate.event_log import simulate_event_log
        >>> from causalkit.data import Source
        >>> from causalkit.aha.inputs import plan_scan
        >>> sim = simulate_event_log(seed=0, n_users=200)
        >>> plan = plan_scan(Source.from_frame(sim.tables["events"]),
        ...                  Source.from_frame(sim.tables["users"]), max_window=7)
        >>> facts, counts = scan_chunk(plan, 0, ["add_friend"], max_day=7)
        >>> facts.n == plan.summary.eligible_users, bool((counts.day < 7).all())
        (True, True)
    """
    c = plan.columns
    t = plan.event_time
    start, end = plan.retention[0] * DAY_SECONDS, plan.retention[1] * DAY_SECONDS
    is_ret = f"{t} >= u.s + {start}"
    if plan.retention_event is not None:
        is_ret += (f" AND CAST(e.{quote_ident(c.event)} AS STRING) = "
                   f"{quote_literal(plan.retention_event)}")
    in_window = f"acts.a IS NOT NULL AND {t} < u.s + {max_day * DAY_SECONDS}"
    early = f"{t} < u.s + {proxy_days * DAY_SECONDS}"
    values = ", ".join(f"({quote_literal(a)}, {i})" for i, a in enumerate(actions))
    sql = (
        f"SELECT * FROM (WITH u AS ({plan.eligible_users_sql(chunk)}), "
        f"acts(name, a) AS (VALUES {values}), "
        "x AS (SELECT u.uidx, "
        f"CASE WHEN {in_window} THEN acts.a WHEN {early} THEN -3 ELSE -1 END AS a, "
        f"CASE WHEN {in_window} THEN CAST(floor(({t} - u.s) / {DAY_SECONDS}) AS SMALLINT) "
        "ELSE 0 END AS d "
        f"FROM src e JOIN u ON e.{quote_ident(c.user)} = u.uid "
        f"LEFT JOIN acts ON CAST(e.{quote_ident(c.event)} AS STRING) = acts.name "
        f"WHERE {t} >= u.s AND {t} < u.s + {end} AND (({in_window}) OR ({early}) OR ({is_ret})))"
        " SELECT uidx, CAST(a AS SMALLINT) AS a, d, CAST(COUNT(*) AS INTEGER) AS n "
        "FROM x GROUP BY ALL) AS q"
    )
    tab = plan.engine.query(plan.events, sql)
    uidx = tab.column("uidx").to_numpy().astype(np.int32, copy=False)
    a = tab.column("a").to_numpy().astype(np.int16, copy=False)
    d = tab.column("d").to_numpy().astype(np.int16, copy=False)
    n = tab.column("n").to_numpy().astype(np.int32, copy=False)
    holdout, cov = user_table(plan, chunk)
    n_users = holdout.size
    retained = np.bincount(uidx[a == -1], minlength=n_users) > 0
    in_proxy = (a == -3) | ((a >= 0) & (d < proxy_days))
    early_n = np.bincount(uidx[in_proxy], weights=n[in_proxy], minlength=n_users)
    keep = a >= 0
    facts = UserFacts(retained=retained.astype(np.int8), holdout=holdout,
                      early=early_n.astype(np.int64), covariates=cov)
    return facts, DayCounts(uidx=uidx[keep], action=a[keep], day=d[keep], count=n[keep])


def action_day_counts(plan: ScanPlan, chunk: int, actions: Sequence[str], *,
                      max_day: int) -> DayCounts:
    """Events per (user, action, day since signup) for days ``[0, max_day)``: one query.

    ``action`` indexes ``actions``; days are whole 24-hour periods after signup.

    Example:
        >>> from causalkit.simulate.event_log import simulate_event_log
        >>> from causalkit.data import Source
        >>> from causalkit.aha.inputs import plan_scan
        >>> sim = simulate_event_log(seed=0, n_users=200)
        >>> plan = plan_scan(Source.from_frame(sim.tables["events"]),
        ...                  Source.from_frame(sim.tables["users"]), max_window=7)
        >>> counts = action_day_counts(plan, 0, ["add_friend"], max_day=3)
        >>> sorted(set(counts.day.tolist())) <= [0, 1, 2]
        True
    """
    c = plan.columns
    t = plan.event_time
    values = ", ".join(f"({quote_literal(a)}, {i})" for i, a in enumerate(actions))
    sql = (
        f"WITH u AS ({plan.eligible_users_sql(chunk)}), "
        f"acts(name, a) AS (VALUES {values}) "
        "SELECT u.uidx, CAST(acts.a AS SMALLINT) AS a, "
        f"CAST(floor(({t} - u.s) / {DAY_SECONDS}) AS SMALLINT) AS d, "
        "CAST(COUNT(*) AS INTEGER) AS n "
        f"FROM src e JOIN u ON e.{quote_ident(c.user)} = u.uid "
        f"JOIN acts ON CAST(e.{quote_ident(c.event)} AS STRING) = acts.name "
        f"WHERE {t} >= u.s AND {t} < u.s + {max_day * DAY_SECONDS} "
        "GROUP BY ALL"
    )
    tab = plan.engine.query(plan.events, f"SELECT * FROM ({sql}) AS q")
    return DayCounts(
        uidx=tab.column("uidx").to_numpy().astype(np.int32, copy=False),
        action=tab.column("a").to_numpy().astype(np.int16, copy=False),
        day=tab.column("d").to_numpy().astype(np.int16, copy=False),
        count=tab.column("n").to_numpy().astype(np.int32, copy=False),
    )
