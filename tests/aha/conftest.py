"""A straightforward pandas reference of the Aha grid, to check the vectorized search against."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest


def holdout_flags(user_ids: Sequence[Any], salt: str, share: float) -> np.ndarray:
    """The documented split: the first 15 hex digits of md5("<user>:<salt>"), mod 10^6."""
    cut = round(share * 1_000_000)
    return np.array([
        int(hashlib.md5(f"{u}:{salt}".encode()).hexdigest()[:15], 16) % 1_000_000 < cut
        for u in user_ids
    ])


def reference_grid(events: pd.DataFrame, users: pd.DataFrame, *, actions: Sequence[str],
                   windows: Sequence[int], thresholds: Sequence[int], start: int = 28,
                   end: int = 35, observed_until: pd.Timestamp | None = None,
                   retention_event: str | None = None, holdout: float = 0.0,
                   salt: str = "0") -> dict[str, Any]:
    """Per (action, window, threshold): tp, fp, fn, tn on discovery users, by a pandas loop."""
    obs = observed_until if observed_until is not None else events["timestamp"].max()
    users = users[users["signup_at"].notna()]
    eligible = users[users["signup_at"] + pd.Timedelta(days=end) <= obs].copy()
    ev = events.merge(eligible[["user_id", "signup_at"]], on="user_id")
    ev["day"] = np.floor((ev["timestamp"] - ev["signup_at"]).dt.total_seconds() / 86400)
    ret_rows = ev[(ev["day"] >= start) & (ev["day"] < end)]
    if retention_event is not None:
        ret_rows = ret_rows[ret_rows["event"].astype(str) == retention_event]
    retained = eligible["user_id"].isin(set(ret_rows["user_id"])).to_numpy()
    hold = holdout_flags(eligible["user_id"].tolist(), salt, holdout)
    out = {}
    for a in actions:
        sub = ev[(ev["event"].astype(str) == a) & (ev["day"] >= 0)]
        for w in windows:
            counts = sub[sub["day"] < w].groupby("user_id").size()
            n = eligible["user_id"].map(counts).fillna(0).to_numpy()
            for z in thresholds:
                reached = n >= z
                d = ~hold
                out[(a, w, z)] = (
                    int((reached & retained & d).sum()), int((reached & ~retained & d).sum()),
                    int((~reached & retained & d).sum()), int((~reached & ~retained & d).sum()),
                )
    return {"tables": out, "eligible": len(eligible), "retained": retained, "holdout": hold,
            "not_observed": len(users) - len(eligible)}


@pytest.fixture
def reference() -> Callable[..., dict[str, Any]]:
    """The pandas reference of the grid."""
    return reference_grid


@pytest.fixture(scope="session")
def small_log() -> Any:
    """A small simulated log (shared; never mutated)."""
    from causalkit.simulate.event_log import simulate_event_log

    return simulate_event_log(seed=5, n_users=3_000, n_actions=5)
