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
    >>> users = user_facts(plan, 0)
    >>> counts = action_day_counts(plan, 0, ["add_friend"], max_day=7)
    >>> bool(counts.uidx.max() < users.n)
    True
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
    """Sparse per-user, per-action, per-day event counts (one row per non-zero cell)."""

    uidx: NDArray[np.int32]
    action: NDArray[np.int16]
    day: NDArray[np.int16]
    count: NDArray[np.int32]


def user_facts(plan: ScanPlan, chunk: int, *, proxy_days: int = 1) -> UserFacts:
    """Retention, holdout flag, early activity and covariates of a bucket's users.

    Retained = at least one event (or ``retention_event``) in days
    ``[start_day, end_day)`` after signup.
    """
    c = plan.columns
    t = plan.event_time
    start, end = plan.retention[0] * DAY_SECONDS, plan.retention[1] * DAY_SECONDS
    is_ret = f"{t} >= u.s + {start} AND {t} < u.s + {end}"
    if plan.retention_event is not None:
        is_ret += (f" AND CAST(e.{quote_ident(c.event)} AS VARCHAR) = "
                   f"{quote_literal(plan.retention_event)}")
    covs = "".join(f", u.{quote_ident('cov_' + v)}" for v in plan.covariates)
    sql = (
        f"WITH u AS ({plan.eligible_users_sql(chunk)}), "
        f"r AS (SELECT e.{quote_ident(c.user)} AS uid, "
        f"MAX(CASE WHEN {is_ret} THEN 1 ELSE 0 END) AS retained, "
        f"COUNT(*) FILTER (WHERE {t} < u.s + {proxy_days * DAY_SECONDS}) AS early "
        f"FROM src e JOIN u ON e.{quote_ident(c.user)} = u.uid "
        f"WHERE {t} >= u.s AND {t} < u.s + {end} GROUP BY 1) "
        f"SELECT u.uidx, CAST(COALESCE(r.retained, 0) AS TINYINT) AS retained, "
        f"COALESCE(r.early, 0) AS early, {plan.holdout_sql('u.uid')} AS holdout{covs} "
        "FROM u LEFT JOIN r ON u.uid = r.uid"
    )
    tab = plan.engine.query(plan.events, f"SELECT * FROM ({sql}) AS q ORDER BY uidx")
    cov = np.column_stack(
        [tab.column("cov_" + v).to_numpy() for v in plan.covariates]
    ) if plan.covariates else np.zeros((tab.num_rows, 0))
    return UserFacts(
        retained=tab.column("retained").to_numpy().astype(np.int8),
        holdout=tab.column("holdout").to_numpy().astype(bool),
        early=tab.column("early").to_numpy().astype(np.int64),
        covariates=np.asarray(cov, dtype=np.float64),
    )


def action_day_counts(plan: ScanPlan, chunk: int, actions: Sequence[str], *,
                      max_day: int) -> DayCounts:
    """Events per (user, action, day since signup) for days ``[0, max_day)``: one query.

    ``action`` indexes ``actions``; days are whole 24-hour periods after signup.
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
        f"JOIN acts ON CAST(e.{quote_ident(c.event)} AS VARCHAR) = acts.name "
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
