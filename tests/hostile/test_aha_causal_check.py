"""Hostile input to the Aha causal check and the event-log simulator (issue 12, classes 1
and 7): collinear or non-finite covariates end in a named ``fail`` check, bad simulator
parameters in ``error: ... data.params`` and exit 2 — never a traceback."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalkit.errors import CausalkitError
from tests.hostile.conftest import assert_clean_error, assert_no_traceback, cli


def _write_log(work: Path, covariates: dict[str, Any]) -> tuple[Path, Path]:
    from causalkit.simulate.event_log import simulate_event_log

    sim = simulate_event_log(seed=5, n_users=3_000)
    users = sim.tables["users"].assign(**covariates)
    events_path, users_path = work / "events.parquet", work / "users.parquet"
    sim.tables["events"].assign(event=lambda e: e["event"].astype(str)).to_parquet(events_path)
    users.to_parquet(users_path)
    return events_path, users_path


def _spec(work: Path, covariates: list[str]) -> Path:
    path = work / "aha.yaml"
    path.write_text(
        "name: hostile-aha\nkind: aha\n"
        f"events: {{path: {work / 'events.parquet'}}}\nusers: {{path: {work / 'users.parquet'}}}\n"
        f"covariates: [{', '.join(covariates)}]\nactions: {{exclude: [app_open]}}\n"
        "check: {top: 1, refuters: [], estimators: [aipw]}\nheatmaps: 0\n")
    return path


@pytest.mark.parametrize(("extra", "covariates", "words"), [
    ({"age_twice": lambda u: 2 * u["age"]}, ["age", "age_twice", "ios"],
     "age_twice is a linear combination of age"),
    ({"both": lambda u: u["ios"] + u["paid"]}, ["ios", "paid", "both"],
     "both is a linear combination of ios, paid"),
    ({"age_inf": lambda u: u["age"].where(u["user_id"] % 40 != 0, math.inf)}, ["age_inf", "ios"],
     "age_inf have missing or infinite values"),
])
def test_cli_collinear_or_non_finite_covariates(work: Path, extra: dict[str, Any],
                                                covariates: list[str], words: str) -> None:
    _write_log(work, extra)
    ran = cli("run", _spec(work, covariates), "--format", "json", "--out", work / "r.json",
              cwd=work)
    assert_no_traceback(ran)
    assert ran.code == 0, str(ran)
    report = json.loads((work / "r.json").read_text())
    failed = [c for c in report["checks"] if c["name"] == "causal_check_failed"]
    assert failed, report["checks"]
    # an Aha report decides nothing, so a causal check that cannot run warns (saying so)
    assert failed[0]["status"] == "warn"
    assert "decides nothing" in failed[0]["detail"]
    assert words in failed[0]["detail"]
    assert not any(c["name"] == "causal_sensitivity" for c in report["checks"])


@pytest.mark.parametrize(("params", "words"), [
    ("{scenario: confunded}", "scenario must be one of causal, confounded"),
    ("{scenario: confounded, effect: 1.5}", "confounded scenario has no effect"),
    ("{n_users: .nan}", "finite"),      # the spec loader or the simulator: either names it
    ("{effect: .inf}", "finite"),
    ("{n_users: 5}", "n_users must be between 10 and 50,000,000"),
])
def test_cli_bad_simulator_parameters(work: Path, params: str, words: str) -> None:
    spec = work / "sim.yaml"
    spec.write_text(f"name: x\nkind: aha\ndata: {{simulate: event_log, params: {params}}}\n")
    ran = cli("run", spec, cwd=work)
    assert_clean_error(ran, "data.params", words)


NUMBER_PARAMS = ("n_users", "n_actions", "effect", "confounding", "causal_intent",
                 "correlated_intent", "session_intent", "session_rate", "latent_share",
                 "engagement", "engagement_action", "engagement_sessions", "base_retention",
                 "causal_window", "causal_threshold", "condition_days", "retention_start",
                 "retention_end", "signup_days", "observed_days")
HOSTILE: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 10**30, -(10**30), -1,
                     0, 0.5, True, None, "7", "", [], {}, "confounded"]),
    st.text(max_size=8), st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**20), 10**20),
)


@settings(max_examples=120, deadline=None)
@given(st.sampled_from([*NUMBER_PARAMS, "scenario", "start"]), HOSTILE)
def test_simulator_refuses_or_runs(name: str, value: Any) -> None:
    """Any value of any parameter: a SpecError naming data.params, or a log (small sizes)."""
    from causalkit.simulate.event_log import simulate_event_log

    params: dict[str, Any] = {"n_users": 200, name: value}
    message = ""
    try:
        sim = simulate_event_log(seed=1, **params)
    except CausalkitError as exc:
        message = str(exc)
    if message:
        assert "data." in message, message
    else:
        assert len(sim.tables["users"]) >= 10
