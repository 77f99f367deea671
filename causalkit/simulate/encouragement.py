"""Encouragement experiments on the simulated event log, many at once (no event rows).

The event-log simulator (:func:`causalkit.simulate.event_log.simulate_event_log`
with ``encouragement:``) writes the per-user table of one encouragement experiment
next to its event log. Calibration needs hundreds of experiments, and the events
are not needed for them: :func:`simulate_encouragement` draws the same per-user
model -- covariates and latent intent, the latent engagement, the causal action's
Poisson counts in the condition window with and without the nudge (the nudge
multiplies the rate by ``exp(encouragement)``; counts with the nudge are the counts
without it plus independent extra ones, so no user is pushed below the threshold:
monotonicity holds), retention from the planted condition -- for ``experiments``
independent experiments in one vectorized draw.

The two worlds are the event log's scenarios: ``causal`` (reaching the condition
raises retention: the CACE is
:func:`causalkit.simulate.event_log.encouragement_truth`'s ``cace``) and
``confounded`` (a latent engagement drives both the action and retention: the
nudge moves the action and not retention, the CACE is 0).

Example:
    >>> sim = simulate_encouragement(seed=1, n_users=4000, experiments=3)
    >>> sim.reached.shape, sim.truth["cace"] > 0.2
    ((3, 4000), True)
    >>> z, d, y = sim.nudged[0], sim.reached[0], sim.retained[0]
    >>> bool(d[z].mean() > d[~z].mean())
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from causalkit.simulate.event_log import (
    CAUSAL_DECAY,
    CAUSAL_RATE,
    CONFOUNDED_ENGAGEMENT,
    _draw_users,
    _sigmoid,
    encouragement_truth,
)

MAX_DRAWS = 50_000_000
"""Largest ``experiments x n_users`` drawn at once."""


@dataclass(frozen=True)
class Experiments:
    """``experiments x n_users`` arrays of simulated encouragement experiments.

    ``nudged`` (the randomized arm), ``reached`` (the received condition, 0/1),
    ``retained`` (0/1), ``complier`` (the nudge changes whether the user reaches the
    received condition) and ``truth`` (population values: ``first_stage``, ``itt``,
    ``cace``, ``reached_control``, ``retention_control``).

    Example:
        >>> s = simulate_encouragement(seed=0, n_users=500, experiments=2)
        >>> s.nudged.shape, bool((s.reached[s.complier & s.nudged] == 1).all())
        ((2, 500), True)
    """

    nudged: NDArray[np.bool_]
    reached: NDArray[np.int8]
    retained: NDArray[np.int8]
    complier: NDArray[np.bool_]
    truth: dict[str, Any]

    def frame(self, i: int = 0) -> Any:
        """Experiment ``i`` as the per-user table an ``ab`` spec reads (pandas).

        Example:
            >>> simulate_encouragement(seed=0, n_users=100).frame().columns.tolist()
            ['user_id', 'variant', 'reached', 'retained']
        """
        import pandas as pd

        n = self.nudged.shape[1]
        return pd.DataFrame({
            "user_id": np.arange(1, n + 1),
            "variant": np.where(self.nudged[i], "nudge", "control"),
            "reached": self.reached[i].astype(np.int64),
            "retained": self.retained[i].astype(np.int64)})


def simulate_encouragement(
    *, seed: int = 0, n_users: int = 10_000, experiments: int = 1, scenario: str = "causal",
    encouragement: float = 0.5, encouraged_share: float = 0.5, effect: float | None = None,
    confounding: float = 1.0, causal_intent: float = 0.4, latent_share: float = 0.02,
    engagement: float | None = None, engagement_action: float | None = None,
    base_retention: float = -1.2, causal_window: int = 7, causal_threshold: int = 3,
    received_window: int | None = None, received_threshold: int | None = None,
) -> Experiments:
    """Draw ``experiments`` encouragement experiments of ``n_users`` users each.

    The parameters mean what they mean in
    :func:`causalkit.simulate.event_log.simulate_event_log` (same defaults), which
    holds the same model with its event log; every user here is observed.

    Raises:
        ValueError: for an unknown scenario, an effect in the confounded world, or
            more than :data:`MAX_DRAWS` users in all.

    Example:
        >>> s = simulate_encouragement(seed=2, n_users=50_000, scenario="confounded")
        >>> s.truth["cace"], abs(float(s.retained[0][s.nudged[0]].mean()
        ...                            - s.retained[0][~s.nudged[0]].mean())) < 0.02
        (0.0, True)
    """
    if scenario not in ("causal", "confounded"):
        raise ValueError(f"scenario must be causal or confounded, not {scenario!r}")
    confounded = scenario == "confounded"
    if confounded and effect not in (None, 0, 0.0):
        raise ValueError("the confounded world has no effect (leave effect out)")
    if experiments * n_users > MAX_DRAWS:
        raise ValueError(f"experiments x n_users must be at most {MAX_DRAWS:,}")
    eff = float(effect) if effect is not None else (0.0 if confounded else 1.5)
    eng = float(engagement) if engagement is not None else (
        CONFOUNDED_ENGAGEMENT if confounded else 0.0)
    eng_a = float(engagement_action) if engagement_action is not None else (
        1.0 if eng else 0.0)
    rwin = received_window if received_window is not None else causal_window
    rthr = received_threshold if received_threshold is not None else causal_threshold
    rng = np.random.default_rng(seed)
    shape = (experiments, n_users)
    intent = np.stack([_draw_users(rng, n_users, latent_share)[4] for _ in range(experiments)])
    engaged = rng.standard_normal(shape) if (eng or eng_a) else np.zeros(shape)
    rate = CAUSAL_RATE * np.exp(causal_intent * intent - causal_intent ** 2 / 2
                                + eng_a * engaged - eng_a ** 2 / 2)
    profile = np.exp(-np.arange(max(causal_window, rwin)) / CAUSAL_DECAY)
    short, long_ = sorted((causal_window, rwin))
    mass = (profile[:short].sum(), profile[short:long_].sum())
    extra = math.expm1(encouragement)
    # counts in [0, short) and [short, long): without the nudge, and the nudge's extra
    base = [rng.poisson(rate * m) for m in mass]
    more = [rng.poisson(rate * m * extra) for m in mass]
    nudged = rng.uniform(size=shape) < encouraged_share

    def reached(window: int, threshold: int, with_nudge: bool) -> NDArray[np.bool_]:
        parts = range(1 if window == short else 2)
        total = sum(base[k] + (more[k] if with_nudge else 0) for k in parts)
        out: NDArray[np.bool_] = np.asarray(total >= threshold)
        return out

    got0, got1 = reached(rwin, rthr, False), reached(rwin, rthr, True)
    planted = np.where(nudged, reached(causal_window, causal_threshold, True),
                       reached(causal_window, causal_threshold, False))
    lin = base_retention + confounding * intent + eng * engaged
    retained = rng.uniform(size=shape) < _sigmoid(lin + eff * planted)
    truth = encouragement_truth(
        encouragement=float(encouragement), effect=eff, confounding=float(confounding),
        causal_intent=float(causal_intent), latent_share=float(latent_share), engagement=eng,
        engagement_action=eng_a, base_retention=float(base_retention),
        causal_window=int(causal_window), causal_threshold=int(causal_threshold),
        received_window=int(rwin), received_threshold=int(rthr))
    return Experiments(nudged=nudged, reached=np.where(nudged, got1, got0).astype(np.int8),
                       retained=retained.astype(np.int8), complier=got1 & ~got0,
                       truth={**truth, "scenario": scenario})
