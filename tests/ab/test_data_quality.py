"""A/B data quality: arms the spec does not name, extreme values, single-unit influence,
float64 resolution, missing and out-of-range exposure times (issues 12 and 13).

Every test goes through the one door (``causalkit.analyze``) or the shape's
``analyze_source``, so the checks are those of ``run``, Python and the gate alike.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import causalkit
from causalkit.ab.analysis import analyze_source
from causalkit.ab.quality import (
    INFLUENCE_FAIL,
    INFLUENCE_WARN,
    did_you_mean,
    match_arms,
    resolution_check,
)
from causalkit.data import Source
from causalkit.errors import CausalkitError, DataError
from causalkit.report import Status
from causalkit.simulate.ab import simulate_ab
from causalkit.spec.ab import ABSpec

INT64_MAX = np.iinfo(np.int64).max
NOW = "2026-12-31T00:00Z"


def spec(*metrics: dict[str, object], **kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "name": "quality", "kind": "ab", "unit": "user_id", "timestamp_column": "exposed_at",
        "metrics": list(metrics) or [
            {"name": "chat", "type": "mean", "column": "chat_minutes", "role": "primary",
             "direction": "increase"}],
        "decision": {"min_sample_per_arm": 100}}
    base.update(kw)
    return base


RATIO = {"name": "mps", "type": "ratio", "numerator": "matches", "denominator": "sessions",
         "role": "primary", "direction": "increase"}


def frame(n: int = 4000, seed: int = 1) -> pd.DataFrame:
    return simulate_ab(seed=seed, n=n).tables["main"]


def analyze(s: dict[str, object], df: pd.DataFrame):
    from datetime import datetime

    return causalkit.analyze(s, data=df, now=datetime.fromisoformat(NOW.replace("Z", "+00:00")))


def checks(rep) -> dict[str, Status]:
    return {c.name: c.status for c in rep.checks}


def check(rep, name: str):
    found = [c for c in rep.checks if c.name == name]
    assert found, [c.name for c in rep.checks]
    return found[0]


# -- issue 12, class 4: one sentinel flips the decision ---------------------------------
def test_issue_example_sentinel_denominator_no_longer_ships() -> None:
    """One control unit with denominator INT64_MAX among 40,000 (the issue's example).

    Before: the control ratio collapsed to ~0 and the gate shipped +0.35 [0.34, 0.36].
    Now: ``data_influence`` fails naming the column, the arm and the sentinel, and the
    decision is invalid.
    """
    df = simulate_ab(seed=7, n=40_000, salt="match-filter-v2").tables["main"]
    df["sessions"] = df["sessions"].astype("int64")
    df.loc[df.index[df["variant"] == "control"][0], "sessions"] = INT64_MAX
    rep = analyze(spec(RATIO), df)
    c = check(rep, "data_influence")
    assert c.status is Status.FAIL
    assert c.metric == "mps"
    assert "'sessions'" in c.detail
    assert "'control'" in c.detail
    assert "INT64_MAX" in c.detail
    assert rep.decision.state.value == "invalid"


def test_clean_data_raise_no_quality_check() -> None:
    rep = analyze(spec(RATIO, {"name": "chat", "type": "mean", "column": "chat_minutes"}),
                  frame(20_000))
    assert set(checks(rep)) == {"sample_ratio_mismatch"}


def test_single_dominant_unit_in_a_mean_metric_fails_and_a_moderate_one_warns() -> None:
    df = frame()
    df.loc[df.index[0], "chat_minutes"] = 1e7  # one unit holds ~all the variance
    rep = analyze(spec(), df)
    assert checks(rep)["data_influence"] is Status.FAIL
    assert rep.decision.state.value == "invalid"
    df = frame()
    arm = df["variant"].iloc[0]
    sd = df.loc[df["variant"] == arm, "chat_minutes"].std()
    n = int((df["variant"] == arm).sum())
    # one value whose squared deviation is ~35% of the arm's sum of squares
    df.loc[df.index[0], "chat_minutes"] += sd * math.sqrt(0.55 * n)
    rep = analyze(spec(), df)
    c = check(rep, "data_influence")
    assert c.status is Status.WARN
    assert INFLUENCE_WARN < c.value <= INFLUENCE_FAIL


def test_covariate_sentinel_is_named_too() -> None:
    df = frame()
    df.loc[df.index[3], "pre_chat_minutes"] = float(2**31 - 1)
    rep = analyze(spec({"name": "chat", "type": "mean", "column": "chat_minutes",
                        "covariate": "pre_chat_minutes", "role": "primary"}), df)
    c = check(rep, "data_influence")
    assert "'pre_chat_minutes'" in c.detail
    assert "INT32_MAX" in c.detail


def test_proportion_metrics_are_not_checked_for_influence() -> None:
    """Rare events in a 0/1 column are not outliers (values are bounded)."""
    df = frame()
    df["reported"] = 0
    df.loc[df.index[:2], "reported"] = 1
    rep = analyze(spec({"name": "r", "type": "proportion", "column": "reported",
                        "role": "primary"}), df)
    assert "data_influence" not in checks(rep)


@pytest.mark.parametrize("value", [1e301, -1e305, 1.7e308, 1e200])
def test_values_near_the_float64_limit_are_a_fail_check_not_a_number(value: float) -> None:
    df = frame()
    df.loc[df.index[5], "chat_minutes"] = value
    rep = analyze(spec(), df)
    c = check(rep, "data_extreme_values")
    assert c.status is Status.FAIL
    assert c.metric == "chat"
    assert not rep.estimates[0].finite
    assert rep.decision.state.value == "invalid"
    assert "data_zero_variance" not in checks(rep)


def test_sums_that_overflow_are_reported() -> None:
    df = frame(400)
    df["chat_minutes"] = df["chat_minutes"].abs() * 1e305 + 1e305
    rep = analyze(spec(), df)
    assert checks(rep)["data_extreme_values"] is Status.FAIL


def test_infinite_and_nan_values_are_data_errors_naming_the_column() -> None:
    df = frame()
    df.loc[df.index[5], "chat_minutes"] = np.inf
    with pytest.raises(DataError, match=r"chat_minutes.*1 infinite"):
        analyze(spec(), df)


@pytest.mark.parametrize(("offset", "status"), [(1e13, Status.WARN), (1e15, Status.FAIL)])
def test_huge_means_report_float_resolution(offset: float, status: Status) -> None:
    df = frame()
    df["chat_minutes"] = df["chat_minutes"] + offset
    rep = analyze(spec(), df)
    c = check(rep, "data_float_resolution")
    assert c.status is status
    assert c.metric == "chat"


def test_resolution_rule() -> None:
    se = 0.01
    assert resolution_check("m", "t", 1.0, 1.0, se) is None
    assert resolution_check("m", "t", 1e11, 1e11, se) is None
    assert resolution_check("m", "t", 1e12, 1e12, 5e-3).status is Status.WARN
    assert resolution_check("m", "t", 1e16, 1e16, se).status is Status.FAIL


# -- issue 13, item 5: arms the spec does not name ---------------------------------------
def test_issue13_spec_arms_on_data_labelled_a_b() -> None:
    df = frame()
    df["variant"] = df["variant"].map({"control": "A", "treatment": "B"})
    rep = analyze(spec(), df)
    st_ = checks(rep)
    assert st_["sample_ratio_mismatch"] is Status.FAIL
    assert st_["data_unknown_variants"] is Status.FAIL
    assert st_["data_empty_arm"] is Status.FAIL
    unknown = check(rep, "data_unknown_variants").detail
    assert "'A'" in unknown
    assert "'B'" in unknown
    assert "'control'" in unknown
    assert rep.decision.state.value == "invalid"


def test_typo_and_case_get_a_did_you_mean() -> None:
    df = frame()
    df["variant"] = df["variant"].map({"control": "Control", "treatment": "treatmnt"})
    rep = analyze(spec(), df)
    detail = check(rep, "data_unknown_variants").detail
    assert "did you mean 'Control' for 'control', 'treatmnt' for 'treatment'?" in detail


def test_a_few_stray_labels_fail_but_srm_is_not_pass() -> None:
    df = frame()
    df.loc[df.index[:3], "variant"] = "treatment "
    rep = analyze(spec(), df)
    assert checks(rep)["data_unknown_variants"] is Status.FAIL
    assert checks(rep)["sample_ratio_mismatch"] is Status.FAIL
    assert "data_empty_arm" not in checks(rep)


def test_null_labels_are_units_in_no_named_arm() -> None:
    df = frame()
    df["variant"] = df["variant"].astype(object)
    df.loc[df.index[:4], "variant"] = None
    rep = analyze(spec(), df)
    assert "NULL (4)" in check(rep, "data_unknown_variants").detail


def test_holdout_label_stays_a_pass() -> None:
    df = frame()
    df.loc[df.index[:50], "variant"] = "holdout"
    rep = analyze(spec(assignment={"holdout": 0.05}), df)
    assert checks(rep)["holdout"] is Status.PASS
    assert "data_unknown_variants" not in checks(rep)
    rep = analyze(spec(), df)  # no holdout in the spec: 'holdout' is an unknown arm
    assert checks(rep)["data_unknown_variants"] is Status.FAIL


def test_match_helpers() -> None:
    m = match_arms(["c", "t"], {"c": 3, "x": 2}, holdout_label="x")
    assert (m.unknown, m.empty, m.held) == ({}, ("t",), 2)
    assert did_you_mean(["control"], [None, "CONTROL"]) == "did you mean 'CONTROL' for 'control'?"


LABELS = st.sampled_from(["control", "treatment", "Control", "A", "B", "treatmnt", "holdout",
                          "t'\\x", ""])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mapping=st.fixed_dictionaries({"control": LABELS, "treatment": LABELS}))
def test_relabelled_arms_never_pass_the_sample_ratio_check(mapping: dict[str, str]) -> None:
    """Whatever the data's labels, SRM says pass only when they are the spec's arms."""
    df = frame(600)
    df["variant"] = df["variant"].map(mapping)
    s = ABSpec.model_validate(spec(data=None))
    rep = analyze_source(s, Source.from_frame(df), figures=False)
    matched = set(mapping.values()) == {"control", "treatment"}
    srm = check(rep, "sample_ratio_mismatch")
    if not matched:
        assert srm.status is Status.FAIL
        assert any(c.name in ("data_unknown_variants", "data_empty_arm") and c.failed
                   for c in rep.checks)


# -- exposure times -----------------------------------------------------------------------
def test_null_exposure_times_are_counted_and_warned() -> None:
    df = frame()
    df.loc[df.index[:10], "exposed_at"] = pd.NaT
    rep = analyze(spec(), df)
    c = check(rep, "data_missing_exposure")
    assert c.status is Status.WARN
    assert "10 of 4,000" in c.detail
    df = frame(20_000)
    df.loc[df.index[:1], "exposed_at"] = pd.NaT
    assert checks(analyze(spec(), df))["data_missing_exposure"] is Status.PASS


@pytest.mark.parametrize("when", ["0001-01-01", "9999-12-31", "1899-12-31", "2300-01-01"])
def test_out_of_range_exposure_times_are_a_clean_error(when: str) -> None:
    """Sentinel dates (year 1, 9999) overflowed Python's datetime or the plots before."""
    import pyarrow as pa

    df = frame(500)
    times = df.pop("exposed_at").to_numpy().astype("datetime64[us]")
    times[:3] = np.datetime64(when, "us")
    table = pa.Table.from_pandas(df, preserve_index=False).append_column(
        "exposed_at", pa.array(times))
    with pytest.raises(DataError, match=r"3 exposure time.*outside 1900 to 2199"):
        causalkit.analyze(spec(), data=table)


# -- python API dtypes --------------------------------------------------------------------
@pytest.mark.parametrize(("make", "word"), [
    (lambda s: s.astype(complex), "complex"),
    (lambda s: pd.arrays.SparseArray(s), "Sparse"),
    (lambda s: pd.period_range("2020-01", periods=len(s), freq="M"), "period"),
])
def test_unreadable_pandas_dtypes_are_data_errors_naming_the_column(make, word: str) -> None:
    df = frame(200)
    df["odd"] = make(df["chat_minutes"])
    with pytest.raises(DataError, match=rf"column 'odd'.*{word}"):
        analyze(spec(), df)


def test_list_column_is_not_numbers() -> None:
    df = frame(200)
    df["chat_minutes"] = [[1.0]] * len(df)
    with pytest.raises(DataError, match="column 'chat_minutes': holds other values"):
        analyze(spec(), df)


# -- generated numeric extremes -----------------------------------------------------------
EXTREMES = st.sampled_from([1e300, -1e300, 1e301, 1.7976931348623157e308, 1e200, -1e200,
                            float(INT64_MAX), float(-(2**63)), float(2**31 - 1), 1e13, 1e15,
                            5e-324, -0.0, 1e-300, np.inf, -np.inf, np.nan])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(column=st.sampled_from(["chat_minutes", "matches", "sessions", "pre_chat_minutes"]),
       values=st.lists(EXTREMES, min_size=1, max_size=3),
       offset=st.sampled_from([0.0, 1e13, 1e16]))
def test_numeric_extremes_give_numbers_a_fail_check_or_a_clean_error(
        column: str, values: list[float], offset: float) -> None:
    """Never a traceback, never a pass on data a check cannot trust, never ship."""
    df = frame(500, seed=2)
    df[column] = df[column].astype(float) + offset
    s = spec({"name": "chat", "type": "mean", "column": "chat_minutes",
              "covariate": "pre_chat_minutes", "role": "primary", "direction": "increase"},
             RATIO | {"role": "secondary"})
    base = df[column].astype(float)
    outlier = any(math.isfinite(v) and abs(v - base.median()) > 1e4 * base.std()
                  for v in values)
    df.loc[df.index[:len(values)], column] = values
    try:
        rep = analyze(s, df)
    except CausalkitError:
        assert any(not math.isfinite(v) for v in values), values
        return
    failed = [c.name for c in rep.checks if c.failed]
    if outlier:
        assert failed, (values, [(c.name, c.status.value) for c in rep.checks])
        assert rep.decision.state.value != "ship"
    for e in rep.estimates:
        assert e.finite or failed
