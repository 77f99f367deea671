"""A metric type added from a test module runs through A/B analysis, power and the report.

"Mean of the square" (``type: mean_square``) reads ``column``, declares the virtual
column ``y*y`` (the scan computes the product), and is the mean of ``y**2`` with
the variance of ``y**2`` and Welch's t test. No causalkit file knows of it: it is
registered here and removed again when each test ends.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from scipy import stats

import causalkit
from causalkit.data import Moments
from causalkit.entry import run_planner
from causalkit.errors import DataError, SpecError
from causalkit.metrics import KINDS, MetricKind, col_cov, col_mean, register, unregister
from causalkit.report import Report
from causalkit.report.render import render
from causalkit.spec.common import METRIC_TYPES, Metric, MetricFields


class MeanSquare(MetricKind):
    """The mean of ``column ** 2`` (Welch's t)."""

    name = "mean_square"
    fields = MetricFields.COLUMN
    test = "welch"

    def values(self, metric: Metric) -> tuple[str, ...]:
        return (f"{metric.column}*{metric.column}",)

    def derived(self, metric: Metric) -> Mapping[str, tuple[str, str]]:
        assert metric.column is not None
        return {f"{metric.column}*{metric.column}": (metric.column, metric.column)}

    def level(self, metric: Metric, m: Moments) -> tuple[float, float]:
        (sq,) = self.values(metric)
        return col_mean(m, sq), col_cov(m, sq, sq, self.ddof)


@contextmanager
def registered() -> Iterator[MetricKind]:
    kind = register(MeanSquare())
    try:
        yield kind
    finally:
        unregister(kind.name)


@pytest.fixture
def mean_square() -> Iterator[MetricKind]:
    with registered() as kind:
        yield kind


SPEC = """
name: toy
kind: ab
unit: user_id
metrics:
  - {name: ysq, type: mean_square, column: y, role: primary, direction: increase}
analysis: {alpha: 0.05}
plan: {mde: 0.05}
"""


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 3000
    arm = np.where(rng.random(n) < 0.5, "control", "treatment")
    x = rng.normal(size=n)
    y = 1.0 + 0.6 * x + rng.normal(size=n) + 0.15 * (arm == "treatment")
    return pd.DataFrame({"user_id": np.arange(n), "variant": arm, "y": y, "x": x})


def _welch(a: np.ndarray, b: np.ndarray, alpha: float = 0.05) -> tuple[float, float, float, float]:
    """(estimate, low, high, p) of mean(b) - mean(a), Welch's t, by numpy and scipy."""
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    est = b.mean() - a.mean()
    half = stats.t.isf(alpha / 2, df) * math.sqrt(va + vb)
    p = stats.ttest_ind(b, a, equal_var=False).pvalue
    return est, est - half, est + half, float(p)


def test_registration_is_removed_again() -> None:
    with registered():
        assert "mean_square" in KINDS
        assert METRIC_TYPES["mean_square"] is MetricFields.COLUMN
        assert Metric(name="m", type="mean_square", column="y").type == "mean_square"
    assert "mean_square" not in KINDS
    assert "mean_square" not in METRIC_TYPES
    with pytest.raises(ValidationError, match="mean_square"):
        Metric(name="m", type="mean_square", column="y")
    with pytest.raises(SpecError, match="built-in"):
        register(type("Bad", (MeanSquare,), {"name": "mean"})())
    with pytest.raises(SpecError, match="built-in"):
        unregister("ratio")


def test_ab_analysis(mean_square: MetricKind, frame: pd.DataFrame) -> None:
    rep = causalkit.analyze(SPEC, data=frame)
    (e,) = rep.estimates
    y2 = frame["y"].to_numpy() ** 2
    c, t = y2[frame["variant"] == "control"], y2[frame["variant"] == "treatment"]
    est, low, high, p = _welch(c, t)
    assert e.method == "welch"
    assert e.estimate == pytest.approx(est, abs=1e-9)
    assert (e.ci_low, e.ci_high) == pytest.approx((low, high), abs=1e-9)
    assert e.p_value == pytest.approx(p, rel=1e-9)
    assert (e.level, e.level_reference) == pytest.approx((t.mean(), c.mean()), abs=1e-9)
    assert (e.n, e.n_reference) == (len(t), len(c))
    assert e.extra["df"] == pytest.approx(_welch_df(c, t), rel=1e-9)
    table = next(tb for tb in rep.tables if tb.name == "levels")
    levels = {r[1]: r for r in table.rows}
    sd = table.columns.index("sd per unit")
    assert levels["control"][sd] == pytest.approx(c.std(ddof=1), rel=1e-9)
    assert rep.decision is not None


def _welch_df(a: np.ndarray, b: np.ndarray) -> float:
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    return float((va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)))


def test_ab_analysis_with_cuped(mean_square: MetricKind, frame: pd.DataFrame) -> None:
    """The base class's CUPED pieces apply to the virtual column: ``y*y`` against ``x``."""
    spec = SPEC.replace("column: y,", "column: y, covariate: x,")
    (e,) = causalkit.analyze(spec, data=frame).estimates
    y2, x = frame["y"].to_numpy() ** 2, frame["x"].to_numpy()
    theta = np.cov(y2, x, ddof=1)[0, 1] / x.var(ddof=1)
    treat = (frame["variant"] == "treatment").to_numpy()
    adj = y2 - theta * (x - x.mean())
    assert e.method == "welch+cuped"
    assert e.estimate == pytest.approx(adj[treat].mean() - adj[~treat].mean(), abs=1e-9)
    _, low, high, _ = _welch(adj[~treat], adj[treat])
    assert (e.ci_low, e.ci_high) == pytest.approx((low, high), abs=1e-9)


def test_data_checks_name_the_data_column(mean_square: MetricKind, frame: pd.DataFrame) -> None:
    """NULL, infinite and missing values are reported on ``y``, not on the product ``y*y``."""
    bad = frame.copy()
    bad.loc[3, "y"] = np.nan  # a NULL once in the engine
    with pytest.raises(DataError, match=r"column 'y': 1 missing value"):
        causalkit.analyze(SPEC, data=bad)
    bad.loc[3, "y"] = np.inf
    with pytest.raises(DataError, match=r"column 'y': 1 infinite value"):
        causalkit.analyze(SPEC, data=bad)
    with pytest.raises(DataError, match=r"column 'y': column is missing"):
        causalkit.analyze(SPEC, data=frame.rename(columns={"y": "z"}))
    with pytest.raises(DataError, match=r"column 'y': column is missing"):
        run_planner(SPEC, pre_data=frame.rename(columns={"y": "z"}))


def test_power(mean_square: MetricKind, frame: pd.DataFrame) -> None:
    rep = run_planner(SPEC, pre_data=frame)
    table = rep.tables[0]
    (row,) = [dict(zip(table.columns, r)) for r in table.rows]
    y2 = frame["y"].to_numpy() ** 2
    assert row["metric"] == "ysq"
    assert row["type"] == "mean_square"
    assert row["level"] == pytest.approx(y2.mean(), rel=1e-9)
    assert row["sd per unit"] == pytest.approx(y2.std(ddof=1), rel=1e-9)
    assert row["effect to detect"] == pytest.approx(0.05 * y2.mean(), rel=1e-9)
    z = stats.norm.isf(0.025) + stats.norm.ppf(0.8)
    n_total = z * z * 4 * y2.var(ddof=1) / (0.05 * y2.mean()) ** 2
    assert row["units in total"] == math.ceil(n_total)


@pytest.mark.parametrize("fmt", ["text", "md", "html", "json", "junit"])
def test_report_renders(mean_square: MetricKind, frame: pd.DataFrame, fmt: str) -> None:
    rep = causalkit.analyze(SPEC, data=frame)
    out = render(rep, fmt)
    assert "ysq" in out
    if fmt == "json":
        back = Report.from_dict(json.loads(out))
        assert back.estimates[0] == rep.estimates[0]
    power = render(run_planner(SPEC, pre_data=frame), fmt, width=300)
    assert fmt == "junit" or ("ysq" in power and "mean_square" in power.replace("\\_", "_"))
