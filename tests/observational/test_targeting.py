"""Targeting in an observational spec: a population filter applied before identification.

The analysis with ``targeting:`` must equal the analysis of the rows the rule selects,
filtered independently in pandas; the rule's columns are checked against the data and
against the graph (no selection on the treatment, the outcome or their consequences).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import causalkit
from causalkit.errors import CausalkitError, SpecError
from causalkit.report.model import Report

RULE = 'country in ["KR", "JP"] and age >= 30'


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(15)
    n = 1_500
    country = rng.choice(["KR", "JP", "US", "BR"], size=n)
    age = rng.integers(18, 70, size=n)
    z = rng.normal(size=n) + (country == "KR")
    t = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    effect = np.where(np.isin(country, ["KR", "JP"]), 2.0, 0.5)  # the population matters
    y = effect * t + z + 0.02 * age + rng.normal(size=n)
    return pd.DataFrame({"country": country, "age": age, "z": z, "t": t, "y": y})


def _spec(**extra: Any) -> dict[str, Any]:
    return {"name": "obs", "kind": "observational", "graph": "digraph { z -> t; z -> y; t -> y }",
            "treatment": "t", "outcome": "y", "refuters": ["sensitivity"],
            "implications": False, **extra}


@pytest.fixture(scope="module")
def pair(frame: pd.DataFrame) -> tuple[Report, Report, int]:
    targeted = causalkit.analyze(_spec(targeting=RULE), data=frame, seed=3)
    mask = frame["country"].isin(["KR", "JP"]) & (frame["age"] >= 30)
    plain = causalkit.analyze(_spec(), data=frame[mask].reset_index(drop=True), seed=3)
    return targeted, plain, int((~mask).sum())


def test_estimates_equal_the_prefiltered_analysis(pair: tuple[Report, Report, int]) -> None:
    targeted, plain, _ = pair
    assert [e.method for e in targeted.estimates] == [e.method for e in plain.estimates]
    for a, b in zip(targeted.estimates, plain.estimates, strict=True):
        assert (a.n, a.n_reference) == (b.n, b.n_reference)
        for name in ("estimate", "ci_low", "ci_high", "se", "p_value"):
            assert getattr(a, name) == pytest.approx(getattr(b, name), rel=1e-12, abs=1e-12)
    main = targeted.estimates[0]
    assert abs(main.estimate - 2.0) < 0.5  # the targeted population's effect, not the pooled one
    assert targeted.meta.extra["adjustment_set"] == plain.meta.extra["adjustment_set"] == "z"
    other = {c.name: c.value for c in plain.checks}
    for c in targeted.checks:
        if c.name in ("covariate_balance", "overlap", "robustness_value"):
            assert c.value == pytest.approx(other[c.name], rel=1e-12, abs=1e-12)


def test_targeting_check_counts_the_rows_left_out(pair: tuple[Report, Report, int]) -> None:
    targeted, plain, excluded = pair
    check = next(c for c in targeted.checks if c.name == "targeting")
    assert check.status.value == "pass"
    assert check.value == excluded
    assert f"leaves out {excluded:,} of 1,500 rows" in check.detail
    assert "targeted population" in check.detail
    assert not any(c.name == "targeting" for c in plain.checks)


@pytest.mark.parametrize(("rule", "words"), [
    ('region == "EU"', ["has no column 'region'", "columns are"]),
    ('country == 3', ["column 'country'", "holds text", 'quote it: "3"']),
    ('age >= "30"', ["column 'age'", "holds numbers", "write 30 without quotes"]),
])
def test_bad_rule_column_is_a_clean_error(frame: pd.DataFrame, rule: str,
                                          words: list[str]) -> None:
    with pytest.raises(CausalkitError) as info:
        causalkit.analyze(_spec(targeting=rule, refuters=[]), data=frame.head(50))
    text = str(info.value)
    assert text.startswith("targeting:")
    for w in words:
        assert w in text
    assert "the data (<main>)" in text  # names the data


@pytest.mark.parametrize(("spec", "words"), [
    (_spec(targeting="y > 0"), "the outcome"),
    (_spec(targeting="t == 1"), "the treatment"),
    (_spec(graph="digraph { z -> t; t -> m; m -> y; z -> y }", targeting="m > 0"),
     "downstream of 't'"),
    (_spec(targeting={"rule": "age >= 30", "rollout": {"by": "country",
                                                       "shares": {"KR": 0.5}}}),
     "not randomized by causalkit"),
])
def test_selection_on_consequences_and_rollout_are_refused(frame: pd.DataFrame,
                                                          spec: dict[str, Any],
                                                          words: str) -> None:
    data = frame.assign(m=frame["t"] + frame["z"]).head(50)
    with pytest.raises(SpecError) as info:
        causalkit.analyze(spec, data=data)
    assert words in str(info.value)
    assert "targeting" in str(info.value)
