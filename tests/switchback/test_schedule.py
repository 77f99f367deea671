"""Schedule: table, hash, export, real-time lookup rules, DST, vectorized lookup."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalkit.errors import CausalkitError
from causalkit.spec.switchback import Region, ScheduleSpec
from causalkit.switchback.schedule import Schedule, design_schedule

REGIONS = [Region(name="KR", tz="Asia/Seoul"), Region(name="US", tz="America/New_York"),
           Region(name="BR", tz="America/Sao_Paulo")]


def _sched(**kw: object) -> Schedule:
    base: dict[str, object] = {"start": "2026-12-01T00:00Z", "end": "2026-12-15T00:00Z",
                               "period": "1h", "carryover": 2, "burn_in": "10m", "seed": 7}
    base.update(kw)
    return design_schedule(ScheduleSpec(**base), REGIONS)  # type: ignore[arg-type]


def test_table_columns_and_probabilities() -> None:
    s = _sched()
    tab = s.table()
    assert list(tab.columns) == ["region", "period", "start", "end", "arm",
                                 "is_randomization_point", "burn_in_end", "p_all_treated",
                                 "p_all_control"]
    assert len(tab) == 3 * 336
    kr = tab[tab.region == "KR"]
    assert kr.period.tolist() == list(range(1, 337))
    rp = kr.period[kr.is_randomization_point].tolist()
    assert rp[:4] == [1, 5, 7, 9]
    assert len(rp) == 168 - 2
    assert kr.p_all_treated.iloc[:2].isna().all()
    assert set(kr.p_all_treated.dropna().round(4)) == {0.5, 0.25}
    burn = (kr.burn_in_end - kr.start).dt.total_seconds()
    assert set(burn[kr.is_randomization_point]) == {600.0}
    assert set(burn[~kr.is_randomization_point]) == {0.0}


def test_hash_and_determinism() -> None:
    assert _sched().sha256 == _sched().sha256
    assert _sched().sha256 != _sched(seed=8).sha256
    assert _sched().sha256 != _sched(burn_in="5m").sha256
    assert np.array_equal(_sched().arms, _sched().arms)
    with pytest.raises(ValueError, match="read-only"):
        _sched().arms[0, 0] = 1


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_export_round_trip(tmp_path: Path, suffix: str) -> None:
    s = _sched()
    out = tmp_path / f"s{suffix}"
    s.write(out)
    if suffix == ".csv":
        back = pd.read_csv(out)
        rows = back
    elif suffix == ".parquet":
        back = pq.read_table(out)
        assert back.schema.metadata[b"causalkit.sha256"].decode() == s.sha256
        rows = back.to_pandas()
    else:
        data = json.loads(out.read_text())
        assert data["sha256"] == s.sha256
        assert data["schedule"]["design"] == "optimal"
        rows = pd.DataFrame(data["periods"])
    arms = (rows["arm"] == "treatment").to_numpy().reshape(3, -1)
    assert np.array_equal(arms.astype(np.int8), s.arms)
    assert not list(tmp_path.glob(".*tmp"))  # atomic write left no temp file


def test_bad_suffix(tmp_path: Path) -> None:
    with pytest.raises(CausalkitError, match="suffix"):
        _sched().write(tmp_path / "s.xlsx")


def test_lookup_rules() -> None:
    s = _sched()
    start = datetime(2026, 12, 1, tzinfo=UTC)
    assert s.arm("KR", start - timedelta(microseconds=1)) is None
    assert s.arm("KR", start + timedelta(days=14)) is None  # end is exclusive
    assert s.arm("DE", start) is None  # unknown region: not in the experiment
    for k in (0, 1, 4, 100, 335):
        expected = "treatment" if s.arms[1, k] else "control"
        t = start + timedelta(hours=k)
        assert s.arm("US", t) == expected
        assert s.arm("US", t + timedelta(minutes=59, seconds=59)) == expected
        assert s.arm("US", t.timestamp()) == expected
        assert s.arm("US", int(t.timestamp()) + 1) == expected
        # an aware datetime in another zone is the same instant
        assert s.arm("US", t.astimezone(ZoneInfo("Asia/Seoul"))) == expected
    with pytest.raises(CausalkitError, match="time zone"):
        s.arm("US", datetime(2026, 12, 1, 3))


def test_periods_are_utc_across_dst() -> None:
    # US daylight saving ends 2026-11-01 06:00 UTC; the grid stays hourly in UTC
    s = design_schedule(ScheduleSpec(start="2026-10-31T00:00Z", end="2026-11-03T00:00Z",
                                     period="1h", design="bernoulli", seed=1), REGIONS)
    t = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert s.arm("US", t) == ("treatment" if s.arms[1, 29] else "control")
    assert s.n_periods == 72


def test_balanced_design_local_hours_across_dst() -> None:
    s = design_schedule(ScheduleSpec(start="2026-10-19T00:00Z", end="2026-11-16T00:00Z",
                                     period="1h", design="balanced", carryover=1, seed=3),
                        REGIONS)
    starts = pd.to_datetime(s.start_ns + np.arange(s.n_periods) * s.period_ns, utc=True)
    for i, r in enumerate(REGIONS):
        local = starts.tz_convert(r.tz)
        slot = np.asarray(local.day_of_week) * 24 + np.asarray(local.hour)
        frame = pd.DataFrame({"slot": slot, "arm": s.arms[i]})
        g = frame.groupby("slot")["arm"].agg(["sum", "count"])
        even = g["count"] % 2 == 0
        assert (g.loc[even, "sum"] * 2 == g.loc[even, "count"]).all()
        assert (abs(g["sum"] * 2 - g["count"]) <= 1).all()


@settings(max_examples=40, deadline=None)
@given(offsets=st.lists(st.integers(-7200, 15 * 86400), min_size=1, max_size=50),
       names=st.lists(st.sampled_from(["KR", "US", "BR", "XX"]), min_size=50, max_size=50))
def test_vectorized_lookup_matches_scalar(offsets: list[int], names: list[str]) -> None:
    s = _sched()
    t0 = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())
    epochs = np.array(offsets, dtype=np.int64) + t0
    regions = np.array(names[: len(offsets)])
    codes = s.arm_codes(regions, epochs)
    codes_dt = s.arm_codes(regions, epochs.astype("datetime64[s]"))
    codes_ms = s.arm_codes(regions, epochs * 1000, unit="ms")
    for i, (reg, e) in enumerate(zip(regions, epochs)):
        arm = s.arm(str(reg), int(e))
        expected = -1 if arm is None else int(arm == "treatment")
        assert codes[i] == expected == codes_dt[i] == codes_ms[i]
    one = s.arm_codes("KR", epochs)
    assert all(one[i] == (-1 if s.arm("KR", int(e)) is None else int(s.arm("KR", int(e))
               == "treatment")) for i, e in enumerate(epochs))


def test_spec_rules() -> None:
    with pytest.raises(ValueError, match=r"0\.5"):
        ScheduleSpec(start="2026-12-01T00:00Z", end="2026-12-02T00:00Z", period="1h",
                     pairing="complementary", treatment_probability=0.3)
    s = design_schedule(ScheduleSpec(start="2026-12-01T00:00Z", end="2026-12-02T00:30Z",
                                     period="1h", carryover="90m"), REGIONS)
    assert s.n_periods == 24
    assert s.carryover == 2
