"""Calibration of the segment analysis (issue 15), on sufficient statistics.

Each simulated experiment draws, per arm and segment, the exact sufficient statistics of
normal data (mean ~ N(mu, 1/n), sum of squares ~ chi2(n - 1)) for three independent
metrics, and runs :func:`causalkit.ab.segments.segment_analysis` on those cells, as the
analysis does on the grouped scan. Tolerances are binomial standard errors.

* A/A, 10 segments x 3 metrics, 1,000 experiments: the share with any segment discovery
  is within the band of the family guarantee (BH: FDR = FWER = alpha under the global
  null for independent tests; Holm: 1 - (1 - alpha/m)^m); Cochran's Q's size is alpha.
* A planted effect in one segment of ten (docs/segments.md states the power for this
  size): it is discovered, and the heterogeneity test rejects, at the stated power.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from causalkit.ab.segments import segment_analysis
from causalkit.data import Moments
from causalkit.spec.common import Metric

pytestmark = pytest.mark.slow

COLS = ("a", "b", "c")
METRICS = [Metric(name=c, type="mean", column=c) for c in COLS]
SEGMENTS = 10
N_CELL = 500  # units per arm and segment
ALPHA = 0.05
EXPERIMENTS = 1000


def cells(rng: np.random.Generator, effect: float = 0.0) -> dict[tuple[str, str], Moments]:
    out = {}
    k = len(COLS)
    for s in range(SEGMENTS):
        for arm in ("control", "treatment"):
            mu = np.zeros(k)
            if arm == "treatment" and s == 0:
                mu[0] = effect
            mean = rng.normal(mu, 1 / math.sqrt(N_CELL))
            ss = rng.chisquare(N_CELL - 1, k)
            out[(arm, f"s{s:02d}")] = Moments(COLS, N_CELL, mean, np.diag(ss))
    return out


def run(correction: str, effect: float = 0.0, seed: int = 0, reps: int = EXPERIMENTS
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per experiment: any discovery; Q p-values (3 metrics); planted segment discovered."""
    rng = np.random.default_rng(seed)
    anyhit, qp, planted = np.zeros(reps, bool), np.zeros((reps, 3)), np.zeros(reps, bool)
    for i in range(reps):
        res = segment_analysis(METRICS, cells(rng, effect), ("seg",), control="control",
                               arms=("treatment",), weights=(1, 1), alpha=ALPHA,
                               correction=correction, min_size=2)
        hits = [e for e in res.estimates if e.p_value <= ALPHA]
        anyhit[i] = bool(hits)
        planted[i] = any(e.metric == "a" and e.segment == "seg=s00" for e in hits)
        het = res.tables[0].rows
        qp[i] = [r[6] for r in het]
    return anyhit, qp, planted


def band(p: float, n: int) -> float:
    return 3 * math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("correction", ["bh", "holm"])
def test_aa_family_error_and_heterogeneity_size(correction: str) -> None:
    anyhit, qp, _ = run(correction, seed=1 if correction == "bh" else 2)
    m = SEGMENTS * len(COLS)
    target = ALPHA if correction == "bh" else 1 - (1 - ALPHA / m) ** m
    share = anyhit.mean()
    assert abs(share - target) <= band(target, EXPERIMENTS), (share, target)
    size = (qp < ALPHA).mean()
    assert abs(size - ALPHA) <= band(ALPHA, qp.size), size


def planted_power(effect: float) -> tuple[float, float]:
    """(discovery power lower bound: Bonferroni at alpha/m; Cochran's Q power, noncentral)."""
    m = SEGMENTS * len(COLS)
    se = math.sqrt(2 / N_CELL)
    z = stats.norm.ppf(1 - ALPHA / (2 * m))
    found = stats.norm.sf(z - effect / se) + stats.norm.cdf(-z - effect / se)
    theta = np.zeros(SEGMENTS)
    theta[0] = effect
    lam = float(np.sum((theta - theta.mean()) ** 2) / se**2)
    df = SEGMENTS - 1
    q = stats.ncx2.sf(stats.chi2.isf(ALPHA, df), df, lam)
    return float(found), float(q)


def test_planted_effect_is_found_at_the_documented_power() -> None:
    effect = 0.3  # docs/segments.md: 0.3 sd in 1 of 10 segments of 500 units per arm
    found_p, q_p = planted_power(effect)
    assert found_p == pytest.approx(0.945, abs=0.001)
    assert q_p == pytest.approx(0.907, abs=0.001)
    reps = 300
    _, qp, planted = run("bh", effect=effect, seed=3, reps=reps)
    assert planted.mean() >= found_p - band(found_p, reps)
    assert (qp[:, 0] < ALPHA).mean() >= q_p - band(q_p, reps)
    # the other two metrics carry no effect: their Q keeps its size
    assert (qp[:, 1:] < ALPHA).mean() <= ALPHA + band(ALPHA, 2 * reps)
