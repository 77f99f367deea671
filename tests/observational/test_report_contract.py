"""The observational report speaks the v2 contract, and the one Python door equals the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import yaml

import causalkit
from causalkit.errors import DataError
from causalkit.observational import build_graph, to_dot
from causalkit.report.model import Report
from causalkit.simulate.scm import DEFAULT_GRAPH, simulate_scm
from causalkit.spec.common import Role

ROOT = Path(__file__).resolve().parents[2]
DESIGN = ROOT / "designs" / "observational_scm.yaml"
VERDICT_KEYS = {"better", "worse", "significant", "noninferior", "non_inferior", "ci_kind",
                "gate_verdict", "margin", "treatment_level", "control_level", "mean_treated",
                "mean_control"}


def _spec(**kw: object) -> dict[str, object]:
    """A spec with no ``data:`` key: the data are passed."""
    return {"name": "contract", "kind": "observational", "graph": DEFAULT_GRAPH,
            "treatment": "treatment", "outcome": "outcome", **kw}


@pytest.fixture(scope="module")
def design_report() -> Report:
    return causalkit.analyze(DESIGN)


def test_labels_are_unique_in_the_design_report(design_report: Report) -> None:
    labels = [e.label for e in design_report.estimates]
    assert len(labels) == 3
    assert len(set(labels)) == len(labels), labels
    assert labels[0] == "outcome: treatment=1 - treatment=0 (aipw)"


def test_design_report_fields(design_report: Report) -> None:
    truth = design_report.meta.extra["truth_ate"]
    assert truth == 1.0
    assert design_report.decision is None
    assert design_report.decision_basis is None
    roles = [e.role for e in design_report.estimates]
    assert roles == [Role.PRIMARY, Role.SECONDARY, Role.SECONDARY]
    for e in design_report.estimates:
        assert (e.arm, e.reference, e.contrast) == (
            "treatment=1", "treatment=0", "treatment=1 - treatment=0")
        assert "−" not in e.contrast
        assert e.n_unit == "rows"
        assert e.n is not None
        assert e.n_reference is not None
        assert e.n + e.n_reference == 20000
        assert e.direction is None
        assert e.alpha == 0.05
        assert e.se is not None
        assert e.se > 0
        assert e.level is not None
        assert e.level_reference is not None
        assert e.level - e.level_reference == pytest.approx(e.estimate, abs=1e-9)
        assert e.assessment.value == "significant"
        assert not VERDICT_KEYS & set(e.extra), e.extra
    assert Report.from_json(design_report.to_json()) == design_report


def test_continuous_treatment_compares_one_more_unit() -> None:
    sim = simulate_scm(seed=6, n=3000, continuous_treatment=True, effect=0.3)
    rep = causalkit.analyze(_spec(refuters=[], implications=False), data=sim.tables["main"])
    e = rep.estimates[0]
    assert e.method == "plm"
    assert (e.arm, e.reference) == ("treatment+1", "treatment")
    assert (e.n, e.n_reference, e.n_unit) == (3000, None, "rows")
    assert e.level is None
    assert e.level_reference is None
    assert len({x.label for x in rep.estimates}) == len(rep.estimates)


def test_att_levels_describe_the_treated() -> None:
    sim = simulate_scm(seed=4, n=4000)
    df = sim.tables["main"]
    rep = causalkit.analyze(_spec(estimand="att", refuters=[], implications=False), data=df)
    treated_mean = float(df.loc[df["treatment"] == 1, "outcome"].mean())
    for e in rep.estimates:
        assert e.extra["estimand"] == "att"
        assert e.level is not None
        assert e.level_reference is not None
        assert e.level - e.level_reference == pytest.approx(e.estimate, abs=1e-9)
        if e.method in ("aipw", "regression"):  # both average over the treated rows
            assert e.level == pytest.approx(treated_mean, rel=1e-9)
        assert e.n == int(df["treatment"].sum())


def test_binary_instrument_counts_the_arms() -> None:
    rng = np.random.default_rng(3)
    n = 4000
    z = rng.normal(size=n)
    u = rng.normal(size=n)
    t = (z + u + rng.normal(size=n) > -0.5).astype(int)  # most rows treated
    df = pd.DataFrame({"z": z, "t": t, "y": 1.5 * t - u + rng.normal(size=n)})
    rep = causalkit.analyze({"name": "iv", "kind": "observational",
                             "graph": "digraph { z -> t -> y; t <-> y }", "treatment": "t",
                             "outcome": "y", "refuters": [], "implications": False}, data=df)
    e = rep.estimates[0]
    assert e.method == "iv_2sls"
    assert (e.arm, e.reference) == ("t=1", "t=0")
    assert (e.n, e.n_reference) == (int(t.sum()), n - int(t.sum()))


def test_analyze_on_a_frame_equals_the_cli_on_parquet(tmp_path: Path) -> None:
    sim = simulate_scm(seed=11, n=3000)
    df = sim.tables["main"]
    spec = _spec(refuters=["placebo", "subset", "sensitivity"], simulations=20,
                 estimators=["aipw", "ipw", "regression", "plm"])
    assert "data" not in spec
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    data = tmp_path / "rows.parquet"
    df.to_parquet(data, index=False)

    ours = causalkit.analyze(spec, data=df)
    from_file = causalkit.analyze(path, data=data)
    proc = subprocess.run(
        [sys.executable, "-m", "causalkit.cli", "run", str(path), "--data", str(data),
         "--format", "json", "--out", str(tmp_path / "report.json")],
        capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cli = Report.from_json((tmp_path / "report.json").read_text())
    for other in (from_file, cli):
        assert [e.label for e in other.estimates] == [e.label for e in ours.estimates]
        for a, b in zip(ours.estimates, other.estimates, strict=True):
            for name in ("estimate", "ci_low", "ci_high", "p_value", "se", "level",
                         "level_reference"):
                x, y = getattr(a, name), getattr(b, name)
                assert (x is None and y is None) or abs(x - y) <= 1e-12, (a.label, name, x, y)
            assert (a.n, a.n_reference, a.assessment) == (b.n, b.n_reference, b.assessment)
        assert [(c.name, c.status) for c in other.checks] == [(c.name, c.status)
                                                               for c in ours.checks]
    assert json.loads(cli.to_json())["schema_version"] == 2


def test_a_spec_without_data_and_no_data_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="no data"):
        causalkit.analyze(_spec())


def test_to_dot_round_trips_a_networkx_graph() -> None:
    g = nx.DiGraph([("z", "t"), ("t", "y"), ("z", "y"), ("age group", "t")])
    g.add_node("u", latent=True)
    g.add_edge("u", "z")
    g.add_edge("w", "y", bidirected=True)
    assert build_graph(to_dot(g)) == build_graph(g)
