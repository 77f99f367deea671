"""Analyse an A/B test held in a pandas DataFrame, without a spec file.

Run: python examples/ab/analyze_dataframe.py
"""

from __future__ import annotations

from causalkit.ab import analyze_source
from causalkit.data import Source
from causalkit.simulate.ab import simulate_ab
from causalkit.spec.ab import ABSpec

# 1. Data: one row per user (here simulated with a known effect of +0.5 chat minutes).
sim = simulate_ab(seed=1, n=20_000, effects={"treatment": {"chat_minutes": 0.5}})
frame = sim.tables["main"]

# 2. The experiment, written as the same model a YAML spec is parsed into.
spec = ABSpec.model_validate({
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
    "data": {"simulate": "ab"},
})

# 3. One scan of the frame (it is not copied or modified), then the report.
report = analyze_source(spec, Source.from_frame(frame), figures=False)
print(report.to_frame()[["metric", "method", "estimate", "ci_low", "ci_high", "p_value"]]
      .to_string(index=False))
for check in report.checks:
    print(f"{check.status.value:5} {check.name}: {check.detail}")
truth = sim.truth["effects"]["treatment"]["chat_minutes"]
chat = report.estimates[0]
print(f"true effect {truth}; 95% interval [{chat.ci_low:.3f}, {chat.ci_high:.3f}]")
