"""The shapes' own scans and reports on Spark versus DuckDB, on the same Parquet files.

A/B sufficient statistics, switch-back region-by-period aggregation and the Aha per-user
counts run the exact query texts of causalkit.ab, causalkit.switchback and causalkit.aha,
once through the DuckDB engine and once through the Spark engine (local mode). Sufficient
statistics must agree to 1e-12 relative, and the reports must be the same.

Where a shape's SQL still holds DuckDB-only syntax, the test is an expected failure that
names the offending text (found in the module's source), so it turns into a normal test
as soon as the text is portable; docs/scale.md lists the portable forms.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from causalkit.data import DuckDBEngine, Moments, Source
from causalkit.data.spark_engine import SparkEngine, use_spark
from causalkit.spec.common import Engine

pytestmark = pytest.mark.spark

TOL = 1e-12

DUCKDB_ONLY = ("AS VARCHAR)", "epoch_ns(", "epoch(", "md5_number(", "hash(", ") // ")


def sql_strings(module_name: str) -> list[str]:
    """The string literals (f-string parts included) of a module, docstrings excluded."""
    import ast
    import importlib

    tree = ast.parse(inspect.getsource(importlib.import_module(module_name)))
    docs = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant):
            docs.add(id(body[0].value))
    return [n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]


def duckdb_only(*modules: str) -> list[str]:
    """DuckDB-only spellings found in the SQL strings of the named causalkit modules."""
    found = []
    for name in modules:
        text = "\n".join(sql_strings(name))
        found += [f"{name}: {needle!r}" for needle in DUCKDB_ONLY if needle in text]
    return found


def expect_portable(*modules: str) -> pytest.MarkDecorator:
    bad = duckdb_only(*modules)
    return pytest.mark.xfail(bool(bad), strict=True,
                             reason="DuckDB-only SQL: " + "; ".join(bad))


@pytest.fixture(scope="module")
def spark_default(spark_engine: SparkEngine) -> Iterator[SparkEngine]:
    """Route ``engine: spark`` sources to the shared session (as ``use_spark`` does)."""
    engine = use_spark(spark_engine.spark)
    yield engine
    engine.close()


def moments_rel(a: Moments, b: Moments) -> float:
    """Relative difference, means on max(|mean|, sd), comoments on sqrt(C_ii C_jj)."""
    diag = np.maximum(np.diag(a.comoment), np.diag(b.comoment))
    sd = np.sqrt(diag / max(a.n, 1))
    ms = np.maximum(np.maximum(np.abs(a.mean), np.abs(b.mean)), sd)
    cs = np.sqrt(np.outer(diag, diag))
    with np.errstate(invalid="ignore", divide="ignore"):
        dm = np.where(ms > 0, np.abs(a.mean - b.mean) / ms, 0.0)
        dc = np.where(cs > 0, np.abs(a.comoment - b.comoment) / cs, 0.0)
    return float(np.nanmax([np.nanmax(dm), np.nanmax(dc)]))


def assert_same_report(a: Any, b: Any) -> None:
    """Same estimates (1e-12 relative; p-values 1e-9), checks, decision and tables."""
    da, db = a.to_dict(), b.to_dict()
    same = ("name", "kind", "data_fingerprint", "hypothesis")  # the spec files differ in engine
    assert {k: da["experiment"].get(k) for k in same} == {k: db["experiment"].get(k) for k in same}
    assert len(da["estimates"]) == len(db["estimates"])
    for ea, eb in zip(da["estimates"], db["estimates"]):
        assert set(ea) == set(eb)
        for key, va in ea.items():
            vb = eb[key]
            if isinstance(va, float) and isinstance(vb, float):
                tol = 1e-9 if "p_value" in key else TOL
                assert va == pytest.approx(vb, rel=tol, abs=1e-300), (ea["metric"], key)
            else:
                assert va == vb, (ea["metric"], key)
    assert [(c["name"], c["status"], c.get("detail")) for c in da["checks"]] == \
        [(c["name"], c["status"], c.get("detail")) for c in db["checks"]]
    assert da.get("decision") == db.get("decision")


def write_parquet(frame: Any, path: Path) -> Path:
    frame.to_parquet(path, coerce_timestamps="us", allow_truncated_timestamps=True)
    return path


# -- A/B --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ab_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    from causalkit.entry import load_spec, resolve_sources
    from causalkit.spec.loader import load_spec_file

    spec = load_spec_file(Path(__file__).parents[2] / "designs" / "ab_match_filter.yaml").spec
    spec = spec.model_copy(update={"data": spec.data.model_copy(
        update={"params": {**spec.data.params, "n": 6000}})})
    frame = resolve_sources(load_spec(spec))["data"]["main"].frame
    return spec, write_parquet(frame, tmp_path_factory.mktemp("ab") / "ab.parquet")


@expect_portable("causalkit.ab.scan")
def test_ab_scan_sufficient_statistics(spark_default: SparkEngine,
                                      ab_case: tuple[Any, Path]) -> None:
    from causalkit.ab.scan import scan

    _, path = ab_case
    cols = ["chat_minutes", "pre_chat_minutes", "matches", "sessions", "reported"]
    pairs = [(a, b) for a in cols for b in cols]
    kw: dict[str, Any] = {"unit": "user_id", "variant": "variant", "columns": cols,
                          "pairs": pairs, "binary": ["reported"], "timestamp": "exposed_at",
                          "by_day": True}
    duck = scan(Source.from_path(path), **kw)
    spark = scan(Source.from_path(path, engine=Engine.SPARK), **kw)
    assert set(duck.arms) == set(spark.arms)
    for arm in duck.arms:
        assert duck.arms[arm].n == spark.arms[arm].n
        assert moments_rel(duck.arms[arm], spark.arms[arm]) <= TOL
    assert set(duck.by_day) == set(spark.by_day)
    assert (duck.rows, duck.units, duck.first_exposure, duck.last_exposure) == \
        (spark.rows, spark.units, spark.first_exposure, spark.last_exposure)


@expect_portable("causalkit.ab.scan")
def test_ab_spec_with_engine_spark_gives_the_same_json_report(
        spark_default: SparkEngine, ab_case: tuple[Any, Path], tmp_path: Path) -> None:
    """``causalkit run`` path: a spec file whose data says ``engine: spark`` vs ``duckdb``."""
    import json

    import yaml

    from causalkit.registry import RunContext, analyzer
    from causalkit.report.model import Report
    from causalkit.spec.loader import load_spec_file

    _, path = ab_case
    base = yaml.safe_load((Path(__file__).parents[2] / "designs" / "ab_match_filter.yaml")
                          .read_text())
    reports = []
    for engine in ("duckdb", "spark"):
        spec_file = tmp_path / f"ab_{engine}.yaml"
        spec_file.write_text(yaml.safe_dump({**base, "data": {"path": str(path),
                                                              "engine": engine}}))
        report = analyzer("ab")(load_spec_file(spec_file), RunContext(seed=1))
        reports.append(Report.from_dict(json.loads(report.to_json())))
    assert_same_report(*reports)


# -- switch-back ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def switchback_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    from causalkit.entry import resolve_sources
    from causalkit.spec.loader import load_spec_file

    loaded = load_spec_file(
        Path(__file__).parents[2] / "designs" / "switchback_matching_algo.yaml")
    spec = loaded.spec
    frame = resolve_sources(loaded)["data"]["main"].frame
    return spec, write_parquet(frame, tmp_path_factory.mktemp("sb") / "market.parquet")


@expect_portable("causalkit.switchback.aggregate")
def test_switchback_region_period_aggregation(spark_default: SparkEngine,
                                              switchback_case: tuple[Any, Path]) -> None:
    from causalkit.switchback.aggregate import aggregate_periods
    from causalkit.switchback.analysis import _levels, schedule_of
    from causalkit.switchback.data import metric_columns

    spec, path = switchback_case
    schedule = schedule_of(spec)
    levels, _ = _levels(schedule)
    kw: dict[str, Any] = {"region": spec.unit, "time": spec.time_column,
                          "columns": metric_columns(spec.metrics), "burn_levels_ns": levels,
                          "arm": "arm"}
    duck = aggregate_periods(DuckDBEngine(), Source.from_path(path), schedule, **kw)
    spark = aggregate_periods(spark_default, Source.from_path(path, engine=Engine.SPARK),
                              schedule, **kw)
    np.testing.assert_array_equal(duck.rows, spark.rows)
    for col in duck.sums:
        np.testing.assert_array_equal(duck.counts[col], spark.counts[col])
        np.testing.assert_allclose(spark.sums[col], duck.sums[col], rtol=TOL, atol=0)
    np.testing.assert_array_equal(duck.treated_rows, spark.treated_rows)
    np.testing.assert_array_equal(duck.control_rows, spark.control_rows)
    assert (duck.first_ns, duck.last_ns, duck.outside_rows, duck.unknown_rows) == \
        (spark.first_ns, spark.last_ns, spark.outside_rows, spark.unknown_rows)


@pytest.mark.slow
@expect_portable("causalkit.switchback.aggregate")
def test_switchback_report(spark_default: SparkEngine,
                           switchback_case: tuple[Any, Path]) -> None:
    from causalkit.switchback.analysis import analyze_source

    spec, path = switchback_case
    assert_same_report(
        analyze_source(spec, Source.from_path(path), figures=False),
        analyze_source(spec, Source.from_path(path, engine=Engine.SPARK), figures=False))


# -- Aha --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def aha_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from causalkit.simulate import simulate

    sim = simulate("event_log", {"n_users": 1500}, 7)
    folder = tmp_path_factory.mktemp("aha")
    return (write_parquet(sim.tables["events"], folder / "events.parquet"),
            write_parquet(sim.tables["users"], folder / "users.parquet"))


def _aha_counts(events: Source, users: Source) -> tuple[Any, ...]:
    from causalkit.aha.inputs import action_frequencies, plan_scan
    from causalkit.aha.scan import action_day_counts, scan_chunk

    plan = plan_scan(events, users, covariates=["age", "ios"], max_window=7, holdout=0.3,
                     salt="s")
    freq = action_frequencies(plan)
    actions = sorted(freq)
    chunks = [scan_chunk(plan, c, actions, max_day=7) for c in range(plan.n_chunks)]
    facts = [f for f, _ in chunks]
    counts = [d for _, d in chunks]
    counts += [action_day_counts(plan, c, actions, max_day=7) for c in range(plan.n_chunks)]
    return plan.summary, freq, facts, counts


@expect_portable("causalkit.aha.inputs", "causalkit.aha.scan")
def test_aha_per_user_counts(spark_default: SparkEngine, aha_case: tuple[Path, Path]) -> None:
    ev, us = aha_case
    duck = _aha_counts(Source.from_path(ev), Source.from_path(us))
    spark = _aha_counts(Source.from_path(ev, engine=Engine.SPARK),
                        Source.from_path(us, engine=Engine.SPARK))
    assert duck[0] == spark[0]
    assert duck[1] == spark[1]
    for a, b in zip(duck[2], spark[2]):
        for field in ("retained", "holdout", "early", "covariates"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    for a, b in zip(duck[3], spark[3]):
        order_a = np.lexsort((a.day, a.action, a.uidx))
        order_b = np.lexsort((b.day, b.action, b.uidx))
        for field in ("uidx", "action", "day", "count"):
            np.testing.assert_array_equal(getattr(a, field)[order_a], getattr(b, field)[order_b])


@pytest.mark.slow
@expect_portable("causalkit.aha.inputs", "causalkit.aha.scan")
def test_aha_report(spark_default: SparkEngine, aha_case: tuple[Path, Path],
                    tmp_path: Path) -> None:
    import yaml

    from causalkit.aha.analysis import analyze
    from causalkit.registry import RunContext
    from causalkit.spec.loader import load_spec_file

    ev, us = aha_case
    base = yaml.safe_load((Path(__file__).parents[2] / "designs" / "aha_friends.yaml")
                          .read_text())
    base.pop("data")
    reports = []
    for engine in ("duckdb", "spark"):
        spec = dict(base, events={"path": str(ev), "engine": engine},
                    users={"path": str(us), "engine": engine})
        path = tmp_path / f"aha_{engine}.yaml"
        path.write_text(yaml.safe_dump(spec))
        reports.append(analyze(load_spec_file(path), RunContext()))
    assert_same_report(*reports)
