"""Simulated user-randomized A/B data with a known truth (``data: {simulate: ab}``).

One row per user of a video-chat service, assigned to arms by the real hashing
assignment (:func:`causalkit.ab.assignment.assign`), with:

=====================  =========================================================
``user_id``            integer id
``variant``            arm label
``chat_minutes``       minutes chatted during the test (mean metric)
``pre_chat_minutes``   minutes in the pre-period (CUPED covariate), correlation ``rho``
``sessions``           sessions during the test (ratio denominator, >= 1)
``matches``            matches during the test (ratio numerator, Binomial(sessions, rate);
                       each user's rate is Beta with mean ``match_rate``, shared with the
                       pre-period, so CUPED helps the ratio too)
``pre_sessions``       pre-period sessions (>= 1)
``pre_matches``        pre-period matches
``reported``           1 when the user was reported (proportion)
``exposed_at``         first exposure (UTC, naive timestamp), uniform over ``days``
=====================  =========================================================

``effects`` maps arm -> metric -> true effect: ``chat_minutes`` (added
minutes), ``matches_per_session`` (added match rate per session) and
``report_rate`` (added probability). ``truth["effects"]`` repeats them for every
treatment arm (zeros where not given), and ``truth["levels"]`` holds the true
control levels. ``srm`` drops that share of the last arm's users (a logging bug),
``duplicates`` copies that many users into a second arm (a data bug).

Example:
    >>> sim = simulate_ab(seed=1, n=1000, effects={"treatment": {"chat_minutes": 1.0}})
    >>> sim.tables["main"].shape, sim.truth["effects"]["treatment"]["chat_minutes"]
    ((1000, 10), 1.0)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from causalkit.errors import SpecError
from causalkit.simulate import Simulated

METRICS = ("chat_minutes", "matches_per_session", "report_rate")


def simulate_ab(
    *,
    seed: int,
    n: int = 20_000,
    weights: Mapping[str, float] | None = None,
    effects: Mapping[str, Mapping[str, float]] | None = None,
    rho: float = 0.7,
    minutes_mean: float = 12.0,
    minutes_sd: float = 4.0,
    sessions_mean: float = 3.0,
    match_rate: float = 0.35,
    report_rate: float = 0.02,
    days: int = 14,
    start: str = "2026-11-01T00:00:00",
    salt: str = "simulate-ab",
    srm: float = 0.0,
    duplicates: int = 0,
) -> Simulated:
    """Generate an A/B test (see the module docstring for the columns and parameters).

    Raises:
        SpecError: for an unknown arm or metric in ``effects``, or parameters out of range.

    Example:
        >>> simulate_ab(seed=0, n=10, effects={"treatmnt": {}})
        Traceback (most recent call last):
        ...
        causalkit.errors.SpecError: data.params.effects: unknown arm 'treatmnt' (arms: control, treatment)
    """
    import pandas as pd

    from causalkit.ab.assignment import assign

    w = dict(weights or {"control": 0.5, "treatment": 0.5})
    eff = {k: dict(v) for k, v in (effects or {}).items()}
    arms = list(w)
    for arm, per in eff.items():
        if arm not in w:
            raise SpecError(f"unknown arm {arm!r} (arms: {', '.join(arms)})",
                            field="data.params.effects")
        for metric in per:
            if metric not in METRICS:
                raise SpecError(f"unknown metric {metric!r} (metrics: {', '.join(METRICS)})",
                                field="data.params.effects")
    if n < 2 or not -1 < rho < 1 or not 0 <= srm < 1 or duplicates < 0 or days < 1:
        raise SpecError("need n >= 2, -1 < rho < 1, 0 <= srm < 1, duplicates >= 0, days >= 1",
                        field="data.params")
    rng = np.random.default_rng(seed)
    user_id = np.arange(1, n + 1, dtype=np.int64)
    variant = assign(user_id, w, salt=salt)
    idx = np.zeros(n, dtype=np.int64)
    for k, arm in enumerate(arms):
        idx[variant == arm] = k

    def effect(metric: str) -> np.ndarray:
        per_arm = np.array([eff.get(a, {}).get(metric, 0.0) for a in arms])
        return per_arm[idx]

    z1, z2 = rng.standard_normal(n), rng.standard_normal(n)
    pre_minutes = minutes_mean + minutes_sd * z1
    minutes = (minutes_mean + minutes_sd * (rho * z1 + np.sqrt(1 - rho * rho) * z2)
               + effect("chat_minutes"))
    activity = rng.gamma(4.0, sessions_mean / 4.0, n)
    pre_sessions = rng.poisson(activity) + 1
    sessions = rng.poisson(activity) + 1
    taste = rng.beta(10.0 * match_rate, 10.0 * (1.0 - match_rate), n)  # per-user match rate
    rate = np.clip(taste + effect("matches_per_session"), 0.0, 1.0)
    matches = rng.binomial(sessions, rate)
    pre_matches = rng.binomial(pre_sessions, taste)
    reported = (rng.random(n) < np.clip(report_rate + effect("report_rate"), 0, 1)).astype(
        np.int64)
    t0 = np.datetime64(start, "us")
    exposed = t0 + (rng.random(n) * days * 86_400e6).astype("timedelta64[us]")
    frame = pd.DataFrame({
        "user_id": user_id, "variant": variant.astype(object), "chat_minutes": minutes,
        "pre_chat_minutes": pre_minutes, "sessions": sessions.astype(np.int64),
        "matches": matches.astype(np.int64), "pre_sessions": pre_sessions.astype(np.int64),
        "pre_matches": pre_matches.astype(np.int64), "reported": reported,
        "exposed_at": exposed,
    })
    if srm > 0:
        last = frame["variant"].to_numpy() == arms[-1]
        drop = last & (rng.random(n) < srm)
        frame = frame.loc[~drop].reset_index(drop=True)
    if duplicates > 0:
        copy = frame.iloc[:duplicates].copy()
        copy["variant"] = [arms[(arms.index(v) + 1) % len(arms)] for v in copy["variant"]]
        frame = pd.concat([frame, copy], ignore_index=True)
    truth = {
        "effects": {a: {m: float(eff.get(a, {}).get(m, 0.0)) for m in METRICS}
                    for a in arms[1:]},
        "levels": {"chat_minutes": minutes_mean, "matches_per_session": match_rate,
                   "report_rate": report_rate},
        "weights": w,
        "n": n,
    }
    return Simulated(tables={"main": frame}, truth=truth)
