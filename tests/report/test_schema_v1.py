"""Reports written by the previous version (schema 1) still load, and render in every format."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET

import pytest

from causalkit.report import Assessment, IntervalKind, Report
from causalkit.report.render import FORMATS, render
from causalkit.spec.common import DecisionState, Direction, Role

# Written as causalkit 0.1 (schema 1) wrote it: the arm only in the contrast text, counts
# keyed by arm, margin / interval kind / levels / verdict flags in `extra`.
V1 = r"""
{
  "schema_version": 1,
  "experiment": {"name": "match-filter-v2", "kind": "ab", "spec_sha256": "9f2c41d0",
                 "data_fingerprint": "duckdb:5d1e77aa",
                 "hypothesis": "The new gender filter raises chat minutes per user."},
  "estimates": [
    {"metric": "chat_minutes", "contrast": "treatment - control", "method": "welch+cuped+msprt",
     "estimate": 0.41, "ci_low": 0.05, "ci_high": 0.77, "p_value": 0.006,
     "relative": 0.034, "relative_ci_low": 0.01, "relative_ci_high": 0.058,
     "n": {"control": 50112, "treatment": 49871}, "role": "primary", "se": 0.148,
     "direction": "increase",
     "extra": {"z": 2.77, "ci_kind": "always_valid", "alpha": 0.05, "margin": null,
               "significant": true, "better": true, "worse": false, "cuped_theta": 0.61,
               "msprt_tau2": 0.02, "fixed_ci_low": 0.12, "fixed_ci_high": 0.7,
               "control_mean": 12.06, "treatment_mean": 12.47}},
    {"metric": "report_rate", "contrast": "treatment - control", "method": "z",
     "estimate": 0.0004, "ci_low": -0.0011, "ci_high": 0.0019, "p_value": 0.6,
     "relative": null, "relative_ci_low": null, "relative_ci_high": null,
     "n": {"control": 50112, "treatment": 49871}, "role": "guardrail", "se": 0.00077,
     "direction": "decrease",
     "extra": {"z": 0.52, "ci_kind": "fixed", "alpha": 0.025, "margin": -0.002,
               "noninferior": true, "worse_than_margin": false, "significant": false,
               "better": false, "worse": false, "practical_threshold": null}},
    {"metric": "match_rate", "contrast": "b - control", "method": "horvitz_thompson",
     "estimate": -0.004, "ci_low": -0.006, "ci_high": -0.002, "p_value": 0.0001,
     "relative": -0.01, "relative_ci_low": -0.015, "relative_ci_high": -0.005,
     "n": {"control": 840, "b": 836}, "role": "guardrail", "se": 0.001,
     "direction": "increase",
     "extra": {"z": -4.0, "ci_kind": "fixed", "alpha": 0.05, "margin": 0.01,
               "noninferior": true, "worse_than_margin": false, "significant": true,
               "better": false, "worse": true, "gate_verdict": "worse",
               "control_level": 0.41, "treatment_level": 0.406, "carryover_periods": 1}},
    {"metric": "revenue", "contrast": "treatment - control", "method": "welch",
     "estimate": "NaN", "ci_low": "-Infinity", "ci_high": "Infinity", "p_value": null,
     "relative": null, "relative_ci_low": null, "relative_ci_high": null,
     "n": {"control": 50112, "treatment": 49871}, "role": "secondary", "se": null,
     "direction": null, "extra": {}}
  ],
  "checks": [
    {"name": "sample_ratio_mismatch", "status": "pass", "detail": "chi-square p = 0.43",
     "metric": null, "value": 0.43}
  ],
  "decision": {"state": "ship",
               "reasons": ["primary chat_minutes [treatment] is significantly better",
                           "guardrail report_rate [treatment] is non-inferior (margin 0.002)"]},
  "meta": {"causalkit_version": "0.1.0", "created_at": "2026-12-08T09:00:00Z", "seed": 7,
           "alpha": 0.05,
           "extra": {"min_n_per_arm": 49871, "first_exposure": "2026-12-01T00:00:03Z"}},
  "tables": [
    {"name": "balance", "title": "Covariate balance", "columns": ["covariate", "smd"],
     "rows": [["pre_chat_minutes", 0.004]]}
  ],
  "figures": []
}
"""


@pytest.fixture
def v1() -> Report:
    return Report.from_json(V1)


def test_a_schema_1_report_loads_with_typed_fields(v1):
    assert v1.schema_version == 2
    chat, rate, match, revenue = v1.estimates
    # arm and reference from the contrast text, counts from the arm-keyed `n`
    assert (chat.arm, chat.reference, chat.n, chat.n_reference) == (
        "treatment", "control", 49871, 50112)
    assert (match.arm, match.reference, match.n, match.n_reference) == ("b", "control", 836, 840)
    assert match.contrast == "b - control"
    # margin, alpha, levels and the interval kind moved out of `extra`
    assert rate.margin == 0.002  # absolute, whatever sign v1 wrote
    assert match.margin == 0.01
    assert chat.margin is None
    assert rate.alpha == 0.025
    assert chat.interval_kind is IntervalKind.ALWAYS_VALID
    assert rate.interval_kind is IntervalKind.FIXED
    assert (chat.level, chat.level_reference) == (12.47, 12.06)
    assert (match.level, match.level_reference) == (0.406, 0.41)
    assert chat.role is Role.PRIMARY
    assert rate.direction is Direction.DECREASE
    # the decision interval is the reported one; the assessment is recomputed from it
    assert (chat.decision_ci_low, chat.decision_ci_high) == (0.05, 0.77)
    assert chat.assessment is Assessment.BETTER
    assert rate.assessment is Assessment.NON_INFERIOR
    assert match.assessment is Assessment.WORSE_WITHIN_MARGIN  # v1 said "worse"
    assert not match.harm
    assert revenue.assessment is Assessment.NOT_COMPUTABLE
    assert math.isnan(revenue.estimate)
    # verdict flags are gone from `extra`; method-specific numbers stay
    for e in v1.estimates:
        assert not {"better", "worse", "significant", "noninferior", "worse_than_margin",
                    "gate_verdict", "ci_kind", "margin", "alpha"} & set(e.extra), e.extra
    assert chat.extra["cuped_theta"] == 0.61
    assert match.extra["carryover_periods"] == 1
    # the rest of the report
    assert v1.decision is not None
    assert v1.decision.state is DecisionState.SHIP
    assert v1.decision.needs_history is False
    assert v1.decision_basis is None
    assert v1.checks[0].name == "sample_ratio_mismatch"
    assert v1.tables[0].rows == (("pre_chat_minutes", 0.004),)
    assert v1.meta.extra["min_n_per_arm"] == 49871


def test_a_migrated_report_round_trips_as_schema_2(v1):
    text = v1.to_json()
    assert json.loads(text)["schema_version"] == 2
    assert Report.from_json(text).to_json() == text


def test_a_migrated_report_renders_in_every_format(v1):
    for fmt in FORMATS:
        assert render(v1, fmt)
    suite = ET.fromstring(render(v1, "junit")).find("testsuite")
    assert suite is not None
    # the guardrail worse within its margin is no failure; the NaN estimate is an error
    assert suite.get("failures") == "0"
    assert suite.get("errors") == "1"
    md = render(v1, "md")
    assert "**Decision: SHIP**" in md
    assert "match\\_rate: b - control (horvitz\\_thompson)" in md


def test_an_unknown_schema_version_is_refused():
    data = json.loads(V1)
    data["schema_version"] = 3
    with pytest.raises(ValueError, match="schema_version"):
        Report.from_dict(data)
