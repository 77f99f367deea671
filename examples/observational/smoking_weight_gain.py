"""Does quitting smoking cause weight gain? NHEFS, as in Hernán & Robins, *What If* (ch. 12-13).

Reads the NHEFS data shipped in the ``causaldata`` package, draws the diagram
(nine baseline confounders of quitting and weight change), and prints the
estimand, the IPW / standardization / AIPW estimates and the diagnostics.
Published: IPW 3.4 kg (95% CI 2.4 to 4.5); standardization 3.5 kg (2.6 to 4.5).

Needs the optional package ``causaldata`` (the data), which the plain install does not
bring: ``pip install -e '.[examples]'`` (or ``pip install causaldata``).

Run: python examples/observational/smoking_weight_gain.py
"""

from __future__ import annotations

import sys

import causalkit

NEEDS = ("this example needs the optional package causaldata (the NHEFS data): "
         "pip install -e '.[examples]' (or pip install causaldata)")

try:
    from causaldata import nhefs
except ImportError:
    sys.exit(NEEDS)

COVARIATES = ["sex", "race", "age", "education", "smokeintensity", "smokeyrs", "exercise",
              "active", "wt71"]

data = nhefs.load_pandas().data
data = data[data["wt82_71"].notna()]
spec = {
    "name": "nhefs-quit-smoking", "kind": "observational",
    "hypothesis": "Quitting smoking increases weight gain over 1971-82.",
    "graph": "digraph { {" + " ".join(COVARIATES) + "} -> {qsmk wt82_71}; qsmk -> wt82_71 }",
    "treatment": "qsmk", "outcome": "wt82_71",
    "terms": {"age": "quadratic", "smokeintensity": "quadratic", "smokeyrs": "quadratic",
              "wt71": "quadratic", "education": "categorical", "exercise": "categorical",
              "active": "categorical"},
    "outcome_interactions": ["smokeintensity"],
    "refuters": ["placebo", "random_common_cause", "sensitivity"], "implications": False,
}
report = causalkit.analyze(spec, data=data, seed=1)
print(report.meta.extra["estimand"])
for e in report.estimates:
    print(f"{e.label}: {e.estimate:.2f} kg  [{e.ci_low:.2f}, {e.ci_high:.2f}]")
for c in report.checks:
    print(f"{c.status.value:>5}  {c.name}: {c.detail[:110]}")
