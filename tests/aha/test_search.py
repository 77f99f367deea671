"""The vectorized grid against a pandas loop over conditions, chunking invariance, the split."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import causalkit.aha.grid as grid_mod
from causalkit.aha.grid import count_histogram, tables_from_histogram
from causalkit.aha.inputs import plan_scan
from causalkit.aha.search import Key, condition_indicators, index_of, run_grid
from causalkit.data import Source

ACTIONS = ["add_friend", "like_post", "send_sticker"]
WINDOWS = [1, 3, 7, 14]
THRESHOLDS = [1, 2, 3, 5, 10]


def _plan(sim: Any, **kw: Any) -> Any:
    return plan_scan(Source.from_frame(sim.tables["events"]), Source.from_frame(sim.tables["users"]),
                     max_window=max(WINDOWS), **kw)


def _tables(grid: Any, key: tuple[str, int, int]) -> tuple[int, int, int, int]:
    i = index_of(grid, Key(*key))
    d = grid.discovery
    return int(d.tp[i]), int(d.fp[i]), int(d.fn[i]), int(d.tn[i])


@pytest.mark.parametrize("chunk_users", [250_000, 1_000])
def test_grid_equals_pandas_loop(small_log: Any, reference: Any, chunk_users: int) -> None:
    plan = _plan(small_log, holdout=0.3, salt="9", chunk_users=chunk_users)
    assert plan.n_chunks == (1 if chunk_users > 3_000 else 3)
    grid, users = run_grid(plan, ACTIONS, WINDOWS, THRESHOLDS)
    ref = reference(small_log.tables["events"], small_log.tables["users"], actions=ACTIONS,
                    windows=WINDOWS, thresholds=THRESHOLDS, holdout=0.3, salt="9")
    assert plan.summary.eligible_users == ref["eligible"]
    assert plan.summary.not_observed == ref["not_observed"]
    for key, expected in ref["tables"].items():
        assert _tables(grid, key) == expected, key
    assert users.holdout.sum() == ref["holdout"].sum()
    assert users.retained.sum() == ref["retained"].sum()


def test_small_cell_budget_gives_the_same_grid(small_log: Any, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    plan = _plan(small_log)
    big, _ = run_grid(plan, ACTIONS, WINDOWS, THRESHOLDS)
    monkeypatch.setattr(grid_mod, "CELL_BUDGET", 500)
    small, _ = run_grid(plan, ACTIONS, WINDOWS, THRESHOLDS)
    np.testing.assert_array_equal(big.discovery.tp, small.discovery.tp)
    np.testing.assert_array_equal(big.discovery.fp, small.discovery.fp)


def test_observed_until_and_retention_event(small_log: Any, reference: Any) -> None:
    obs = pd.Timestamp("2026-02-20T00:00:00Z")
    plan = _plan(small_log, observed_until=obs.to_pydatetime(), retention_event="app_open")
    grid, _ = run_grid(plan, ["add_friend"], [7], [1, 3])
    ref = reference(small_log.tables["events"], small_log.tables["users"], actions=["add_friend"],
                    windows=[7], thresholds=[1, 3], observed_until=obs,
                    retention_event="app_open")
    assert plan.summary.observed_until_given
    assert plan.summary.eligible_users == ref["eligible"]
    for key, expected in ref["tables"].items():
        assert _tables(grid, key) == expected


def test_holdout_share_is_binomial(small_log: Any) -> None:
    plan = _plan(small_log, holdout=0.3, salt="1")
    _, users = run_grid(plan, ["add_friend"], [7], [1])
    n = users.n
    share = users.holdout.mean()
    assert abs(share - 0.3) <= 3 * np.sqrt(0.3 * 0.7 / n)
    # deterministic, and another salt gives another split
    _, again = run_grid(plan, ["add_friend"], [7], [1])
    np.testing.assert_array_equal(users.holdout, again.holdout)
    _, other = run_grid(_plan(small_log, holdout=0.3, salt="2"), ["add_friend"], [7], [1])
    assert (other.holdout != users.holdout).any()


def test_indicators_agree_with_the_grid(small_log: Any) -> None:
    plan = _plan(small_log, holdout=0.3, chunk_users=1_000)
    grid, users = run_grid(plan, ACTIONS, WINDOWS, THRESHOLDS)
    keys = [Key("add_friend", 7, 3), Key("like_post", 3, 5), Key("send_sticker", 14, 1)]
    ind, early = condition_indicators(plan, keys)
    disc = ~users.holdout
    for j, k in enumerate(keys):
        tp = int((ind[disc, j] & (users.retained[disc] == 1)).sum())
        assert tp == _tables(grid, (k.action, k.window, k.threshold))[0]
    assert set(early) == {"add_friend", "like_post", "send_sticker"}
    assert (users.early >= early["add_friend"] + early["like_post"]).all()


def test_string_user_ids_and_epoch_seconds(small_log: Any) -> None:
    ev = small_log.tables["events"].copy()
    us = small_log.tables["users"].copy()
    base_plan = _plan(small_log)
    base, _ = run_grid(base_plan, ["add_friend"], [3, 7], [1, 2])
    ev2 = ev.assign(user_id="u" + ev["user_id"].astype(str),
                    timestamp=ev["timestamp"].astype("int64") / 1e6)
    us2 = us.assign(user_id="u" + us["user_id"].astype(str),
                    signup_at=us["signup_at"].astype("int64") / 1e6)
    plan = plan_scan(Source.from_frame(ev2), Source.from_frame(us2), max_window=7)
    other, _ = run_grid(plan, ["add_friend"], [3, 7], [1, 2])
    np.testing.assert_array_equal(base.discovery.tp, other.discovery.tp)
    np.testing.assert_array_equal(base.discovery.fp, other.discovery.fp)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 1), st.integers(0, 6),
                          st.integers(1, 8)), min_size=0, max_size=60),
       st.lists(st.integers(0, 3), min_size=6, max_size=6))
def test_histogram_matches_direct_counting(rows: list[tuple[int, int, int, int]],
                                           labels: list[int]) -> None:
    cells: dict[tuple[int, int, int], int] = {}
    for u, a, d, n in rows:
        cells[(u, a, d)] = n  # unique cells, as GROUP BY gives
    keys = list(cells)
    uidx = np.array([k[0] for k in keys], dtype=np.int64)
    act = np.array([k[1] for k in keys], dtype=np.int64)
    day = np.array([k[2] for k in keys], dtype=np.int64)
    cnt = np.array([cells[k] for k in keys], dtype=np.int64)
    windows = np.array([1, 4, 7])
    thresholds = np.array([1, 2, 5])
    label = np.array(labels)
    h = count_histogram(uidx, act, day, cnt, n_users=6, n_actions=2, windows=windows,
                        z_cap=6, label=label)
    assert h.sum() == 6 * 2 * 3  # every user counted once per (action, window)
    tp, fp, _fn, _tn = tables_from_histogram(h, thresholds, retained_label=1, other_label=0)
    for a in range(2):
        for wi, w in enumerate(windows):
            total = np.zeros(6)
            for (u, aa, d), n in cells.items():
                if aa == a and d < w:
                    total[u] += n
            for zi, z in enumerate(thresholds):
                reached = total >= z
                assert tp[a, wi, zi] == int((reached & (label == 1)).sum())
                assert fp[a, wi, zi] == int((reached & (label == 0)).sum())


def test_reached_is_monotone_in_window_and_threshold(small_log: Any) -> None:
    grid, _ = run_grid(_plan(small_log), ACTIONS, WINDOWS, THRESHOLDS)
    reached = grid.discovery.tp + grid.discovery.fp
    assert (np.diff(reached, axis=1) >= 0).all()  # longer windows: more users reach
    assert (np.diff(reached, axis=2) <= 0).all()  # higher thresholds: fewer users reach
