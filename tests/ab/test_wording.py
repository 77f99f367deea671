"""Issue 14 (item 8): A/B wording — the arms as the spec names them everywhere, the CUPED note
only when CUPED ran, and column priorities on every table."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import causalkit
from causalkit.report.model import Report
from causalkit.simulate.ab import simulate_ab

CHAT = {"name": "chat_minutes", "type": "mean", "column": "chat_minutes", "role": "primary",
        "direction": "increase"}
REPORTS = {"name": "report_rate", "type": "proportion", "column": "reported",
           "role": "guardrail", "direction": "decrease", "margin": 0.01}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    sim = simulate_ab(seed=5, n=3000, weights={"A": 0.5, "B": 0.5},
                      effects={"B": {"chat_minutes": 1.0}})
    return sim.tables["main"]


def _run(frame: pd.DataFrame, metrics: list[dict[str, Any]], **spec: Any) -> Report:
    return causalkit.analyze({"name": "w", "kind": "ab", "unit": "user_id",
                              "variants": {"A": 0.5, "B": 0.5}, "control": "A",
                              "metrics": metrics, **spec}, data=frame)


def test_arm_names_are_the_specs_everywhere(frame: pd.DataFrame) -> None:
    rep = _run(frame, [{**CHAT, "covariate": "pre_chat_minutes"}, REPORTS],
               timestamp_column="exposed_at")
    assert {(e.arm, e.reference) for e in rep.estimates} == {("B", "A")}
    arms = {t.name: {r[t.columns.index("arm")] for r in t.rows} for t in rep.tables
            if "arm" in t.columns}
    assert arms["arms"] == {"A", "B"}
    assert arms["levels"] == {"A", "B"}
    assert arms.get("confidence_sequence", {"B"}) == {"B"}
    text = rep.to_json()
    assert '"control"' not in text
    assert '"treatment"' not in text


def test_cuped_is_named_only_where_it_ran(frame: pd.DataFrame) -> None:
    rep = _run(frame, [{**CHAT, "covariate": "pre_chat_minutes"}, REPORTS])
    levels = next(t for t in rep.tables if t.name == "levels")
    assert "CUPED" in levels.title
    adjusted = levels.columns.index("adjusted level")
    by_metric = {r[0]: r[adjusted] for r in levels.rows}
    assert by_metric["report_rate"] is None  # no covariate: no adjusted level
    assert isinstance(by_metric["chat_minutes"], float)
    # the adjusted levels differ by exactly the CUPED estimate (independent: the estimate)
    chat = {r[1]: r[adjusted] for r in levels.rows if r[0] == "chat_minutes"}
    est = next(e for e in rep.estimates if e.metric == "chat_minutes")
    assert "cuped" in est.method
    assert chat["B"] - chat["A"] == pytest.approx(est.estimate, rel=1e-9)

    plain = _run(frame, [CHAT, REPORTS])
    levels = next(t for t in plain.tables if t.name == "levels")
    assert "CUPED" not in levels.title
    assert "adjusted" not in " ".join(levels.columns)
    assert all("cuped" not in e.method for e in plain.estimates)
    # the level is the arm's raw mean (independent: pandas)
    means = frame.groupby("variant")["chat_minutes"].mean()
    for r in levels.rows:
        if r[0] == "chat_minutes":
            assert r[3] == pytest.approx(means[r[1]], rel=1e-12)


def test_every_table_has_a_priority_per_column(frame: pd.DataFrame) -> None:
    rep = _run(frame, [{**CHAT, "covariate": "pre_chat_minutes"}, REPORTS],
               timestamp_column="exposed_at")
    assert {t.name for t in rep.tables} >= {"arms", "levels"}
    for t in rep.tables:
        assert len(t.priority) == len(t.columns), t.name
        assert t.priority[t.columns.index("arm")] <= 1, t.name
