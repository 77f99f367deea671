"""Plan, serve and read a switch-back test of a new matching rule.

Run: python examples/switchback/plan_and_analyze.py

1. Draw the schedule of designs/switchback_matching_algo.yaml and export it.
2. Look up arms in real time (one call per matching decision) and for a log.
3. Analyse the simulated market (``causalkit.analyze``, the one Python door) and
   compare with the ground truth; read each metric's assessment and the decision.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

import causalkit
from causalkit.switchback import schedule_of

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "designs" / "switchback_matching_algo.yaml"


def main() -> None:
    loaded = causalkit.load_spec(SPEC)
    schedule = schedule_of(loaded.spec)
    print(f"schedule {schedule.sha256[:12]}: {len(schedule.regions)} regions x "
          f"{schedule.n_periods} periods, randomization points {schedule.randomization_points[:5]}...")
    out = Path(tempfile.mkdtemp()) / "schedule.parquet"
    schedule.write(out)
    print(f"wrote {out}")

    # real-time lookup: what does Seoul get right now (in the experiment window)?
    now = datetime(2026, 12, 2, 21, 5, tzinfo=UTC)
    print("KR at", now.isoformat(), "->", schedule.arm("KR", now))
    print("DE (not in the test) ->", schedule.arm("DE", now))
    # a log of a million events, looked up at once
    rng = np.random.default_rng(0)
    ts = schedule.start_ns // 10**9 + rng.integers(0, 5 * 86400, 1_000_000)
    regions = np.array(schedule.regions)[rng.integers(0, 5, 1_000_000)]
    codes = schedule.arm_codes(regions, ts)
    print(f"treated share of 1,000,000 logged events: {np.mean(codes == 1):.3f}")

    # the entry simulates the market on this schedule, analyses it and decides
    report = causalkit.analyze(SPEC)
    for est in report.estimates:
        print(f"{est.metric:>22}: {est.estimate:+.4f} [{est.ci_low:+.4f}, {est.ci_high:+.4f}]"
              f" p={est.p_value:.2g} (randomization p={est.extra['randomization_p']:.2g});"
              f" {est.role.value} {est.assessment.value} on the {est.interval_kind.value}"
              f" interval [{est.decision_ci_low:+.4f}, {est.decision_ci_high:+.4f}]")
    truth = next(t for t in report.tables if t.name == "simulation_truth")
    for row in truth.rows:
        print(f"{row[0]:>22}: ground truth {row[1]:+.4f}, covered: {row[5]}")
    for check in report.checks:
        print(f"[{check.status.value}] {check.name}: {check.detail}")
    if report.decision is not None:
        print(f"decision: {report.decision.state.value}")
        for reason in report.decision.reasons:
            print(f"  - {reason}")


if __name__ == "__main__":
    main()
