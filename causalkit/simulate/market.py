"""A 1:1 real-time matching market with interference, for switch-back tests.

Model (per region, time-stepped in ticks of ``tick_seconds``, vectorized over
worlds x replications x regions with numpy):

* users of two types (A, the majority, and B) arrive as Poisson processes whose
  rate follows a daily cycle in the region's local time (peak 21:00, trough 09:00);
* waiting users are matched in one batch per tick (the live market matches every
  ~0.5 s; batching per tick is the coarse approximation that keeps a two-week,
  five-region run at a few seconds; ``tick_seconds=0.5`` is allowed but slow);
* **control rule**: the pool is paired uniformly at random (many A-B pairs);
  **treatment rule**: users are only paired with their own type, so same-type
  chats (longer, better) replace cross-type ones, and odd users of a type are left
  waiting in the pool, where they may abandon;
* waiting users abandon with exponential patience; chats end with exponential
  durations that depend on the pair's types; after a chat each user re-queues with a
  probability that is higher after a short cross-type chat.

Four worlds run side by side: all-control and all-treatment (the ground truth of
the global effect), a user-randomized A/B test in one shared pool (treated users
take same-type partners out of the pool that control users share: interference),
and a switch-back that follows a schedule (region x period arms). Every world
starts with ``pre_days`` of all-control market, reported as the pre-period.

Example:
    >>> sim = simulate_market(seed=1, days=1, pre_days=0.5, period="2h", carryover=1,
    ...                       regions=["KR", "US"], tick_seconds=120)
    >>> sorted(sim.tables)
    ['ab', 'all_control', 'all_treatment', 'main', 'pre_period']
    >>> list(sim.tables["main"].columns)
    ['timestamp', 'region', 'arm', 'queue_joins', 'matches', 'chat_minutes', 'abandons']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from causalkit.errors import SpecError
from causalkit.simulate import Simulated

if TYPE_CHECKING:
    import pandas as pd

    from causalkit.switchback.schedule import Schedule

DEFAULT_REGIONS: tuple[tuple[str, str, float], ...] = (
    ("KR", "Asia/Seoul", 60.0),
    ("JP", "Asia/Tokyo", 50.0),
    ("TW", "Asia/Taipei", 25.0),
    ("US", "America/New_York", 80.0),
    ("BR", "America/Sao_Paulo", 40.0),
)
"""Default regions: name, IANA zone, peak arrivals per minute."""

METRICS = ("queue_joins", "matches", "chat_minutes", "abandons")
WORLDS = ("all_control", "all_treatment", "ab", "switchback")

# classes: type A control, A treatment, B control, B treatment
_KINDS = [(i, j) for i in range(4) for j in range(i, 4)]
_KIND = {pair: k for k, pair in enumerate(_KINDS)}
_INVOLVE = np.zeros((10, 4))
for _k, (_i, _j) in enumerate(_KINDS):
    _INVOLVE[_k, _i] += 1
    _INVOLVE[_k, _j] += 1
_SAME = np.array([(i // 2) == (j // 2) for i, j in _KINDS])


@dataclass(frozen=True)
class MarketParams:
    """Behaviour of the market (all durations in minutes).

    Attributes:
        minority_share: share of arrivals of type B.
        patience: mean waiting time before abandoning, for types A and B.
        chat_same, chat_cross: mean chat length of same-type and cross-type pairs.
        requeue_same, requeue_cross: probability of queueing again after the chat.
        seasonality: depth of the daily cycle (0 = flat, 1 = zero at the trough).
        ab_share: share of users treated in the A/B world.

    Example:
        >>> p = MarketParams(chat_same=2.5, requeue_same=0.75)  # same-type chats no better
        >>> def chat_effect(params):
        ...     run = run_market(regions=[("KR", "Asia/Seoul", 20.0)], start_ns=0,
        ...                      n_seconds=3600, pre_seconds=0, arms=np.ones((1, 1), np.int8),
        ...                      period_ns=3600 * 10**9, params=params,
        ...                      worlds=("all_control", "all_treatment"))
        ...     return market_truth(run)["global_effect"]["chat_minutes_per_join"]
        >>> chat_effect(MarketParams()) > 0.5, abs(chat_effect(p)) < 0.3
        (True, True)
    """

    minority_share: float = 0.3
    patience: tuple[float, float] = (3.0, 2.0)
    chat_same: float = 6.0
    chat_cross: float = 2.5
    requeue_same: float = 0.5
    requeue_cross: float = 0.75
    seasonality: float = 0.7
    ab_share: float = 0.5


@dataclass(frozen=True, eq=False)
class MarketRun:
    """Raw output: ``values[world, replication, region, bucket, arm, metric]`` summed
    over the users of each arm (arm 0 control, 1 treatment), for buckets starting at
    ``bucket_start_ns`` (the first ``n_pre`` buckets are the pre-period).

    Example:
        >>> run = run_market(regions=[("KR", "Asia/Seoul", 20.0), ("US", "America/New_York", 30.0)],
        ...                  start_ns=0, n_seconds=3600, pre_seconds=1200,
        ...                  arms=np.array([[1], [0]], np.int8), period_ns=3600 * 10**9,
        ...                  tick_seconds=120, bucket_seconds=600)
        >>> run.values.shape, run.n_pre, run.regions  # world, rep, region, bucket, arm, metric
        ((4, 1, 2, 8, 2, 4), 2, ('KR', 'US'))
        >>> (run.bucket_start_ns[:3] // 10**9).tolist()  # the pre-period starts 20 min early
        [-1200, -600, 0]
        >>> joins = run.values[run.worlds.index("switchback"), 0, :, run.n_pre:, :, 0].sum(axis=1)
        >>> (joins > 0).tolist()  # switch-back world: KR treated, US control
        [[False, True], [True, False]]
    """

    values: NDArray[np.float32]
    bucket_start_ns: NDArray[np.int64]
    n_pre: int
    regions: tuple[str, ...]
    worlds: tuple[str, ...] = WORLDS


def _binomial(rng: np.random.Generator, n: NDArray[np.int64], p: Any) -> NDArray[np.int64]:
    """Binomial draws (numpy's exact sampler)."""
    return rng.binomial(n, p)


def _hyper(rng: np.random.Generator, good: NDArray[np.int64], bad: NDArray[np.int64],
           sample: NDArray[np.int64]) -> NDArray[np.int64]:
    """Hypergeometric draws, approximated by a binomial kept inside the exact support
    (numpy's exact sampler costs ~80 µs a call in argument checks alone)."""
    total = good + bad
    p = good / np.maximum(total, 1)
    x = rng.binomial(sample, p)
    return np.clip(x, np.maximum(sample - bad, 0), np.minimum(good, sample))


def _match(wait: NDArray[np.int64], rng: np.random.Generator
           ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Batch matching; returns new chats by kind and the users matched per class."""
    wait = wait.copy()
    new = np.zeros((*wait.shape[:-1], 10), dtype=np.int64)
    for typ in (0, 1):  # treated users take same-type partners from the whole type pool
        ci, ti = 2 * typ, 2 * typ + 1
        t, c = wait[..., ti], wait[..., ci]
        k = np.minimum(t, (t + c) // 2)
        x_tt = _hyper(rng, t - k, c, k)
        new[..., _KIND[(ti, ti)]] += x_tt
        new[..., _KIND[(ci, ti)]] += k - x_tt
        wait[..., ti] -= k + x_tt
        wait[..., ci] -= k - x_tt
    a, b = wait[..., 0], wait[..., 2]  # control users: uniformly random pairing
    n = a + b
    odd = n % 2 == 1
    leave_a = odd & (rng.random(n.shape) * np.maximum(n, 1) < a)
    a2 = a - leave_a
    b2 = b - (odd & ~leave_a)
    h = (a2 + b2) // 2
    a_left = _hyper(rng, a2, b2, h)
    right_a = a2 - a_left
    aa = _hyper(rng, right_a, h - right_a, a_left)
    ab = (a_left - aa) + (right_a - aa)
    bb = h - aa - ab
    new[..., _KIND[(0, 0)]] += aa
    new[..., _KIND[(0, 2)]] += ab
    new[..., _KIND[(2, 2)]] += bb
    return new, (new @ _INVOLVE).astype(np.int64)


def _rates(regions: list[tuple[str, str, float]], tick_ns: NDArray[np.int64],
           seasonality: float) -> NDArray[np.float64]:
    """Arrivals per minute ``(ticks, regions)`` with a daily cycle in local time."""
    import pandas as pd

    idx = pd.to_datetime(tick_ns, unit="ns", utc=True)
    out = np.empty((len(tick_ns), len(regions)))
    for r, (_, tz, base) in enumerate(regions):
        local = idx.tz_convert(tz)
        hour = np.asarray(local.hour, dtype=float) + np.asarray(local.minute, dtype=float) / 60
        cycle = 0.5 * (1 + np.cos(2 * np.pi * (hour - 21.0) / 24.0))
        out[:, r] = base * (1 - seasonality + seasonality * cycle)
    return out


def run_market(*, regions: list[tuple[str, str, float]], start_ns: int, n_seconds: int,
               pre_seconds: int, arms: NDArray[np.int8], period_ns: int,
               replications: int = 1, tick_seconds: float = 60.0, bucket_seconds: int = 600,
               params: MarketParams | None = None, scale: float = 1.0,
               worlds: tuple[str, ...] = WORLDS, seed: int = 0,
               progress: Callable[[int, int], None] | None = None) -> MarketRun:
    """Run the market; the numerical core behind :func:`simulate_market`.

    Args:
        regions: ``(name, tz, peak arrivals per minute)``.
        start_ns: experiment start (epoch ns); the pre-period runs before it.
        n_seconds, pre_seconds: lengths of the experiment and of the pre-period.
        arms: switch-back arms ``(R, T)`` or per replication ``(S, R, T)`` on the grid
            ``start_ns + k·period_ns``.
        period_ns: period length of ``arms``.
        replications: independent replications ``S``.
        tick_seconds: time step.
        bucket_seconds: reporting bucket (a multiple of the tick).
        params: market behaviour.
        scale: multiplies every arrival rate.
        worlds: which of ``all_control, all_treatment, ab, switchback`` to run.
        seed: random seed.
        progress: called after each bucket with (rows done, rows), a row being one
            region x replication x bucket of the switch-back world.

    Example:
        >>> run = run_market(regions=[("KR", "Asia/Seoul", 20.0)], start_ns=0,
        ...                  n_seconds=3600, pre_seconds=0, arms=np.ones((1, 1), np.int8),
        ...                  period_ns=3600 * 10**9, tick_seconds=60, bucket_seconds=600)
        >>> run.values.shape
        (4, 1, 1, 6, 2, 4)
    """
    prm = params or MarketParams()
    rng = np.random.default_rng(seed)
    ticks_per_bucket = round(bucket_seconds / tick_seconds)
    if ticks_per_bucket < 1 or abs(ticks_per_bucket * tick_seconds - bucket_seconds) > 1e-9:
        raise SpecError("bucket_seconds must be a whole multiple of tick_seconds",
                        field="data.params")
    n_pre = int(pre_seconds // bucket_seconds)
    n_buckets = n_pre + int(n_seconds // bucket_seconds)
    n_ticks = n_buckets * ticks_per_bucket
    tick_ns = (start_ns - n_pre * bucket_seconds * 10**9
               + (np.arange(n_ticks) * tick_seconds * 1e9).astype(np.int64))
    rates = _rates(regions, tick_ns, prm.seasonality) * scale * tick_seconds / 60.0
    n_r, n_w, s = len(regions), len(worlds), replications
    arms_s = np.broadcast_to(arms if arms.ndim == 3 else arms[None], (s, *arms.shape[-2:]))
    period_of_tick = np.floor_divide(tick_ns - start_ns, period_ns)
    n_periods = arms_s.shape[-1]
    shape = (n_w, s, n_r)
    wait = np.zeros((*shape, 4), dtype=np.int64)
    chats = np.zeros((*shape, 10), dtype=np.int64)
    dur = np.array([prm.chat_same if same else prm.chat_cross for same in _SAME])
    p_end = 1 - np.exp(-tick_seconds / 60.0 / dur)
    pat = np.array([prm.patience[0], prm.patience[0], prm.patience[1], prm.patience[1]])
    p_abandon = 1 - np.exp(-tick_seconds / 60.0 / pat)
    share = np.array([1 - prm.minority_share, prm.minority_share])
    world_ix = {w: i for i, w in enumerate(worlds)}
    region_rule = np.array([w != "ab" for w in worlds])
    rule4 = region_rule[:, None, None, None]
    acc = np.zeros((*shape, 4, 4))  # class x metric within the current bucket
    out = np.zeros((*shape, n_buckets, 2, 4), dtype=np.float32)
    arm_of_class = np.array([0, 1, 0, 1])
    for tick in range(n_ticks):
        # 1. chats end; users re-queue
        ended = _binomial(rng, chats, p_end)
        chats -= ended
        rel_same = (ended * _SAME) @ _INVOLVE
        rel_cross = ended @ _INVOLVE - rel_same
        back = (_binomial(rng, rel_same.astype(np.int64), prm.requeue_same)
                + _binomial(rng, rel_cross.astype(np.int64), prm.requeue_cross))
        # 2. arrivals, split by type (and by arm in the A/B world)
        lam = rates[tick][None, None, :, None] * share[None, None, None, :]
        arrive = rng.poisson(np.broadcast_to(lam, (*shape, 2)))
        new = np.zeros((*shape, 4), dtype=np.int64)
        if "ab" in world_ix:
            ab = world_ix["ab"]
            treated = _binomial(rng, arrive[ab], prm.ab_share)
            new[ab, ..., 1] = treated[..., 0]
            new[ab, ..., 0] = arrive[ab, ..., 0] - treated[..., 0]
            new[ab, ..., 3] = treated[..., 1]
            new[ab, ..., 2] = arrive[ab, ..., 1] - treated[..., 1]
        new[region_rule, ..., 0] = arrive[region_rule, ..., 0]
        new[region_rule, ..., 2] = arrive[region_rule, ..., 1]
        joins = new + back
        wait += joins
        # 3. region-level worlds: everyone waiting follows the region's current arm
        k = period_of_tick[tick]
        arm_now = np.zeros(shape, dtype=bool)
        if "all_treatment" in world_ix:
            arm_now[world_ix["all_treatment"]] = k >= 0
        if "switchback" in world_ix and 0 <= k < n_periods:
            arm_now[world_ix["switchback"]] = arms_s[:, :, k] == 1
        armx = arm_now[..., None]
        for arr in (wait, joins):
            tot = arr[..., 0::2] + arr[..., 1::2]
            relabel = np.empty_like(arr)
            relabel[..., 0::2] = np.where(armx, 0, tot)
            relabel[..., 1::2] = np.where(armx, tot, 0)
            arr[...] = np.where(rule4, relabel, arr)
        # 4. matching
        new_chats, matched = _match(wait, rng)
        chats += new_chats
        wait -= matched
        # 5. abandonment of those still waiting
        gone = _binomial(rng, wait, p_abandon)
        wait -= gone
        # 6. bookkeeping
        acc[..., 0] += joins
        acc[..., 1] += matched
        acc[..., 2] += (chats @ _INVOLVE) * (tick_seconds / 60.0)
        acc[..., 3] += gone
        if (tick + 1) % ticks_per_bucket == 0:
            b = tick // ticks_per_bucket
            out[..., b, 0, :] = acc[..., arm_of_class == 0, :].sum(axis=-2)
            out[..., b, 1, :] = acc[..., arm_of_class == 1, :].sum(axis=-2)
            acc[:] = 0
            if progress is not None:
                progress((b + 1) * s * n_r, n_buckets * s * n_r)
    bucket_ns = (start_ns - n_pre * bucket_seconds * 10**9
                 + np.arange(n_buckets, dtype=np.int64) * bucket_seconds * 10**9)
    return MarketRun(values=out, bucket_start_ns=bucket_ns, n_pre=n_pre,
                     regions=tuple(r[0] for r in regions), worlds=tuple(worlds))


def _frame(run: MarketRun, world: int, buckets: slice, arm_mode: str,
           arms: NDArray[np.int8] | None = None, period_ns: int = 0) -> pd.DataFrame:
    """Long table for one world: one row per replication x region x bucket (x arm)."""
    import pandas as pd

    vals = run.values[world][:, :, buckets]  # (S, R, B, 2, M)
    s, r, b = vals.shape[:3]
    ts = run.bucket_start_ns[buckets]
    if arm_mode == "split":
        rows = vals.reshape(s * r * b * 2, len(METRICS))
        rep = np.repeat(np.arange(s), r * b * 2)
        reg = np.tile(np.repeat(np.arange(r), b * 2), s)
        tix = np.tile(np.repeat(np.arange(b), 2), s * r)
        arm = np.tile(np.array(["control", "treatment"], dtype=object), s * r * b)
    else:
        rows = vals.sum(axis=3).reshape(s * r * b, len(METRICS))
        rep = np.repeat(np.arange(s), r * b)
        reg = np.tile(np.repeat(np.arange(r), b), s)
        tix = np.tile(np.arange(b), s * r)
        if arm_mode in ("control", "treatment"):
            arm = np.full(len(rows), arm_mode, dtype=object)
        else:
            assert arms is not None
            a3 = arms if arms.ndim == 3 else np.broadcast_to(arms, (s, *arms.shape))
            k = np.clip((ts[tix] - ts[0]) // period_ns, 0, a3.shape[-1] - 1)
            arm = np.where(a3[rep, reg, k] == 1, "treatment", "control").astype(object)
    data: dict[str, Any] = {
        "timestamp": pd.to_datetime(ts[tix], unit="ns", utc=True),
        "region": np.array(run.regions, dtype=object)[reg],
        "arm": arm,
    }
    for i, name in enumerate(METRICS):
        data[name] = rows[:, i].astype(np.float64)
    frame = pd.DataFrame(data)
    if s > 1:
        frame.insert(0, "replication", rep)
    return frame


def _region_list(regions: list[Any] | None) -> list[tuple[str, str, float]]:
    known = {name: (name, tz, rate) for name, tz, rate in DEFAULT_REGIONS}
    if regions is None:
        return list(DEFAULT_REGIONS)
    out = []
    for item in regions:
        if isinstance(item, str):
            if item not in known:
                raise SpecError(f"unknown region {item!r} for the matching market",
                                field="data.params.regions",
                                hint="give {name, tz, rate} or one of " + ", ".join(known))
            out.append(known[item])
        elif isinstance(item, dict):
            name = str(item["name"])
            base = known.get(name, (name, "UTC", 40.0))
            out.append((name, str(item.get("tz", base[1])), float(item.get("rate", base[2]))))
        else:
            raise SpecError(f"region {item!r} is not a name or a mapping",
                            field="data.params.regions")
    return out


def simulate_market(*, seed: int = 0, regions: list[Any] | None = None,
                    start: str = "2026-12-01T00:00Z", days: float = 14.0,
                    period: str = "1h", carryover: int = 1, burn_in: str | None = "10m",
                    design: str = "optimal", schedule_seed: int = 7, pre_days: float = 7.0,
                    tick_seconds: float = 60.0, bucket_seconds: int = 600,
                    replications: int = 1, scale: float = 1.0, minority_share: float = 0.3,
                    ab_share: float = 0.5, schedule: Schedule | None = None,
                    progress: Callable[[int, int], None] | None = None) -> Simulated:
    """Simulate the matching market in four worlds (see the module docstring).

    The switch-back world follows ``schedule`` (a :class:`~causalkit.switchback.Schedule`;
    a switch-back analysis passes its own) or else one drawn from ``regions``,
    ``start``, ``days``, ``period``, ``carryover``, ``burn_in``, ``design`` and
    ``schedule_seed``. ``progress`` is passed to :func:`run_market`.

    Returns:
        ``Simulated`` with tables ``main`` (the switch-back world, one row per region and
        ``bucket_seconds`` bucket: ``timestamp, region, arm, queue_joins, matches,
        chat_minutes, abandons``), ``pre_period`` (the same before the start, all
        control), ``all_treatment`` and ``all_control`` (the ground-truth worlds) and
        ``ab`` (the user-randomized world, one row per bucket and arm); ``truth`` holds
        the global effects on the ratio metrics (ratio of totals) and the A/B estimates.

    Example:
        >>> sim = simulate_market(seed=2, days=1, pre_days=0, period="2h",
        ...                       regions=["TW"], tick_seconds=120)
        >>> sorted(sim.truth["global_effect"])
        ['abandon_rate', 'chat_minutes_per_join', 'match_rate']
    """
    from causalkit.spec.switchback import Region, ScheduleSpec
    from causalkit.spec.types import parse_timestamp
    from causalkit.switchback.schedule import design_schedule

    if schedule is None:
        reg = _region_list(regions)
        t0 = parse_timestamp(start)
        try:
            sspec = ScheduleSpec(start=t0, end=t0 + _days(days), period=period,
                                 carryover=carryover, burn_in=burn_in, design=design,
                                 seed=schedule_seed)
        except ValueError as exc:
            raise SpecError(f"bad schedule parameters: {exc}", field="data.params") from None
        schedule = design_schedule(sspec, [Region(name=n, tz=z) for n, z, _ in reg])
    else:
        rates = {name: rate for name, _, rate in _region_list(regions)} if regions else {}
        default = {name: rate for name, _, rate in DEFAULT_REGIONS}
        reg = [(n, z, float(rates.get(n, default.get(n, 40.0))))
               for n, z in zip(schedule.regions, schedule.tzs)]
    params = MarketParams(minority_share=minority_share, ab_share=ab_share)
    n_seconds = schedule.n_periods * schedule.period_ns // 10**9
    run = run_market(regions=reg, start_ns=schedule.start_ns, n_seconds=int(n_seconds),
                     pre_seconds=int(pre_days * 86400), arms=schedule.arms,
                     period_ns=schedule.period_ns, replications=replications,
                     tick_seconds=tick_seconds, bucket_seconds=bucket_seconds,
                     params=params, scale=scale, seed=seed, progress=progress)
    exp = slice(run.n_pre, None)
    tables = {
        "main": _frame(run, 3, exp, "schedule", schedule.arms, schedule.period_ns),
        "pre_period": _frame(run, 3, slice(0, run.n_pre), "control"),
        "all_treatment": _frame(run, 1, exp, "treatment"),
        "all_control": _frame(run, 0, exp, "control"),
        "ab": _frame(run, 2, exp, "split"),
    }
    return Simulated(tables=tables, truth=market_truth(run))


def _days(days: float) -> Any:
    from datetime import timedelta

    return timedelta(days=days)


_RATIOS = {"match_rate": 1, "chat_minutes_per_join": 2, "abandon_rate": 3}


def market_truth(run: MarketRun) -> dict[str, Any]:
    """Global effects (all-treatment minus all-control, ratio of totals over the
    experiment) and the A/B world's naive estimates of the same ratios.

    Example:
        >>> run = run_market(regions=[("KR", "Asia/Seoul", 20.0)], start_ns=0,
        ...                  n_seconds=3600, pre_seconds=0, arms=np.ones((1, 1), np.int8),
        ...                  period_ns=3600 * 10**9, tick_seconds=60, bucket_seconds=600)
        >>> sorted(market_truth(run)["ab_estimate"])
        ['abandon_rate', 'chat_minutes_per_join', 'match_rate']
    """
    tot = run.values[:, :, :, run.n_pre:].sum(axis=(1, 2, 3), dtype=np.float64)  # (W, 2, M)
    pooled = tot.sum(axis=1)
    ix = {w: i for i, w in enumerate(run.worlds)}
    glob: dict[str, float] = {}
    ab: dict[str, float] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, num in _RATIOS.items():
            if "all_treatment" in ix and "all_control" in ix:
                t, c = pooled[ix["all_treatment"]], pooled[ix["all_control"]]
                glob[name] = float(t[num] / t[0] - c[num] / c[0])
            if "ab" in ix:
                arm = tot[ix["ab"]]
                ab[name] = float(arm[1, num] / arm[1, 0] - arm[0, num] / arm[0, 0])
    return {"global_effect": glob, "ab_estimate": ab}
