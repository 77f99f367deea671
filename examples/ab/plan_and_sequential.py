"""Plan a test from pre-period data, then look at it every day safely.

Run: python examples/ab/plan_and_sequential.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from causalkit.ab.power import plan
from causalkit.data import Source
from causalkit.registry import RunContext
from causalkit.simulate.ab import simulate_ab
from causalkit.spec import load_spec_file
from causalkit.stats.effects import welch_test
from causalkit.stats.sequential import gst_boundaries, msprt, msprt_tau2

design = Path(__file__).resolve().parents[2] / "designs" / "ab_match_filter.yaml"
loaded = load_spec_file(design)

# 1. Sample size, MDE and duration from last month's data (CUPED included).
with tempfile.TemporaryDirectory() as tmp:
    pre = Path(tmp) / "pre.parquet"
    simulate_ab(seed=2, n=30_000).tables["main"].to_parquet(pre)
    # `causalkit power SPEC --data PRE` passes the file as the spec's pre-period data
    report = plan(loaded, RunContext(sources={"pre_data": {"main": Source.from_path(pre)}}))
table = report.tables[0]
for row in table.rows:
    r = dict(zip(table.columns, row))
    print(f"{r['metric']:20} n/arm {r['units per arm']:>9,}  days {r['days']:7.1f}  "
          f"CUPED -{r['cuped variance reduction']:.0%} variance")

# 2. Planned looks: Lan-DeMets O'Brien-Fleming boundaries for 5 equally spaced looks.
print("GST z boundaries:", np.round(gst_boundaries([0.2, 0.4, 0.6, 0.8, 1.0], 0.05), 3))

# 3. Unplanned daily looks: the always-valid p-value stays valid at every look.
rng = np.random.default_rng(3)
yc, yt = rng.exponential(2.0, (14, 500)), rng.exponential(2.0, (14, 500)) + 0.15
for day in (1, 7, 14):
    c, t = yc[:day].ravel(), yt[:day].ravel()
    fixed = welch_test(c.mean(), c.var(ddof=1), c.size, t.mean(), t.var(ddof=1), t.size)
    tau2 = msprt_tau2((c.var(ddof=1) + t.var(ddof=1)) / 5000)
    av = msprt(fixed.estimate, fixed.se**2, tau2)
    print(f"day {day:2}: estimate {float(fixed.estimate):.3f}, fixed p {float(fixed.p_value):.4f},"
          f" always-valid p {float(av.p_value):.4f}, CS [{float(av.ci_low):.3f}, "
          f"{float(av.ci_high):.3f}]")
