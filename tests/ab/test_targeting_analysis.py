"""The analysis applies the spec's targeting rule (issue 15).

Ineligible rows are left out of the estimates (counted in the ``targeting`` check);
an ineligible unit that carries an arm is a ``targeting_leak`` ``fail`` check and the
gate says invalid; rule columns the data lack, or of the wrong type, are clean errors
naming the column.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import causalkit
from causalkit.ab.analysis import analyze_source
from causalkit.data import Source
from causalkit.errors import CausalkitError
from causalkit.spec.ab import ABSpec

RULE = 'country in ["KR", "JP"] and days >= 7'


def spec(rule: str = RULE) -> dict[str, Any]:
    return {"name": "t", "kind": "ab", "unit": "user_id", "targeting": rule,
            "metrics": [{"name": "y", "type": "mean", "column": "y", "role": "primary",
                         "direction": "increase"}]}


def data(seed: int = 4, n: int = 4000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    country = rng.choice(["KR", "JP", "US"], n)
    days = rng.integers(0, 30, n).astype(float)
    days[:20] = np.nan  # unknown: not eligible
    ok = np.isin(country, ["KR", "JP"]) & (days >= 7)
    arm = np.where(ok, rng.choice(["control", "treatment"], n), "ineligible")
    return pd.DataFrame({"user_id": np.arange(n), "variant": arm, "country": country,
                         "days": days, "y": rng.normal(0, 1, n) + 0.2 * (arm == "treatment")})


def test_clean_data_excludes_ineligible_rows_and_passes() -> None:
    df = data()
    rep = causalkit.analyze(spec(), data=df)
    checks = {c.name: c for c in rep.checks}
    eligible = df[df.variant != "ineligible"]
    assert checks["targeting"].value == float(len(df) - len(eligible))
    assert "the estimates use the eligible units only" in checks["targeting"].detail
    assert checks["targeting_leak"].status.value == "pass"
    assert rep.decision.state.value != "invalid"
    plain = analyze_source(ABSpec.model_validate({**spec(), "targeting": None}),
                           Source.from_frame(eligible), figures=False)
    e, f = rep.estimates[0], plain.estimates[0]
    assert (e.n, e.n_reference) == (f.n, f.n_reference)
    assert e.estimate == pytest.approx(f.estimate, rel=1e-12)
    assert e.ci_low == pytest.approx(f.ci_low, rel=1e-12)


def test_leak_is_a_fail_and_the_gate_says_invalid() -> None:
    df = data()
    leak = df.index[(df.country == "US")][:7]
    df.loc[leak, "variant"] = "treatment"
    rep = causalkit.analyze(spec(), data=df)
    checks = {c.name: c for c in rep.checks}
    assert checks["targeting_leak"].status.value == "fail"
    assert checks["targeting_leak"].value == 7.0
    assert "treatment 7" in checks["targeting_leak"].detail
    assert rep.decision.state.value == "invalid"
    assert any("targeting_leak" in r for r in rep.decision.reasons)
    # the leaked units are not in the estimates
    assert rep.estimates[0].n == int(((df.variant == "treatment") & df.country.isin(
        ["KR", "JP"]) & (df.days >= 7)).sum())


def test_rule_column_missing_or_of_the_wrong_type_is_a_clean_error() -> None:
    df = data(n=200)
    with pytest.raises(CausalkitError, match="no column 'platform'"):
        causalkit.analyze(spec('platform == "ios"'), data=df)
    with pytest.raises(CausalkitError, match=r"column 'days'.*numbers.*write 7 without quotes"):
        causalkit.analyze(spec('days >= "7"'), data=df)


def test_quotes_in_values_select_exactly() -> None:
    df = data(n=2000)
    df["country"] = df["country"].replace({"KR": "it's \"KR\""})
    rule = 'country in ["it\'s \\"KR\\"", "JP"] and days >= 7'
    rep = analyze_source(ABSpec.model_validate(spec(rule)), Source.from_frame(df),
                         figures=False)
    checks = {c.name: c for c in rep.checks}
    assert checks["targeting_leak"].status.value == "pass"
    assert rep.estimates[0].n + rep.estimates[0].n_reference == int((df.variant != "ineligible").sum())
