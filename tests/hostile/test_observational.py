"""Hostile data and graphs for ``kind: observational``: a report or a CausalkitError, nothing else.

Classes of issue 12 covered here: tracebacks on collinear covariates, extreme values and
degenerate columns (7), a DOT graph with a cycle passing ``validate`` (9), and issue 13.7
(a treatment coded {3, 5}, a constant outcome). The promise: ``causalkit.analyze(spec,
data=df)`` returns a :class:`~causalkit.report.Report` or raises a
:class:`~causalkit.errors.CausalkitError` whose message names a column; never another
exception. A constant outcome gives a ``fail`` check and no p-value.

Generated cases (default run): 40 mutated data frames (extreme and non-finite values,
constant columns, collinear covariates, non-0/1 and single-valued treatments, NaN,
tiny arms) over backdoor, front-door and IV graphs, and 40 random graph texts (random
DOT, random unicode names, a cycle planted in a random DAG) through the kind's
``validate`` hook. The slow part runs 300 frames with refuters on.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import causalkit
from causalkit import registry
from causalkit.errors import CausalkitError, DataError, SpecError
from causalkit.report.model import Report, Status
from causalkit.spec.loader import load_spec_text
from tests.hostile.conftest import assert_clean_error, assert_no_traceback, cli

GRAPHS = {
    "backdoor": ("digraph { z -> t -> y; z -> y; w -> t; w -> y }", ["z", "w", "t", "y"]),
    "frontdoor": ("digraph { t -> z -> y; t <-> y; w -> y }", ["z", "w", "t", "y"]),
    "iv": ("digraph { z -> t -> y; t <-> y; w -> {t y} }", ["z", "w", "t", "y"]),
}

EXTREMES = [0.0, -0.0, 1.0, -1.0, 3.0, 5e-324, 1e-310, 1e-300, 1e-150, 1e-20, 1e13, 1e15,
            1e100, 1e150, 1e300, 1.7976931348623157e308, -1e300, np.inf, -np.inf, np.nan]

MUTATIONS = ("constant", "scale", "nan", "inf", "outlier", "collinear", "two_values",
             "three_values", "single_value", "tiny_arm", "bool", "text", "int_extreme")


def _base(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    w = rng.normal(size=n)
    t = (rng.random(n) < 1 / (1 + np.exp(-(z + w)))).astype(int)
    return pd.DataFrame({"z": z, "w": w, "t": t, "y": 2 * t + z - w + rng.normal(size=n)})


@st.composite
def mutation(draw: st.DrawFn) -> tuple[str, str, Any, Any]:
    kind = draw(st.sampled_from(MUTATIONS))
    column = draw(st.sampled_from(["z", "w", "t", "y"]))
    value = draw(st.sampled_from(EXTREMES) | st.floats(allow_nan=True, allow_infinity=True))
    other = draw(st.sampled_from(EXTREMES) | st.integers(-10, 10))
    return kind, column, value, other


def _apply(df: pd.DataFrame, mut: tuple[str, str, Any, Any], rng: np.random.Generator) -> None:
    kind, col, value, other = mut
    n = len(df)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if kind == "constant":
            df[col] = value
        elif kind == "scale":
            df[col] = df[col].astype(float) * value
        elif kind == "nan":
            df[col] = df[col].astype(float)
            df.loc[int(rng.integers(n)), col] = np.nan
        elif kind == "inf":
            df[col] = df[col].astype(float)
            df.loc[int(rng.integers(n)), col] = value if np.isinf(value) else np.inf
        elif kind == "outlier":
            df[col] = df[col].astype(float)
            df.loc[int(rng.integers(n)), col] = value
        elif kind == "collinear":
            src = "w" if col != "w" else "z"
            df[col] = df[src].astype(float) * (value if np.isfinite(value) else 2.0) + 1.0
        elif kind == "two_values":
            a, b = float(value), float(other)
            df["t"] = np.where(df["t"].to_numpy() == 1, b, a)
        elif kind == "three_values":
            df["t"] = df["t"].astype(float) + (np.arange(n) % 3 == 0) * 1.0
        elif kind == "single_value":
            df["t"] = 1
        elif kind == "tiny_arm":
            df["t"] = (np.arange(n) < int(rng.integers(0, 4))).astype(int)
        elif kind == "bool":
            df[col] = df[col].astype(float) > 0
        elif kind == "text":
            df[col] = df[col].astype(str)
        elif kind == "int_extreme":
            df[col] = np.int64(2**62) * (np.arange(n) % 2)


def _check_outcome(df: pd.DataFrame, spec: dict[str, Any]) -> None:
    failure: CausalkitError | None = None
    rep: Report | None = None
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            rep = causalkit.analyze(spec, data=df, seed=1)
    except CausalkitError as exc:
        failure = exc
    if failure is not None:
        text = str(failure)
        assert text
        assert "Traceback" not in text
        if isinstance(failure, DataError):  # a data problem names where it is
            assert failure.column is not None or failure.source is not None, text
        return
    assert isinstance(rep, Report)
    flat = [c for c in rep.checks if c.name == "outcome_variance"]
    if flat:
        assert flat[0].status is Status.FAIL
        assert rep.estimates == ()
    for e in rep.estimates:  # a number shown is a number, or honestly absent
        assert np.isfinite(e.estimate), e
        assert e.p_value is None or 0 <= e.p_value <= 1, e
        assert e.n is None or e.n >= 0


def _spec(graph: str, **kw: Any) -> dict[str, Any]:
    return {"name": "hostile", "kind": "observational", "graph": graph, "treatment": "t",
            "outcome": "y", "refuters": [], "implications": False, **kw}


FRAMES = st.tuples(
    st.sampled_from(sorted(GRAPHS)), st.integers(5, 250), st.integers(0, 2**31 - 1),
    st.lists(mutation(), min_size=1, max_size=3), st.sampled_from(["ate", "att"]),
    st.booleans())


def _run_frame(case: tuple[str, int, int, list[Any], str, bool], *, refuters: bool) -> None:
    graph_name, n, seed, muts, estimand, implications = case
    df = _base(n, seed)
    rng = np.random.default_rng(seed)
    for m in muts:
        _apply(df, m, rng)
    extra: dict[str, Any] = {"estimand": estimand, "implications": implications}
    if refuters:
        extra.update(refuters=["placebo", "random_common_cause", "subset", "dummy_outcome",
                               "sensitivity"], simulations=5)
    _check_outcome(df, _spec(GRAPHS[graph_name][0], **extra))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FRAMES)
def test_hostile_frames_give_a_report_or_a_causalkit_error(case):
    _run_frame(case, refuters=False)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FRAMES)
def test_hostile_frames_with_refuters(case):
    _run_frame(case, refuters=True)


@pytest.mark.parametrize(("mutate", "words"), [
    (lambda d: d.assign(t=np.where(d["t"] == 1, 5, 3)), ("column 't'", "{3, 5}")),
    (lambda d: d.assign(w=3 * d["z"] - 1), ("z, w are collinear",)),
    (lambda d: d.assign(z=d["z"].where(d.index != 4, np.inf)), ("column 'z'", "infinite")),
    (lambda d: d.assign(y=d["y"] * 1e300), ("column 'y'", "too large")),
])
def test_audit_examples_are_clean_errors(mutate, words):
    df = mutate(_base(400, 3))
    with pytest.raises(DataError) as info:
        causalkit.analyze(_spec(GRAPHS["backdoor"][0]), data=df)
    for word in words:
        assert word in str(info.value)


def test_constant_outcome_is_a_fail_check_not_a_tiny_p_value():
    """The audit: a constant outcome gave p = 2e-39 for an effect of 3e-15."""
    rep = causalkit.analyze(_spec(GRAPHS["backdoor"][0], refuters=["placebo", "sensitivity"]),
                            data=_base(400, 3).assign(y=3.0))
    assert rep.estimates == ()
    (check,) = [c for c in rep.checks if c.name == "outcome_variance"]
    assert check.status is Status.FAIL


# -- graphs at validate ----------------------------------------------------------------------

NAMES = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
                min_size=1, max_size=8)


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def graph_text(draw: st.DrawFn) -> tuple[str, str, str, bool]:
    """(DOT text, treatment, outcome, planted cycle?)."""
    kind = draw(st.sampled_from(["random_text", "dag", "dag_with_cycle"]))
    if kind == "random_text":
        text = draw(st.text(max_size=80))
        return text, "t", "y", False
    names = draw(st.lists(NAMES, min_size=3, max_size=7, unique=True))
    k = len(names)
    edges = [(i, j) for i in range(k) for j in range(i + 1, k) if draw(st.booleans())]
    edges.append((0, k - 1))
    if kind == "dag_with_cycle":  # 0 -> 1 -> ... -> k-1 -> 0
        edges += [(i, i + 1) for i in range(k - 1)] + [(k - 1, 0)]
    body = "; ".join(f"{_quoted(names[i])} -> {_quoted(names[j])}" for i, j in edges)
    return f"digraph {{ {body} }}", names[0], names[-1], kind == "dag_with_cycle"


def _yaml_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # JSON strings are YAML double-quoted scalars


def _validate_text(graph: str, treatment: str, outcome: str) -> bool:
    """Validate the spec; False when the loader refused the text itself (control characters)."""
    text = (f"name: g\nkind: observational\ngraph: {_yaml_text(graph)}\n"
            f"treatment: {_yaml_text(treatment)}\noutcome: {_yaml_text(outcome)}\n")
    try:
        loaded = load_spec_text(text, file="g.yaml")
    except SpecError:
        return False
    hook = registry.shape("observational").validate
    assert hook is not None
    hook(loaded)
    return True


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph_text())
def test_random_graphs_validate_or_name_the_field(case):
    graph, treatment, outcome, cycle = case
    failure: SpecError | None = None
    loaded = False
    try:
        loaded = _validate_text(graph, treatment, outcome)
    except SpecError as exc:
        failure = exc
    if failure is None:
        assert not (cycle and loaded), graph
        return
    assert failure.line is not None, str(failure)
    assert failure.field is not None, str(failure)
    if cycle:
        assert failure.field == "graph"
        assert "cycle" in failure.message or "self-loop" in failure.message


# -- the CLI -----------------------------------------------------------------------------------


def test_cli_run_on_hostile_csv_is_a_clean_error(work: Path):
    spec = work / "obs.yaml"
    spec.write_text("name: obs\nkind: observational\n"
                    f"graph: '{GRAPHS['backdoor'][0]}'\ntreatment: t\noutcome: y\n"
                    "refuters: []\nimplications: false\n")
    data = work / "d.csv"
    _base(300, 1).assign(t=lambda d: np.where(d["t"] == 1, 5, 3)).to_csv(data, index=False)
    ran = cli("run", spec, "--data", data, cwd=work)
    assert_clean_error(ran, "column 't'", "{3, 5}")
    _base(300, 1).assign(y=7.0).to_csv(data, index=False)
    ran = cli("run", spec, "--data", data, "--format", "json", cwd=work)
    assert_no_traceback(ran)
    assert ran.code == 0, str(ran)
    report = json.loads(ran.stdout)
    assert report["estimates"] == []
    assert any(c["name"] == "outcome_variance" and c["status"] == "fail"
               for c in report["checks"])


def test_cli_validate_catches_a_cycle(work: Path):
    """`causalkit validate` runs the kind's own check: a cycle is caught with file:line."""
    spec = work / "cyc.yaml"
    spec.write_text("name: cyc\nkind: observational\ntreatment: t\noutcome: y\n"
                    "graph: |\n  digraph {\n    t -> y;\n    y -> z -> t;\n  }\n")
    assert_clean_error(cli("validate", spec, cwd=work), f"{spec}:5:8: graph:", "cycle")
