"""Analyse an A/B test held in a pandas DataFrame, without a spec file.

Run: python examples/ab/analyze_dataframe.py
"""

from __future__ import annotations

import causalkit
from causalkit.simulate.ab import simulate_ab

# 1. Data: one row per user (here simulated with a known effect of +0.5 chat minutes).
sim = simulate_ab(seed=1, n=20_000, effects={"treatment": {"chat_minutes": 0.5}})
frame = sim.tables["main"]

# 2. The experiment, written as the dict a YAML spec is parsed from (no `data:`: the
#    frame is passed to causalkit.analyze).
spec = {
    "name": "match-filter-v2",
    "kind": "ab",
    "unit": "user_id",
    "metrics": [
        {"name": "chat_minutes", "type": "mean", "column": "chat_minutes",
         "covariate": "pre_chat_minutes", "role": "primary", "direction": "increase"},
        {"name": "matches_per_session", "type": "ratio", "numerator": "matches",
         "denominator": "sessions", "direction": "increase"},
        {"name": "report_rate", "type": "proportion", "column": "reported",
         "role": "guardrail", "direction": "decrease", "margin": 0.005},
    ],
    "analysis": {"sequential": "msprt"},
    "decision": {"horizon_sample_per_arm": 10_000},
}

# 3. One scan of the frame (it is not copied or modified), then the report with the
#    decision the gate would take on these data.
report = causalkit.analyze(spec, data=frame)
for e in report.estimates:  # report.to_frame() gives the same as a DataFrame
    print(f"{e.label:50} {e.estimate:+.4f} [{e.ci_low:+.4f}, {e.ci_high:+.4f}] "
          f"p = {e.p_value:.3g}  {e.assessment}")
for check in report.checks:
    print(f"{check.status.value:5} {check.name}: {check.detail}")
assert report.decision is not None
print(f"decision: {report.decision.state.value}")
for reason in report.decision.reasons:
    print(f"  - {reason}")
truth = sim.truth["effects"]["treatment"]["chat_minutes"]
chat = report.estimates[0]
print(f"true effect {truth}; 95% always-valid interval [{chat.ci_low:.3f}, {chat.ci_high:.3f}]")
