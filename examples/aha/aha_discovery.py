"""Find the Aha moment in a simulated event log and check whether it causes retention.

Run: python examples/aha/aha_discovery.py

The simulator plants one action that causes retention (add_friend, at least 3
times in the first 7 days) and one that is only correlated with it through the
users' intent (like_post). The search finds both; the causal check tells them
apart.
"""

from __future__ import annotations

from causalkit.aha import discover
from causalkit.aha.report import build_report
from causalkit.data import Source
from causalkit.simulate.event_log import simulate_event_log
from causalkit.spec.aha import AhaSpec


def main(n_users: int = 20_000) -> None:
    """Simulate, search, re-check and causally check; print what an analyst reads."""
    sim = simulate_event_log(seed=3, n_users=n_users)
    events = Source.from_frame(sim.tables["events"], name="events")
    users = Source.from_frame(sim.tables["users"], name="users")
    spec = AhaSpec(
        name="aha-example", kind="aha", data={"simulate": "event_log"},
        covariates=["age", "ios", "paid", "referred"],
        windows=[1, 3, 7, 14], thresholds=[1, 2, 3, 5, 10],
        actions={"exclude": ["app_open"]}, check={"top": 2, "simulations": 10}, heatmaps=2,
    )
    result = discover(spec, events, users, seed=3)

    print(f"{result.summary.eligible_users} eligible users "
          f"({result.summary.not_observed} excluded: retention window not yet observed)")
    print("\nTop conditions by phi (discovery users):")
    top = result.to_frame().head(5)
    print(top[["action", "window_days", "threshold", "precision", "recall", "lift", "phi",
               "q_value"]].to_string(index=False))
    print(f"\nWinner: {result.winner.label if result.winner else 'none'}")
    print("\nCausal check on holdout users (truth: "
          f"{sim.truth['causal_action']} causes +{sim.truth['ate']:.3f}, "
          f"{sim.truth['correlated_action']} causes nothing):")
    for c in result.causal:
        verdict = "fragile / no effect" if c.fragile or c.ci_low <= 0 else "robust effect"
        print(f"  {c.key.label:24s} raw {c.raw_difference:+.3f}  adjusted {c.effect:+.3f} "
              f"[{c.ci_low:+.3f}, {c.ci_high:+.3f}]  E-value {c.e_value_ci:.2f}  -> {verdict}")
    report = build_report(result, spec)
    print(f"\nReport: {len(report.tables)} tables, {len(report.figures)} figures, "
          f"{len(report.checks)} checks")


if __name__ == "__main__":
    main()
