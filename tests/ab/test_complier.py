"""Complier-effect metrics (``received:``) in the A/B analysis: the scan's sums give the
linearmodels 2SLS answer, the spec is validated, the gate decides on the ITT only,
weak instruments warn, and DuckDB and Spark agree."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import causalkit
from causalkit.errors import CausalkitError, SpecError
from causalkit.report.model import Report
from causalkit.spec.common import Role


def frame(seed: int = 1, n: int = 3000, *, pi: float = 0.4, beta: float = 0.2,
          binary: bool = True, covariate: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 2, n)
    x = rng.normal(size=n)
    u = rng.normal(size=n)
    if binary:
        d = (rng.random(n) < 0.15 + pi * z + 0.05 * (u > 0)).astype(int)
    else:
        d = np.round(pi * z + 0.5 * u + rng.normal(size=n), 3)
    y = 1.0 + beta * d + 0.4 * x + u * (1 + 0.3 * d)
    out = pd.DataFrame({"user_id": np.arange(n), "variant": np.where(z, "treatment", "control"),
                        "received": d, "y": y})
    if covariate:
        out["pre"] = x
    return out


def spec(*, covariate: bool = True, **metric: Any) -> dict[str, Any]:
    m: dict[str, Any] = {"name": "y", "type": "mean", "column": "y", "received": "received",
                         "role": "primary", "direction": "increase", **metric}
    if covariate:
        m["covariate"] = "pre"
    return {"name": "nudge", "kind": "ab", "unit": "user_id", "metrics": [m]}


def by_metric(report: Report) -> dict[str, Any]:
    return {e.metric: e for e in report.estimates}


@pytest.mark.parametrize("covariate", [True, False])
def test_report_cace_equals_linearmodels(covariate: bool) -> None:
    lm = pytest.importorskip("linearmodels.iv", reason="linearmodels is needed for this "
                             "known-answer test (pip install linearmodels; in the test extra)")
    df = frame(covariate=covariate)
    report = causalkit.analyze(spec(covariate=covariate), data=df)
    est = by_metric(report)
    cace, first = est["y [CACE]"], est["y [first stage]"]
    data = df.assign(const=1.0, z=(df.variant == "treatment").astype(float))
    exog = ["const", "pre"] if covariate else ["const"]
    ref = lm.IV2SLS(data.y, data[exog], data.received.astype(float), data.z).fit(
        cov_type="robust")
    assert cace.estimate == pytest.approx(ref.params["received"], rel=1e-9)
    assert cace.se == pytest.approx(ref.std_errors["received"], rel=1e-9)
    assert cace.extra["first_stage_f"] == pytest.approx(
        float(ref.first_stage.diagnostics["f.stat"].iloc[0]), rel=1e-9)
    assert cace.method == ("2sls+cuped+robust" if covariate else "2sls+robust")
    assert (cace.role, first.role, est["y"].role) == (Role.SECONDARY, Role.SECONDARY,
                                                      Role.PRIMARY)
    # ITT (reduced form) = first stage x CACE
    assert cace.extra["itt_adjusted"] == pytest.approx(first.estimate * cace.estimate, rel=1e-9)
    if not covariate:  # Wald ratio of the plain differences; the ITT is the usual estimate
        assert cace.extra["itt_adjusted"] == pytest.approx(est["y"].estimate, rel=1e-9)
    d_c = df.received[df.variant == "control"].mean()
    d_t = df.received[df.variant == "treatment"].mean()
    assert cace.extra["complier_share"] == pytest.approx(d_t - d_c, rel=1e-12)
    assert cace.extra["always_taker_share"] == pytest.approx(d_c, rel=1e-12)
    assert cace.extra["ar_set"] == "interval"
    assert cace.extra["ar_low"] <= cace.estimate <= cace.extra["ar_high"]
    assert "monotonicity" in cace.extra["assumptions"]
    assert "exclusion" in cace.extra["assumptions"]
    table = next(t for t in report.tables if t.name == "complier")
    assert table.rows[0][0:2] == ("y", "treatment")
    check = next(c for c in report.checks if c.name == "weak_instrument")
    assert check.status.value == "pass"
    # the JSON contract round-trips, and every format renders
    again = Report.from_dict(json.loads(report.to_json()))
    assert by_metric(again)["y [CACE]"].extra["ar_set"] == "interval"
    from causalkit.report.render import render
    for fmt in ("text", "md", "html", "junit"):
        assert "CACE" in render(report, fmt, color=False, width=100)


def test_dose_received_has_no_complier_shares_and_says_dose() -> None:
    df = frame(binary=False, pi=1.0)
    cace = by_metric(causalkit.analyze(spec(), data=df))["y [CACE]"]
    assert cace.extra["binary_received"] is False
    assert "complier_share" not in cace.extra
    assert "dose" in cace.extra["assumptions"]
    assert cace.ci_low < 0.2 < cace.ci_high


def test_gate_decides_on_the_itt_not_on_a_significant_cace() -> None:
    """y = d + small noise: the CACE is very precise (p < 1e-6) while the ITT's decision
    interval covers 0: the report must not ship."""
    rng = np.random.default_rng(3)
    n = 2000
    z = rng.integers(0, 2, n)
    d = (rng.random(n) < 0.45 + 0.05 * z).astype(int)
    y = 1.0 * d + rng.normal(scale=0.05, size=n)
    df = pd.DataFrame({"user_id": range(n), "variant": np.where(z, "treatment", "control"),
                       "received": d, "y": y})
    report = causalkit.analyze(spec(covariate=False), data=df)
    est = by_metric(report)
    assert est["y [CACE]"].p_value < 1e-6
    assert est["y [CACE]"].ci_low > 0
    itt = est["y"]
    assert itt.decision_ci_low < 0 < itt.decision_ci_high
    assert report.decision is not None
    assert report.decision.state.value != "ship"
    assert not est["y [CACE]"].deciding
    assert not est["y [first stage]"].deciding


def test_weak_first_stage_warns_and_reports_the_ar_set_in_words() -> None:
    df = frame(seed=4, n=1500, pi=0.005)
    report = causalkit.analyze(spec(), data=df)
    check = next(c for c in report.checks if c.name == "weak_instrument")
    assert check.status.value == "warn"
    assert "weak instrument" in check.detail
    assert "Anderson-Rubin" in check.detail
    cace = by_metric(report)["y [CACE]"]
    assert cace.extra["weak_instrument"] is True
    assert cace.extra["ar_set"] in ("two_rays", "whole_line", "ray_up", "ray_down")
    assert "unbounded" in cace.extra["ar_text"] or "whole line" in cace.extra["ar_text"]
    # a warning, not a failure: the gate still decides on the ITT
    assert report.decision is not None
    assert report.decision.state.value != "invalid"


def test_no_first_stage_at_all_is_a_warning_with_nan_estimates() -> None:
    df = frame(covariate=False).assign(received=0)
    report = causalkit.analyze(spec(covariate=False), data=df)
    cace = by_metric(report)["y [CACE]"]
    assert math.isnan(cace.estimate)
    assert cace.extra["ar_set"] is None
    check = next(c for c in report.checks if c.name == "weak_instrument")
    assert check.status.value == "warn"
    assert "not computable" in check.detail


SPEC_YAML = """\
name: nudge
kind: ab
unit: user_id
metrics:
  - name: y
    type: {type}
    {columns}
    received: {received}
    role: primary
"""


@pytest.mark.parametrize(("kind", "columns", "received", "words"), [
    ("mean", "column: y", "y", "outcome column"),
    ("mean", "column: y\n    covariate: pre", "pre", "CUPED covariate"),
    ("ratio", "numerator: a\n    denominator: b", "d", "not ratio"),
    ("mean", "column: y", "''", "at least 1"),
])
def test_spec_errors_name_file_and_line(kind: str, columns: str, received: str,
                                        words: str) -> None:
    from causalkit.spec.loader import load_spec_text

    text = SPEC_YAML.format(type=kind, columns=columns, received=received)
    with pytest.raises(SpecError) as info:
        load_spec_text(text, file="enc.yaml")
    message = str(info.value)
    assert "enc.yaml:" in message, message
    assert words in message, message
    assert info.value.line is not None
    assert info.value.line >= 5


def test_missing_received_column_is_a_data_error_naming_it() -> None:
    with pytest.raises(CausalkitError, match="reached"):
        causalkit.analyze(spec(covariate=False, received="reached"), data=frame())


# -- DuckDB and Spark -------------------------------------------------------------------
@pytest.fixture(scope="module")
def spark_default() -> Iterator[Any]:
    pytest.importorskip("pyspark")
    import shutil

    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime")
    from causalkit.data.spark_engine import SparkEngine, use_spark

    engine = use_spark(SparkEngine().spark)  # the session is shared with other Spark tests
    yield engine
    engine.close()


@pytest.mark.spark
def test_same_cace_on_duckdb_and_spark(spark_default: Any, tmp_path: Path) -> None:
    from causalkit.registry import RunContext, analyzer
    from causalkit.spec.loader import load_spec_file

    path = tmp_path / "enc.parquet"
    frame(seed=8, n=4000).to_parquet(path)
    out = {}
    for engine in ("duckdb", "spark"):
        import yaml

        file = tmp_path / f"{engine}.yaml"
        file.write_text(yaml.safe_dump({**spec(), "data": {"path": str(path), "engine": engine}}))
        out[engine] = by_metric(analyzer("ab")(load_spec_file(file), RunContext(seed=1)))
    for name in ("y [CACE]", "y [first stage]"):
        a, b = out["duckdb"][name], out["spark"][name]
        for key in ("estimate", "se", "ci_low", "ci_high"):
            assert getattr(a, key) == pytest.approx(getattr(b, key), rel=1e-12, abs=0), key
        for key in ("first_stage_f", "ar_low", "ar_high"):
            va, vb = a.extra.get(key), b.extra.get(key)
            assert (va is None and vb is None) or va == pytest.approx(vb, rel=1e-12), key


def test_docs_example_runs_and_covers_the_true_effect(capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    import re

    text = (Path(__file__).parents[2] / "docs" / "encouragement.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    scope: dict[str, Any] = {}
    exec(compile(code, "docs/encouragement.md", "exec"), scope)
    cace = next(e for e in scope["report"].estimates if e.metric == "retained [CACE]")
    assert cace.ci_low < 0.15 < cace.ci_high
    assert "first-stage F" in capsys.readouterr().out
