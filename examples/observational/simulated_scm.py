"""The observational pipeline on simulated data with a known effect (true ATE = 1).

Builds the graph in networkx, turns it into the spec's DOT text with
``causalkit.observational.to_dot``, analyses a DataFrame with
``causalkit.analyze(spec, data=frame)`` and writes the report as HTML to the
temporary folder.

Run: python examples/observational/simulated_scm.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import networkx as nx

import causalkit
from causalkit.observational import to_dot
from causalkit.simulate.scm import simulate_scm

sim = simulate_scm(seed=3, n=20_000)
graph = nx.DiGraph([("age", "treatment"), ("age", "outcome"), ("income", "treatment"),
                    ("income", "outcome"), ("age", "income"), ("region", "income"),
                    ("region", "treatment"), ("activity", "treatment"), ("activity", "outcome"),
                    ("age", "activity"), ("prior_spend", "treatment"),
                    ("prior_spend", "outcome"), ("promo", "treatment"), ("season", "outcome"),
                    ("treatment", "outcome")])
spec = {"name": "simulated", "kind": "observational", "graph": to_dot(graph),
        "treatment": "treatment", "outcome": "outcome", "simulations": 50}
report = causalkit.analyze(spec, data=sim.tables["main"], seed=3)
print("true ATE:", sim.truth["ate"])
for e in report.estimates:
    print(f"{e.label}: {e.estimate:.3f} [{e.ci_low:.3f}, {e.ci_high:.3f}]")
try:
    from causalkit.report.render import render

    out = Path(tempfile.gettempdir()) / "causalkit_observational.html"
    out.write_text(render(report, "html"), encoding="utf-8")
    print("wrote", out)
except ImportError:  # the renderers ship separately
    pass
