"""The inputs of a search: event log and users sources, their columns, and who is eligible.

Everything here runs as SQL in the engine over the two sources; the event log
is never loaded as a frame. A :class:`ScanPlan` holds the SQL pieces that every
later scan shares (time expressions, the eligible-users relation, the chunking
and the discovery/holdout split).

Example:
    >>> from causalkit.simulate.event_log import simulate_event_log
    >>> from causalkit.data import Source
    >>> sim = simulate_event_log(seed=0, n_users=400)
    >>> plan = plan_scan(Source.from_frame(sim.tables["events"]),
    ...                  Source.from_frame(sim.tables["users"]),
    ...                  retention=(28, 35), max_window=14)
    >>> plan.summary.eligible_users < plan.summary.users
    True
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from causalkit.data import ColumnKind, Source, get_engine, quote_ident, quote_literal
from causalkit.data.engine import EngineProtocol
from causalkit.data.sql import dialect_of, epoch_seconds, hash_number, to_spark
from causalkit.data.targeting import filter_source, where_sql
from causalkit.errors import DataError
from causalkit.report import Check, Status
from causalkit.spec.common import Engine
from causalkit.spec.targeting import Rule

DAY_SECONDS = 86_400


@dataclass(frozen=True)
class Columns:
    """Column names of the two tables.

    Example:
        >>> Columns(user="uid").signup
        'signup_at'
    """

    user: str = "user_id"
    event: str = "event"
    timestamp: str = "timestamp"
    signup: str = "signup_at"


NULL_ROWS_WARN = 0.001
"""Share of event rows without a timestamp or an event name above which a check warns."""


@dataclass(frozen=True)
class InputSummary:
    """Counts of users and events, and what was excluded and why.

    ``null_timestamps`` and ``null_events`` count event rows without a time (in no
    window: left out) and without an event name (never a searched action).

    Example:
        >>> InputSummary(100, 2, 18, 80, 5000, 0, 0, 0.0, False).excluded_users
        20
    """

    users: int
    missing_signup: int
    not_observed: int
    eligible_users: int
    events: int
    events_unknown_user: int
    events_before_signup: int
    observed_until: float
    observed_until_given: bool
    null_timestamps: int = 0
    null_events: int = 0

    @property
    def excluded_users(self) -> int:
        """Users left out of the search (no signup time, or windows not fully observed)."""
        return self.missing_signup + self.not_observed


@dataclass(frozen=True)
class ScanPlan:
    """Shared SQL pieces of every scan over the event log (built by :func:`plan_scan`)."""

    events: Source
    users: Source
    engine: EngineProtocol
    columns: Columns
    covariates: tuple[str, ...]
    retention: tuple[int, int]
    retention_event: str | None
    event_time: str
    users_relation: str
    n_chunks: int
    holdout: float
    salt: str
    summary: InputSummary
    max_window: int
    extra: dict[str, Any] = field(default_factory=dict)

    def eligible_users_sql(self, chunk: int | None = None) -> str:
        """SQL of the eligible users (``uid``, ``s`` = signup epoch, covariates, ``uidx``).

        With ``chunk``, only the users of that hash bucket, numbered 0.. in id order.
        """
        c = self.columns
        uid = quote_ident(c.user)
        d = dialect_of(self.engine)
        signup = _epoch_sql(quote_ident(c.signup), self.extra["signup_kind"], d)
        end = self.retention[1] * DAY_SECONDS
        obs = repr(float(self.summary.observed_until))
        covs = "".join(f", CAST({quote_ident(v)} AS DOUBLE) AS {quote_ident('cov_' + v)}"
                       for v in self.covariates)
        where = f"{quote_ident(c.signup)} IS NOT NULL AND {signup} + {end} <= {obs}"
        if chunk is not None and self.n_chunks > 1:
            bucket = hash_number(f"CAST({uid} AS STRING)", d)
            where += f" AND {bucket} % {self.n_chunks} = {chunk}"
        return (
            f"SELECT {uid} AS uid, {signup} AS s{covs}, "
            f"CAST(row_number() OVER (ORDER BY {uid}) - 1 AS INTEGER) AS uidx "
            f"FROM {self.users_relation} WHERE {where}"
        )

    def holdout_sql(self, uid: str = "uid") -> str:
        """SQL of the holdout flag of the id ``uid``.

        The first 15 hex digits of md5("<user id>:<salt>") as an integer, mod 10^6, below
        ``holdout * 10^6``: the same on DuckDB and Spark, and easy to reproduce elsewhere.
        """
        if self.holdout <= 0:
            return "FALSE"
        cut = round(self.holdout * 1_000_000)
        key = f"CAST({uid} AS STRING) || {quote_literal(':' + self.salt)}"
        return f"({hash_number(key, dialect_of(self.engine))} % 1000000) < {cut}"


def _epoch_sql(column: str, kind: str, dialect: Engine) -> str:
    if kind == "numeric":
        return f"CAST({column} AS DOUBLE)"
    return epoch_seconds(column, dialect)


def _time_kind(engine: EngineProtocol, source: Source, column: str) -> str:
    """``numeric`` (epoch seconds), ``naive`` or ``zoned`` timestamps."""
    schema = engine.schema(source)
    kind = schema[column]
    if kind in (ColumnKind.NUMERIC,):
        return "numeric"
    if kind is not ColumnKind.TIMESTAMP:
        raise DataError(
            f"holds {kind.value} values, not times", column=column, source=source.describe(),
            hint="use a timestamp column (or epoch seconds); cast text with CAST(x AS TIMESTAMPTZ)",
        )
    rows = engine.query(source, f"SELECT typeof({quote_ident(column)}) AS t FROM src LIMIT 1")
    type_name = str(rows.to_pylist()[0]["t"]).upper() if rows.num_rows else ""
    if dialect_of(engine) is Engine.SPARK:  # Spark: TIMESTAMP is zoned, TIMESTAMP_NTZ is not
        return "naive" if "NTZ" in type_name else "zoned"
    return "zoned" if "TIME ZONE" in type_name or type_name.endswith("TZ") else "naive"


def _scalar(engine: EngineProtocol, source: Source, sql: str) -> dict[str, Any]:
    rows = engine.query(source, sql).to_pylist()
    return rows[0] if rows else {}


def plan_scan(
    events: Source,
    users: Source,
    *,
    columns: Columns | None = None,
    covariates: Sequence[str] = (),
    retention: tuple[int, int] = (28, 35),
    retention_event: str | None = None,
    max_window: int = 14,
    observed_until: datetime | None = None,
    holdout: float = 0.0,
    salt: str = "0",
    chunk_users: int = 1_000_000,
    log_end: float | None = None,
) -> ScanPlan:
    """Check the two sources and build the plan shared by every scan.

    Args:
        events: the event log (user, event, timestamp).
        users: the users table (user, signup time, covariates), one row per user.
        columns: column names.
        covariates: numeric signup covariates of the users table.
        retention: the retention window ``[start_day, end_day)``.
        retention_event: the event that counts as retained (any event when None).
        max_window: the longest condition window X (days).
        observed_until: end of the data; default: the last event time.
        holdout: share of users in the holdout.
        salt: salt of the holdout hash (the seed).
        chunk_users: users per scan (bounds memory).
        log_end: the last event time (epoch seconds) of the whole log, when ``events``
            holds the targeted users' events only (:func:`target_users`); the default
            end of the data. ``observed_until`` overrides it.

    Raises:
        DataError: missing columns, non-time columns, duplicated users, an empty
            log, NULL covariates, or no eligible users.

    Example:
        >>> import pandas as pd
        >>> ev = pd.DataFrame({"user_id": [1, 1, 2], "event": ["a", "a", "b"],
        ...                    "timestamp": pd.to_datetime([0, 86_400, 3_400_000], unit="s", utc=True)})
        >>> us = pd.DataFrame({"user_id": [1, 2], "signup_at": pd.to_datetime([0, 10], unit="s", utc=True)})
        >>> plan = plan_scan(Source.from_frame(ev), Source.from_frame(us), retention=(28, 35))
        >>> plan.summary.eligible_users, action_frequencies(plan)
        (2, {'a': 2})
    """
    c = columns or Columns()
    engine = get_engine(events)
    engine.require_columns(events, present=[c.user, c.event, c.timestamp])
    engine.require_columns(users, present=[c.user, c.signup], numeric=list(covariates))
    counts = _scalar(engine, events, f"SELECT COUNT(*) AS n, COUNT({quote_ident(c.timestamp)}) "
                                     f"AS timed, COUNT({quote_ident(c.event)}) AS named FROM src")
    if not counts.get("n"):
        raise DataError("the event log is empty (no rows)", source=events.describe(),
                        hint="check the events path, query or table")
    if not counts.get("timed"):
        raise DataError(f"no event has a time ({counts['n']:,} rows, every {c.timestamp!r} is "
                        "NULL)", column=c.timestamp, source=events.describe(),
                        hint="fill the event times")
    if not _scalar(engine, users, "SELECT COUNT(*) AS n FROM src").get("n"):
        raise DataError("the users table is empty (no rows)", source=users.describe(),
                        hint="check the users path, query or table")
    ev_kind = _time_kind(engine, events, c.timestamp)
    su_kind = _time_kind(engine, users, c.signup)
    if {ev_kind, su_kind} == {"naive", "zoned"}:
        raise DataError(
            f"event times are {ev_kind} but signup times are {su_kind}",
            column=c.timestamp, source=events.describe(),
            hint="give both with a time zone or both without",
        )
    if (ev_kind == "numeric") != (su_kind == "numeric"):
        raise DataError("one table has epoch seconds and the other timestamps",
                        column=c.timestamp, source=events.describe(),
                        hint="use the same kind of time column in both tables")
    users_rel = engine.relation_sql(users)
    uid = quote_ident(c.user)
    t_ev = _epoch_sql(quote_ident(c.timestamp), ev_kind, dialect_of(engine))
    s_us = _epoch_sql(quote_ident(c.signup), su_kind, dialect_of(engine))

    ev = _scalar(engine, events, f"SELECT COUNT(*) AS n, MAX({t_ev}) AS last FROM src")
    if observed_until is not None:
        obs, given = observed_until.timestamp(), True
    elif log_end is not None:
        obs, given = float(log_end), False
    else:
        obs, given = float(ev["last"]), False
    if not math.isfinite(obs):
        raise DataError(f"the last event time is not a finite time ({obs})",
                        column=c.timestamp, source=events.describe(),
                        hint="drop infinite or NaN epoch times")
    end = retention[1] * DAY_SECONDS
    us = _scalar(
        engine, events,
        f"SELECT COUNT(*) AS n, COUNT(DISTINCT {uid}) AS distinct_users, "
        f"COUNT(*) FILTER (WHERE {quote_ident(c.signup)} IS NULL) AS missing, "
        f"COUNT(*) FILTER (WHERE {s_us} + {end} <= {obs!r}) AS eligible "
        f"FROM {users_rel}",
    )
    dup = int(us["n"]) - int(us["distinct_users"])
    if dup:
        raise DataError(
            f"{dup} user id(s) are repeated or missing", column=c.user, source=users.describe(),
            hint="the users table needs one row per user, each with an id",
        )
    eligible = int(us["eligible"] or 0)
    if eligible == 0:
        raise DataError(
            "no user's retention window is fully observed "
            f"(signup + {retention[1]} days after the end of the data)",
            source=users.describe(),
            hint="use later data, an earlier retention window, or set observed_until",
        )
    for v in covariates:
        bad = _scalar(
            engine, events,
            f"SELECT COUNT(*) AS n FROM {users_rel} WHERE {s_us} + {end} <= {obs!r} AND "
            f"({quote_ident(v)} IS NULL OR isnan(CAST({quote_ident(v)} AS DOUBLE)))",
        )["n"]
        if bad:
            raise DataError(f"{bad} missing or NaN value(s) among eligible users", column=v,
                            source=users.describe(), hint="fill or drop them")
    # one scan: events of unknown users, before signup, and per action in the condition windows
    window = max_window * DAY_SECONDS
    by_action = engine.query(events, (
        f"SELECT * FROM (SELECT CAST(e.{quote_ident(c.event)} AS STRING) AS action, "
        "COUNT(*) FILTER (WHERE u.uid IS NULL) AS unknown, "
        f"COUNT(*) FILTER (WHERE {t_ev} < u.s) AS early, "
        f"COUNT(*) FILTER (WHERE u.s + {end} <= {obs!r} AND {t_ev} >= u.s "
        f"AND {t_ev} < u.s + {window}) AS n "
        f"FROM src e LEFT JOIN (SELECT {uid} AS uid, {s_us} AS s FROM {users_rel}) u "
        f"ON e.{uid} = u.uid GROUP BY 1) AS q "
        "ORDER BY n DESC, action")).to_pylist()
    frequencies = {str(r["action"]): int(r["n"]) for r in by_action
                   if r["n"] and r["action"] is not None}
    orphans = {"unknown": sum(int(r["unknown"]) for r in by_action),
               "early": sum(int(r["early"]) for r in by_action)}
    summary = InputSummary(
        users=int(us["n"]), missing_signup=int(us["missing"]),
        not_observed=int(us["n"]) - int(us["missing"]) - eligible,
        eligible_users=eligible, events=int(ev["n"]),
        events_unknown_user=int(orphans["unknown"] or 0),
        events_before_signup=int(orphans["early"] or 0),
        observed_until=obs, observed_until_given=given,
        null_timestamps=int(counts["n"]) - int(counts["timed"]),
        null_events=int(counts["n"]) - int(counts["named"]),
    )
    return ScanPlan(
        events=events, users=users, engine=engine, columns=c, covariates=tuple(covariates),
        retention=retention, retention_event=retention_event, event_time=t_ev,
        users_relation=users_rel, n_chunks=max(1, math.ceil(eligible / chunk_users)),
        holdout=holdout, salt=salt, summary=summary, max_window=max_window,
        extra={"signup_kind": su_kind, "event_kind": ev_kind, "frequencies": frequencies},
    )


@dataclass(frozen=True)
class Targeted:
    """The targeted users, their events, and how many users the rule kept of how many.

    ``log_end`` is the last event time of the whole log (epoch seconds; ``None`` when
    no event has a time): the data are observed until then, whoever is targeted.

    Example:
        >>> t = Targeted(Source(kind="table", table="e"), Source(kind="table", table="u"),
        ...              kept=8, total=10, log_end=None)
        >>> t.excluded, t.check("ios == 1").value
        (2, 2.0)
    """

    events: Source
    users: Source
    kept: int
    total: int
    log_end: float | None

    @property
    def excluded(self) -> int:
        """Users the rule leaves out."""
        return self.total - self.kept

    def check(self, rule: str) -> Check:
        """The ``targeting`` check: users left out, and whom the search is about."""
        return Check(
            "targeting", Status.PASS,
            f"the rule {rule} leaves out {self.excluded:,} of {self.total:,} users (and their "
            f"events); the search, the re-check and the causal check are about the "
            f"{self.kept:,} targeted users", value=float(self.excluded))


def target_users(events: Source, users: Source, rule: Rule, *,
                 columns: Columns | None = None) -> Targeted:
    """Restrict a search to the users a targeting rule selects (the rule reads the users table).

    The users table is filtered by the rule
    (:func:`causalkit.data.targeting.filter_source`); the event log loses the events
    of the users the rule leaves out (an anti-join in the engine, so events of users
    missing from the users table still reach the orphan-events check).

    Raises:
        TargetingError: (a ``SpecError``) naming a rule column the users table lacks,
            or whose values do not fit the rule's.

    Example:
        >>> import pandas as pd
        >>> from causalkit.spec.targeting import parse
        >>> ev = pd.DataFrame({"user_id": [1, 2, 2, 3], "event": ["a"] * 4,
        ...                    "timestamp": [10.0, 20.0, 30.0, 40.0]})
        >>> us = pd.DataFrame({"user_id": [1, 2], "signup_at": [0.0, 0.0], "ios": [1, 0]})
        >>> t = target_users(Source.from_frame(ev), Source.from_frame(us), parse("ios == 1"))
        >>> (t.kept, t.total, t.log_end), sorted(get_engine(t.events).arrays(
        ...     t.events, ["user_id"])["user_id"].tolist())
        ((1, 2, 40.0), [1, 3])
    """
    c = columns or Columns()
    engine = get_engine(events)
    engine.require_columns(events, present=[c.user, c.event, c.timestamp])
    engine.require_columns(users, present=[c.user])
    filtered, kept, total = filter_source(users, rule, what="the users table")
    t_ev = _epoch_sql(quote_ident(c.timestamp), _time_kind(engine, events, c.timestamp),
                      dialect_of(engine))
    last = _scalar(engine, events, f"SELECT MAX({t_ev}) AS last FROM src").get("last")
    uid = quote_ident(c.user)
    left_out = (f"SELECT DISTINCT {uid} AS uid FROM {engine.relation_sql(users)} "
                f"WHERE NOT ({where_sql(rule)})")
    body = (f"SELECT e.* FROM {engine.relation_sql(events)} e LEFT JOIN ({left_out}) x "
            f"ON e.{uid} = x.uid WHERE x.uid IS NULL")
    spark = dialect_of(engine) is Engine.SPARK
    kept_events = Source(kind="sql", sql=to_spark(body) if spark else body,
                         engine=events.engine, name=events.describe(), truth=events.truth,
                         fingerprint_seed=f"{events.fingerprint()}|targeting {rule}",
                         frame=(events, users))  # unused by a sql source: keeps views alive
    return Targeted(kept_events, filtered, kept, total,
                    None if last is None else float(last))


def input_checks(summary: InputSummary) -> list[Check]:
    """``aha_missing_values``: event rows without a time or an event name, counted.

    ``warn`` above :data:`NULL_ROWS_WARN` (0.1%) of the rows, ``pass`` (with the
    counts) below; nothing when every row has both.

    Example:
        >>> s = InputSummary(10, 0, 0, 10, 5000, 0, 0, 0.0, False, null_timestamps=12)
        >>> [(c.name, c.status.value) for c in input_checks(s)]
        [('aha_missing_values', 'warn')]
    """
    missing = summary.null_timestamps + summary.null_events
    if missing <= 0:
        return []
    share = missing / summary.events if summary.events else 1.0
    status = Status.WARN if share > NULL_ROWS_WARN else Status.PASS
    return [Check(
        "aha_missing_values", status,
        f"{summary.null_timestamps:,} event row(s) without a time (left out of every window) "
        f"and {summary.null_events:,} without an event name (never a searched action), "
        f"{share:.2%} of {summary.events:,} rows (warn above {NULL_ROWS_WARN:.1%})",
        value=float(missing))]


def action_frequencies(plan: ScanPlan) -> dict[str, int]:
    """Events per action among eligible users in days ``[0, max_window)``, most frequent first.

    Counted while planning (the same scan that counts orphan events).

    Example:
        >>> action_frequencies.__name__  # see plan_scan
        'action_frequencies'
    """
    return dict(plan.extra["frequencies"])


def select_actions(frequencies: dict[str, int], *, include: Sequence[str] | None = None,
                   top: int | None = None, exclude: Sequence[str] = (),
                   source: str | None = None) -> list[str]:
    """The actions Y to search: all, the listed ones, or the top N by frequency.

    Raises:
        DataError: a listed action never occurs in the condition windows.

    Example:
        >>> select_actions({"a": 9, "b": 5, "c": 1}, top=2, exclude=["a"])
        ['b', 'c']
        >>> select_actions({"add_friend": 9}, include=["add_frend"])
        Traceback (most recent call last):
        ...
        causalkit.errors.DataError: action 'add_frend' never occurs in the condition windows (did you mean 'add_friend'?)
    """
    if include is not None:
        for name in include:
            if name not in frequencies:
                close = difflib.get_close_matches(name, list(frequencies), n=1, cutoff=0.3)
                hint = (f"did you mean {close[0]!r}?" if close else
                        f"actions are: {', '.join(list(frequencies)[:15])}")
                raise DataError(f"action {name!r} never occurs in the condition windows",
                                source=source, hint=hint)
        names = [a for a in frequencies if a in set(include)]
    else:
        names = list(frequencies)
    names = [a for a in names if a not in set(exclude)]
    if top is not None:
        names = names[:top]
    if not names:
        raise DataError("no action is left to search", source=source,
                        hint="check actions.include, actions.exclude and the windows")
    return names
