"""Per-segment A/B estimates equal an independent numpy/scipy computation (issue 15).

Each segment's contrast is recomputed from the raw rows of that segment (Welch t for
means, ratios and CUPED; z for proportions; CUPED's slope on the segment's pooled
arms; the delta method for ratios), the family of all segment tests is corrected by
hand (Benjamini-Hochberg: intervals at ``alpha R / m``), and the report must agree to
1e-9. Also: edge cases (one segment, missing values, a segment with one arm, three
arms, too many segments, the override), and the decision does not change when a
breakdown is asked for.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import causalkit
from causalkit.ab.analysis import analyze_source
from causalkit.data import Source
from causalkit.errors import CausalkitError
from causalkit.spec.ab import ABSpec

METRICS = [
    {"name": "minutes", "type": "mean", "column": "y", "role": "primary", "direction": "increase"},
    {"name": "converted", "type": "proportion", "column": "b", "role": "secondary"},
    {"name": "per_session", "type": "ratio", "numerator": "num", "denominator": "den",
     "role": "secondary"},
    {"name": "minutes_cuped", "type": "mean", "column": "y", "covariate": "x",
     "role": "secondary"},
]


def frame(seed: int = 11, n: int = 6000, arms: tuple[str, ...] = ("control", "treatment")
          ) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    country = rng.choice(["KR", "JP", "BR", None], n, p=[0.4, 0.3, 0.25, 0.05])
    x = rng.gamma(2.0, 2.0, n)
    arm = rng.choice(arms, n)
    lift = np.where((arm != "control") & (country == "KR"), 0.8, 0.0)
    den = rng.poisson(3.0, n) + 1
    return pd.DataFrame({
        "user_id": np.arange(n), "variant": arm, "country": country,
        "platform": rng.choice(["ios", "android"], n),
        "x": x, "y": 0.6 * x + rng.normal(0, 2, n) + lift,
        "b": (rng.random(n) < 0.3 + 0.05 * (lift > 0)).astype(int),
        "num": den * rng.gamma(2.0, 1.0, n), "den": den.astype(float)})


def spec(**kw: Any) -> ABSpec:
    base: dict[str, Any] = {"name": "seg", "kind": "ab", "unit": "user_id", "metrics": METRICS,
                            "segments": ["country", "platform"]}
    base.update(kw)
    return ABSpec.model_validate(base)


def _welch(yt: np.ndarray, yc: np.ndarray) -> tuple[float, float, float]:
    vt, vc = yt.var(ddof=1) / yt.size, yc.var(ddof=1) / yc.size
    df = (vt + vc) ** 2 / (vt**2 / (yt.size - 1) + vc**2 / (yc.size - 1))
    return float(yt.mean() - yc.mean()), float(math.sqrt(vt + vc)), float(df)


def expected(df: pd.DataFrame, metric: dict[str, Any], arm: str) -> tuple[float, float, float]:
    """(estimate, se, df) of one metric in one segment's rows, from the rows."""
    c, t = df[df.variant == "control"], df[df.variant == arm]
    if metric["type"] == "proportion":
        pt, pc = t.b.mean(), c.b.mean()
        se = math.sqrt(pt * (1 - pt) / len(t) + pc * (1 - pc) / len(c))
        return float(pt - pc), se, math.inf
    if metric["type"] == "ratio":
        def lin(g: pd.DataFrame) -> np.ndarray:
            r = g.num.mean() / g.den.mean()
            return r + (g.num.to_numpy() - r * g.den.to_numpy()) / g.den.mean()
        return _welch(lin(t), lin(c))
    if "covariate" in metric:
        both = pd.concat([c, t])
        cov = np.cov(both.y, both.x, ddof=1)
        theta = cov[0, 1] / cov[1, 1]
        xbar = both.x.mean()
        return _welch((t.y - theta * (t.x - xbar)).to_numpy(),
                      (c.y - theta * (c.x - xbar)).to_numpy())
    return _welch(t.y.to_numpy(), c.y.to_numpy())


def _bh(p: np.ndarray) -> np.ndarray:
    m = p.size
    order = np.argsort(p)
    adj = np.empty(m)
    adj[order] = np.minimum.accumulate((p[order] * m / np.arange(1, m + 1))[::-1])[::-1]
    return np.minimum(adj, 1.0)


def check_exact(rep: Any, df: pd.DataFrame, columns: tuple[str, ...], alpha: float = 0.05,
                arms: tuple[str, ...] = ("treatment",)) -> int:
    """Every segment estimate of ``rep`` against the rows; returns how many were checked."""
    rows: list[tuple[Any, ...]] = []
    for col in columns:
        values = df[col].astype(object).where(df[col].notna(), "(missing)")
        for v in sorted(set(values)):
            part = df[values == v]
            for m in METRICS:
                for arm in arms:
                    est, se, dof = expected(part, m, arm)
                    z = est / se
                    p = 2 * (stats.norm.sf(abs(z)) if math.isinf(dof) else stats.t.sf(abs(z), dof))
                    rows.append((m["name"], arm, f"{col}={v}", est, se, dof, p))
    p_raw = np.array([r[-1] for r in rows])
    adj = _bh(p_raw)
    level = alpha * max(int(np.sum(adj <= alpha)), 1) / p_raw.size
    got = {(e.metric, e.arm, e.segment): e for e in rep.estimates if e.segment}
    assert len(got) == len(rows)
    for (name, arm, seg, est, se, dof, p), pa in zip(rows, adj):
        e = got[(name, arm, seg)]
        q = stats.norm.ppf(1 - level / 2) if math.isinf(dof) else stats.t.ppf(1 - level / 2, dof)
        assert e.estimate == pytest.approx(est, rel=1e-9, abs=1e-12), (name, seg)
        assert e.se == pytest.approx(se, rel=1e-9), (name, seg)
        assert e.extra["p_value_unadjusted"] == pytest.approx(p, rel=1e-9, abs=1e-15)
        assert e.p_value == pytest.approx(pa, rel=1e-9, abs=1e-15), (name, seg)
        assert e.alpha == pytest.approx(level, rel=1e-12)
        assert e.ci_low == pytest.approx(est - q * se, rel=1e-9, abs=1e-12)
        assert e.ci_high == pytest.approx(est + q * se, rel=1e-9, abs=1e-12)
        assert e.extra["family_size"] == len(rows)
        assert not e.harm
    return len(rows)


@pytest.fixture(scope="module")
def case() -> tuple[pd.DataFrame, Any]:
    df = frame()
    return df, causalkit.analyze(spec(), data=df)


def test_segment_estimates_equal_numpy(case: tuple[pd.DataFrame, Any]) -> None:
    df, rep = case
    assert check_exact(rep, df, ("country", "platform")) == 4 * (4 + 2)
    names = [e.segment for e in rep.estimates]
    first = names.index(next(n for n in names if n))
    assert all(names[first:]), "segment estimates come after the overall ones"


def test_report_parts(case: tuple[pd.DataFrame, Any]) -> None:
    _, rep = case
    checks = {c.name: c for c in rep.checks}
    for name in ("segment_sample_ratio:country", "segment_heterogeneity:country",
                 "segment_mix:country", "segment_family"):
        assert name in checks
    # KR carries a lift: minutes differ by country, and the family finds KR
    assert checks["segment_heterogeneity:country"].status.value == "warn"
    assert "minutes [treatment]" in checks["segment_heterogeneity:country"].detail
    assert "in country=KR" in checks["segment_family"].detail
    assert checks["segment_heterogeneity:platform"].status.value == "pass"
    tables = {t.name: t for t in rep.tables}
    sizes = {(r[0], r[1]): r for r in tables["segment_sizes"].rows}
    assert ("country", "(missing)") in sizes
    het = [r for r in tables["segment_heterogeneity"].rows if r[:3] == ("country", "minutes",
                                                                         "treatment")]
    assert het[0][3] == 4
    assert het[0][5] == 3
    assert {f.name for f in rep.figures} >= {"forest", "segments_minutes",
                                             "segments_per_session"}


def test_holm_and_post_stratified() -> None:
    df = frame(seed=5, n=3000)
    s = spec(segments={"by": ["country"], "correction": "holm", "post_stratify": True})
    rep = causalkit.analyze(s, data=df)
    seg = [e for e in rep.estimates if e.segment]
    p = np.array([e.extra["p_value_unadjusted"] for e in seg])
    m = p.size
    order = np.argsort(p)
    holm = np.empty(m)
    holm[order] = np.minimum(np.maximum.accumulate(p[order] * (m - np.arange(m))), 1.0)
    np.testing.assert_allclose([e.p_value for e in seg], holm, rtol=1e-9)
    post = [e for e in rep.estimates if e.method.endswith("poststrat(country)")]
    assert len(post) == len(METRICS)
    e = next(e for e in post if e.metric == "minutes")
    segs = [x for x in seg if x.metric == "minutes"]
    w = np.array([x.n + x.n_reference for x in segs], float)
    w /= w.sum()
    assert e.estimate == pytest.approx(float(np.sum(w * [x.estimate for x in segs])), rel=1e-9)
    assert e.se == pytest.approx(math.sqrt(float(np.sum(w**2 * np.array(
        [x.se for x in segs]) ** 2))), rel=1e-9)
    assert e.segment is None
    assert e.role.value == "secondary"


def test_decision_does_not_change_with_segments() -> None:
    """A breakdown is read, never decided from: same decision with and without segments."""
    df = frame(seed=3, n=3000)
    with_seg = causalkit.analyze(spec(), data=df)
    without = causalkit.analyze(spec(segments=None), data=df)
    assert with_seg.decision.state == without.decision.state
    assert set(without.decision.reasons) <= set(with_seg.decision.reasons)  # + segment warnings
    n = sum(1 for e in without.estimates)
    for a, b in zip(with_seg.estimates[:n], without.estimates):  # cells sum to the arms
        assert (a.metric, a.arm, a.segment) == (b.metric, b.arm, None)
        assert (a.estimate, a.ci_low, a.ci_high) == pytest.approx(
            (b.estimate, b.ci_low, b.ci_high), rel=1e-9)


def test_override_and_three_arms() -> None:
    arms = ("control", "a", "b")
    df = frame(seed=7, n=6000, arms=arms)
    s = spec(variants=dict.fromkeys(arms, 1.0), segments=None)
    rep = causalkit.analyze(s, data=df, segments=["country"])  # the documented keyword
    assert check_exact(rep, df, ("country",), arms=("a", "b")) == 4 * 4 * 2
    same = causalkit.analyze(s, data=df, options={"segments": ["country"]})
    assert [e.to_dict() for e in same.estimates] == [e.to_dict() for e in rep.estimates]
    off = causalkit.analyze(spec(), data=df.assign(variant=df.variant.replace(
        {"a": "treatment", "b": "treatment"})), options={"segments": []})
    assert not any(e.segment for e in off.estimates)
    with pytest.raises(CausalkitError, match="segment column 'variant'"):
        causalkit.analyze(s, data=df, options={"segments": ["variant"]})
    with pytest.raises(CausalkitError, match="nosuch"):
        causalkit.analyze(s, data=df, options={"segments": ["nosuch"]})


def test_one_segment_one_arm_and_small_segments() -> None:
    df = frame(seed=9, n=2000)
    df["one"] = "all"
    # a segment with control only, and tiny segments pooled into "other"
    df.loc[df.country == "BR", "variant"] = "control"
    df["tiny"] = np.where(np.arange(len(df)) < 30, "t1",
                          np.where(np.arange(len(df)) < 60, "t2", "big"))
    rep = analyze_source(spec(segments=["one", "country", "tiny"]), Source.from_frame(df),
                         figures=False)
    checks = {c.name: c for c in rep.checks}
    assert "not tested" in checks["segment_heterogeneity:one"].detail
    assert "country BR" in checks["segment_family"].detail
    segs = {e.segment for e in rep.estimates if e.segment}
    assert "tiny=other" in segs
    assert "tiny=t1" not in segs
    assert "country=BR" not in segs
    assert checks["segment_sample_ratio:country"].status.value == "warn"


def test_too_many_segments_is_a_clean_error() -> None:
    df = frame(seed=1, n=3000)
    df["code"] = np.arange(len(df)) % 1500
    with pytest.raises(CausalkitError, match=r"'code'.*segments after pooling"):
        analyze_source(spec(segments={"by": ["code"], "min_size": 2}), Source.from_frame(df),
                       figures=False)


def test_simpsons_paradox_is_flagged() -> None:
    """The mix differs between arms: treatment is mostly in the low segment."""
    rng = np.random.default_rng(2)
    n = 8000
    arm = rng.choice(["control", "treatment"], n)
    low = np.where(arm == "treatment", rng.random(n) < 0.8, rng.random(n) < 0.2)
    y = np.where(low, 0.0, 5.0) + 0.3 * (arm == "treatment") + rng.normal(0, 1, n)
    df = pd.DataFrame({"user_id": range(n), "variant": arm, "tier": np.where(low, "low", "high"),
                       "y": y})
    rep = causalkit.analyze({"name": "s", "kind": "ab", "unit": "user_id", "segments": ["tier"],
                             "metrics": [{"name": "y", "type": "mean", "column": "y",
                                          "role": "primary", "direction": "increase"}]}, data=df)
    overall = rep.estimates[0]
    assert overall.estimate < 0
    checks = {c.name: c for c in rep.checks}
    assert checks["segment_mix:tier"].status.value == "warn"
    assert "Simpson" in checks["segment_mix:tier"].detail
    assert checks["segment_sample_ratio:tier"].status.value == "warn"
    assert all(e.estimate > 0 for e in rep.estimates if e.segment)
