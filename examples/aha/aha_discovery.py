"""Find the Aha moment in a simulated event log and check whether it causes retention.

Run: python examples/aha/aha_discovery.py

The simulator plants one action that causes retention (add_friend, at least 3
times in the first 7 days) and one that is only correlated with it through the
users' intent (like_post). The search finds both; the causal check tells them
apart. The two tables go through the one door, ``causalkit.analyze(spec,
data=(events, users))``, as your own event log and users table would.
"""

from __future__ import annotations

import pandas as pd

import causalkit
from causalkit.simulate.event_log import simulate_event_log

SPEC = {  # no data: key, the tables are passed
    "name": "aha-example", "kind": "aha",
    "covariates": ["age", "ios", "paid", "referred"],
    "windows": [1, 3, 7, 14], "thresholds": [1, 2, 3, 5, 10],
    "actions": {"exclude": ["app_open"]}, "check": {"top": 2, "simulations": 10},
    "heatmaps": 2,
}


def main(n_users: int = 20_000) -> None:
    """Simulate, search, re-check and causally check; print what an analyst reads."""
    sim = simulate_event_log(seed=3, n_users=n_users)
    events, users = sim.tables["events"], sim.tables["users"]
    report = causalkit.analyze(SPEC, data=(events, users), seed=3)
    tables = {t.name: pd.DataFrame(list(t.rows), columns=list(t.columns))
              for t in report.tables}

    counts = dict(zip(tables["aha_users"]["what"], tables["aha_users"]["count"], strict=True))
    print(f"{counts['eligible users']} eligible users "
          f"({counts['excluded: retention window not fully observed']} excluded: retention "
          "window not yet observed)")
    print("\nTop conditions by phi (discovery users):")
    print(tables["aha_conditions"].head(5)[
        ["action", "window_days", "threshold", "precision", "recall", "lift", "phi",
         "q_value"]].to_string(index=False))
    print(f"\nWinner: {report.meta.extra['winner'] or 'none'}")
    print("\nCausal check on holdout users (truth: "
          f"{sim.truth['causal_action']} causes +{sim.truth['ate']:.3f}, "
          f"{sim.truth['correlated_action']} causes nothing):")
    for c in tables["aha_causal"].to_dict("records"):
        k = c["robust_k"]
        strength = (f" (robust to {k:.1f}x {c['benchmark']})"
                    if c["verdict"] == "robust_to_benchmark" else "")
        print(f"  {c['condition']:24s} raw {c['raw_difference']:+.3f}  adjusted "
              f"{c['effect']:+.3f} [{c['ci_low']:+.3f}, {c['ci_high']:+.3f}]  "
              f"E-value {c['e_value_ci']:.2f}  -> {c['verdict']}{strength}")
    print("Only a randomized test settles whether reaching a condition causes retention.")
    print("\nEstimates (association, then each causal estimator):")
    for e in report.estimates:
        print(f"  {e.label:72s} {e.estimate:+.3f} [{e.ci_low:+.3f}, {e.ci_high:+.3f}]")
    print(f"\nReport: {len(report.tables)} tables, {len(report.figures)} figures, "
          f"{len(report.checks)} checks")


if __name__ == "__main__":
    main()
