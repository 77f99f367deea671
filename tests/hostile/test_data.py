"""Hostile data through the CLI and the Python API (issue 12: classes 2, 4, 7, 9; issue 13: 5).

The promises tested here:

* user text in SQL (class 2, DuckDB side; ``test_spark_quoting.py`` has Spark): region
  names, event names, arm labels and column names full of quotes, backslashes, ``--``,
  ``;``, newlines and other unicode give the same numbers as plain names;
* one extreme value never flips a decision (class 4): a sentinel, a value near the
  float64 limit or a huge mean is a ``fail`` check (the gate exits 30) or a clean
  ``error:`` (exit 2), never a ship and never a traceback;
* switch-back data with inf or 1e300 values, out-of-range or NULL exposure times (7):
  a clean error or a counted check;
* arms the spec does not name (issue 13, item 5): a ``fail`` check in ``run``, Python
  and the gate alike; the sample-ratio check never says pass on such data;
* smaller silent failures (9): NULL times and events counted, an empty event log
  called empty, unreadable pandas dtypes named, ``assign --column variant`` refused.

Generated cases: hostile names (hypothesis) as A/B labels and metric columns, switch-back
regions and value columns, Aha event names and user columns (DuckDB), and numeric
extremes in switch-back data.
"""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import causalkit
from causalkit.data import DuckDBEngine, Source
from causalkit.errors import CausalkitError, DataError
from causalkit.report import Status
from causalkit.simulate.ab import simulate_ab
from tests.hostile.conftest import (
    DESIGNS,
    assert_clean_error,
    assert_never_ships,
    assert_no_traceback,
    cli,
)

NOW = "2026-12-31T00:00Z"
FRAGMENTS = st.sampled_from(["'", "\\", "\\'", '"', "`", "--", ";", "/*", "*/", "\n", "\r",
                             "\t", "é", "中", "🙂", "%", "_", " ", "x", "K", "R", "\x00"])
HOSTILE = st.lists(FRAGMENTS | st.text(min_size=1, max_size=3), min_size=1, max_size=6).map(
    "".join).filter(lambda s: s.strip() != "")
FAST = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def ab_spec(**kw: Any) -> dict[str, Any]:
    spec = yaml.safe_load((DESIGNS / "ab_match_filter.yaml").read_text())
    spec.pop("plan", None)
    spec["decision"] = {"min_sample_per_arm": 1000}
    spec.update(kw)
    return spec


def write(path: Path, spec: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(spec, allow_unicode=True))
    return path


# -- class 4: the example through the real gate ------------------------------------
def test_gate_on_a_sentinel_denominator_exits_invalid(work: Path) -> None:
    """One control unit with ``sessions = INT64_MAX`` among 40,000: the gate shipped (exit 0)."""
    df = simulate_ab(seed=7, n=40_000, salt="match-filter-v2").tables["main"]
    df["sessions"] = df["sessions"].astype("int64")
    df.loc[df.index[df["variant"] == "control"][0], "sessions"] = np.iinfo(np.int64).max
    df.to_parquet(work / "data.parquet")
    spec = ab_spec(metrics=[{"name": "matches_per_session", "type": "ratio",
                             "numerator": "matches", "denominator": "sessions",
                             "role": "primary", "direction": "increase"}],
                   data={"path": "data.parquet"})
    ran = cli("gate", write(work / "spec.yaml", spec), "--now", NOW, cwd=work)
    assert_never_ships(ran)
    assert ran.code == 30
    assert "data_influence" in ran.stdout
    assert "INT64_MAX" in ran.stdout


@pytest.mark.parametrize("value", ["1e308", "1e200", "inf", "1e16_offset"])
def test_gate_on_extreme_values_never_ships(work: Path, value: str) -> None:
    df = simulate_ab(seed=3, n=4000, salt="match-filter-v2",
                     effects={"treatment": {"chat_minutes": 2.0}}).tables["main"]
    if value == "1e16_offset":
        df["chat_minutes"] += 1e16
    else:
        df.loc[df.index[0], "chat_minutes"] = float(value)
    df.to_parquet(work / "data.parquet")
    spec = ab_spec(metrics=[{"name": "chat_minutes", "type": "mean", "column": "chat_minutes",
                             "role": "primary", "direction": "increase"}],
                   data={"path": "data.parquet"})
    ran = cli("gate", write(work / "spec.yaml", spec), "--now", NOW, cwd=work)
    assert_never_ships(ran)
    if value == "inf":
        assert_clean_error(ran, "chat_minutes", "infinite")


# -- issue 13, item 5: arms through run and gate ---------------------------------------------
def test_run_and_gate_on_data_labelled_a_b(work: Path) -> None:
    df = simulate_ab(seed=1, n=4000, salt="match-filter-v2").tables["main"]
    df["variant"] = df["variant"].map({"control": "A", "treatment": "B"})
    df.to_parquet(work / "data.parquet")
    spec = write(work / "spec.yaml", ab_spec(data={"path": "data.parquet"}))
    ran = cli("run", spec, "--format", "json", "--now", NOW, cwd=work)
    assert_no_traceback(ran)
    status = {c["name"]: c["status"] for c in json.loads(ran.stdout)["checks"]}
    assert status["sample_ratio_mismatch"] == "fail"
    assert status["data_unknown_variants"] == "fail"
    assert status["data_empty_arm"] == "fail"
    gate = cli("gate", spec, "--now", NOW, cwd=work)
    assert gate.code == 30
    assert "'A' (" in gate.stdout
    rep = causalkit.analyze(work / "spec.yaml", data=df,
                            now=datetime(2026, 12, 31, tzinfo=UTC))
    assert {c.name: c.status.value for c in rep.checks} == status


# -- class 7 and 9: times, switch-back values, assign ------------------------------------------
def test_out_of_range_exposure_times_through_run(work: Path) -> None:
    df = simulate_ab(seed=1, n=1000, salt="match-filter-v2").tables["main"]
    df.to_csv(work / "data.csv", index=False)
    text = (work / "data.csv").read_text().splitlines()
    head = text[0].split(",")
    at = head.index("exposed_at")
    rows = [r.split(",") for r in text[1:]]
    rows[0][at], rows[1][at] = "9999-12-31 23:59:59", "0001-01-01 00:00:00"
    (work / "data.csv").write_text("\n".join([text[0], *(",".join(r) for r in rows)]) + "\n")
    spec = write(work / "spec.yaml", ab_spec(data={"path": "data.csv"}))
    for command in ("run", "gate"):
        ran = cli(command, spec, "--now", NOW, cwd=work)
        assert_clean_error(ran, "exposed_at", "2 exposure time(s) outside 1900 to 2199")


def sb_spec(regions: list[str], **kw: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "sb", "kind": "switchback", "regions": regions, "unit": "region",
        "schedule": {"start": "2026-01-01T00:00Z", "end": "2026-01-02T00:00Z",
                     "period": "1h", "design": "bernoulli", "seed": 3},
        "metrics": [{"name": "y", "type": "mean", "column": "y", "role": "primary",
                     "direction": "increase"}],
        "estimator": "hajek", "analysis": {"draws": 100}}
    spec.update(kw)
    return spec


def sb_frame(spec: dict[str, Any], seed: int = 0, column: str = "y",
             arm: str | None = None) -> pd.DataFrame:
    from causalkit.entry import load_spec
    from causalkit.switchback.analysis import schedule_of

    regions = [r if isinstance(r, str) else r["name"] for r in spec["regions"]]
    arms = schedule_of(load_spec(spec).spec).arms
    times = pd.date_range("2026-01-01T00:30Z", periods=24, freq="1h")
    rng = np.random.default_rng(seed)
    out = pd.DataFrame({"region": np.repeat(np.array(regions, dtype=object), 24),
                        "timestamp": np.tile(times, len(regions)),
                        column: 10.0 + arms.ravel() + rng.normal(0, 0.5, 24 * len(regions))})
    if arm is not None:
        out["arm"] = np.where(arms.ravel() == 1, "treatment", "control")
    return out


@pytest.mark.parametrize("value", [math.inf, -math.inf, 1e300, -1e200, 1e80])
def test_switchback_inf_and_huge_values_are_clean_errors(work: Path, value: float) -> None:
    spec = sb_spec(["KR", "JP"], data={"path": "data.parquet"})
    df = sb_frame(spec)
    df.loc[5, "y"] = value
    df.to_parquet(work / "data.parquet")
    ran = cli("run", write(work / "spec.yaml", spec), cwd=work)
    assert_clean_error(ran, "'y'", "overflow float64")


def test_switchback_logged_arms_the_schedule_does_not_use() -> None:
    from causalkit.switchback.aggregate import aggregate_periods
    from causalkit.switchback.analysis import schedule_of
    from causalkit.switchback.data import arm_label_check

    spec = sb_spec(["KR", "JP"])
    df = sb_frame(spec, arm="arm")
    df["arm"] = df["arm"].map({"treatment": "B", "control": "A"})
    df.loc[0, "arm"] = "Treatmnt"
    loaded = causalkit.load_spec(spec).spec
    agg = aggregate_periods(DuckDBEngine(), Source.from_frame(df), schedule_of(loaded),
                            region="region", time="timestamp", columns=["y"], arm="arm")
    check = arm_label_check(agg, "arm")
    assert check is not None
    assert check.status is Status.FAIL
    assert "'A' (" in check.detail
    assert "'B' (" in check.detail
    assert "did you mean 'Treatmnt' for 'treatment'?" in check.detail
    assert agg.treated_rows.sum() + agg.control_rows.sum() == 0


def test_assign_refuses_an_id_column_named_variant(work: Path) -> None:
    (work / "units.csv").write_text("variant\n1\n2\n3\n")
    ran = cli("assign", DESIGNS / "ab_match_filter.yaml", "--units", work / "units.csv",
              "--out", work / "out.csv", "--column", "variant", cwd=work)
    assert_clean_error(ran, "'variant'", "output column")
    assert not (work / "out.csv").exists()


# -- class 9: Aha inputs -----------------------------------------------------------------------
def aha_tables(n_users: int = 200) -> tuple[pd.DataFrame, pd.DataFrame]:
    from causalkit.simulate.event_log import simulate_event_log

    sim = simulate_event_log(seed=1, n_users=n_users, n_actions=4)
    ev = sim.tables["events"].copy()
    ev["event"] = ev["event"].astype(object)
    return ev, sim.tables["users"]


def test_aha_null_times_and_events_are_counted() -> None:
    from causalkit.aha.inputs import input_checks, plan_scan

    ev, us = aha_tables()
    ev.loc[ev.index[:17], "timestamp"] = pd.NaT
    ev.loc[ev.index[17:20], "event"] = None
    plan = plan_scan(Source.from_frame(ev), Source.from_frame(us))
    assert (plan.summary.null_timestamps, plan.summary.null_events) == (17, 3)
    (check,) = input_checks(plan.summary)
    assert check.name == "aha_missing_values"
    assert check.status is Status.WARN
    assert "17 event row(s) without a time" in check.detail


def test_aha_empty_or_timeless_event_log_is_described_as_such() -> None:
    from causalkit.aha.inputs import plan_scan

    ev, us = aha_tables(50)
    with pytest.raises(DataError, match="the event log is empty"):
        plan_scan(Source.from_frame(ev.iloc[:0]), Source.from_frame(us))
    timeless = ev.copy()
    timeless["timestamp"] = pd.NaT
    with pytest.raises(DataError, match="no event has a time"):
        plan_scan(Source.from_frame(timeless), Source.from_frame(us))
    with pytest.raises(DataError, match="the users table is empty"):
        plan_scan(Source.from_frame(ev), Source.from_frame(us.iloc[:0]))


def test_aha_unreadable_dtype_names_the_column() -> None:
    ev, us = aha_tables(50)
    us = us.assign(weird=us["age"].astype(complex))
    spec = {"name": "a", "kind": "aha"}
    with pytest.raises(DataError, match=r"column 'weird'.*complex"):
        causalkit.analyze(spec, data=(ev, us))


def _arrow_column(kind: str, n: int) -> Any:
    import decimal

    import pyarrow as pa

    return {
        "float16": lambda: pa.array(np.ones(n, dtype=np.float16)),
        "decimal256": lambda: pa.array([decimal.Decimal("1.5")] * n, type=pa.decimal256(40, 2)),
        "map": lambda: pa.array([[("a", 1)]] * n, type=pa.map_(pa.string(), pa.int64())),
        "union": lambda: pa.UnionArray.from_sparse(pa.array([0] * n, type=pa.int8()),
                                                   [pa.array(range(n))]),
        "list": lambda: pa.array([[1.0]] * n),
    }[kind]()


@pytest.mark.parametrize("kind", ["float16", "decimal256", "map", "union", "list"])
def test_arrow_types_from_python_are_named_or_read(kind: str) -> None:
    """Unsupported Arrow types: a DataError naming the column (as a metric or not); types
    the engine reads but that are not numbers: named when used as a metric, else ignored."""
    import pyarrow as pa

    df = simulate_ab(seed=1, n=300).tables["main"]
    table = pa.Table.from_pandas(df, preserve_index=False).append_column(
        "odd", _arrow_column(kind, len(df)))
    metric = {"name": "m", "type": "mean", "column": "chat_minutes", "role": "primary"}
    spec = {"name": "t", "kind": "ab", "unit": "user_id", "metrics": [metric]}
    unreadable = kind in ("float16", "decimal256")
    for column in ("chat_minutes", "odd"):
        s = {**spec, "metrics": [{**metric, "column": column}]}
        if unreadable or column == "odd":
            with pytest.raises(DataError, match="column 'odd'"):
                causalkit.analyze(s, data=table)
        else:
            assert causalkit.analyze(s, data=table).estimates


# -- class 2 on DuckDB: renamed names give the same numbers ---------------------------------
def test_hostile_regions_through_the_cli_match_plain_names(work: Path) -> None:
    plain = ["R1", "R2", "R3"]
    hostile = ["K\\'R", "x'); DROP TABLE src; --", "é \"中\" `;`"]
    reports = []
    for names in (plain, hostile):
        spec = sb_spec(plain, data={"path": "data.parquet"})
        df = sb_frame(spec)  # the same schedule and data, then relabelled
        df["region"] = df["region"].map(dict(zip(plain, names)))
        folder = work / ("h" if names is hostile else "p")
        folder.mkdir()
        df.to_parquet(folder / "data.parquet")
        spec["regions"] = names
        spec["schedule"]["design"] = "bernoulli"
        ran = cli("run", write(folder / "spec.yaml", spec), "--format", "json", cwd=folder)
        assert_no_traceback(ran)
        assert ran.code == 0, str(ran)
        reports.append(json.loads(ran.stdout))
    rows = [[(c["name"], c["status"]) for c in r["checks"]] for r in reports]
    assert rows[0] == rows[1]
    assert all("data_outside_schedule" not in str(r) for r in rows)


def _ab_plain(labels: list[str], column: str, n: int = 600) -> tuple[dict[str, Any], pd.DataFrame]:
    df = simulate_ab(seed=4, n=n).tables["main"][["user_id", "variant", "chat_minutes"]]
    df = df.assign(variant=df["variant"].map({"control": labels[0], "treatment": labels[1]}))
    spec = {"name": "h", "kind": "ab", "unit": "user_id",
            "variants": {labels[0]: 0.5, labels[1]: 0.5}, "control": labels[0],
            "metrics": [{"name": "m", "type": "mean", "column": column, "role": "primary"}]}
    return spec, df.rename(columns={"chat_minutes": column})


def test_hostile_arm_labels_and_columns_through_the_cli(work: Path) -> None:
    out = []
    for labels, column in ((["control", "treatment"], "m"),
                           (["con\\'trol", "treat'ment\\ --"], "m\\'\"; --")):
        spec, df = _ab_plain(labels, column)
        folder = work / str(len(out))
        folder.mkdir()
        df.to_parquet(folder / "d.parquet")
        spec["data"] = {"path": "d.parquet"}
        ran = cli("run", write(folder / "s.yaml", spec), "--format", "json", cwd=folder)
        assert ran.code == 0, str(ran)
        out.append(json.loads(ran.stdout)["estimates"][0])
    assert out[0]["estimate"] == out[1]["estimate"]
    assert out[0]["ci_low"] == out[1]["ci_low"]


@FAST
@given(labels=st.lists(HOSTILE, min_size=2, max_size=2, unique_by=str.casefold),
       column=HOSTILE)
def test_generated_ab_labels_and_columns_give_the_plain_answer(labels: list[str],
                                                               column: str) -> None:
    assume(column.casefold() not in {"user_id", "variant"})
    from causalkit.ab.analysis import analyze_source
    from causalkit.spec.ab import ABSpec

    results = []
    for lab, col in ((["control", "treatment"], "m"), (labels, column)):
        spec, df = _ab_plain(lab, col, n=300)
        try:
            s = ABSpec.model_validate(spec)
        except Exception:  # a spec the loader refuses (e.g. control characters): not data
            return
        rep = analyze_source(s, Source.from_frame(df), figures=False)
        e = rep.estimates[0]
        results.append((e.estimate, e.ci_low, e.p_value, [(c.name, c.status) for c in rep.checks]))
    assert results[0] == results[1]


@FAST
@given(names=st.lists(HOSTILE, min_size=2, max_size=3, unique_by=str.casefold),
       column=HOSTILE)
def test_generated_regions_and_columns_give_the_plain_answer(names: list[str],
                                                             column: str) -> None:
    assume(column.casefold() not in {"region", "timestamp"})
    from causalkit.switchback.aggregate import aggregate_periods
    from causalkit.switchback.analysis import schedule_of

    plain = [f"R{i}" for i in range(len(names))]
    spec = sb_spec(plain)
    schedule = schedule_of(causalkit.load_spec(spec).spec)
    df = sb_frame(spec)
    got = []
    for regions, col in ((plain, "y"), (names, column)):
        frame = df.assign(region=df["region"].map(dict(zip(plain, regions)))) \
            .rename(columns={"y": col})
        sched = dataclasses.replace(schedule, regions=tuple(regions))
        agg = aggregate_periods(DuckDBEngine(), Source.from_frame(frame), sched,
                                region="region", time="timestamp", columns=[col])
        got.append((agg.rows.tolist(), agg.sums[col].tolist(), agg.unknown_rows))
    assert got[0] == got[1]


@FAST
@given(events=st.lists(HOSTILE, min_size=2, max_size=2, unique_by=str.casefold),
       user=HOSTILE, retention=HOSTILE)
def test_generated_event_names_and_user_columns_give_the_plain_answer(
        events: list[str], user: str, retention: str) -> None:
    assume(user.casefold() not in {"event", "timestamp", "signup_at", "age", "ios", "paid",
                                   "referred"})
    from causalkit.aha.inputs import Columns, action_frequencies, plan_scan
    from causalkit.aha.scan import scan_chunk
    from causalkit.simulate.event_log import action_names

    ev, us = aha_tables(80)
    first = action_names(4)[:2]
    got = []
    for names, uid in ((first, "user_id"), (events, user)):
        rename = dict(zip(first, names))
        e = ev.assign(event=ev["event"].replace(rename)) \
            .rename(columns={"user_id": uid})
        u = us.rename(columns={"user_id": uid})
        plan = plan_scan(Source.from_frame(e), Source.from_frame(u), columns=Columns(user=uid),
                         max_window=7, holdout=0.2, salt=retention)
        freq = action_frequencies(plan)
        facts, counts = scan_chunk(plan, 0, [rename[a] for a in first], max_day=7)
        order = np.lexsort((counts.day, counts.action, counts.uidx))
        got.append((sorted(freq.values()), facts.retained.tolist(),
                    counts.count[order].tolist(), facts.holdout.sum()))
    assert got[0][:3] == got[1][:3]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.sampled_from([math.inf, -math.inf, math.nan, 1e300, -1e308, 1e160,
                                        1e149, 1e80, 1e74, 1e13, -1e13, -0.0]),
                       min_size=1, max_size=4),
       rows=st.lists(st.integers(0, 47), min_size=1, max_size=4))
def test_generated_switchback_extremes_never_traceback(values: list[float],
                                                        rows: list[int]) -> None:
    from causalkit.switchback.analysis import analyze_source

    spec = sb_spec(["A", "B"])
    df = sb_frame(spec)
    for v, r in zip(values, rows):
        df.loc[r, "y"] = v
    s = causalkit.load_spec(spec).spec
    refused = any(not math.isfinite(v) or abs(v) >= 1e75 for v in df["y"])
    if refused:  # NaN, inf and values from 1e75 on are a clean error
        with pytest.raises(CausalkitError):
            analyze_source(s, Source.from_frame(df), figures=False)
    else:
        assert analyze_source(s, Source.from_frame(df), figures=False).estimates


@pytest.mark.parametrize("value", [1e-300, 5e-324])
def test_tiny_value_in_switchback_data(value: float) -> None:
    from causalkit.switchback.analysis import analyze_source

    spec = sb_spec(["A", "B"])
    df = sb_frame(spec)
    df.loc[13, "y"] = value
    assert analyze_source(causalkit.load_spec(spec).spec, Source.from_frame(df),
                          figures=False).estimates
