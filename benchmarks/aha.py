"""Aha search at scale: 1M users, 20 actions, windows X = 1..14 days, thresholds Z = 1..50.

The whole grid is 20 x 14 x 50 = 14,000 conditions, each with its 2x2 tables on
discovery and holdout users, Fisher exact p-values and BH q-values. The event log
and the users table are Parquet files, written by a separate process (so the
generator's memory is not counted); causalkit reads them through DuckDB.

Compares, in the same run:

* causalkit's grid (checks, eligibility, action frequencies, the bucketed scans,
  the histograms, every metric, p and q) -- and the whole search (plus the
  second scan for the AND/OR combinations and the holdout re-check);
* a straightforward pandas loop over conditions (for each action, window and
  threshold: filter the events, count per user, compare with the threshold,
  cross with retention) on a sample of users and conditions, scaled to the full
  problem by (users x conditions). The loop's counts are compared with
  causalkit's grid on the same sample (``agree``).

Goal: the whole grid under 60 s and 4 GB on 2 cores.
Run ``python benchmarks/aha.py`` (1M users) or ``python benchmarks/aha.py --quick`` (100k).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Result, best_of, peak_rss_mb

WINDOWS = list(range(1, 15))
THRESHOLDS = list(range(1, 51))
N_ACTIONS = 20


def make_files(folder: Path, n_users: int, seed: int = 1) -> None:
    """Simulate the log and write ``events.parquet`` and ``users.parquet``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from causalkit.simulate.event_log import simulate_event_log

    sim = simulate_event_log(seed=seed, n_users=n_users, n_actions=N_ACTIONS, session_rate=4.0)
    ev = sim.tables["events"]
    table = pa.table({"user_id": ev["user_id"].to_numpy(),
                      "event": pa.array(ev["event"].astype(str).to_numpy()),
                      "timestamp": pa.array(ev["timestamp"].to_numpy())})
    pq.write_table(table, folder / "events.parquet", row_group_size=1 << 20)
    sim.tables["users"].to_parquet(folder / "users.parquet", index=False)


def _make_in_child(folder: Path, n_users: int) -> None:
    here = str(Path(__file__).resolve().parent)
    code = (f"import sys; sys.path.insert(0, {here!r}); import aha; from pathlib import Path; "
            f"aha.make_files(Path({str(folder)!r}), {n_users})")
    subprocess.run([sys.executable, "-c", code], check=True)


def _spec() -> Any:
    from causalkit.spec.aha import AhaSpec

    return AhaSpec(name="bench", kind="aha", data={"simulate": "event_log"}, windows=WINDOWS,
                   thresholds=THRESHOLDS, actions={"exclude": ["app_open"]}, holdout=0.3,
                   check={"enabled": False}, combine_top=5)


def run_grid_only(events: Any, users: Any) -> Any:
    """The whole grid: plan, action frequencies, bucketed scans, metrics, p and q values."""
    from causalkit.aha.inputs import action_frequencies, plan_scan, select_actions
    from causalkit.aha.search import run_grid

    plan = plan_scan(events, users, max_window=max(WINDOWS), holdout=0.3, salt="1")
    actions = select_actions(action_frequencies(plan), exclude=["app_open"])
    grid, _ = run_grid(plan, actions, WINDOWS, THRESHOLDS)
    return grid


def run_search(events: Any, users: Any) -> Any:
    """The whole search of the spec (grid, winners, combinations, holdout re-check)."""
    from causalkit.aha.analysis import discover

    return discover(_spec(), events, users, seed=1)


def pandas_loop(events: Any, users: Any, conditions: list[tuple[str, int, int]]
                ) -> dict[tuple[str, int, int], tuple[int, int]]:
    """The straightforward loop: one filter + group-by + comparison per condition.

    Returns (reached and retained, reached and not retained) per condition, all users.
    """
    import pandas as pd

    obs = events["timestamp"].max()
    eligible = users[users["signup_at"] + pd.Timedelta(days=35) <= obs]
    ev = events.merge(eligible[["user_id", "signup_at"]], on="user_id")
    ev["day"] = (ev["timestamp"] - ev["signup_at"]).dt.total_seconds() // 86400
    kept = ev[(ev["day"] >= 28) & (ev["day"] < 35)]
    retained = eligible["user_id"].isin(set(kept["user_id"])).to_numpy()
    out = {}
    for action, window, threshold in conditions:
        rows = ev[(ev["event"] == action) & (ev["day"] >= 0) & (ev["day"] < window)]
        counts = rows.groupby("user_id").size()
        reached = eligible["user_id"].map(counts).fillna(0).to_numpy() >= threshold
        out[(action, window, threshold)] = (int((reached & retained).sum()),
                                            int((reached & ~retained).sum()))
    return out


def run(quick: bool = False) -> list[Result]:
    """Time causalkit's grid on the full files and the pandas loop on a sample."""
    import duckdb
    import pandas as pd

    from causalkit.data import Source

    n = 100_000 if quick else 1_000_000
    sample_users = 5_000 if quick else 20_000
    sample_conditions = 60 if quick else 150
    case = f"{n // 1000}k users, {N_ACTIONS} actions, X 1-14 d, Z 1-50 (14,000 conditions)"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        _make_in_child(folder, n)
        t_make = time.perf_counter() - t0
        events = Source.from_path(folder / "events.parquet")
        users = Source.from_path(folder / "users.parquet")
        con = duckdb.connect()
        n_events = con.execute(
            f"SELECT COUNT(*) FROM read_parquet('{folder / 'events.parquet'}')").fetchone()
        t_grid, grid = best_of(lambda: run_grid_only(events, users), repeat=2)
        mem_grid = peak_rss_mb()
        t_search, _ = best_of(lambda: run_search(events, users), repeat=2)
        mem_search = peak_rss_mb()

        # the pandas loop on a sample of users and conditions, scaled up
        sample = con.execute(
            f"SELECT user_id FROM read_parquet('{folder / 'users.parquet'}') "
            f"ORDER BY hash(user_id) LIMIT {sample_users}").df()["user_id"].to_numpy()
        con.register("sample_ids", pd.DataFrame({"user_id": sample}))
        ev_s = con.execute(f"SELECT e.* FROM read_parquet('{folder / 'events.parquet'}') e "
                       "JOIN sample_ids USING (user_id)").df()
        us_s = con.execute(f"SELECT u.* FROM read_parquet('{folder / 'users.parquet'}') u "
                       "JOIN sample_ids USING (user_id)").df()
        con.close()
        actions = list(grid.actions)
        rng = np.random.default_rng(0)
        all_conditions = [(a, w, z) for a in actions for w in WINDOWS for z in THRESHOLDS]
        picks = rng.choice(len(all_conditions), sample_conditions, replace=False)
        conditions = [all_conditions[i] for i in picks]
        t_pd, theirs = best_of(lambda: pandas_loop(ev_s, us_s, conditions), repeat=1)
        n_cond = len(all_conditions)
        scale = (n / sample_users) * (n_cond / sample_conditions)
        t_pd_full = t_pd * scale
        # agreement: causalkit's grid on the same sample, all users in discovery
        from causalkit.aha.inputs import plan_scan
        from causalkit.aha.search import Key, index_of, run_grid

        plan = plan_scan(Source.from_frame(ev_s), Source.from_frame(us_s), max_window=14)
        g_s, _ = run_grid(plan, actions, WINDOWS, THRESHOLDS)
        ok = True
        for cond, (tp, fp) in theirs.items():
            i = index_of(g_s, Key(*cond))
            ok &= i is not None and int(g_s.discovery.tp[i]) == tp \
                and int(g_s.discovery.fp[i]) == fp
        note = (f"{int(n_events[0]):,} events; pandas: {sample_conditions} conditions on "
                f"{sample_users:,} users took {t_pd:.2f}s, scaled x{scale:,.0f}; "
                f"data generation {t_make:.0f}s (not timed)") if n_events else ""
        return [
            Result("aha", case + ": whole grid", t_grid, "pandas loop over conditions (scaled)",
                   t_pd_full, "< 60 s and < 4 GB on 2 cores", agree=bool(ok),
                   peak_memory_mb=mem_grid, note=note),
            Result("aha", case + ": search + combinations + holdout re-check", t_search,
                   "pandas loop over conditions (scaled)", t_pd_full, "< 60 s and < 4 GB",
                   peak_memory_mb=mem_search),
        ]


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        ratio = f"{r.ratio:.5f}" if r.ratio is not None else "n/a"
        peer = f"{r.peer_seconds:.1f}s" if r.peer_seconds is not None else "n/a"
        print(f"{r.case} | causalkit {r.causalkit_seconds:.2f}s | peak {r.peak_memory_mb:.0f} MB "
              f"| {r.peer} {peer} | ratio {ratio} (goal {r.goal}) | agree {r.agree} | {r.note}")
