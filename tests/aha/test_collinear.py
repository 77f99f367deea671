"""Collinear, constant and non-finite covariates in the Aha causal check (issue 12, class 7):
a clean error naming them or a check, never a traceback."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalkit.aha.causal import causal_frame, check_condition, collinear_covariates
from causalkit.aha.search import Key
from causalkit.errors import DataError
from causalkit.report.model import Status
from causalkit.spec.aha import CausalCheck

CHECK = CausalCheck(refuters=[], estimators=["aipw"])


def _frame(extra: dict[str, np.ndarray], n: int = 1_500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(30, 8, n)
    t = rng.random(n) < 1 / (1 + np.exp(-(age - 30) / 8))
    y = (rng.random(n) < 0.3 + 0.2 * t).astype(int)
    cols = {"age": age, **{k: v(age) if callable(v) else v for k, v in extra.items()}}
    return causal_frame(t, y, rng.poisson(2, n), np.column_stack(list(cols.values())),
                        list(cols))


@pytest.mark.parametrize(("extra", "words"), [
    ({"age_copy": lambda a: a}, ["age_copy is a linear combination of age"]),
    ({"age_months": lambda a: 12 * a + 3}, ["age_months is a linear combination of age"]),
    ({"age_near": lambda a: a * (1 + 1e-13)}, ["age_near", "age"]),
])
def test_collinear_covariates_are_a_clean_error(extra: dict[str, Any], words: list[str]) -> None:
    frame = _frame(extra)
    with pytest.raises(DataError, match="collinear covariates") as info:
        check_condition(Key("a", 7, 1), frame, graph="", check=CHECK)
    for w in words:
        assert w in str(info.value)
    assert "drop the redundant covariates" in str(info.value)


def test_constant_covariate_is_a_warning_not_an_error() -> None:
    frame = _frame({"one": np.ones(1_500)})
    res = check_condition(Key("a", 7, 1), frame, graph="", check=CHECK)
    warn = [c for c in res.checks if c.name == "causal_constant_covariates"]
    assert warn
    assert warn[0].status is Status.WARN
    assert "one is the same" in warn[0].detail
    assert res.benchmark in ("age", "early_activity")  # the constant one is no yardstick


def test_non_finite_covariate_is_a_clean_error() -> None:
    age = np.random.default_rng(1).normal(30, 8, 1_500)
    age[3] = np.inf
    with pytest.raises(DataError, match="age2 have missing or infinite values"):
        check_condition(Key("a", 7, 1), _frame({"age2": age}), graph="", check=CHECK)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 6), st.integers(0, 5), st.lists(st.floats(-3, 3), min_size=6,
                                                       max_size=6), st.integers(0, 10_000))
def test_detects_any_exact_combination(p: int, where: int, coef: list[float], seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(200, p))
    names = [f"c{i}" for i in range(p)]
    assert collinear_covariates(x, names) == []
    c = np.asarray(coef[:p])
    c[np.abs(c) < 1e-3] = 0.0
    if not c.any():
        c[0] = 1.0
    combo = x @ c + 5.0
    pos = min(where, p)
    x2 = np.insert(x, pos, combo, axis=1)
    names2 = [*names[:pos], "combo", *names[pos:]]
    found = collinear_covariates(x2, names2)
    assert len(found) == 1
    name, partners = found[0]
    used = {names[i] for i in np.flatnonzero(np.abs(c) > 1e-3)}
    # the later column of the dependent set is named, as a combination of the earlier ones
    assert name in {"combo", *used}
    assert set(partners) <= set(names2) - {name}


def test_discover_reports_a_failed_check_for_collinear_covariates() -> None:
    from causalkit.aha.analysis import discover
    from causalkit.data import Source
    from causalkit.simulate.event_log import simulate_event_log
    from causalkit.spec.aha import AhaSpec

    sim = simulate_event_log(seed=2, n_users=4_000)
    users = sim.tables["users"].assign(age_again=lambda u: u["age"] * 2.0)
    spec = AhaSpec(name="c", kind="aha", covariates=["age", "age_again", "ios"],
                   actions={"exclude": ["app_open"]}, heatmaps=0,
                   check={"top": 1, "refuters": [], "estimators": ["aipw"]})
    res = discover(spec, Source.from_frame(sim.tables["events"]), Source.from_frame(users))
    assert res.winner is not None  # the search does not need the covariates
    assert res.causal == ()
    failed = [c for c in res.notes if c.name == "causal_check_failed"]
    assert failed
    assert failed[0].status is Status.FAIL
    assert "age_again is a linear combination of age" in failed[0].detail
