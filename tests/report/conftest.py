"""Shared report fixtures for the report-layer tests."""

from __future__ import annotations

import math

import pytest

from causalkit.report import (
    Check,
    Decision,
    DecisionBasis,
    Estimate,
    Experiment,
    Figure,
    Meta,
    Report,
    Status,
    Table,
)

XSS = "<script>alert(1)</script>"


N = {"n": 49871, "n_reference": 50112, "n_unit": "users"}


def make_report() -> Report:
    """A realistic gated A/B report: a primary win, a guardrail harm (worse than its margin), a
    guardrail worse within its margin, a non-inferior guardrail, a failed estimate, mixed checks,
    and always-valid decision intervals on the deciding metrics."""
    estimates = (
        Estimate(metric="chat_minutes", arm="treatment", reference="control",
                 method="welch+cuped", estimate=0.41, ci_low=0.12, ci_high=0.70, p_value=0.006,
                 relative=0.034, relative_ci_low=0.010, relative_ci_high=0.058, **N,
                 level=12.47, level_reference=12.06, role="primary", se=0.148,
                 direction="increase", alpha=0.05, interval_kind="always_valid",
                 decision_ci_low=0.05, decision_ci_high=0.77, extra={"z": 2.77}),
        Estimate(metric="matches_per_session", arm="treatment", reference="control",
                 method="delta", estimate=-0.002, ci_low=-0.01, ci_high=0.006, p_value=0.62,
                 relative=-0.001, relative_ci_low=-0.005, relative_ci_high=0.003, **N,
                 role="secondary"),
        Estimate(metric="report_rate", arm="treatment", reference="control", method="z",
                 estimate=0.004, ci_low=0.0025, ci_high=0.0055, p_value=3.1e-20, relative=0.21,
                 relative_ci_low=0.13, relative_ci_high=0.29, **N, level=0.023,
                 level_reference=0.019, role="guardrail", direction="decrease", margin=0.002,
                 alpha=0.05, interval_kind="always_valid", decision_ci_low=0.0022,
                 decision_ci_high=0.0058),
        Estimate(metric="session_length", arm="treatment", reference="control", method="welch",
                 estimate=-0.004, ci_low=-0.006, ci_high=-0.002, p_value=0.0001, **N,
                 role="guardrail", direction="increase", margin=0.01, alpha=0.05),
        Estimate(metric="refund_rate", arm="treatment", reference="control", method="z",
                 estimate=0.0001, ci_low=-0.0004, ci_high=0.0006, p_value=0.7, **N,
                 role="guardrail", direction="decrease", margin=0.001),
        Estimate(metric="revenue", arm="treatment", reference="control", method="welch",
                 estimate=math.nan, **N, role="secondary"),
    )
    checks = (
        Check("sample_ratio_mismatch", Status.PASS, "p = 0.43", value=0.43),
        Check("pre_period_balance", Status.WARN, "pre_chat_minutes SMD 0.06"),
        Check("data_zero_variance", Status.FAIL, "metric revenue has zero variance in control",
              metric="revenue"),
    )
    basis = DecisionBasis(sequential="msprt", alpha=0.05, min_n_per_arm=49871, n_unit="users",
                          min_sample_per_arm=1000, min_runtime=7 * 86400.0,
                          horizon_sample_per_arm=100_000, start="2026-12-01T00:00:00Z",
                          first_exposure="2026-12-01T00:00:03Z",
                          last_exposure="2026-12-07T23:59:58Z", now="2026-12-08T00:00:00Z",
                          information_fraction=0.4987, look=1, notes=("a note on the basis",))
    return Report(
        experiment=Experiment(name="match-filter-v2", kind="ab", spec_sha256="ab" * 32,
                              data_fingerprint="duckdb:1234",
                              hypothesis="The new gender filter raises chat minutes per user."),
        estimates=estimates,
        checks=checks,
        decision=Decision("invalid", ("check data_zero_variance failed",
                                      "guardrail report_rate is worse than its margin")),
        decision_basis=basis,
        meta=Meta(seed=7, alpha=0.05),
        tables=(Table("balance", "Covariate balance", ("covariate", "smd", "ok"),
                      (("pre_chat_minutes", 0.06, True), ("country", None, False))),),
    )


def make_xss_report() -> Report:
    """Every user-supplied string is a script tag (plus a hostile figure)."""
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
           'onload="alert(1)"><script>alert(2)</script><rect width="5" height="5" '
           'onclick="alert(3)"/><a xlink:href="javascript:alert(4)"><text>x</text></a>'
           '<foreignObject><body xmlns="http://www.w3.org/1999/xhtml"><script>alert(5)</script>'
           '</body></foreignObject><image href="https://evil.example/x.png"/></svg>')
    return Report(
        experiment=Experiment(name=XSS, kind="ab", hypothesis=XSS),
        estimates=(Estimate(metric=XSS, arm=XSS, reference=XSS, method=XSS, estimate=1.0,
                            ci_low=0.5, ci_high=1.5, relative=0.1, relative_ci_low=0.05,
                            relative_ci_high=0.15, n=10, n_reference=11, n_unit=XSS,
                            level=1.0, level_reference=2.0, role="guardrail",
                            direction="increase", margin=0.2, decision_ci_low=0.1,
                            decision_ci_high=1.9, extra={XSS: XSS}),),
        checks=(Check(XSS, Status.FAIL, XSS, metric=XSS),),
        decision=Decision("hold", (XSS,)),
        decision_basis=DecisionBasis(sequential="gst", alpha=0.05, min_n_per_arm=10,
                                     n_unit=XSS, start=XSS, first_exposure=XSS,
                                     last_exposure=XSS, now=XSS, look_key=XSS, look=2,
                                     boundary_z=2.5, spent_alpha=0.01, history_known=False,
                                     notes=(XSS,)),
        meta=Meta(causalkit_version=XSS, created_at=XSS, extra={XSS: XSS}),
        tables=(Table(XSS, XSS, (XSS,), ((XSS,),)),),
        figures=(Figure(XSS, XSS, svg),),
    )


@pytest.fixture
def report() -> Report:
    return make_report()


@pytest.fixture
def xss_report() -> Report:
    return make_xss_report()
