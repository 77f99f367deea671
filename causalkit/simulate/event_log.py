"""Event logs with a planted Aha moment: one causal action, one merely correlated action.

Each user has a latent *intent* (partly explained by signup covariates). Every
action is a Poisson count per day after signup whose rate grows with intent for
the causal action (``add_friend``), more strongly for the correlated action
(``like_post``), and not at all for the noise actions. Sessions (``app_open``)
also grow with intent; they are what an early-activity proxy sees.

Retention (activity in days ``[retention_start, retention_end)``) has log-odds
``base + confounding * intent + effect * C`` where ``C`` is the planted
condition: ``add_friend`` at least ``causal_threshold`` times within
``causal_window`` days. The generator draws both potential outcomes'
probabilities for every user, so ``truth["ate"]`` is the average effect of
reaching the condition on retention among the users whose retention window the
data fully observe. ``like_post`` has no effect at all: its association with
retention runs only through intent.

With ``encouragement`` the log also holds an encouragement experiment: a random
share of the users (arm ``nudge``) have their causal-action rate multiplied by
``exp(encouragement)`` (extra events from their own random stream, so the control
users' reached and retained and everyone's other actions in the condition period
are unchanged), and the ``main`` table is the per-user table the experiment's
``ab`` spec analyses. Its truth (:func:`encouragement_truth`) gives the complier
effect: known in the causal scenario, 0 in the confounded one.

Example:
    >>> sim = simulate_event_log(seed=1, n_users=2_000)
    >>> sorted(sim.tables), sim.truth["causal_action"], sim.truth["correlated_action"]
    (['events', 'main', 'users'], 'add_friend', 'like_post')
    >>> 0.2 < sim.truth["ate"] < 0.4
    True
    >>> simulate_event_log(seed=1, n_users=2_000, scenario="confounded").truth["ate"]
    0.0
"""

from __future__ import annotations

import functools
import math
import numbers
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from causalkit.errors import SpecError
from causalkit.simulate import Simulated

DAY = 86_400.0
_NOISE_NAMES = ("send_sticker", "edit_profile", "view_shop", "change_filter", "share_link",
                "report_user", "play_game", "open_settings")
SESSION = "app_open"
SCENARIOS = ("causal", "confounded")
"""The scenarios of :func:`simulate_event_log`."""
MAX_EVENTS = 200_000_000
"""A log expected to hold more events than this is refused (memory: about 24 bytes each)."""
MAX_CELLS = 50_000_000
"""Users x days drawn at once per action (n_users x condition_days, and the gap to retention)."""
CONFOUNDED_ENGAGEMENT = 1.2
"""Default log-odds of one sd of latent engagement on retention in the ``confounded`` scenario."""


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    out: NDArray[np.float64] = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


def action_names(n_actions: int) -> list[str]:
    """The action names of a simulated log: causal, correlated, then noise actions.

    Example:
        >>> action_names(4)
        ['add_friend', 'like_post', 'send_sticker', 'edit_profile']
    """
    noise = [*_NOISE_NAMES, *(f"action_{i:02d}" for i in range(len(_NOISE_NAMES) + 1, 100))]
    return ["add_friend", "like_post", *noise[: n_actions - 2]]


def _number(name: str, value: Any, problems: list[str], *, integer: bool = False) -> None:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        problems.append(f"{name} must be a number, not {type(value).__name__}")
    elif isinstance(value, numbers.Integral):
        return
    elif not math.isfinite(float(value)):
        problems.append(f"{name} must be finite")
    elif integer and not float(value).is_integer():
        problems.append(f"{name} must be a whole number")


def _check_params(values: dict[str, Any], integers: tuple[str, ...]) -> None:
    problems: list[str] = []
    for name, value in values.items():
        if name in ("start", "scenario") or (
                value is None and name in ("effect", "engagement", "engagement_action",
                                           "encouragement", "received_window",
                                           "received_threshold")):
            continue
        _number(name, value, problems, integer=name in integers)
    if problems:
        raise SpecError("; ".join(problems), field="data.params")
    v = values
    if v["scenario"] not in SCENARIOS:
        problems.append(f"scenario must be one of {', '.join(SCENARIOS)}, not {v['scenario']!r}")
    if not 10 <= v["n_users"] <= 50_000_000:
        problems.append("n_users must be between 10 and 50,000,000")
    if not 2 <= v["n_actions"] <= 100:
        problems.append("n_actions must be between 2 and 100")
    if not 1 <= v["causal_window"] <= v["condition_days"]:
        problems.append("causal_window must be between 1 and condition_days")
    if v["causal_threshold"] < 1:
        problems.append("causal_threshold must be at least 1")
    if not 1 <= v["condition_days"] <= v["retention_start"] < v["retention_end"] <= 3_650:
        problems.append("need 1 <= condition_days <= retention_start < retention_end <= 3650")
    if not 1 <= v["signup_days"] <= 3_650 or not 1 <= v["observed_days"] <= 7_300:
        problems.append("signup_days must be in [1, 3650] and observed_days in [1, 7300]")
    if not 0.0 <= v["latent_share"] <= 1.0:
        problems.append("latent_share must be in [0, 1]")
    if not 0 <= v["session_rate"] <= 1_000:
        problems.append("session_rate must be between 0 and 1000")
    for name in ("effect", "confounding", "engagement", "base_retention"):
        if v[name] is not None and abs(v[name]) > 20:
            problems.append(f"{name} must be between -20 and 20 (log-odds)")
    for name in ("causal_intent", "correlated_intent", "session_intent", "engagement_action",
                 "engagement_sessions"):
        if v[name] is not None and abs(v[name]) > 3:
            problems.append(f"{name} must be between -3 and 3 (log-rate per sd)")
    if not problems and v["n_users"] * max(v["condition_days"],
                                           v["retention_start"] - v["condition_days"]) \
            > MAX_CELLS:
        problems.append(f"n_users x days must be at most {MAX_CELLS:,} (lower n_users or "
                        "the day counts)")
    if v["encouragement"] is not None and not 0 <= v["encouragement"] <= 3:
        problems.append("encouragement must be between 0 and 3 (log-rate of the nudge)")
    if not 0 < v["encouraged_share"] < 1:
        problems.append("encouraged_share must be between 0 and 1 (exclusive)")
    if v["received_window"] is not None and not 1 <= v["received_window"] <= v["condition_days"]:
        problems.append("received_window must be between 1 and condition_days")
    if v["received_threshold"] is not None and v["received_threshold"] < 1:
        problems.append("received_threshold must be at least 1")
    if v["scenario"] == "confounded" and v["effect"] not in (None, 0, 0.0):
        problems.append("the confounded scenario has no effect (effect must be 0 or left out); "
                        "for a causal log with a hidden common cause use scenario: causal "
                        "with engagement > 0")
    if problems:
        raise SpecError("; ".join(problems), field="data.params")


def _draw_users(rng: np.random.Generator, n: int, latent_share: float) -> tuple[
        NDArray[np.float64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64],
        NDArray[np.float64]]:
    """Signup covariates (age, ios, paid, referred) and the latent intent of ``n`` users."""
    age = np.clip(rng.normal(30, 8, n), 16, 70).round()
    ios = rng.binomial(1, 0.5, n)
    paid = rng.binomial(1, 0.4, n)
    referred = rng.binomial(1, 0.2, n)
    observed_part = 0.9 * referred + 0.6 * ios - 0.5 * paid - 0.03 * (age - 30)
    observed_part = (observed_part - observed_part.mean()) / observed_part.std()
    intent = (np.sqrt(1 - latent_share) * observed_part
              + np.sqrt(latent_share) * rng.standard_normal(n))
    return age, ios, paid, referred, intent


def _window_counts(users: NDArray[np.int64], day: NDArray[np.int64], count: NDArray[np.int64],
                   window: int, n: int) -> NDArray[np.float64]:
    """Per-user event counts in days ``[0, window)``."""
    inside = day < window
    out: NDArray[np.float64] = np.bincount(users[inside], weights=count[inside],
                                           minlength=n).astype(np.float64)
    return out


CAUSAL_RATE = 0.35
"""The causal action's daily rate on the signup day at average intent."""
CAUSAL_DECAY = 10.0
"""Days over which the causal action's rate falls by a factor e."""
TRUTH_DRAWS = 400_000
"""Latent users drawn for the population truth of an encouragement experiment."""


@functools.lru_cache(maxsize=64)
def encouragement_truth(
    *, encouragement: float, effect: float, confounding: float = 1.0,
    causal_intent: float = 0.4, latent_share: float = 0.02, engagement: float = 0.0,
    engagement_action: float = 0.0, base_retention: float = -1.2, causal_window: int = 7,
    causal_threshold: int = 3, received_window: int = 7, received_threshold: int = 3,
) -> dict[str, float]:
    """Population truth of an encouragement experiment on the simulated log.

    The nudge multiplies the causal action's rate by ``exp(encouragement)``; a user's
    count in ``[0, X)`` days is Poisson, so the chance of reaching a condition with and
    without the nudge is exact given the user's latent traits. Averaging these exact
    chances (a Rao-Blackwellized Monte Carlo over :data:`TRUTH_DRAWS` latent users, fixed
    seed; its error is about 1e-4) gives the first stage (the nudge's effect on reaching
    the received condition), the ITT on retention, and their ratio: the CACE (the effect
    of reaching the condition for the compliers). Without an effect (the confounded
    world) the ITT and the CACE are exactly 0.

    Example:
        >>> t = encouragement_truth(encouragement=1.0, effect=1.5)
        >>> 0.3 < t["first_stage"] < 0.7, 0.2 < t["cace"] < 0.5
        (True, True)
        >>> encouragement_truth(encouragement=1.0, effect=0.0, engagement=1.2,
        ...                     engagement_action=1.0)["cace"]
        0.0
    """
    from scipy import stats

    rng = np.random.default_rng(20_260_101)
    _, _, _, _, intent = _draw_users(rng, TRUTH_DRAWS, latent_share)
    engaged = rng.standard_normal(TRUTH_DRAWS)
    rate = CAUSAL_RATE * np.exp(causal_intent * intent - causal_intent ** 2 / 2
                                + engagement_action * engaged - engagement_action ** 2 / 2)
    profile = np.exp(-np.arange(max(causal_window, received_window)) / CAUSAL_DECAY)

    def reach(window: int, threshold: int, factor: float) -> NDArray[np.float64]:
        out: NDArray[np.float64] = stats.poisson.sf(threshold - 1,
                                                    rate * factor * profile[:window].sum())
        return out

    boost = math.exp(encouragement)
    got0, got1 = reach(received_window, received_threshold, 1.0), \
        reach(received_window, received_threshold, boost)
    lin = base_retention + confounding * intent + engagement * engaged
    p0, p1 = _sigmoid(lin), _sigmoid(lin + effect)
    c0, c1 = reach(causal_window, causal_threshold, 1.0), \
        reach(causal_window, causal_threshold, boost)
    first = float((got1 - got0).mean())
    itt = float(((c1 - c0) * (p1 - p0)).mean()) if effect else 0.0
    retention0 = float((p0 + c0 * (p1 - p0)).mean())
    return {"first_stage": first, "itt": itt, "cace": itt / first if itt else 0.0,
            "reached_control": float(got0.mean()), "retention_control": retention0,
            "encouragement": encouragement}


class _Budget:
    """The expected events still allowed (:data:`MAX_EVENTS`)."""

    def __init__(self) -> None:
        self.left = float(MAX_EVENTS)

    def spend(self, expected: float) -> None:
        self.left -= expected
        if not self.left >= 0:  # also NaN
            raise SpecError(
                f"these parameters would simulate more than {MAX_EVENTS:,} events",
                field="data.params",
                hint="lower n_users, session_rate or the intent/engagement loadings")


def _poisson_events(
    rng: np.random.Generator, rate: NDArray[np.float64], days: int, decay: float,
    budget: _Budget,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per-user, per-day Poisson counts -> (user index, day, count) of the non-zero cells."""
    profile = np.exp(-np.arange(days) / decay)
    budget.spend(float(rate.sum()) * float(profile.sum()))
    counts = rng.poisson(rate[:, None] * profile[None, :])
    users, day = np.nonzero(counts)
    return users.astype(np.int64), day.astype(np.int64), counts[users, day].astype(np.int64)


def simulate_event_log(
    *,
    seed: int = 0,
    n_users: int = 20_000,
    n_actions: int = 8,
    scenario: str = "causal",
    effect: float | None = None,
    confounding: float = 1.0,
    causal_intent: float = 0.4,
    correlated_intent: float = 1.0,
    session_intent: float = 1.0,
    session_rate: float = 10.0,
    latent_share: float = 0.02,
    engagement: float | None = None,
    engagement_action: float | None = None,
    engagement_sessions: float = 0.0,
    base_retention: float = -1.2,
    causal_window: int = 7,
    causal_threshold: int = 3,
    condition_days: int = 14,
    retention_start: int = 28,
    retention_end: int = 35,
    signup_days: int = 30,
    observed_days: int = 60,
    start: str = "2026-01-01T00:00:00+00:00",
    encouragement: float | None = None,
    encouraged_share: float = 0.5,
    received_window: int | None = None,
    received_threshold: int | None = None,
) -> Simulated:
    """Simulate an event log and a users table with a planted causal condition.

    Args:
        seed: random seed.
        n_users: users signing up uniformly over ``signup_days`` days.
        n_actions: actions besides ``app_open`` (causal, correlated, then noise).
        scenario: ``causal`` or ``confounded`` (see the module docstring).
        effect: log-odds effect on retention of reaching the planted condition
            (default 1.5 in the causal scenario; the confounded one has none).
        confounding: log-odds effect of one standard deviation of intent on retention.
        causal_intent: log-rate effect of intent on the causal action.
        correlated_intent: log-rate effect of intent on the correlated action.
        session_intent: log-rate effect of intent on sessions (``app_open``).
        session_rate: sessions on the signup day at average intent (fewer later).
        latent_share: share of intent's variance not explained by signup covariates.
        engagement: log-odds effect on retention of one standard deviation of the
            latent engagement (default 0 in the causal scenario, 1.2 in the
            confounded one).
        engagement_action: log-rate effect of engagement on the causal action
            (default 1.0 when ``engagement`` is not 0, else 0).
        engagement_sessions: log-rate effect of engagement on sessions (what the
            early-activity proxy sees of it).
        base_retention: retention log-odds at average intent without the condition.
        causal_window: X of the planted condition (days).
        causal_threshold: Z of the planted condition.
        condition_days: days after signup with actions logged (windows beyond see none).
        retention_start: first day of the retention window.
        retention_end: end of the retention window (exclusive).
        signup_days: signups are spread over this many days from ``start``.
        observed_days: the log ends this many days after ``start``.
        start: the first signup time (ISO 8601 with zone).
        encouragement: the nudge of an encouragement experiment: a random
            ``encouraged_share`` of the users (arm ``nudge``) get their causal-action
            rate multiplied by ``exp(encouragement)`` over the condition period (None:
            no experiment, every user is in ``control``). See
            :mod:`causalkit.simulate.encouragement`.
        encouraged_share: the share of users nudged.
        received_window: X of the condition written to ``main.reached`` (default
            ``causal_window``): the condition the experiment's ``received:`` reads.
        received_threshold: Z of that condition (default ``causal_threshold``).

    Returns:
        Tables ``events`` (user_id, event, timestamp), ``users`` (user_id,
        signup_at, age, ios, paid, referred) and ``main``, the per-user table of the
        encouragement experiment (users whose retention window the log observes:
        user_id, variant, signup_at, reached, retained, sessions and the
        covariates); truth with ``ate`` (effect of the condition, observed users),
        ``att``, the action names, the condition, the scenario and, for the
        experiment, ``cace``, ``first_stage`` and ``itt`` (population values, see
        :func:`encouragement_truth`).

    Raises:
        SpecError: a parameter out of range or of the wrong type.

    Example:
        >>> sim = simulate_event_log(seed=0, n_users=500, effect=0.0, confounding=0.0)
        >>> sim.truth["ate"]
        0.0
    """
    _check_params({
        "n_users": n_users, "n_actions": n_actions, "scenario": scenario, "effect": effect,
        "confounding": confounding, "causal_intent": causal_intent,
        "correlated_intent": correlated_intent, "session_intent": session_intent,
        "session_rate": session_rate, "latent_share": latent_share, "engagement": engagement,
        "engagement_action": engagement_action, "engagement_sessions": engagement_sessions,
        "base_retention": base_retention, "causal_window": causal_window,
        "causal_threshold": causal_threshold, "condition_days": condition_days,
        "retention_start": retention_start, "retention_end": retention_end,
        "signup_days": signup_days, "observed_days": observed_days, "start": start,
        "encouragement": encouragement, "encouraged_share": encouraged_share,
        "received_window": received_window, "received_threshold": received_threshold},
        integers=("n_users", "n_actions", "causal_window", "causal_threshold",
                  "condition_days", "retention_start", "retention_end", "signup_days",
                  "observed_days", "received_window", "received_threshold"))
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise SpecError(f"the seed must be a whole number of at least 0, not {seed!r}",
                        field="data.seed")
    try:
        first = datetime.fromisoformat(start)
        if first.tzinfo is None:
            raise ValueError("no zone")
        t0 = first.timestamp()
    except (TypeError, ValueError, OverflowError) as exc:
        raise SpecError(f"start must be an ISO 8601 time with a zone ({exc})",
                        field="data.params") from None
    import pandas as pd

    n_users, n_actions = int(n_users), int(n_actions)
    causal_window, causal_threshold = int(causal_window), int(causal_threshold)
    condition_days, signup_days = int(condition_days), int(signup_days)
    retention_start, retention_end = int(retention_start), int(retention_end)
    confounded = scenario == "confounded"
    effect = float(effect) if effect is not None else (0.0 if confounded else 1.5)
    engagement = (float(engagement) if engagement is not None
                  else (CONFOUNDED_ENGAGEMENT if confounded else 0.0))
    engagement_action = (float(engagement_action) if engagement_action is not None
                         else (1.0 if engagement else 0.0))
    budget = _Budget()
    rng = np.random.default_rng(seed)
    # engagement has its own stream: the causal log is the same with or without it
    engaged = (np.random.default_rng([seed, 1]).standard_normal(n_users)
               if engagement or engagement_action or engagement_sessions
               else np.zeros(n_users))
    t0 = datetime.fromisoformat(start).timestamp()
    # users and their covariates
    age, ios, paid, referred, intent = _draw_users(rng, n_users, latent_share)
    signup = t0 + rng.uniform(0, signup_days * DAY, n_users)

    # actions in the first condition_days days
    names = action_names(n_actions)
    n_noise = n_actions - 2
    noise_rates = np.linspace(0.1, 0.8, n_noise) * min(1.0, 6.0 / max(n_noise, 1))
    base_rates = np.concatenate([[0.35, 0.8], noise_rates])
    loadings = np.concatenate([[causal_intent, correlated_intent], np.zeros(n_noise)])
    users_l: list[NDArray[np.int64]] = []
    days_l: list[NDArray[np.int64]] = []
    codes_l: list[NDArray[np.int64]] = []
    reached = np.zeros(n_users, dtype=bool)
    rwin = int(received_window) if received_window is not None else causal_window
    rthr = int(received_threshold) if received_threshold is not None else causal_threshold
    nudged = np.zeros(n_users, dtype=bool)
    nudge_events: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]] | None = None
    for code in range(n_actions):
        rate = base_rates[code] * np.exp(loadings[code] * intent - loadings[code] ** 2 / 2)
        if code == 0 and engagement_action:
            rate = rate * np.exp(engagement_action * engaged - engagement_action ** 2 / 2)
        u, d, c = _poisson_events(rng, rate, condition_days, decay=10.0, budget=budget)
        if code == 0:
            base = (_window_counts(u, d, c, causal_window, n_users),
                    _window_counts(u, d, c, rwin, n_users))
            reached, got = base[0] >= causal_threshold, base[1] >= rthr
            reached0, got0 = reached, got
            got1 = got0
            if encouragement is not None:  # the nudge: its own stream, monotone by superposition
                nrng = np.random.default_rng([seed, 2])
                nudged = nrng.uniform(size=n_users) < encouraged_share
                nu, nd, nc = _poisson_events(nrng, rate * math.expm1(float(encouragement)),
                                             condition_days, decay=10.0, budget=budget)
                reached1 = base[0] + _window_counts(nu, nd, nc, causal_window, n_users) \
                    >= causal_threshold
                got1 = base[1] + _window_counts(nu, nd, nc, rwin, n_users) >= rthr
                reached = np.where(nudged, reached1, reached0)
                got = np.where(nudged, got1, got0)
                mine = nudged[nu]
                nudge_events = (nu[mine], nd[mine], nc[mine])
        users_l.append(np.repeat(u, c))
        days_l.append(np.repeat(d, c))
        codes_l.append(np.full(int(c.sum()), code, dtype=np.int64))
    # sessions: every day of the condition period, growing with intent
    rate = session_rate * np.exp(session_intent * intent - session_intent**2 / 2)
    if engagement_sessions:
        rate = rate * np.exp(engagement_sessions * engaged - engagement_sessions ** 2 / 2)
    u, d, c = _poisson_events(rng, rate, condition_days, decay=3.0, budget=budget)
    sessions = np.bincount(u, weights=c, minlength=n_users).astype(np.int64)
    users_l.append(np.repeat(u, c))
    days_l.append(np.repeat(d, c))
    codes_l.append(np.full(int(c.sum()), n_actions, dtype=np.int64))

    # retention: both potential outcomes' probabilities, then the observed one
    lin = base_retention + confounding * intent + engagement * engaged
    p0, p1 = _sigmoid(lin), _sigmoid(lin + effect)
    retained = rng.uniform(size=n_users) < np.where(reached, p1, p0)
    ret_users = np.flatnonzero(retained)
    n_ret_events = 1 + rng.poisson(1.5, ret_users.size)
    ru = np.repeat(ret_users, n_ret_events)
    rd = rng.integers(retention_start, retention_end, ru.size)
    # between the condition period and retention: some sessions for everyone
    gap = retention_start - condition_days
    if gap > 0:
        gu, gd, gc = _poisson_events(rng, 0.15 * np.exp(intent), gap, decay=1e9,
                                     budget=budget)
        ru = np.concatenate([ru, np.repeat(gu, gc)])
        rd = np.concatenate([rd, condition_days + np.repeat(gd, gc)])
    users_l.append(ru)
    days_l.append(rd)
    codes_l.append(np.full(ru.size, n_actions, dtype=np.int64))

    ev_user = np.concatenate(users_l)
    ev_day = np.concatenate(days_l)
    ev_code = np.concatenate(codes_l)
    ev_time = signup[ev_user] + (ev_day + rng.uniform(0, 1, ev_user.size)) * DAY
    if nudge_events is not None:  # the nudged users' extra actions, times from their own stream
        nu, nd, nc = nudge_events
        nu, nd = np.repeat(nu, nc), np.repeat(nd, nc)
        jitter = np.random.default_rng([seed, 3]).uniform(0, 1, nu.size)
        ev_user = np.concatenate([ev_user, nu])
        ev_code = np.concatenate([ev_code, np.zeros(nu.size, dtype=np.int64)])
        ev_time = np.concatenate([ev_time, signup[nu] + (nd + jitter) * DAY])
    end = t0 + observed_days * DAY
    keep = ev_time < end
    ev_user, ev_code, ev_time = ev_user[keep], ev_code[keep], ev_time[keep]

    observed = signup + retention_end * DAY <= end
    gain = p1 - p0
    truth: dict[str, Any] = {
        "ate": float(gain[observed].mean()) if observed.any() else float("nan"),
        "att": float(gain[observed & reached].mean()) if (observed & reached).any()
        else float("nan"),
        "ate_all_users": float(gain.mean()),
        "effect_log_odds": float(effect),
        "scenario": scenario,
        "engagement": float(engagement),
        "causal_action": names[0],
        "correlated_action": names[1],
        "noise_actions": names[2:],
        "session_action": SESSION,
        "causal_window": int(causal_window),
        "causal_threshold": int(causal_threshold),
        "reached_share": float(reached[observed].mean()) if observed.any() else float("nan"),
        "retention_rate": float(retained[observed].mean()) if observed.any() else float("nan"),
        "observed_users": int(observed.sum()),
        "observed_until": pd.Timestamp(end, unit="s", tz="UTC").isoformat(),
    }
    if effect == 0.0:
        truth["ate"] = truth["att"] = truth["ate_all_users"] = 0.0
    truth["received_condition"] = f"{names[0]} >= {rthr} in {rwin}d"
    if encouragement is not None:
        truth.update(encouragement_truth(
            encouragement=float(encouragement), effect=effect, confounding=float(confounding),
            causal_intent=float(causal_intent), latent_share=float(latent_share),
            engagement=engagement, engagement_action=engagement_action,
            base_retention=float(base_retention), causal_window=causal_window,
            causal_threshold=causal_threshold, received_window=rwin,
            received_threshold=rthr))
        compliers = observed & ~got0 & got1
        truth["cace_sample"] = (float(gain[compliers].mean()) if compliers.any() and effect
                                else 0.0)
        truth["nudged_users"] = int((nudged & observed).sum())

    user_ids = np.arange(1, n_users + 1, dtype=np.int64)
    users = pd.DataFrame({
        "user_id": user_ids,
        "signup_at": pd.to_datetime(np.round(signup * 1e6).astype(np.int64), unit="us",
                                    utc=True),
        "age": age,
        "ios": ios.astype(np.int64),
        "paid": paid.astype(np.int64),
        "referred": referred.astype(np.int64),
    })
    events = pd.DataFrame({
        "user_id": user_ids[ev_user],
        "event": pd.Categorical.from_codes(ev_code, categories=pd.Index([*names, SESSION])),
        "timestamp": pd.to_datetime(np.round(ev_time * 1e6).astype(np.int64), unit="us",
                                    utc=True),
    })
    keep_user = np.flatnonzero(observed)
    main = pd.DataFrame({
        "user_id": user_ids[keep_user],
        "variant": pd.Categorical.from_codes(nudged[keep_user].astype(np.int8),
                                             categories=pd.Index(["control", "nudge"])),
        "signup_at": users["signup_at"].to_numpy()[keep_user],
        "reached": got[keep_user].astype(np.int64),
        "retained": retained[keep_user].astype(np.int64),
        "sessions": sessions[keep_user],
        "age": age[keep_user], "ios": ios[keep_user].astype(np.int64),
        "paid": paid[keep_user].astype(np.int64),
        "referred": referred[keep_user].astype(np.int64),
    })
    return Simulated(tables={"events": events, "users": users, "main": main}, truth=truth)

