"""A rollout gated every day: what the CI job in gate-rollout.yml sees, look by look.

Simulates an A/B test of the match filter (a true gain of 0.5 chat minutes per
user, no harm to the report rate), cuts a cumulative snapshot of the data at the
end of each day, and gates each snapshot with a state file through the Python
door ``causalkit.gate(spec, data, state=..., now=...)``: the same run as
``causalkit gate SPEC --data FILE --state FILE --now TIME`` in the daily
workflow, without the exit code. The group-sequential plan holds while the
evidence is thin, ships once the O'Brien-Fleming boundary is crossed, and stays
at ship afterwards (sticky). Run it from any folder; it writes only the state
file, into a temporary folder.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd

import causalkit
from causalkit.gate import EXIT_CODES
from causalkit.simulate.ab import simulate_ab

SPEC = """\
name: match-filter-v2
kind: ab
unit: user_id
start: 2026-11-01T00:00Z
metrics:
  - {name: chat_minutes, type: mean, column: chat_minutes, covariate: pre_chat_minutes,
     role: primary, direction: increase}
  - {name: report_rate, type: proportion, column: reported, role: guardrail,
     direction: decrease, margin: 0.01}
analysis: {alpha: 0.05, sequential: gst}
decision: {min_sample_per_arm: 500, min_runtime: 3d, horizon: 14d,
           horizon_sample_per_arm: 12000}
"""


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="causalkit-gate-"))
    sim = simulate_ab(seed=4, n=24_000, days=14, start="2026-11-01T00:00:00",
                      effects={"treatment": {"chat_minutes": 0.5}})
    users = sim.tables["main"]
    exposed = pd.to_datetime(users["exposed_at"])
    state = folder / "gate-state.json"
    print(f"{'day':>3}  {'units/arm':>9}  decision      exit  first reason")
    decided_on = None
    for day in range(1, 15):
        cut = pd.Timestamp("2026-11-01", tz="UTC") + pd.Timedelta(days=day)
        snapshot = users[exposed < cut.tz_localize(None)]
        result = causalkit.gate(SPEC, snapshot, state=state, now=cut.to_pydatetime())
        decision = result.decision
        print(f"{day:>3}  {result.look.n_per_arm:>9}  {decision.state.value:<12}  "
              f"{EXIT_CODES[decision.state]:>4}  {decision.reasons[0][:70]}")
        if decision.state in ("ship", "rollback", "inconclusive") and decided_on is None:
            decided_on = day
        if decided_on is not None and day >= decided_on + 2:
            break  # the decision is sticky: later looks repeat it
    looks = json.loads(state.read_text())["looks"]
    deciding = next(lk for lk in looks if lk["tested"] and lk["decision"] == "ship")
    print(f"\n{len(looks)} looks recorded in {state.name}; ship decided at look "
          f"{deciding['index']} (information {deciding['information_fraction']:.2f}, "
          f"boundary |z| >= {deciding['boundary_z']:.2f}, alpha spent "
          f"{deciding['spent_alpha']:.4f} of 0.05)")


if __name__ == "__main__":
    main()
