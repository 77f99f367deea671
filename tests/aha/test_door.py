"""The one door for Aha: a frame pair from Python, the spec's simulator, the spec's files and
the CLI read the same data the same way; estimates carry the v2 contract with unique labels;
the aha package imports no other shape and no simulator."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import causalkit
from causalkit.errors import DataError
from causalkit.report.model import Estimate, Report

N_USERS = 5_000
SIM_SEED = 4
BASE: dict[str, Any] = {
    "name": "door", "kind": "aha", "covariates": ["age", "ios", "paid", "referred"],
    "windows": [3, 7], "thresholds": [1, 3], "actions": {"exclude": ["app_open"]},
    "combine_top": 2, "heatmaps": 0, "check": {"top": 2, "simulations": 2},
    "analysis": {"seed": 11},
}
SIMULATED = {**BASE, "data": {"simulate": "event_log", "params": {"n_users": N_USERS},
                              "seed": SIM_SEED}}
NUMBERS = ("estimate", "ci_low", "ci_high", "p_value", "se", "relative", "relative_ci_low",
           "relative_ci_high", "level", "level_reference", "alpha")


@pytest.fixture(scope="module")
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tables ``data: {simulate: event_log}`` of :data:`SIMULATED` stands for."""
    from causalkit.simulate import simulate

    sim = simulate("event_log", {"n_users": N_USERS}, SIM_SEED)
    return sim.tables["events"], sim.tables["users"]


@pytest.fixture(scope="module")
def simulated() -> Report:
    """The spec-driven run: the entry simulates the tables."""
    return causalkit.analyze(SIMULATED)


def _same(a: Report, b: Report) -> None:
    assert [e.label for e in a.estimates] == [e.label for e in b.estimates]
    assert a.estimates, "the causal check produced no estimates"
    for x, y in zip(a.estimates, b.estimates, strict=True):
        assert (x.n, x.n_reference, x.role, x.assessment) == (y.n, y.n_reference, y.role,
                                                              y.assessment), x.label
        for name in NUMBERS:
            u, v = getattr(x, name), getattr(y, name)
            assert (u is None) == (v is None), (x.label, name)
            if u is not None:
                assert math.isclose(u, v, rel_tol=1e-12, abs_tol=1e-12) or (
                    math.isnan(u) and math.isnan(v)), (x.label, name, u, v)
    assert a.meta.extra["winner"] == b.meta.extra["winner"]
    assert {t.name: t.rows for t in a.tables} == {t.name: t.rows for t in b.tables}


def test_frame_pair_equals_the_simulated_spec(simulated: Report,
                                              tables: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    events, users = tables
    passed = causalkit.analyze(BASE, data=(events, users))  # the spec has no data: key
    _same(passed, simulated)


def test_spec_files_and_cli_equal_the_frame_pair(simulated: Report, tmp_path: Path,
                                                 tables: tuple[pd.DataFrame, pd.DataFrame]
                                                 ) -> None:
    from causalkit.cli import main

    events, users = tables
    events.to_parquet(tmp_path / "events.parquet")
    users.to_parquet(tmp_path / "users.parquet")
    spec = tmp_path / "aha.yaml"
    spec.write_text(yaml.safe_dump({**BASE, "events": {"path": "events.parquet"},
                                    "users": {"path": "users.parquet"}}))
    _same(causalkit.analyze(spec), simulated)
    out = tmp_path / "r.json"
    result = CliRunner().invoke(main, ["run", str(spec), "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    _same(Report.from_json(out.read_text()), simulated)


def test_precedence_of_the_sources(tmp_path: Path,
                                   tables: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    events, users = tables
    quick = {**BASE, "check": {"enabled": False}}
    events.to_parquet(tmp_path / "events.parquet")
    users.to_parquet(tmp_path / "users.parquet")
    empty = events.iloc[:0]
    empty.to_parquet(tmp_path / "empty.parquet")
    ref = causalkit.analyze(quick, data=(events, users))
    # data: a file is the event log, users: the users table
    spec = tmp_path / "data_file.yaml"
    spec.write_text(yaml.safe_dump({**quick, "data": {"path": "events.parquet"},
                                    "users": {"path": "users.parquet"}}))
    assert causalkit.analyze(spec).tables == ref.tables
    # a single table passed (--data) replaces the event log; the users stay the spec's
    spec = tmp_path / "files.yaml"
    spec.write_text(yaml.safe_dump({**quick, "events": {"path": "empty.parquet"},
                                    "users": {"path": "users.parquet"}}))
    assert causalkit.analyze(spec, data=events).tables == ref.tables
    # a pair passed replaces every table of the spec (its files and its simulator)
    assert causalkit.analyze(spec, data=(events, users)).tables == ref.tables
    simulated = {**quick, "data": {"simulate": "event_log", "params": {"n_users": 1_000}}}
    assert causalkit.analyze(simulated, data=(events, users)).tables == ref.tables


@pytest.mark.parametrize("spec", [BASE, SIMULATED], ids=["no-data-key", "simulator"])
def test_event_log_without_users_is_a_clear_error(spec: dict[str, Any],
                                                  tables: tuple[pd.DataFrame, pd.DataFrame]
                                                  ) -> None:
    with pytest.raises(DataError, match=r"no users table .*data=\(events, users\)"):
        causalkit.analyze(spec, data=tables[0])


def _assert_v2(estimates: tuple[Estimate, ...]) -> None:
    labels = [e.label for e in estimates]
    assert len(set(labels)) == len(labels), labels
    for e in estimates:
        assert (e.arm, e.reference, e.n_unit) == ("reached", "not reached", "users")
        assert e.metric.startswith("retained_d28_35 by ")
        assert e.method == "association" or e.method.startswith("causal:"), e.method
        assert e.n is not None
        assert e.n_reference is not None
        assert e.n > 0
        assert e.n_reference > 0
        assert e.level is not None
        assert e.level_reference is not None
        assert 0 <= e.level <= 1
        assert 0 <= e.level_reference <= 1
        assert e.direction == "increase"
        assert e.alpha == 0.05
        assert e.se is not None
        assert str(e.extra["condition"]) in e.metric
        for key in ("better", "worse", "noninferior", "significant", "gate_verdict",
                    "ci_kind", "margin"):
            assert key not in e.extra


def test_v2_estimates(simulated: Report) -> None:
    _assert_v2(simulated.estimates)
    association = [e for e in simulated.estimates if e.method == "association"]
    assert len(association) == 2
    assert all(e.role == "secondary" for e in association)
    aipw = [e for e in simulated.estimates if e.method == "causal:aipw"]
    assert aipw[0].role == "primary"
    assert aipw[0].level == association[0].level  # retention among those who reached


def test_labels_unique_in_the_design_report() -> None:
    root = Path(__file__).resolve().parents[2]
    report = causalkit.analyze(root / "designs" / "aha_friends.yaml")
    _assert_v2(report.estimates)
    methods = {e.method for e in report.estimates}
    assert {"association", "causal:aipw", "causal:ipw", "causal:regression"} <= methods
    assert report.decision is None
    assert report.decision_basis is None


def test_aha_imports_no_other_shape() -> None:
    import grimp

    graph = grimp.build_graph("causalkit")  # imports inside functions and TYPE_CHECKING too
    modules = {"causalkit.aha", *graph.find_descendants("causalkit.aha")}
    others = ("causalkit.ab", "causalkit.switchback", "causalkit.observational",
              "causalkit.simulate", "causalkit.entry", "causalkit.api", "causalkit.gate",
              "causalkit.cli")
    bad = sorted(
        (m, imported) for m in modules
        for imported in graph.find_modules_directly_imported_by(m)
        if any(imported == o or imported.startswith(o + ".") for o in others)
    )
    assert not bad, bad
