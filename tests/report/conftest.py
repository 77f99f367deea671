"""Shared report fixtures for the report-layer tests."""

from __future__ import annotations

import math

import pytest

from causalkit.report import (
    Check,
    Decision,
    Estimate,
    Experiment,
    Figure,
    Meta,
    Report,
    Status,
    Table,
)

XSS = "<script>alert(1)</script>"


def make_report() -> Report:
    """A realistic A/B report: a primary win, a guardrail harm, a failed estimate, mixed checks."""
    n = {"control": 50112, "treatment": 49871}
    estimates = (
        Estimate(metric="chat_minutes", contrast="treatment - control", method="welch+cuped",
                 estimate=0.41, ci_low=0.12, ci_high=0.70, p_value=0.006, relative=0.034,
                 relative_ci_low=0.010, relative_ci_high=0.058, n=n, role="primary",
                 se=0.148, direction="increase",
                 extra={"z": 2.77, "ci_kind": "fixed", "alpha": 0.05, "significant": True,
                        "better": True, "worse": False}),
        Estimate(metric="matches_per_session", contrast="treatment - control", method="delta",
                 estimate=-0.002, ci_low=-0.01, ci_high=0.006, p_value=0.62, relative=-0.001,
                 relative_ci_low=-0.005, relative_ci_high=0.003, n=n, role="secondary",
                 extra={"significant": False}),
        Estimate(metric="report_rate", contrast="treatment - control", method="z",
                 estimate=0.004, ci_low=0.0025, ci_high=0.0055, p_value=3.1e-20, relative=0.21,
                 relative_ci_low=0.13, relative_ci_high=0.29, n=n, role="guardrail",
                 direction="decrease",
                 extra={"margin": 0.002, "noninferior": False, "worse_than_margin": True,
                        "significant": True, "worse": True, "better": False}),
        Estimate(metric="refund_rate", contrast="treatment - control", method="z",
                 estimate=0.0001, ci_low=-0.0004, ci_high=0.0006, p_value=0.7, n=n,
                 role="guardrail", direction="decrease",
                 extra={"margin": 0.001, "noninferior": True, "worse_than_margin": False,
                        "significant": False, "worse": False}),
        Estimate(metric="revenue", contrast="treatment - control", method="welch",
                 estimate=math.nan, n=n, role="secondary"),
    )
    checks = (
        Check("sample_ratio_mismatch", Status.PASS, "p = 0.43", value=0.43),
        Check("pre_period_balance", Status.WARN, "pre_chat_minutes SMD 0.06"),
        Check("data_zero_variance", Status.FAIL, "metric revenue has zero variance in control",
              metric="revenue"),
    )
    return Report(
        experiment=Experiment(name="match-filter-v2", kind="ab", spec_sha256="ab" * 32,
                              data_fingerprint="duckdb:1234",
                              hypothesis="The new gender filter raises chat minutes per user."),
        estimates=estimates,
        checks=checks,
        decision=Decision("hold", ("guardrail report_rate is worse than its margin",
                                   "check data_zero_variance failed")),
        meta=Meta(seed=7, alpha=0.05, extra={"min_n_per_arm": 49871}),
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
        estimates=(Estimate(metric=XSS, contrast=XSS, method=XSS, estimate=1.0, ci_low=0.5,
                            ci_high=1.5, relative=0.1, relative_ci_low=0.05,
                            relative_ci_high=0.15, n={XSS: 10}, role=XSS,
                            extra={XSS: XSS}),),
        checks=(Check(XSS, Status.FAIL, XSS, metric=XSS),),
        decision=Decision(XSS, (XSS,)),
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
