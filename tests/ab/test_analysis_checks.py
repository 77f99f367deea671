"""Data problems, SRM, guardrails and the gate contract of the A/B report."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from causalkit.ab.analysis import analyze_source
from causalkit.ab.inference import estimates
from causalkit.ab.metrics import Contrast, Level
from causalkit.data import Source
from causalkit.errors import DataError
from causalkit.report import Status
from causalkit.report.assessment import Assessment, IntervalKind
from causalkit.simulate.ab import simulate_ab
from causalkit.spec.ab import ABSpec
from causalkit.spec.common import Analysis, Metric


def _spec(**kw: object) -> ABSpec:
    base: dict[str, object] = {
        "name": "checks", "kind": "ab", "unit": "user_id", "data": {"simulate": "ab"},
        "metrics": [
            {"name": "chat", "type": "mean", "column": "chat_minutes", "role": "primary",
             "direction": "increase"},
            {"name": "mps", "type": "ratio", "numerator": "matches", "denominator": "sessions"},
            {"name": "reports", "type": "proportion", "column": "reported", "role": "guardrail",
             "direction": "decrease", "margin": 0.01}]}
    base.update(kw)
    return ABSpec.model_validate(base)


def _frame(**kw: object) -> pd.DataFrame:
    params: dict[str, object] = {"seed": 1, "n": 3000}
    params.update(kw)
    return simulate_ab(**params).tables["main"]  # type: ignore[arg-type]


def _run(frame: pd.DataFrame, **kw: object):
    return analyze_source(_spec(**kw), Source.from_frame(frame), figures=False)


def _check(rep, name: str):
    found = [c for c in rep.checks if c.name == name]
    assert found, [c.name for c in rep.checks]
    return found[0]


VERDICT_KEYS = {"better", "worse", "significant", "noninferior", "worse_than_margin",
                "ci_kind", "margin", "practical_threshold", "alpha", "control_level",
                "treatment_level", "gate_verdict"}


def test_clean_data_passes_and_fills_the_gate_contract() -> None:
    rep = _run(_frame())
    assert [c.name for c in rep.checks] == ["sample_ratio_mismatch"]
    assert rep.checks[0].status is Status.PASS
    for e in rep.estimates:
        assert "z" in e.extra, e.metric
        assert not VERDICT_KEYS & set(e.extra), (e.metric, sorted(e.extra))
        assert e.alpha is not None
        assert e.se is not None
        assert e.level is not None
        assert e.level_reference is not None
        assert isinstance(e.assessment, Assessment)
        # sequential: none reports fixed intervals and decides on always-valid ones
        assert e.interval_kind is IntervalKind.ALWAYS_VALID
        assert (e.arm, e.reference, e.n_unit) == ("treatment", "control", "units")
        assert e.n + e.n_reference == 3000
        assert e.contrast == "treatment - control"
    g = next(e for e in rep.estimates if e.role == "guardrail")
    assert g.margin == 0.01
    assert g.assessment in {Assessment.NON_INFERIOR, Assessment.NOT_SHOWN_NON_INFERIOR,
                            Assessment.WORSE_WITHIN_MARGIN, Assessment.INFERIOR,
                            Assessment.BETTER}
    basis = rep.decision_basis
    assert basis is not None
    assert basis.min_n_per_arm == min(rep.estimates[0].n, rep.estimates[0].n_reference)
    assert basis.first_exposure is None
    assert any("sequential: none" in note for note in basis.notes)
    assert rep.decision is None


def test_timestamps_give_exposure_window_and_confidence_sequence() -> None:
    frame = _frame()
    rep = analyze_source(_spec(timestamp_column="exposed_at"), Source.from_frame(frame))
    assert rep.decision_basis.first_exposure.startswith("2026-11-01T")
    assert rep.decision_basis.last_exposure.endswith("Z")
    cs = next(t for t in rep.tables if t.name == "confidence_sequence")
    assert len(cs.rows) == 14
    assert {f.name for f in rep.figures} == {"forest", "cs_chat_treatment"}
    assert all(f.svg.lstrip().startswith("<svg") for f in rep.figures)
    last = cs.rows[-1]
    e = next(e for e in rep.estimates if e.metric == "chat")
    assert last[3] == pytest.approx(e.estimate, rel=1e-12)


def test_srm_fails_on_a_logging_bug() -> None:
    rep = _run(_frame(srm=0.2))
    c = _check(rep, "sample_ratio_mismatch")
    assert c.status is Status.FAIL
    assert c.value is not None
    assert c.value < 0.001


def test_duplicated_and_cross_arm_units_fail() -> None:
    rep = _run(_frame(duplicates=7))
    c = _check(rep, "data_duplicate_units")
    assert c.status is Status.FAIL
    assert "7 unit(s) in two or more arms" in c.detail
    frame = _frame()
    dup = pd.concat([frame, frame.iloc[:3]], ignore_index=True)  # same arm
    c = _check(_run(dup), "data_duplicate_units")
    assert "3 repeated within an arm" in c.detail


def test_string_ids_duplicates_found() -> None:
    frame = _frame()
    frame = frame.assign(user_id="u" + frame["user_id"].astype(str))
    frame = pd.concat([frame, frame.iloc[:2]], ignore_index=True)
    assert _check(_run(frame), "data_duplicate_units").status is Status.FAIL


def test_nan_metric_is_an_error() -> None:
    frame = _frame()
    frame.loc[5, "chat_minutes"] = np.nan
    with pytest.raises(DataError, match="chat_minutes"):
        _run(frame)


def test_missing_ids_and_missing_column() -> None:
    frame = _frame().astype({"user_id": "float64"})
    frame.loc[3, "user_id"] = np.nan
    with pytest.raises(DataError, match="without a unit id"):
        _run(frame)
    with pytest.raises(DataError, match="column is missing"):
        _run(_frame().drop(columns=["sessions"]))


def test_nonbinary_proportion_is_an_error() -> None:
    frame = _frame()
    frame.loc[0, "reported"] = 2
    with pytest.raises(DataError, match="other than 0 and 1"):
        _run(frame)


def test_empty_arm_and_unknown_labels() -> None:
    frame = _frame()
    frame.loc[frame["variant"] == "treatment", "variant"] = "treatmnt"
    rep = _run(frame)
    assert _check(rep, "data_empty_arm").status is Status.FAIL
    assert _check(rep, "data_unknown_variants").status is Status.FAIL
    assert _check(rep, "sample_ratio_mismatch").status is Status.FAIL
    assert rep.estimates == ()


def test_single_unit_arm() -> None:
    frame = _frame()
    keep = (frame["variant"] == "control") | (frame.index == frame.index[frame["variant"] == "treatment"][0])
    rep = _run(frame[keep])
    assert _check(rep, "data_small_arm").status is Status.FAIL


def test_zero_variance_and_zero_denominator() -> None:
    frame = _frame().assign(chat_minutes=3.0)
    rep = _run(frame)
    c = _check(rep, "data_zero_variance")
    assert c.status is Status.FAIL
    assert c.metric == "chat"
    e = next(e for e in rep.estimates if e.metric == "chat")
    assert math.isnan(e.p_value)
    assert math.isnan(e.ci_low)
    frame = _frame()
    frame.loc[frame["variant"] == "control", "sessions"] = 0
    frame.loc[frame["variant"] == "control", "matches"] = 0
    c = _check(_run(frame), "data_zero_denominator")
    assert c.status is Status.FAIL
    assert c.metric == "mps"


def test_holdout_rows_are_left_out() -> None:
    frame = _frame()
    frame.loc[:99, "variant"] = "holdout"
    rep = _run(frame, assignment={"holdout": 0.05})
    assert _check(rep, "holdout").detail.startswith("100 held-out")
    assert all(c.name != "data_unknown_variants" for c in rep.checks)


def _contrast(metric: Metric, est: float, se: float, control: float = 2.0) -> Contrast:
    n = 10_000
    var = se * se * n / 2
    return Contrast(metric, "treatment", Level(n, control, control, var),
                    Level(n, control + est, control + est, var), 1e6, "welch")


# ``sequential: gst`` keeps the fixed-horizon interval as the decision interval of
# ``estimates`` (the repeated interval is set later by report.intervals.finish), so these
# read the same interval the old flags did.
FIXED = {"sequential": "gst"}


@pytest.mark.parametrize(("direction", "est", "assessment"), [
    ("decrease", 0.002, Assessment.NON_INFERIOR),   # small increase of a bad metric
    ("decrease", 0.03, Assessment.INFERIOR),        # clearly beyond the margin
    ("decrease", 0.009, Assessment.NOT_SHOWN_NON_INFERIOR),  # straddles the margin
    ("increase", -0.002, Assessment.NON_INFERIOR),
    ("increase", -0.03, Assessment.INFERIOR),
])
def test_guardrail_direction_and_margin(direction: str, est: float,
                                        assessment: Assessment) -> None:
    m = Metric(name="g", type="mean", column="g", role="guardrail", direction=direction,
               margin=0.01)
    (e,) = estimates([_contrast(m, est, 0.002)], Analysis(correction="none", **FIXED),
                     control="control")
    assert e.interval_kind is IntervalKind.FIXED
    assert e.assessment is assessment
    assert e.harm is (assessment is Assessment.INFERIOR)


def test_relative_margin_uses_control_level() -> None:
    m = Metric(name="g", type="mean", column="g", role="guardrail", direction="increase",
               margin=0.1, margin_kind="relative")
    (e,) = estimates([_contrast(m, -0.1, 0.01, control=2.0)], Analysis(**FIXED),
                     control="control")
    assert e.margin == pytest.approx(0.2)
    # significant harm, yet smaller than the margin
    assert e.assessment is Assessment.WORSE_WITHIN_MARGIN
    assert e.harm is False


def test_better_and_worse_follow_direction() -> None:
    up = Metric(name="u", type="mean", column="u", role="primary", direction="increase")
    down = Metric(name="d", type="mean", column="d", role="primary", direction="decrease")
    e_up, e_down = estimates([_contrast(up, 0.1, 0.01), _contrast(down, 0.1, 0.01)],
                             Analysis(**FIXED), control="control")
    assert e_up.assessment is Assessment.BETTER
    assert e_down.assessment is Assessment.WORSE
    assert e_down.harm is True


def test_msprt_interval_contains_fixed_interval() -> None:
    rep = _run(_frame(), analysis={"sequential": "msprt"})
    for e in rep.estimates:
        assert e.interval_kind is IntervalKind.ALWAYS_VALID
        assert (e.decision_ci_low, e.decision_ci_high) == (e.ci_low, e.ci_high)
        assert e.ci_low <= e.extra["fixed_ci_low"]
        assert e.ci_high >= e.extra["fixed_ci_high"]
        assert e.method.endswith("+msprt")


def test_large_mean_small_sd_is_exact() -> None:
    """Shifted sums: a metric with mean 1e6 and sd 1 keeps its variance to 1e-9."""
    frame = _frame()
    rng = np.random.default_rng(3)
    frame = frame.assign(chat_minutes=1e6 + rng.standard_normal(len(frame)))
    rep = _run(frame)
    e = next(e for e in rep.estimates if e.metric == "chat")
    c = frame.loc[frame["variant"] == "control", "chat_minutes"].to_numpy()
    t = frame.loc[frame["variant"] == "treatment", "chat_minutes"].to_numpy()
    se = math.sqrt(c.var(ddof=1) / len(c) + t.var(ddof=1) / len(t))
    assert e.se == pytest.approx(se, rel=1e-9)
    assert e.estimate == pytest.approx(t.mean() - c.mean(), rel=1e-6)


def test_constant_within_one_arm() -> None:
    frame = _frame()
    frame.loc[frame["variant"] == "control", "chat_minutes"] = 0.1
    rep = _run(frame)
    lv = next(t for t in rep.tables if t.name == "levels")
    sd = lv.columns.index("sd per unit")
    control_sd = next(r[sd] for r in lv.rows if r[0] == "chat" and r[1] == "control")
    assert control_sd == 0.0
    assert all(c.name != "data_zero_variance" for c in rep.checks)


def test_infinite_value_is_an_error() -> None:
    frame = _frame()
    frame.loc[7, "chat_minutes"] = np.inf
    with pytest.raises(DataError, match="1 infinite value"):
        _run(frame)
