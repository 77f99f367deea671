"""The frozen switch-back ``Schedule``: design, table, content hash, export and lookup.

Periods are a grid in UTC: period ``k`` (0-based internally, 1-based in the
table and in the paper's notation) covers ``[start + k·period, start + (k+1)·period)``.
When ``end - start`` is not a whole number of periods, the last partial period is
left out (the schedule ends at ``start + T·period``). Daylight-saving changes never
move the grid; only the ``balanced`` design reads local time (each region's IANA
zone) to define its hour-of-day x day-of-week slots.

Lookup rule: :meth:`Schedule.arm` returns ``"treatment"`` or ``"control"`` inside
the schedule and ``None`` outside it (before ``start``, at or after the end) and for a
region the schedule does not know: ``None`` means "not in the experiment: serve the
default (control) behaviour and log no exposure". The vectorized
:meth:`Schedule.arm_codes` returns 1, 0 and -1 for the same three cases.

Example:
    >>> from causalkit.spec.switchback import ScheduleSpec, Region
    >>> spec = ScheduleSpec(start="2026-12-01T00:00Z", end="2026-12-01T12:00Z",
    ...                     period="1h", carryover=2, seed=3)
    >>> s = design_schedule(spec, [Region(name="KR", tz="Asia/Seoul")])
    >>> s.randomization_points
    (1, 5, 7, 9)
    >>> s.arm("KR", 1796083200) in ("treatment", "control"), s.arm("XX", 1796083200)
    (True, None)
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from causalkit.errors import CausalkitError, SpecError
from causalkit.spec.switchback import Design, Pairing, Region, ScheduleSpec
from causalkit.switchback.design import (
    CoinDesign,
    balanced_design,
    block_starts,
    regular_design,
)
from causalkit.switchback.windows import lag_windows

if TYPE_CHECKING:
    import pandas as pd

TREATMENT = "treatment"
CONTROL = "control"
_ARM_NAMES = (CONTROL, TREATMENT)
_NS = 1_000_000_000
_UNIT_NS = {"s": _NS, "ms": 1_000_000, "us": 1_000, "ns": 1}


def _ns(value: datetime) -> int:
    delta = value.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * _NS + delta.microseconds * 1_000


def local_slots(start_ns: int, period_ns: int, n_periods: int, tz: str) -> NDArray[np.int64]:
    """Local time-of-week slot of each period start in zone ``tz``.

    Periods shorter than a day: ``weekday·1440 + minute of day``; longer: the weekday.

    Example:
        >>> local_slots(0, 3600 * 10**9, 3, "Asia/Seoul").tolist()  # Thu 09:00 KST
        [4860, 4920, 4980]
    """
    import pandas as pd

    starts = pd.to_datetime(start_ns + np.arange(n_periods, dtype=np.int64) * period_ns,
                            unit="ns", utc=True).tz_convert(tz)
    weekday = np.asarray(starts.day_of_week, dtype=np.int64)
    if period_ns >= 86_400 * _NS:
        return weekday
    minute = np.asarray(starts.hour, dtype=np.int64) * 60 + np.asarray(starts.minute,
                                                                        dtype=np.int64)
    return weekday * 1440 + minute


@dataclass(frozen=True, eq=False)
class Schedule:
    """A realized switch-back schedule (immutable; arrays are read-only).

    Attributes:
        regions: region names; ``tzs`` their IANA zones.
        start_ns, period_ns, n_periods: the UTC grid (epoch nanoseconds).
        carryover: ``m`` in periods.
        burn_in_ns: time dropped after every randomization point.
        design_name, pairing, q, seed: how it was drawn.
        design: the coin design; ``coins``: the realized coin values.
        arms: ``(R, T)`` int8, 1 treatment / 0 control.
    """

    regions: tuple[str, ...]
    tzs: tuple[str, ...]
    start_ns: int
    period_ns: int
    n_periods: int
    carryover: int
    burn_in_ns: int
    design_name: str
    pairing: str
    q: float
    seed: int
    design: CoinDesign
    coins: NDArray[np.bool_]
    arms: NDArray[np.int8] = field(init=False)
    _index: dict[str, int] = field(init=False, repr=False)
    _lookup: dict[str, bytes] = field(init=False, repr=False)
    _start_s: float = field(init=False, repr=False)
    _period_s: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        arms = self.design.arms(self.coins)
        arms.setflags(write=False)
        object.__setattr__(self, "arms", arms)
        object.__setattr__(self, "_index", {r: i for i, r in enumerate(self.regions)})
        object.__setattr__(self, "_lookup",
                           {r: arms[i].tobytes() for i, r in enumerate(self.regions)})
        object.__setattr__(self, "_start_s", self.start_ns / _NS)
        object.__setattr__(self, "_period_s", self.period_ns / _NS)

    # -- grid ---------------------------------------------------------------------------
    @property
    def start(self) -> datetime:
        """Start of the first period (UTC)."""
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=self.start_ns // 1000)

    @property
    def end(self) -> datetime:
        """End of the last period (UTC)."""
        return self.start + timedelta(microseconds=self.n_periods * self.period_ns // 1000)

    @property
    def randomization_points(self) -> tuple[int, ...]:
        """1-indexed periods where a coin is flipped (first region; the paper's notation)."""
        return tuple(int(x) + 1 for x in np.flatnonzero(self.design.randomization_point[0]))

    def window_probabilities(self, lag: int | None = None) -> tuple[NDArray[np.float64],
                                                                    NDArray[np.float64]]:
        """``(R, T)`` probabilities that periods ``t-lag..t`` are all treated / all
        control (NaN where ``t < lag``); ``lag`` defaults to the carryover ``m``.

        Example:
            >>> from causalkit.spec.switchback import ScheduleSpec, Region
            >>> s = design_schedule(ScheduleSpec(start="2026-01-01T00:00Z",
            ...     end="2026-01-01T08:00Z", period="1h", carryover=2), [Region(name="A")])
            >>> s.window_probabilities()[0][0].tolist()
            [nan, nan, 0.5, 0.5, 0.25, 0.25, 0.5, 0.5]
        """
        p = self.carryover if lag is None else lag
        pt = np.full(self.arms.shape, np.nan)
        pc = np.full(self.arms.shape, np.nan)
        if p < self.n_periods:
            w = lag_windows(self.design, p)
            pt[w.region, w.period] = w.pi1[w.group]
            pc[w.region, w.period] = w.pi0[w.group]
        return pt, pc

    def restrict(self, regions: Sequence[str]) -> Schedule:
        """The schedule of some of its regions: their arms, coins and design rows unchanged.

        The coins the kept regions read are renumbered from 0 (a region of a
        complementary pair keeps its own arms, read from its leader's coins), so the
        result is an ordinary schedule of those regions: what a targeted switch-back
        runs, and what a one-region analysis of one of them reads.

        Raises:
            CausalkitError: for a region the schedule does not hold, or none at all.

        Example:
            >>> from causalkit.spec.switchback import ScheduleSpec, Region
            >>> s = design_schedule(ScheduleSpec(start="2026-01-01T00:00Z",
            ...     end="2026-01-02T00:00Z", period="1h"), [Region(name="A"), Region(name="B")])
            >>> b = s.restrict(["B"])
            >>> b.regions, (b.arms[0] == s.arms[1]).all(), b.design.n_coins
            (('B',), np.True_, 22)
        """
        missing = [r for r in regions if r not in self._index]
        if missing or not regions:
            raise CausalkitError(f"the schedule has no region {missing[0]!r}" if missing
                                 else "restrict the schedule to at least one region",
                                 hint=f"its regions are: {', '.join(self.regions)}")
        idx = [self._index[r] for r in regions]
        d = self.design
        used, coin_of = np.unique(d.coin_of[idx], return_inverse=True)
        design = CoinDesign(coin_of=coin_of.reshape(len(idx), -1).astype(np.int64),
                            flip=d.flip[idx].copy(), q=d.q, n_coins=int(used.size),
                            randomization_point=d.randomization_point[idx].copy())
        return Schedule(
            regions=tuple(regions), tzs=tuple(self.tzs[i] for i in idx), start_ns=self.start_ns,
            period_ns=self.period_ns, n_periods=self.n_periods, carryover=self.carryover,
            burn_in_ns=self.burn_in_ns, design_name=self.design_name, pairing=self.pairing,
            q=self.q, seed=self.seed, design=design, coins=self.coins[used].copy(),
        )

    # -- lookup --------------------------------------------------------------------------
    def arm(self, region: str, timestamp: datetime | float) -> str | None:
        """The arm of ``region`` at ``timestamp`` (aware datetime or epoch seconds).

        O(1) and allocation-free (a dict lookup, float arithmetic and a byte index).
        Outside the schedule and for unknown regions: ``None`` (see the module doc).
        A naive datetime is an error (a zone is required).

        Example:
            >>> from causalkit.spec.switchback import ScheduleSpec, Region
            >>> s = design_schedule(ScheduleSpec(start="2026-01-01T00:00Z",
            ...     end="2026-01-02T00:00Z", period="1h", design="bernoulli"),
            ...     [Region(name="A")])
            >>> s.arm("A", s.start - timedelta(seconds=1)) is None
            True
        """
        arms = self._lookup.get(region)
        if arms is None:
            return None
        if isinstance(timestamp, datetime):
            if timestamp.tzinfo is None:
                raise CausalkitError("timestamp has no time zone",
                                     hint="pass an aware datetime or epoch seconds")
            timestamp = timestamp.timestamp()
        k = (timestamp - self._start_s) // self._period_s
        if k < 0 or k >= self.n_periods:
            return None
        return _ARM_NAMES[arms[int(k)]]

    def _period_index(self, timestamps: Any, unit: str) -> NDArray[np.int64]:
        ts = np.asarray(timestamps)
        if np.issubdtype(ts.dtype, np.datetime64):
            ns = ts.astype("datetime64[ns]").astype(np.int64)
        elif np.issubdtype(ts.dtype, np.integer):
            if unit not in _UNIT_NS:
                raise CausalkitError(f"unknown time unit {unit!r}", hint="use s, ms, us or ns")
            ns = ts.astype(np.int64) * _UNIT_NS[unit]
        elif np.issubdtype(ts.dtype, np.floating):
            ns = np.floor(ts * _UNIT_NS.get(unit, _NS)).astype(np.int64)
        else:
            raise CausalkitError(f"timestamps of dtype {ts.dtype} are not times",
                                 hint="pass datetime64 or integer epoch arrays")
        return np.asarray(np.floor_divide(ns - self.start_ns, self.period_ns), dtype=np.int64)

    def arm_codes(self, region: str | Sequence[str] | NDArray[Any], timestamps: Any, *,
                  unit: str = "s") -> NDArray[np.int8]:
        """Vectorized lookup: 1 treatment, 0 control, -1 outside/unknown region.

        Args:
            region: one region for all timestamps, or an array of regions.
            timestamps: ``datetime64`` array (any unit; naive means UTC) or integer
                epochs in ``unit`` (``s``, ``ms``, ``us``, ``ns``).
            unit: unit of integer epochs.

        Example:
            >>> from causalkit.spec.switchback import ScheduleSpec, Region
            >>> s = design_schedule(ScheduleSpec(start="2026-01-01T00:00Z",
            ...     end="2026-01-01T02:00Z", period="1h", design="bernoulli"),
            ...     [Region(name="A")])
            >>> t = np.array(["2025-12-31T23:00", "2026-01-01T00:30"], dtype="datetime64[s]")
            >>> s.arm_codes("A", t)[0], s.arm_codes(["B", "A"], t)[0]
            (np.int8(-1), np.int8(-1))
        """
        k = self._period_index(timestamps, unit)
        inside = (k >= 0) & (k < self.n_periods)
        kk = np.where(inside, k, 0)
        if isinstance(region, str):
            r = self._index.get(region)
            if r is None:
                return np.full(k.shape, -1, dtype=np.int8)
            return np.where(inside, self.arms[r, kk], -1).astype(np.int8)
        names = np.asarray(region)
        uniq, inv = np.unique(names, return_inverse=True)
        codes = np.array([self._index.get(str(u), -1) for u in uniq], dtype=np.int64)[inv]
        known = codes >= 0
        ok = inside & known
        return np.where(ok, self.arms[np.where(known, codes, 0), kk], -1).astype(np.int8)

    # -- table and export ------------------------------------------------------------------
    def table(self) -> pd.DataFrame:
        """One row per region-period: ``region, period (1-based), start, end, arm,
        is_randomization_point, burn_in_end, p_all_treated, p_all_control``.

        Example:
            >>> from causalkit.spec.switchback import ScheduleSpec, Region
            >>> s = design_schedule(ScheduleSpec(start="2026-01-01T00:00Z",
            ...     end="2026-01-01T08:00Z", period="1h", carryover=2), [Region(name="A")])
            >>> list(s.table().columns)[:5]
            ['region', 'period', 'start', 'end', 'arm']
        """
        import pandas as pd

        n_r, n_t = self.arms.shape
        starts = self.start_ns + np.arange(n_t, dtype=np.int64) * self.period_ns
        rp = self.design.randomization_point
        burn = np.where(rp, self.burn_in_ns, 0) + starts[None, :]
        pt, pc = self.window_probabilities()
        return pd.DataFrame({
            "region": np.repeat(np.array(self.regions, dtype=object), n_t),
            "period": np.tile(np.arange(1, n_t + 1), n_r),
            "start": pd.to_datetime(np.tile(starts, n_r), unit="ns", utc=True),
            "end": pd.to_datetime(np.tile(starts + self.period_ns, n_r), unit="ns", utc=True),
            "arm": np.where(self.arms.ravel() == 1, TREATMENT, CONTROL),
            "is_randomization_point": rp.ravel(),
            "burn_in_end": pd.to_datetime(burn.ravel(), unit="ns", utc=True),
            "p_all_treated": pt.ravel(),
            "p_all_control": pc.ravel(),
        })

    def metadata(self) -> dict[str, Any]:
        """The design settings, as JSON-ready values."""
        return {
            "regions": [{"name": r, "tz": z} for r, z in zip(self.regions, self.tzs)],
            "start": self.start.isoformat().replace("+00:00", "Z"),
            "end": self.end.isoformat().replace("+00:00", "Z"),
            "period_seconds": self.period_ns / _NS,
            "n_periods": self.n_periods,
            "carryover_periods": self.carryover,
            "burn_in_seconds": self.burn_in_ns / _NS,
            "design": self.design_name,
            "pairing": self.pairing,
            "treatment_probability": self.q,
            "seed": self.seed,
        }

    @property
    def sha256(self) -> str:
        """Content hash of the settings and every arm (changes iff the schedule does).

        Example:
            >>> from causalkit.spec.switchback import ScheduleSpec, Region
            >>> mk = lambda seed: design_schedule(ScheduleSpec(start="2026-01-01T00:00Z",
            ...     end="2026-01-02T00:00Z", period="1h", seed=seed), [Region(name="A")])
            >>> mk(1).sha256 == mk(1).sha256, mk(1).sha256 == mk(2).sha256
            (True, False)
        """
        h = hashlib.sha256(json.dumps(self.metadata(), sort_keys=True).encode())
        h.update(np.ascontiguousarray(self.arms).tobytes())
        h.update(np.ascontiguousarray(self.design.randomization_point).tobytes())
        return h.hexdigest()

    def to_json(self) -> str:
        """The schedule as JSON: settings, hash and one record per region-period."""
        frame = self.table()
        records = frame.assign(
            start=frame["start"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            end=frame["end"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            burn_in_end=frame["burn_in_end"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        rows = json.loads(records.to_json(orient="records"))
        return json.dumps({"schedule": self.metadata(), "sha256": self.sha256, "periods": rows},
                          indent=1) + "\n"

    def write(self, path: str | Path) -> None:
        """Write the table atomically as ``.csv``, ``.parquet`` or ``.json`` (by suffix).

        Raises:
            CausalkitError: for another suffix.

        Example:
            >>> import tempfile
            >>> from causalkit.spec.switchback import ScheduleSpec, Region
            >>> s = design_schedule(ScheduleSpec(start="2026-01-01T00:00Z",
            ...     end="2026-01-02T00:00Z", period="1h"), [Region(name="A")])
            >>> p = Path(tempfile.mkdtemp()) / "s.csv"
            >>> s.write(p); p.read_text().splitlines()[0].split(",")[:3]
            ['region', 'period', 'start']
        """
        from causalkit.report.write import write_atomic

        dest = Path(path)
        suffix = dest.suffix.lower()
        if suffix == ".csv":
            frame = self.table()
            for col in ("start", "end", "burn_in_end"):
                frame[col] = frame[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
            write_atomic(dest, frame.to_csv(index=False))
        elif suffix in (".parquet", ".pq"):
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(self.table(), preserve_index=False)
            table = table.replace_schema_metadata(
                {**(table.schema.metadata or {}),
                 b"causalkit.schedule": json.dumps(self.metadata()).encode(),
                 b"causalkit.sha256": self.sha256.encode()})
            buf = io.BytesIO()
            pq.write_table(table, buf)
            write_atomic(dest, buf.getvalue())
        elif suffix == ".json":
            write_atomic(dest, self.to_json())
        else:
            raise CausalkitError(f"{dest}: cannot tell the schedule format from the suffix",
                                 hint="use .csv, .parquet or .json")


def design_schedule(spec: ScheduleSpec, regions: Sequence[Region]) -> Schedule:
    """Draw the schedule a spec asks for (deterministic in ``spec.seed``).

    Raises:
        SpecError: when the design cannot be built (e.g. too few periods).

    Example:
        >>> from causalkit.spec.switchback import ScheduleSpec, Region
        >>> s = design_schedule(ScheduleSpec(start="2026-01-01T00:00Z",
        ...     end="2026-01-15T00:00Z", period="1h", design="balanced"),
        ...     [Region(name="KR", tz="Asia/Seoul")])
        >>> int(s.arms.sum()), s.arms.size
        (168, 336)
    """
    start_ns = _ns(spec.start)
    period_ns = round(spec.period.total_seconds()) * _NS
    n_periods = int((_ns(spec.end) - start_ns) // period_ns)
    if n_periods < 1:
        raise SpecError("the schedule holds no whole period", field="schedule")
    m = spec.carryover_periods
    names = tuple(r.name for r in regions)
    complementary = spec.pairing is Pairing.COMPLEMENTARY
    q = spec.treatment_probability
    if spec.design is Design.BALANCED:
        slots = np.stack([local_slots(start_ns, period_ns, n_periods, r.tz) for r in regions])
        design = balanced_design(slots, q=q, complementary=complementary)
    else:
        starts = block_starts(n_periods, m, optimal=spec.design is Design.OPTIMAL)
        design = regular_design(len(regions), n_periods, starts, q=q,
                                complementary=complementary)
    coins = design.draw(np.random.default_rng(spec.seed))
    burn = 0 if spec.burn_in is None else round(spec.burn_in.total_seconds() * _NS)
    return Schedule(
        regions=names, tzs=tuple(r.tz for r in regions), start_ns=start_ns,
        period_ns=period_ns, n_periods=n_periods, carryover=m, burn_in_ns=burn,
        design_name=spec.design.value, pairing=spec.pairing.value, q=q, seed=spec.seed,
        design=design, coins=coins,
    )
