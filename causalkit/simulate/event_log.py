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

Example:
    >>> sim = simulate_event_log(seed=1, n_users=2_000)
    >>> sorted(sim.tables), sim.truth["causal_action"], sim.truth["correlated_action"]
    (['events', 'users'], 'add_friend', 'like_post')
    >>> 0.2 < sim.truth["ate"] < 0.4
    True
"""

from __future__ import annotations

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


def _check_params(n_users: int, n_actions: int, causal_window: int, condition_days: int,
                  retention_start: int, retention_end: int, signup_days: int,
                  latent_share: float) -> None:
    problems = []
    if n_users < 10:
        problems.append("n_users must be at least 10")
    if not 2 <= n_actions <= 100:
        problems.append("n_actions must be between 2 and 100")
    if not 1 <= causal_window <= condition_days:
        problems.append("causal_window must be between 1 and condition_days")
    if not condition_days <= retention_start < retention_end:
        problems.append("need condition_days <= retention_start < retention_end")
    if signup_days < 1:
        problems.append("signup_days must be at least 1")
    if not 0.0 <= latent_share <= 1.0:
        problems.append("latent_share must be in [0, 1]")
    if problems:
        raise SpecError("; ".join(problems), field="data.params")


def _poisson_events(
    rng: np.random.Generator, rate: NDArray[np.float64], days: int, decay: float
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per-user, per-day Poisson counts -> (user index, day, count) of the non-zero cells."""
    profile = np.exp(-np.arange(days) / decay)
    counts = rng.poisson(rate[:, None] * profile[None, :])
    users, day = np.nonzero(counts)
    return users.astype(np.int64), day.astype(np.int64), counts[users, day].astype(np.int64)


def simulate_event_log(
    *,
    seed: int = 0,
    n_users: int = 20_000,
    n_actions: int = 8,
    effect: float = 1.5,
    confounding: float = 1.0,
    causal_intent: float = 0.4,
    correlated_intent: float = 1.0,
    session_intent: float = 1.0,
    session_rate: float = 10.0,
    latent_share: float = 0.02,
    base_retention: float = -1.2,
    causal_window: int = 7,
    causal_threshold: int = 3,
    condition_days: int = 14,
    retention_start: int = 28,
    retention_end: int = 35,
    signup_days: int = 30,
    observed_days: int = 60,
    start: str = "2026-01-01T00:00:00+00:00",
) -> Simulated:
    """Simulate an event log and a users table with a planted causal condition.

    Args:
        seed: random seed.
        n_users: users signing up uniformly over ``signup_days`` days.
        n_actions: actions besides ``app_open`` (causal, correlated, then noise).
        effect: log-odds effect on retention of reaching the planted condition.
        confounding: log-odds effect of one standard deviation of intent on retention.
        causal_intent: log-rate effect of intent on the causal action.
        correlated_intent: log-rate effect of intent on the correlated action.
        session_intent: log-rate effect of intent on sessions (``app_open``).
        session_rate: sessions on the signup day at average intent (fewer later).
        latent_share: share of intent's variance not explained by signup covariates.
        base_retention: retention log-odds at average intent without the condition.
        causal_window: X of the planted condition (days).
        causal_threshold: Z of the planted condition.
        condition_days: days after signup with actions logged (windows beyond see none).
        retention_start: first day of the retention window.
        retention_end: end of the retention window (exclusive).
        signup_days: signups are spread over this many days from ``start``.
        observed_days: the log ends this many days after ``start``.
        start: the first signup time (ISO 8601 with zone).

    Returns:
        Tables ``events`` (user_id, event, timestamp) and ``users`` (user_id,
        signup_at, age, ios, paid, referred); truth with ``ate`` (effect of the
        condition, observed users), ``att``, the action names and the condition.

    Example:
        >>> sim = simulate_event_log(seed=0, n_users=500, effect=0.0, confounding=0.0)
        >>> sim.truth["ate"]
        0.0
    """
    _check_params(n_users, n_actions, causal_window, condition_days, retention_start,
                  retention_end, signup_days, latent_share)
    import pandas as pd

    rng = np.random.default_rng(seed)
    t0 = datetime.fromisoformat(start).timestamp()
    # users and their covariates
    age = np.clip(rng.normal(30, 8, n_users), 16, 70).round()
    ios = rng.binomial(1, 0.5, n_users)
    paid = rng.binomial(1, 0.4, n_users)
    referred = rng.binomial(1, 0.2, n_users)
    observed_part = 0.9 * referred + 0.6 * ios - 0.5 * paid - 0.03 * (age - 30)
    observed_part = (observed_part - observed_part.mean()) / observed_part.std()
    intent = (np.sqrt(1 - latent_share) * observed_part
              + np.sqrt(latent_share) * rng.standard_normal(n_users))
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
    for code in range(n_actions):
        rate = base_rates[code] * np.exp(loadings[code] * intent - loadings[code] ** 2 / 2)
        u, d, c = _poisson_events(rng, rate, condition_days, decay=10.0)
        if code == 0:
            within = np.bincount(u[d < causal_window], weights=c[d < causal_window],
                                 minlength=n_users)
            reached = within >= causal_threshold
        users_l.append(np.repeat(u, c))
        days_l.append(np.repeat(d, c))
        codes_l.append(np.full(int(c.sum()), code, dtype=np.int64))
    # sessions: every day of the condition period, growing with intent
    rate = session_rate * np.exp(session_intent * intent - session_intent**2 / 2)
    u, d, c = _poisson_events(rng, rate, condition_days, decay=3.0)
    users_l.append(np.repeat(u, c))
    days_l.append(np.repeat(d, c))
    codes_l.append(np.full(int(c.sum()), n_actions, dtype=np.int64))

    # retention: both potential outcomes' probabilities, then the observed one
    lin = base_retention + confounding * intent
    p0, p1 = _sigmoid(lin), _sigmoid(lin + effect)
    retained = rng.uniform(size=n_users) < np.where(reached, p1, p0)
    ret_users = np.flatnonzero(retained)
    n_ret_events = 1 + rng.poisson(1.5, ret_users.size)
    ru = np.repeat(ret_users, n_ret_events)
    rd = rng.integers(retention_start, retention_end, ru.size)
    # between the condition period and retention: some sessions for everyone
    gap = retention_start - condition_days
    if gap > 0:
        gu, gd, gc = _poisson_events(rng, 0.15 * np.exp(intent), gap, decay=1e9)
        ru = np.concatenate([ru, np.repeat(gu, gc)])
        rd = np.concatenate([rd, condition_days + np.repeat(gd, gc)])
    users_l.append(ru)
    days_l.append(rd)
    codes_l.append(np.full(ru.size, n_actions, dtype=np.int64))

    ev_user = np.concatenate(users_l)
    ev_day = np.concatenate(days_l)
    ev_code = np.concatenate(codes_l)
    ev_time = signup[ev_user] + (ev_day + rng.uniform(0, 1, ev_user.size)) * DAY
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
    return Simulated(tables={"events": events, "users": users}, truth=truth)
