"""Switch-back speed: real-time arm lookup and the randomization test.

No published library implements switch-back lookups or the design's randomization
test, so each case is measured against a straightforward implementation written
here (the code a team would write first):

* ``arm`` single call: ``Schedule.arm(region, datetime)`` vs scanning the region's
  schedule rows for the period that holds the timestamp (goal: under 2 µs a call);
* vectorized lookup of 1,000,000 logged events: ``Schedule.arm_codes`` vs a Python
  loop of ``Schedule.arm`` calls;
* Fisher randomization test, 10,000 draws, 5 regions x 2 weeks of hourly periods
  (optimal design, m = 1): the vectorized matrix of draws x windows vs a loop over
  draws that rebuilds each schedule's arms and estimate with numpy (goal: under 1 s).

Run: ``python benchmarks/switchback.py [--quick]``.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Result, best_of, peak_rss_mb

from causalkit.spec.switchback import Region, ScheduleSpec
from causalkit.switchback.estimators import ht_estimate, randomization_test
from causalkit.switchback.schedule import Schedule, design_schedule
from causalkit.switchback.windows import lag_windows

REGIONS = [Region(name="KR", tz="Asia/Seoul"), Region(name="JP", tz="Asia/Tokyo"),
           Region(name="TW", tz="Asia/Taipei"), Region(name="US", tz="America/New_York"),
           Region(name="BR", tz="America/Sao_Paulo")]


def _schedule() -> Schedule:
    return design_schedule(ScheduleSpec(start="2026-12-01T00:00Z", end="2026-12-15T00:00Z",
                                        period="1h", carryover=1, burn_in="10m", seed=7),
                           REGIONS)


class LoopSchedule:
    """The straightforward lookup: scan the region's (start, end, arm) rows."""

    def __init__(self, schedule: Schedule) -> None:
        table = schedule.table()
        self.rows: dict[str, list[tuple[datetime, datetime, str]]] = {}
        for region, start, end, arm in zip(table.region, table.start, table.end, table.arm):
            self.rows.setdefault(region, []).append(
                (start.to_pydatetime(), end.to_pydatetime(), arm))

    def arm(self, region: str, ts: datetime) -> str | None:
        for start, end, arm in self.rows.get(region, ()):
            if start <= ts < end:
                return arm
        return None


def _bench_single(quick: bool) -> Result:
    s = _schedule()
    loop = LoopSchedule(s)
    rng = np.random.default_rng(0)
    n = 20_000 if quick else 200_000
    base = datetime(2026, 12, 1, tzinfo=UTC)
    times = [base + timedelta(seconds=int(x)) for x in rng.integers(0, 14 * 86400, n)]
    regions = [REGIONS[i].name for i in rng.integers(0, 5, n)]
    arm = s.arm

    def fast() -> list[str | None]:
        return [arm(r, t) for r, t in zip(regions, times)]

    slow_n = n // 20

    def slow() -> list[str | None]:
        return [loop.arm(r, t) for r, t in zip(regions[:slow_n], times[:slow_n])]

    t_fast, out_fast = best_of(fast, 3)
    t_slow, out_slow = best_of(slow, 1 if quick else 2)
    per_call = t_fast / n
    # time of the bare loop (zip + list) to report the call itself
    t0 = time.perf_counter()
    _ = [(r, t) for r, t in zip(regions, times)]
    overhead = (time.perf_counter() - t0) / n
    agree = out_fast[:slow_n] == out_slow
    return Result(
        benchmark="switchback", case=f"arm() single call x {n:,}",
        causalkit_seconds=per_call, peer="loop scan of schedule rows",
        peer_seconds=t_slow / slow_n, goal="< 2 µs per call",
        agree=agree, peak_memory_mb=peak_rss_mb(),
        note=f"{per_call * 1e6:.2f} µs/call ({1 / per_call:,.0f} lookups/s; "
             f"{(per_call - overhead) * 1e6:.2f} µs without the list-comprehension overhead)",
    )


def _bench_vector(quick: bool) -> Result:
    s = _schedule()
    rng = np.random.default_rng(1)
    n = 100_000 if quick else 1_000_000
    epochs = s.start_ns // 10**9 + rng.integers(-3600, 14 * 86400 + 3600, n)
    regions = np.array([r.name for r in REGIONS])[rng.integers(0, 5, n)]
    t_fast, codes = best_of(lambda: s.arm_codes(regions, epochs), 3)
    sub = n // 10
    reg_list, ep_list = regions[:sub].tolist(), epochs[:sub].tolist()

    def slow() -> list[str | None]:
        return [s.arm(r, e) for r, e in zip(reg_list, ep_list)]

    t_slow, arms = best_of(slow, 1)
    expected = np.array([-1 if a is None else int(a == "treatment") for a in arms])
    return Result(
        benchmark="switchback", case=f"vectorized lookup of {n:,} events",
        causalkit_seconds=t_fast, peer="Python loop of arm() calls",
        peer_seconds=t_slow * n / sub, goal="millions of events per second",
        agree=bool(np.array_equal(codes[:sub], expected)), peak_memory_mb=peak_rss_mb(),
        note=f"{n / t_fast:,.0f} events/s (loop time extrapolated from {sub:,})",
    )


def loop_randomization(schedule: Schedule, y: np.ndarray, observed: float, draws: int,
                       seed: int) -> float:
    """The straightforward test: per draw, rebuild the arms and the HT estimate."""
    rng = np.random.default_rng(seed)
    design = schedule.design
    m = schedule.carryover
    pt, pc = schedule.window_probabilities()
    n = np.isfinite(pt).sum()
    count = 0
    for _ in range(draws):
        arms = design.arms(rng.random(design.n_coins) < design.q)
        total = 0.0
        for r in range(arms.shape[0]):
            a = arms[r]
            win = np.lib.stride_tricks.sliding_window_view(a, m + 1)
            all_t = win.all(axis=1)
            all_c = ~win.any(axis=1)
            yr = y[r, m:]
            total += float(np.sum(yr[all_t] / pt[r, m:][all_t])
                           - np.sum(yr[all_c] / pc[r, m:][all_c]))
        count += abs(total / n) >= abs(observed) - 1e-12
    return (1 + count) / (1 + draws)


def _bench_frt(quick: bool) -> Result:
    s = _schedule()
    rng = np.random.default_rng(2)
    y = rng.normal(0, 1, s.arms.shape) + 0.05 * s.arms
    w = lag_windows(s.design, s.carryover)
    g = w.group_sums(y[w.region, w.period])
    u, lo = w.indicators(s.coins)
    obs = float(ht_estimate(w, u, lo, g, g, w.n_windows))
    draws = 10_000

    def fast() -> float:
        return randomization_test(w, s.design.n_coins, g, obs, n=w.n_windows, draws=draws,
                                  rng=np.random.default_rng(5)).p_value

    t_fast, p_fast = best_of(fast, 3)
    c0 = time.process_time()
    fast()
    cpu = time.process_time() - c0
    loop_draws = 1_000 if quick else draws
    t_slow, p_slow = best_of(lambda: loop_randomization(s, y, obs, loop_draws, 5), 1)
    t_slow *= draws / loop_draws
    se = np.sqrt(max(p_fast * (1 - p_fast), 1e-4) / min(draws, loop_draws))
    return Result(
        benchmark="switchback", case="randomization test, 10,000 draws, 5 regions x 336 h",
        causalkit_seconds=t_fast, peer="loop over draws (numpy per draw)",
        peer_seconds=t_slow, goal="< 1 s",
        agree=bool(abs(p_fast - p_slow) < 4 * se + 1e-3), peak_memory_mb=peak_rss_mb(),
        note=f"p = {p_fast:.4f} (loop {p_slow:.4f}); CPU time {cpu:.3f} s"
             + (f"; loop time extrapolated from {loop_draws:,} draws" if quick else ""),
    )


def run(quick: bool = False) -> list[Result]:
    """Every switch-back benchmark row."""
    return [_bench_single(quick), _bench_vector(quick), _bench_frt(quick)]


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        ratio = f"{r.ratio:.4f}" if r.ratio is not None else "n/a"
        peer = f"{r.peer_seconds:.6f}s" if r.peer_seconds is not None else "n/a"
        print(f"{r.case} | causalkit {r.causalkit_seconds:.6f}s | {r.peer} {peer} | "
              f"ratio {ratio} (goal {r.goal}) | agree {r.agree} | {r.note}")
