"""Hostile names on Spark and DuckDB: the same answer, or the same refusal (issue 12, class 2).

Region names, event names, arm labels and column names full of quotes, backslashes,
``\\'``, ``--``, ``;``, comment markers, newlines and non-ASCII text reach the SQL of the
switch-back aggregation, the Aha scans and the A/B scan. DuckDB reads a backslash as
itself; Spark reads it as an escape, in string literals and in double-quoted
identifiers alike. causalkit writes its texts in DuckDB's grammar and the Spark engine
re-spells every quoted token (``causalkit.data.sql.to_spark``): the tests run the real
shape code on both engines and compare.

The fixed corpus runs by default; the generated (hypothesis) cases are marked slow,
because every Spark query costs a second or two on a local session.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from causalkit.data import DuckDBEngine, Source
from causalkit.errors import CausalkitError

pytestmark = pytest.mark.spark

NASTY = ["K\\'R", "a\\", "\\", "'", "''", '"', 'a""b', "`", "x`y", "--", "a -- b", ";",
         "x'); DROP TABLE src; --", "/* c */", "*/", "\\n", "tab\there", "line\nbreak",
         "cr\rx", "é中文", "\u202eRTL", "👩‍🚀", "%_", "${x}", "?", ":p", "X'41'", "NULL",
         "\\\\'", "trailing\\"]
"""Names every test feeds to both engines (NUL and empty names are refused elsewhere)."""

FRAGMENTS = st.sampled_from(["'", "\\", "\\'", '"', "`", "--", ";", "/*", "*/", "\n", "\r",
                             "\t", "é", "中", "🙂", "%", "_", " ", "x", "K", "R"])
HOSTILE = st.lists(FRAGMENTS | st.text(min_size=1, max_size=3), min_size=1, max_size=6).map(
    "".join).filter(lambda s: "\x00" not in s and s.strip() != "")


def _java() -> bool:
    home = os.environ.get("JAVA_HOME")
    return bool(home and os.path.exists(os.path.join(home, "bin", "java"))) or \
        shutil.which("java") is not None


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """``engine: spark`` routed to a local session (shared with other modules, never stopped
    here: the data tests' session fixture stops it)."""
    pytest.importorskip("pyspark")
    if not _java():
        pytest.skip("Spark needs a Java runtime")
    from causalkit.data.spark_engine import use_spark

    engine = use_spark(None)
    yield engine
    engine.close()


def _spark_source(frame: pd.DataFrame) -> Source:
    from causalkit.data.spark_engine import spark_source

    return spark_source(frame, name="<frame>")


def both(run: Any, frame: pd.DataFrame) -> tuple[Any, Any]:
    """``run(source, engine)`` on DuckDB and on Spark; a refusal is returned as its message."""
    from causalkit.data import get_engine
    from causalkit.spec.common import Engine

    out = []
    for src in (Source.from_frame(frame, name="<frame>"), _spark_source(frame)):
        engine = get_engine(kind=Engine.SPARK) if src.engine is Engine.SPARK else DuckDBEngine()
        try:
            out.append(run(src, engine))
        except CausalkitError as exc:
            out.append(("refused", type(exc).__name__, exc.column))
    return out[0], out[1]


def _random_names(count: int, seed: int = 0) -> list[str]:
    import random

    rng = random.Random(seed)
    alphabet = ["'", "\\", "\\'", '"', "`", "--", ";", "/*", "*/", "\n", "\t", "é", "中", "🙂",
                "%", "_", " ", "x", "K", "${", "X'"]
    out: list[str] = []
    while len(out) < count:
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6)))
        if name.strip() and name.casefold() not in {n.casefold() for n in out}:
            out.append(name)
    return out


def test_values_and_names_round_trip_on_spark(spark: Any) -> None:
    """Every corpus string and 60 random ones as a value and as a column alias, one query."""
    from causalkit.data import quote_ident, quote_literal

    names = list(dict.fromkeys([*NASTY, *_random_names(60)]))
    names = [n for i, n in enumerate(names)
             if n.casefold() not in {m.casefold() for m in names[:i]}]
    select = ", ".join(f"{quote_literal(n)} AS {quote_ident(n)}" for n in names)
    frame = pd.DataFrame({"one": [1]})
    for src, engine in ((Source.from_frame(frame), DuckDBEngine()), (_spark_source(frame), spark)):
        got = engine.query(src, f"SELECT {select} FROM src")
        assert got.column_names == names
        assert list(got.to_pylist()[0].values()) == names


# -- switch-back regions ----------------------------------------------------------------
def _schedule(names: list[str]) -> Any:
    from causalkit.spec.switchback import Region, ScheduleSpec
    from causalkit.switchback.schedule import design_schedule

    return design_schedule(ScheduleSpec(start="2026-01-01T00:00Z", end="2026-01-01T04:00Z",
                                        period="1h", design="bernoulli"),
                           [Region(name=n) for n in names])


def _market(names: list[str], seed: int = 0, n: int = 300, column: str = "y",
            arm_labels: tuple[str, ...] = ("treatment", "control")) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "region": rng.choice(np.array([*names, "other"], dtype=object), n),
        column: rng.normal(size=n),
        "timestamp": pd.Timestamp("2026-01-01T00:00Z")
        + pd.to_timedelta(rng.uniform(0, 4 * 3600, n), unit="s"),
        "arm": rng.choice(np.array(arm_labels, dtype=object), n)})


def _aggregate(names: list[str], column: str = "y") -> Any:
    from causalkit.switchback.aggregate import aggregate_periods

    schedule = _schedule(names)

    def run(src: Source, engine: Any) -> tuple[Any, ...]:
        d = aggregate_periods(engine, src, schedule, region="region", time="timestamp",
                              columns=[column], burn_levels_ns=(600 * 10**9,), arm="arm")
        return (d.rows.tolist(), np.round(d.sums[column], 9).tolist(), d.unknown_rows,
                d.outside_rows, d.treated_rows.tolist(), d.other_arm_rows, d.other_arms)

    return run


def test_issue_example_region_with_backslash_and_quote(spark: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's example: ``K\\'R`` as a region under ``engine: spark`` changed the query.

    With the portable text sent to Spark as it is (what the engine did before), Spark
    reads ``\\'`` as an escaped quote, the literal swallows the rest of the list and
    the query fails or counts the wrong rows; through the engine, which re-spells every
    quoted token, both engines agree.
    """
    from causalkit.data import spark_engine

    names = ["K\\'R", "JP", "x'); DROP TABLE src; --"]
    frame = _market(names, seed=3)
    duck, sp = both(_aggregate(names), frame)
    assert duck == sp
    assert int(np.sum(duck[0][0])) == int((frame["region"] == "K\\'R").sum())

    with monkeypatch.context() as m:  # before the fix: no re-spelling
        m.setattr(spark_engine, "to_spark", lambda sql: sql)
        _, before = both(_aggregate(names), frame)
    assert before != duck


def test_switchback_corpus_regions_columns_and_arm_labels(spark: Any) -> None:
    names = NASTY[:12]
    frame = _market(names, seed=1, column="y'\\--", arm_labels=("treatment", "control",
                                                                "A\\'", "B\n"))
    duck, sp = both(_aggregate(names, column="y'\\--"), frame)
    assert duck == sp
    assert duck[5] > 0
    assert set(duck[6]) == {"A\\'", "B\n"}


def test_switchback_report_with_hostile_regions_matches(spark: Any, tmp_path: Any) -> None:
    """The whole switch-back analysis from a spec whose data say ``engine: spark``."""
    from causalkit.spec.switchback import SwitchbackSpec
    from causalkit.switchback.analysis import analyze_source
    from causalkit.switchback.schedule import design_schedule

    names = ["K\\'R", "J\"P", "é\n中"]
    spec = SwitchbackSpec(name="q", kind="switchback", regions=names,
                          schedule={"start": "2026-01-01T00:00Z", "end": "2026-01-02T00:00Z",
                                    "period": "1h", "design": "bernoulli", "seed": 1},
                          metrics=[{"name": "y", "type": "mean", "column": "y",
                                    "role": "primary"}],
                          estimator="hajek", analysis={"draws": 100})
    schedule = design_schedule(spec.schedule, spec.regions)
    rng = np.random.default_rng(0)
    times = pd.date_range("2026-01-01T00:30Z", periods=24, freq="1h")
    frame = pd.DataFrame({"region": np.repeat(np.array(names, dtype=object), 24),
                          "timestamp": np.tile(times, 3),
                          "y": 5.0 + schedule.arms.ravel() + rng.normal(0, 0.3, 72)})
    duck = analyze_source(spec, Source.from_frame(frame), figures=False)
    sp = analyze_source(spec, _spark_source(frame), figures=False)
    for a, b in zip(duck.estimates, sp.estimates):
        assert a.estimate == pytest.approx(b.estimate, rel=1e-12)
        assert a.ci_low == pytest.approx(b.ci_low, rel=1e-9)
    assert [(c.name, c.status) for c in duck.checks] == [(c.name, c.status) for c in sp.checks]
    assert not any(c.name == "data_outside_schedule" for c in duck.checks)


# -- Aha events and user columns -------------------------------------------------------
def _aha_frames(actions: dict[str, str], cols: dict[str, str], n_users: int = 150
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    from causalkit.simulate.event_log import simulate_event_log

    sim = simulate_event_log(seed=2, n_users=n_users, n_actions=4)
    ev = sim.tables["events"].copy()
    ev["event"] = ev["event"].astype(str).map(lambda a: actions.get(a, a))
    us = sim.tables["users"].copy()
    return ev.rename(columns=cols), us.rename(columns=cols)


def _aha_run(cols: dict[str, str], covariates: list[str]) -> Any:
    from causalkit.aha.inputs import Columns, action_frequencies, plan_scan
    from causalkit.aha.scan import scan_chunk

    c = Columns(user=cols.get("user_id", "user_id"), event=cols.get("event", "event"),
                timestamp=cols.get("timestamp", "timestamp"),
                signup=cols.get("signup_at", "signup_at"))

    def run(pair: tuple[Source, Source], engine: Any) -> tuple[Any, ...]:
        plan = plan_scan(*pair, columns=c, covariates=covariates, max_window=7, holdout=0.3,
                         salt="s'\\", retention_event=None)
        freq = action_frequencies(plan)
        facts, counts = scan_chunk(plan, 0, sorted(freq), max_day=7)
        order = np.lexsort((counts.day, counts.action, counts.uidx))
        return (plan.summary, freq, facts.retained.tolist(), facts.holdout.tolist(),
                facts.covariates.tolist(), counts.count[order].tolist())

    return run


def _both_aha(run: Any, ev: pd.DataFrame, us: pd.DataFrame) -> tuple[Any, Any]:
    from causalkit.data import get_engine
    from causalkit.data.spark_engine import spark_source

    out = []
    pairs = [(Source.from_frame(ev, name="<events>"), Source.from_frame(us, name="<users>")),
             (spark_source(ev, name="<events>"), spark_source(us, name="<users>"))]
    for pair in pairs:
        try:
            out.append(run(pair, get_engine(pair[0])))
        except CausalkitError as exc:
            out.append(("refused", type(exc).__name__, exc.column))
    return out[0], out[1]


def test_aha_event_names_and_user_columns_corpus(spark: Any) -> None:
    from causalkit.simulate.event_log import action_names

    names = action_names(4)
    hostile = {names[0]: "K\\'R", names[1]: "x'); --", names[2]: "é\n\"中", "app_open": "\\"}
    cols = {"user_id": "us'er\\", "event": 'ev"--', "timestamp": "t`;", "signup_at": "s\\'",
            "age": "a'g\\e"}
    ev, us = _aha_frames(hostile, cols)
    duck, sp = _both_aha(_aha_run(cols, ["a'g\\e"]), ev, us)
    assert duck == sp
    assert "K\\'R" in duck[1]
    assert "x'); --" in duck[1]


# -- A/B arm labels and metric columns --------------------------------------------------
def _ab_run(labels: list[str], column: str) -> Any:
    from causalkit.ab.scan import scan

    def run(src: Source, engine: Any) -> tuple[Any, ...]:
        sc = scan(src, unit="user_id", variant="variant", columns=[column],
                  pairs=[(column, column)], timestamp="exposed_at", by_day=True)
        return ({k: (m.n, round(float(m.mean[0]), 9), round(float(m.comoment[0, 0]), 6))
                 for k, m in sc.arms.items()}, sc.units, sc.ranges, sc.missing_variant,
                sorted(sc.by_day))

    return run


def _ab_frame(labels: list[str], column: str, seed: int = 0, n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "user_id": np.arange(n), "variant": rng.choice(np.array(labels, dtype=object), n),
        column: rng.normal(size=n),
        "exposed_at": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.uniform(0, 3, n),
                                                                    unit="D")})


def test_ab_arm_labels_and_columns_corpus(spark: Any) -> None:
    labels = NASTY[12:24]
    frame = _ab_frame(labels, "m\\'--;")
    duck, sp = both(_ab_run(labels, "m\\'--;"), frame)
    assert duck == sp
    assert set(duck[0]) == set(labels)


def test_ab_report_with_hostile_arm_names_matches(spark: Any) -> None:
    """A whole A/B analysis whose spec names hostile arms, on both engines."""
    from causalkit.ab.analysis import analyze_source
    from causalkit.spec.ab import ABSpec

    arms = ["con\\'trol", "treat'ment\\"]
    spec = ABSpec(name="q", kind="ab", unit="user_id", variants=dict.fromkeys(arms, 0.5),
                  control=arms[0],
                  metrics=[{"name": "m", "type": "mean", "column": "m\\'", "role": "primary"}])
    frame = _ab_frame(arms, "m\\'", n=400)
    duck = analyze_source(spec, Source.from_frame(frame), figures=False)
    sp = analyze_source(spec, _spark_source(frame), figures=False)
    assert duck.estimates[0].estimate == pytest.approx(sp.estimates[0].estimate, rel=1e-12)
    assert [(c.name, c.status, c.detail) for c in duck.checks] == \
        [(c.name, c.status, c.detail) for c in sp.checks]
    assert duck.checks[0].status.value != "fail"


# -- generated cases (slow) ---------------------------------------------------------------
SPARK_SETTINGS = settings(max_examples=10, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow])


@pytest.mark.slow
@SPARK_SETTINGS
@given(names=st.lists(HOSTILE, min_size=1, max_size=4, unique_by=str.casefold),
       column=HOSTILE)
def test_generated_regions_and_columns(spark: Any, names: list[str], column: str) -> None:
    assume(column.casefold() not in {"region", "timestamp", "arm"})
    assume(all(n != "other" for n in names))
    duck, sp = both(_aggregate(names, column=column), _market(names, column=column))
    assert duck == sp


@pytest.mark.slow
@SPARK_SETTINGS
@given(labels=st.lists(HOSTILE, min_size=2, max_size=4, unique_by=str.casefold),
       column=HOSTILE)
def test_generated_arm_labels_and_columns(spark: Any, labels: list[str], column: str) -> None:
    assume(column.casefold() not in {"user_id", "variant", "exposed_at"})
    duck, sp = both(_ab_run(labels, column), _ab_frame(labels, column))
    assert duck == sp


@pytest.mark.slow
@SPARK_SETTINGS
@given(events=st.lists(HOSTILE, min_size=2, max_size=2, unique_by=str.casefold),
       user=HOSTILE, event=HOSTILE)
def test_generated_event_names_and_user_columns(spark: Any, events: list[str], user: str,
                                                event: str) -> None:
    from causalkit.simulate.event_log import action_names

    assume(len({user.casefold(), event.casefold(), "timestamp", "signup_at", "age",
                "ios", "paid", "referred"}) == 8)
    names = action_names(4)
    cols = {"user_id": user, "event": event}
    ev, us = _aha_frames({names[0]: events[0], names[1]: events[1]}, cols, n_users=100)
    duck, sp = _both_aha(_aha_run(cols, []), ev, us)
    assert duck == sp
