"""The A/B power planner against an independent computation, and the simulator."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from causalkit.ab.power import plan
from causalkit.data import Source
from causalkit.errors import SpecError
from causalkit.registry import RunContext
from causalkit.simulate import simulate
from causalkit.simulate.ab import simulate_ab
from causalkit.spec.ab import ABSpec
from causalkit.spec.loader import LoadedSpec


@pytest.fixture(scope="module")
def pre(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    frame = simulate_ab(seed=21, n=8000).tables["main"]
    path = tmp_path_factory.mktemp("pre") / "pre.parquet"
    frame.to_parquet(path)
    return path, frame


def _rows(spec: ABSpec, path: Path) -> dict[str, dict[str, object]]:
    pre = Source.from_path(path)
    rep = plan(LoadedSpec(spec, None, "", {}), RunContext(sources={"pre_data": {"main": pre}}))
    t = rep.tables[0]
    return {r[0]: dict(zip(t.columns, r)) for r in t.rows}


def test_plan_matches_independent_formulas(pre: tuple[Path, pd.DataFrame]) -> None:
    path, df = pre
    spec = ABSpec.model_validate({
        "name": "p", "kind": "ab", "unit": "user_id", "data": {"simulate": "ab"},
        "timestamp_column": "exposed_at",
        "variants": {"control": 0.5, "a": 0.25, "b": 0.25},
        "plan": {"mde": 0.03, "sample_per_arm": 5000},
        "metrics": [
            {"name": "chat", "type": "mean", "column": "chat_minutes",
             "covariate": "pre_chat_minutes", "role": "primary"},
            {"name": "mps", "type": "ratio", "numerator": "matches", "denominator": "sessions",
             "role": "primary"},
            {"name": "rep", "type": "proportion", "column": "reported"}]})
    rows = _rows(spec, path)
    z = stats.norm.isf(0.05 / 4 / 2) + stats.norm.ppf(0.8)  # 2 primaries x 2 arms
    y, x = df["chat_minutes"].to_numpy(), df["pre_chat_minutes"].to_numpy()
    rho2 = np.corrcoef(y, x)[0, 1] ** 2
    var = y.var(ddof=1) * (1 - rho2)
    effect = 0.03 * y.mean()
    n_total = z * z * (var / 0.5 + var / 0.25) / effect**2
    chat = rows["chat"]
    assert chat["cuped variance reduction"] == pytest.approx(rho2, rel=1e-9)
    assert chat["units in total"] == math.ceil(n_total)
    assert chat["units per arm"] == math.ceil(math.ceil(n_total) * 0.5) or \
        chat["units per arm"] == math.ceil(n_total * 0.5)
    n_plan_total = 5000 / 0.5
    mde = z * math.sqrt((var / 0.5 + var / 0.25) / n_plan_total)
    assert chat["mde"] == pytest.approx(mde, rel=1e-9)
    days = (df["exposed_at"].max() - df["exposed_at"].min()).total_seconds() / 86400
    assert chat["days"] == pytest.approx(math.ceil(n_total) / (len(df) / days), rel=1e-6)
    num, den = df["matches"].to_numpy(float), df["sessions"].to_numpy(float)
    r = num.sum() / den.sum()
    lin = (num - r * den) / den.mean()
    assert rows["mps"]["sd per unit"] == pytest.approx(lin.std(ddof=1), rel=1e-9)
    p = df["reported"].mean()
    assert rows["rep"]["sd per unit"] == pytest.approx(math.sqrt(p * (1 - p)), rel=1e-9)
    assert rows["rep"]["alpha"] == 0.05  # secondary metrics are not split


def test_simulator_truth_and_errors() -> None:
    sim = simulate("ab", {"n": 500, "effects": {"treatment": {"report_rate": 0.01}}}, seed=3)
    assert sim.truth["effects"]["treatment"] == {"chat_minutes": 0.0,
                                                 "matches_per_session": 0.0,
                                                 "report_rate": 0.01}
    df = sim.tables["main"]
    assert df["user_id"].is_unique
    assert set(df["variant"]) == {"control", "treatment"}
    assert df["reported"].isin([0, 1]).all()
    assert (df["sessions"] >= 1).all()
    with pytest.raises(SpecError, match="no parameter"):
        simulate("ab", {"sample_size": 10})
    with pytest.raises(SpecError, match="unknown metric"):
        simulate_ab(seed=1, effects={"treatment": {"revenue": 1.0}})
    with pytest.raises(SpecError):
        simulate_ab(seed=1, rho=1.5)


def test_simulator_effects_are_recovered() -> None:
    df = simulate_ab(seed=4, n=200_000, effects={"treatment": {
        "chat_minutes": 0.5, "matches_per_session": 0.02}}).tables["main"]
    g = df.groupby("variant")
    diff = g["chat_minutes"].mean()["treatment"] - g["chat_minutes"].mean()["control"]
    assert diff == pytest.approx(0.5, abs=4 * 4.0 * math.sqrt(2 / 100_000))
    ratio = g["matches"].sum() / g["sessions"].sum()
    assert ratio["treatment"] - ratio["control"] == pytest.approx(0.02, abs=0.004)
    assert np.corrcoef(df["chat_minutes"], df["pre_chat_minutes"])[0, 1] == \
        pytest.approx(0.7, abs=0.01)


@pytest.mark.parametrize(("method", "looks"), [("msprt", 14), ("gst", 5)])
def test_sequential_plan_keeps_power_at_every_look(pre: tuple[Path, pd.DataFrame],
                                                  method: str, looks: int) -> None:
    """The inflated sample gives the planned power when the gate may stop at any look.

    Checked by simulating the z-statistic path (independent of the recursion).
    """
    path, _df = pre
    base = {"name": "p", "kind": "ab", "unit": "user_id", "data": {"simulate": "ab"},
            "plan": {"mde": 0.03, "sample_per_arm": 5000},
            "metrics": [{"name": "chat", "type": "mean", "column": "chat_minutes",
                         "role": "primary"}]}
    fixed = _rows(ABSpec.model_validate(base), path)["chat"]["units in total"]
    seq_spec = ABSpec.model_validate({**base, "analysis": {"sequential": method,
                                                           "looks": looks}})
    seq = _rows(seq_spec, path)["chat"]["units in total"]
    assert seq > fixed
    from causalkit.stats.sequential_power import gst_z_boundaries, msprt_z_boundaries

    t = np.arange(1, looks + 1) / looks
    bounds = (msprt_z_boundaries(t, 0.05) if method == "msprt" else gst_z_boundaries(t, 0.05))
    # drift in z units at the horizon with the inflated sample
    theta = (stats.norm.isf(0.025) + stats.norm.ppf(0.8)) * math.sqrt(seq / fixed)
    rng = np.random.default_rng(5)
    sims = 20_000
    steps = rng.normal(size=(sims, looks)) * np.sqrt(np.diff(t, prepend=0.0))
    w = np.cumsum(steps, axis=1) + theta * t
    z = w / np.sqrt(t)
    crossed = (z >= bounds).any(axis=1)
    se = math.sqrt(0.8 * 0.2 / sims)
    assert crossed.mean() >= 0.8 - 4 * se


def test_simulated_pre_data_comes_from_the_entry() -> None:
    """The planner reads simulated pre-period data the entry made; it never simulates."""
    from causalkit.entry import load_spec, resolve_sources
    from causalkit.errors import CausalkitError

    loaded = load_spec({
        "name": "p", "kind": "ab", "unit": "user_id", "plan": {"mde": 0.05},
        "pre_data": {"simulate": "ab", "seed": 2, "params": {"n": 4000}},
        "metrics": [{"name": "chat", "type": "mean", "column": "chat_minutes",
                     "covariate": "pre_chat_minutes", "role": "primary"}]})
    sources = resolve_sources(loaded)
    rep = plan(loaded, RunContext(sources=sources))
    row = dict(zip(rep.tables[0].columns, rep.tables[0].rows[0]))
    assert 0.4 < row["cuped variance reduction"] < 0.6
    assert rep.meta.extra["pre_period_units"] == 4000
    with pytest.raises(CausalkitError, match="were not made"):
        plan(loaded, RunContext())
