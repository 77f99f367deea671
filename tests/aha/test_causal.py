"""The causal check: E-values, the built-in AIPW, the hand-off, and experiment evidence."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import causalkit.aha.causal as causal
from causalkit.aha.causal import (
    aipw_binary,
    causal_frame,
    check_condition,
    default_graph,
    e_value,
    e_value_interval,
    experiment_evidence,
    logistic_fit,
)
from causalkit.aha.search import Key
from causalkit.errors import DataError, SpecError
from causalkit.report.model import Estimate, Experiment, Report
from causalkit.spec.aha import CausalCheck
from causalkit.spec.common import Role


def test_e_value_published_example() -> None:
    # VanderWeele & Ding (2017): RR = 3.9 -> E-value 7.26; lower limit 1.8 -> 3.0
    assert e_value(3.9) == pytest.approx(7.26, abs=0.005)
    assert e_value_interval(1.8, 8.2) == pytest.approx(3.0, abs=0.005)
    assert e_value_interval(0.8, 1.3) == 1.0
    assert e_value(1 / 3.9) == pytest.approx(e_value(3.9))


def test_logistic_fit_matches_statsmodels() -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(2)
    x = rng.normal(size=(3_000, 3))
    y = (rng.random(3_000) < 1 / (1 + np.exp(-(x @ [0.5, -1.0, 0.2] + 0.3)))).astype(float)
    ours = logistic_fit(x, y, ridge=0.0)
    ref = sm.Logit(y, sm.add_constant(x)).fit(disp=0).params
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-8)


def _confounded(n: int, seed: int, effect: float) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    t = (rng.random(n) < 1 / (1 + np.exp(-(x[:, 0] - 0.5 * x[:, 1])))).astype(float)
    p0 = 1 / (1 + np.exp(-(-0.5 + x[:, 0])))
    p1 = 1 / (1 + np.exp(-(-0.5 + x[:, 0] + effect)))
    y = (rng.random(n) < np.where(t == 1, p1, p0)).astype(float)
    return t, y, x, float((p1 - p0).mean()), float(p1.mean() / p0.mean())


def test_aipw_binary_covers_the_truth() -> None:
    hits = 0
    for seed in range(20):
        t, y, x, ate, _ = _confounded(3_000, seed, 0.8)
        r = aipw_binary(t, y, x, seed=seed)
        hits += abs(r.ate - ate) <= 1.96 * r.se
    # 95% intervals over 20 data sets: at least 15 cover (binomial tail < 0.003)
    assert hits >= 15
    naive = y[t == 1].mean() - y[t == 0].mean()
    assert abs(naive - ate) > 3 * r.se  # the data are confounded: adjustment matters


def test_aipw_risk_ratio() -> None:
    t, y, x, _, rr = _confounded(20_000, 1, 0.8)
    r = aipw_binary(t, y, x)
    assert abs(r.log_rr - math.log(rr)) <= 4 * r.log_rr_se


def _frame(n: int = 3_000, seed: int = 0, effect: float = 0.8) -> Any:
    t, y, x, ate, _ = _confounded(n, seed, effect)
    return causal_frame(t.astype(bool), y.astype(int), np.exp(x[:, 0]).astype(int),
                        x[:, 1:], ["age"]), ate


def test_check_condition_with_the_observational_module() -> None:
    frame, _ = _frame()
    res = check_condition(Key("add_friend", 7, 3), frame, graph=default_graph(["age"]),
                          check=CausalCheck(simulations=5), seed=1)
    methods = {e.method for e in res.estimates}
    assert {"association", "causal:aipw"} <= methods
    assert res.engine in ("observational", "builtin_aipw")
    assert any(c.name == "causal_sensitivity" for c in res.checks)
    assert res.ci_low < res.effect < res.ci_high


def test_builtin_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(causal, "_observational", lambda *a, **k: None)
    frame, ate = _frame(seed=3)
    res = check_condition(Key("a", 3, 1), frame, graph="", check=CausalCheck(), seed=0)
    assert res.engine == "builtin_aipw"
    assert [e.method for e in res.estimates] == ["association", "causal:aipw-builtin"]
    assert res.ci_low <= ate <= res.ci_high


def test_too_few_treated_users() -> None:
    frame, _ = _frame(n=200)
    frame = frame.assign(reached=0)
    frame.loc[:4, "reached"] = 1
    with pytest.raises(DataError, match="too few users"):
        check_condition(Key("a", 3, 1), frame, graph="", check=CausalCheck())


def test_default_graph_identifies_with_the_observational_module() -> None:
    obs = pytest.importorskip("causalkit.observational.graph")
    from causalkit.observational.identify import identify

    g = obs.build_graph(default_graph(["age", "ios"]))
    ident = identify(g, "reached", "retained")
    assert set(ident.adjustment_set) == {"age", "ios", "early_activity"}


def _ab_report(path: Path) -> Path:
    rep = Report(experiment=Experiment(name="friend-nudge", kind="ab"), estimates=(
        Estimate(metric="sessions", arm="treatment", reference="control", method="welch",
                 estimate=0.3, ci_low=-0.1, ci_high=0.7, role=Role.SECONDARY),
        Estimate(metric="retained_d28_35", arm="treatment", reference="control", method="welch",
                 estimate=0.04, ci_low=0.01, ci_high=0.07, p_value=0.01, role=Role.PRIMARY),
    ))
    out = path / "ab.json"
    out.write_text(rep.to_json())
    return out


def test_experiment_evidence(tmp_path: Path) -> None:
    est, check = experiment_evidence(_ab_report(tmp_path))
    assert est.metric == "retained_d28_35"
    assert est.method == "experiment:welch"
    assert check.status.value == "pass"
    est, check = experiment_evidence(_ab_report(tmp_path), "sessions")
    assert check.status.value == "warn"
    with pytest.raises(SpecError, match="no estimate of 'nope'"):
        experiment_evidence(_ab_report(tmp_path), "nope")
    with pytest.raises(SpecError, match="no such file"):
        experiment_evidence(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(SpecError, match="not a causalkit report"):
        experiment_evidence(tmp_path / "bad.json")
