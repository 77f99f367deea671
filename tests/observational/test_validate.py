"""Issue 12.9: graph errors are caught at `causalkit validate`, with the spec's file:line.

The observational kind registers a ``validate`` hook (``registry.shape("observational")
.validate``) that needs no data: the graph parses, is acyclic, has the treatment and the
outcome as observed nodes, identifies the effect; ``terms`` and ``outcome_interactions``
name nodes that exist. Each failure is a ``SpecError`` pointing at the field at fault
(and an ``IdentificationError``, as the analysis raises for the same graph).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from causalkit import registry
from causalkit.errors import IdentificationError, SpecError
from causalkit.observational.validate import GraphSpecError
from causalkit.spec.loader import load_spec_file

ROOT = Path(__file__).resolve().parents[2]

HEAD = "name: x\nkind: observational\n"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(HEAD + body)
    return path


def _validate(path: Path) -> None:
    hook = registry.shape("observational").validate
    assert hook is not None
    hook(load_spec_file(path))


def _error(tmp_path: Path, body: str) -> GraphSpecError:
    path = _write(tmp_path, body)
    with pytest.raises(GraphSpecError) as info:
        _validate(path)
    err = info.value
    assert isinstance(err, SpecError)
    assert isinstance(err, IdentificationError)
    assert err.file == str(path)
    where = f"{path}:{err.line}" + ("" if err.column is None else f":{err.column}")
    assert str(err).startswith(f"{where}: {err.field}: ")
    return err


def test_a_cycle_names_the_graph_line(tmp_path):
    err = _error(tmp_path, "graph: 'digraph { t -> y -> z -> t }'\ntreatment: t\noutcome: y\n")
    assert (err.line, err.column, err.field) == (3, 8, "graph")
    assert "cycle" in err.message
    assert "remove or reverse" in str(err)


def test_a_cycle_in_a_block_scalar_and_in_an_edge_list(tmp_path):
    err = _error(tmp_path, "treatment: t\noutcome: y\ngraph: |\n  digraph {\n    t -> y;\n"
                           "    y -> t;\n  }\n")
    assert (err.line, err.field) == (5, "graph")
    err = _error(tmp_path, "treatment: t\noutcome: y\ngraph:\n  - {from: t, to: y}\n"
                           "  - {from: y, to: z}\n  - {from: z, to: t}\n")
    assert (err.line, err.field) == (6, "graph")
    assert "cycle" in err.message


def test_a_self_loop_and_a_dot_syntax_error(tmp_path):
    err = _error(tmp_path, "graph: 'digraph { t -> t; t -> y }'\ntreatment: t\noutcome: y\n")
    assert err.field == "graph"
    assert "self-loop" in err.message
    err = _error(tmp_path, "graph: |\n  digraph {\n    t -> y;\n    y -> ;\n  }\n"
                           "treatment: t\noutcome: y\n")
    assert err.field == "graph"
    assert err.line == 3 + 3  # the block scalar starts on line 3; the DOT error is on its line 3
    assert err.column is None
    assert "graph line 3" in err.message  # the line inside the DOT text


def test_roles_point_at_their_own_field(tmp_path):
    err = _error(tmp_path, "graph: 'digraph { t -> y }'\ntreatment: tt\noutcome: y\n")
    assert (err.line, err.field) == (4, "treatment")
    assert "did you mean 't'" in str(err)
    err = _error(tmp_path, "graph: 'digraph { t -> y; y [latent=true] }'\ntreatment: t\n"
                           "outcome: y\n")
    assert (err.line, err.field) == (5, "outcome")
    assert "latent" in err.message


def test_not_identifiable_and_a_bad_adjustment_list(tmp_path):
    err = _error(tmp_path, "graph: 'digraph { t -> y; t <-> y }'\ntreatment: t\noutcome: y\n")
    assert err.field == "graph"
    assert "not identifiable" in err.message
    err = _error(tmp_path, "graph: 'digraph { z -> t -> y; z -> y; t -> m }'\ntreatment: t\n"
                           "outcome: y\nadjustment: [m]\n")
    assert (err.line, err.field) == (6, "adjustment")


def test_terms_and_interactions_name_known_nodes(tmp_path):
    graph = "graph: 'digraph { age -> t -> y; age -> y }'\ntreatment: t\noutcome: y\n"
    err = _error(tmp_path, graph + "terms: {agee: quadratic}\n")
    assert (err.line, err.field) == (6, "terms.agee")
    assert "did you mean 'age'" in str(err)
    err = _error(tmp_path, graph + "outcome_interactions: [age, y]\n")
    assert (err.line, err.field) == (6, "outcome_interactions[1]")
    assert "{age}" in str(err)


def test_valid_specs_pass(tmp_path):
    _validate(_write(tmp_path, "graph: |\n  digraph { z -> t -> y; z -> y; u -> t; u -> z;\n"
                               "            u [latent=true] }\ntreatment: t\noutcome: y\n"
                               "terms: {z: cubic}\noutcome_interactions: [z]\n"))
    _validate(ROOT / "designs" / "observational_scm.yaml")
    # identified by an instrument and by the front door: no adjustment set, still valid
    _validate(_write(tmp_path, "graph: 'digraph { w1 -> w2 -> t -> y; w1 <-> t; w1 <-> y }'\n"
                               "treatment: t\noutcome: y\noutcome_interactions: [w1]\n"))
    _validate(_write(tmp_path, "graph: 'digraph { t -> m -> y; t <-> y }'\ntreatment: t\n"
                               "outcome: y\n"))


def test_registry_validate_runs_the_hook_and_skips_kinds_without_one(tmp_path):
    path = _write(tmp_path, "graph: 'digraph { a -> b -> a }'\ntreatment: a\noutcome: b\n")
    with pytest.raises(SpecError, match=r"spec\.yaml:3:8: graph: the graph has a cycle"):
        registry.validate(load_spec_file(path))
    registry.validate(load_spec_file(ROOT / "designs" / "ab_match_filter.yaml"))
