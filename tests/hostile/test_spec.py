"""Hostile specs: every bad spec ends in a SpecError with file:line:column, fast.

Classes of issue 12 covered here (the spec layer): non-finite numbers (1), resource
exhaustion at load (3: billion laughs, FIFO, huge files, deep nesting, looks, grids),
tracebacks on control characters, binary files, negative seeds, dates out of range and
huge integers (7), and silent coercions (9: ``alpha: '0.05'``, ``check_duplicates: no``).

Generated cases: every number, whole-number, seed, timestamp and boolean field of every
kind is found by walking the models (so a new field is covered without editing this
file), and hypothesis mutates the designs in ``designs/`` (values replaced by random
unicode with quotes, backslashes and control characters, numeric extremes, deep
nesting, deleted and duplicated keys, raw text edits) through the Python loader and
through ``causalkit validate``.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import socket
import time
import types
import typing
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from causalkit.errors import SpecError
from causalkit.spec import load_spec_file, load_spec_text
from causalkit.spec.limits import MAX_NODES, MAX_SEED, MAX_SPEC_BYTES
from causalkit.spec.loader import parse_yaml
from causalkit.spec.models import SPEC_ADAPTER, SPEC_TYPES
from tests.hostile.conftest import DESIGNS, Ran, assert_clean_error, assert_no_traceback, cli

DESIGN_TEXTS = {p.name: p.read_text() for p in sorted(DESIGNS.glob("*.yaml"))}

BASE: dict[str, dict[str, Any]] = {
    "ab": {"name": "x", "kind": "ab", "unit": "user_id",
           "metrics": [{"name": "m", "type": "mean", "column": "m", "role": "primary",
                        "direction": "increase"}],
           "data": {"simulate": "ab"}},
    "switchback": {"name": "sb", "kind": "switchback", "regions": ["KR"],
                   "schedule": {"start": "2026-12-01T00:00Z", "end": "2026-12-15T00:00Z",
                                "period": "1h"},
                   "metrics": [{"name": "m", "type": "mean", "column": "m",
                                "role": "primary", "direction": "increase"}],
                   "data": {"simulate": "matching_market"}},
    "observational": {"name": "o", "kind": "observational", "graph": [{"from": "t", "to": "y"}],
                      "treatment": "t", "outcome": "y", "data": {"simulate": "scm"}},
    "aha": {"name": "a", "kind": "aha", "data": {"simulate": "event_log"},
            "check": {"conditions": [{"action": "a", "window": 7, "threshold": 1}]}},
}


# -- walking the models: every field of a scalar type, with a path to write it at ------------


def _scalar(annotation: Any) -> str | None:
    """'float', 'int', 'seed', 'bool', 'timestamp' or 'duration' for a scalar field type."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        if base is int and any(getattr(m, "le", None) == MAX_SEED for m in meta):
            return "seed"
        return _scalar(base)
    if origin in (typing.Union, types.UnionType):
        kinds = [k for a in typing.get_args(annotation) if (k := _scalar(a))]
        return kinds[0] if len(kinds) == 1 else None
    return {float: "float", int: "int", bool: "bool", datetime: "timestamp",
            timedelta: "duration"}.get(annotation)


def _models_in(annotation: Any) -> list[tuple[type[BaseModel], str]]:
    """(model, how it is held: 'one' | 'list') for the models a field holds."""
    out: list[tuple[type[BaseModel], str]] = []
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        out.append((annotation, "one"))
    elif origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        out.append((args[0], "list"))
    elif origin in (typing.Union, types.UnionType, typing.Annotated):
        for a in args:
            out.extend(_models_in(a))
    return out


def _fields(model: type[BaseModel], path: tuple[str | int, ...], seen: frozenset[type]
            ) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for name, field in model.model_fields.items():
        key = field.alias or name
        ann = field.annotation
        kind = _scalar(ann)
        if kind == "int" and any(getattr(m, "le", None) == MAX_SEED for m in field.metadata):
            kind = "seed"
        if kind:
            yield (*path, key), kind
            continue
        origin, args = typing.get_origin(ann), typing.get_args(ann)
        if origin is dict and len(args) == 2 and _scalar(args[1]):
            yield (*path, key, "treatment"), _scalar(args[1]) or ""
            continue
        for sub, how in _models_in(ann):
            if sub in seen:
                continue
            yield from _fields(sub, (*path, key, 0) if how == "list" else (*path, key),
                               seen | {sub})


FIELDS = sorted({(kind, path, what) for kind, model in SPEC_TYPES.items()
                 for path, what in _fields(model, (), frozenset())}, key=str)


REQUIRED: dict[tuple[str | int, ...], dict[str, Any]] = {
    ("segments",): {"by": ["country"]},
    ("targeting", "rollout"): {"by": "country", "shares": {"KR": 0.5}},
    ("proposal", "guardrails", 0): {"name": "g", "type": "mean", "column": "g",
                                    "direction": "increase"},
}
"""Required fields of nested sections, filled in when a path creates the section (so the
error is about the field under test, not about a missing sibling)."""


def _with(kind: str, path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """The base spec of ``kind`` with ``value`` written at ``path`` (lists get an item)."""
    spec = copy.deepcopy(BASE[kind])
    node: Any = spec
    for i, part in enumerate(path[:-1]):
        nxt = path[i + 1]
        if isinstance(node, list):
            while len(node) <= int(part):
                node.append(copy.deepcopy(REQUIRED.get(path[:i + 1], {})))
            node = node[int(part)]
            continue
        if part not in node or not isinstance(node[part], dict | list):
            prefix = path[:i + 1]
            fill = REQUIRED.get(prefix, {}) if not (kind == "switchback"
                                                    and prefix == ("segments",)) else {}
            node[part] = [] if isinstance(nxt, int) else copy.deepcopy(fill)
        node = node[part]
    last = path[-1]
    if isinstance(node, list):
        node.append(value)
    else:
        node[last] = value
    return spec


def _field_text(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _yaml(spec: dict[str, Any], raw: dict[str, str] | None = None) -> str:
    text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
    for marker, value in (raw or {}).items():
        text = text.replace(f"'{marker}'", value).replace(marker, value)
    return text


def _load_error(text: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "s.yaml")
    return info.value


def _assert_positioned(err: SpecError, field: str | None = None) -> None:
    assert err.line is not None, str(err)
    assert err.column is not None, str(err)
    assert f"s.yaml:{err.line}:{err.column}: " in str(err), str(err)
    if field is not None:
        assert err.field == field, str(err)


def test_the_field_walk_finds_every_scalar_kind() -> None:
    kinds = {what for _, _, what in FIELDS}
    assert {"float", "int", "seed", "bool", "timestamp", "duration"} <= kinds
    paths = {_field_text(p) for _, p, _ in FIELDS}
    for expected in ("variants.treatment", "analysis.alpha", "metrics[0].margin",
                     "metrics[0].practical_threshold", "plan.mde", "power_effect",
                     "analysis.msprt_tau", "schedule.seed", "analysis.seed", "data.seed",
                     "schedule.start", "check.fragile_e_value", "check_duplicates"):
        assert expected in paths, expected


def test_base_specs_are_valid() -> None:
    for kind, spec in BASE.items():
        assert load_spec_text(_yaml(spec), "s.yaml").spec.kind == kind


# -- 1. non-finite numbers -------------------------------------------------------------------


NUMBER_FIELDS = [(k, p) for k, p, what in FIELDS if what in ("float", "int", "seed")]


@pytest.mark.parametrize(("kind", "path"), NUMBER_FIELDS, ids=lambda v: _field_text(v)
                         if isinstance(v, tuple) else v)
@pytest.mark.parametrize("bad", [".nan", ".inf", "-.inf", ".NaN"])
def test_non_finite_number_is_an_error_naming_the_field(kind: str, path: tuple[str | int, ...],
                                                         bad: str) -> None:
    err = _load_error(_yaml(_with(kind, path, "@@"), {"@@": bad}))
    _assert_positioned(err, _field_text(path))
    assert "not a finite number" in str(err)


@pytest.mark.parametrize(("kind", "path"), [(k, p) for k, p, w in FIELDS if w == "float"],
                         ids=lambda v: _field_text(v) if isinstance(v, tuple) else v)
def test_non_finite_number_from_python_is_refused_by_the_models(kind: str,
                                                                 path: tuple[str | int, ...]
                                                                 ) -> None:
    """The API path (a model built from Python values) is held to the same rule."""
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValidationError, match=r"finite number|less than|greater than"):
            SPEC_ADAPTER.validate_python(_with(kind, path, bad))


def test_issue_example_nan_weight_validate_exits_2_and_the_gate_never_runs(work: Path) -> None:
    """Issue 12, class 1: a variant weight .nan passed validate and the SRM check said pass."""
    for bad in (".nan", ".inf"):
        spec = work / f"w{bad.strip('.')}.yaml"
        spec.write_text(
            "name: srm\nkind: ab\nunit: user_id\n"
            f"variants: {{control: 0.5, treatment: {bad}}}\n"
            "metrics: [{name: chat_minutes, type: mean, column: chat_minutes, role: primary,\n"
            "           direction: increase}]\n"
            "data: {simulate: ab, seed: 7, params: {n: 2000}}\n")
        ran = cli("validate", spec, cwd=work, timeout=60)
        assert_clean_error(ran, f"{spec}:4:", "variants.treatment", "not a finite number")
        ran = cli("gate", spec, cwd=work, timeout=60)
        assert_clean_error(ran, f"{spec}:4:", "variants.treatment")
        assert "ship" not in ran.stdout.lower()


def test_end_before_or_at_start_is_an_error() -> None:
    for end in ("2026-12-01T00:00Z", "2026-11-01T00:00Z"):
        ab = _with("ab", ("start",), "2026-12-01T00:00Z")
        ab["end"] = end
        _assert_positioned(_load_error(_yaml(ab)), "end")
        sb = copy.deepcopy(BASE["switchback"])
        sb["schedule"]["end"] = end
        err = _load_error(_yaml(sb))
        _assert_positioned(err)
        assert "end must be after start" in str(err)


@pytest.mark.parametrize(("kind", "path", "value", "words"), [
    ("switchback", ("schedule", "burn_in"), "2h", "burn_in must be shorter"),
    ("switchback", ("schedule", "carryover"), 1000, "leaves nothing to estimate"),
    ("switchback", ("schedule", "carryover"), "30d", "leaves nothing to estimate"),
    ("switchback", ("schedule", "period"), "1s", "over the limit of 100,000"),
    ("ab", ("decision", "min_runtime"), "30d", "longer than the horizon"),
    ("ab", ("decision", "min_sample_per_arm"), 10**6, "must not exceed"),
    ("aha", ("retention", "end_day"), 20, "must be after start_day"),
])
def test_ordering_constraints(kind: str, path: tuple[str, ...], value: Any, words: str) -> None:
    spec = _with(kind, path, value)
    if path[0] == "decision":
        spec["decision"].update({"horizon": "14d", "horizon_sample_per_arm": 1000}
                                | {path[1]: value})
    err = _load_error(_yaml(spec))
    _assert_positioned(err)
    assert words in str(err)


# -- 9. strict types ------------------------------------------------------------------------


STRICT_CASES = {
    "float": ["'0.05'", "'1'", "true", "[1]", "{a: 1}", "'nan'", "1e5"],
    "int": ["'10'", "1.0e+300", "10.5", "true", "10**30", "1e4", "1000000000000000000000000"],
    "seed": ["-1", "-7", str(MAX_SEED + 1), "'7'", "1.0", "false"],
    "bool": ["no", "yes", "'true'", "1", "0", "on", "off", "null"],
    "timestamp": ["0001-01-01T00:00Z", "0001-01-01T00:00+01:00", "9999-12-31T23:00-05:00",
                  "9999-12-31T23:59Z", "1677-01-01T00:00Z", "2262-04-12T00:00Z", "12",
                  "2026-12-01T00:00"],
    "duration": ["-1h", "0s", "99999999999999999999d", "0.0000001s", "1y", "3661d", "10"],
}


def _strict_cases() -> list[tuple[str, tuple[str | int, ...], str]]:
    out = []
    for kind, path, what in FIELDS:
        for bad in STRICT_CASES.get(what, []):
            out.append((kind, path, bad))
    return out


@pytest.mark.parametrize(("kind", "path", "bad"), _strict_cases(),
                         ids=lambda v: _field_text(v) if isinstance(v, tuple) else str(v))
def test_wrong_type_or_range_is_an_error_naming_the_field(kind: str, path: tuple[str | int, ...],
                                                          bad: str) -> None:
    err = _load_error(_yaml(_with(kind, path, "@@"), {"@@": bad}))
    _assert_positioned(err)
    assert err.field is not None, str(err)
    assert err.field.startswith(_field_text(path)), str(err)


def test_issue_examples_of_coercions() -> None:
    err = _load_error(_yaml(_with("ab", ("analysis", "alpha"), "0.05")))
    assert err.field == "analysis.alpha"
    assert "is not a valid number" in str(err)
    err = _load_error(_yaml(BASE["ab"]) + "check_duplicates: no\n")
    assert err.field == "check_duplicates"
    assert "is not a valid boolean" in str(err)
    err = _load_error(_yaml(BASE["ab"]) + "analysis: {draws: 1e300}\n")
    assert err.field == "analysis.draws"
    assert "is not a valid whole number" in str(err)
    err = _load_error(_yaml(BASE["ab"]) + "analysis: {looks: 10**30}\n")
    assert err.field == "analysis.looks"


def test_valid_values_still_load() -> None:
    """Strictness does not refuse what the format allows: ints as numbers, enums as text."""
    spec = _with("ab", ("analysis", "alpha"), 0.01)
    spec["variants"] = {"control": 1, "treatment": 2}
    spec["analysis"].update({"seed": 0, "draws": 1000, "correction": "bh", "looks": 100})
    spec["check_duplicates"] = False
    loaded = load_spec_text(_yaml(spec), "s.yaml").spec
    assert loaded.variants == {"control": 1.0, "treatment": 2.0}
    sb = copy.deepcopy(BASE["switchback"])
    sb["schedule"].update({"seed": MAX_SEED, "carryover": "90m", "start": "2199-12-01T00:00Z",
                           "end": "2199-12-31T00:00Z"})
    assert load_spec_text(_yaml(sb), "s.yaml").spec.schedule.carryover_periods == 2


def test_numpy_scalars_from_python_are_numbers() -> None:
    np = pytest.importorskip("numpy")
    spec = _with("ab", ("analysis", "seed"), np.int64(3))
    spec["analysis"]["alpha"] = np.float32(0.05)
    spec["analysis"]["draws"] = np.int32(500)
    model = SPEC_ADAPTER.validate_python(spec)
    assert model.analysis.seed == 3
    assert type(model.analysis.seed) is int


# -- 3. resource limits at load --------------------------------------------------------------


def _laughs() -> str:
    text = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi"))
    assert len(text.encode()) == 306
    return text


def test_billion_laughs_fails_fast_without_expanding(work: Path) -> None:
    t0 = time.perf_counter()
    err = _load_error(_laughs())
    assert time.perf_counter() - t0 < 0.5
    assert "expands to" in str(err)
    assert f"{MAX_NODES:,}" in str(err)
    _assert_positioned(err)
    spec = work / "laughs.yaml"
    spec.write_text(_laughs())
    t0 = time.perf_counter()
    ran = cli("validate", spec, cwd=work, timeout=30)
    assert time.perf_counter() - t0 < 10
    assert_clean_error(ran, f"{spec}:", "expands to")


@pytest.mark.parametrize(("text", "words"), [
    ("a: [" + "[" * 100 + "]" * 100 + "]\n", "nested more than 64 deep"),
    ("a: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n", "nested more than 64 deep"),
    ("a: &a [1]\nb: [" + ", ".join(["*a"] * 101) + "]\n", "more than 100 YAML aliases"),
    ("a: &a [*a]\n", "refers to a list or mapping that contains it"),
    ("a: &a {b: &b {c: *a}}\n", "refers to a list or mapping that contains it"),
    ("a: [" + ", ".join(["1"] * (MAX_NODES + 10)) + "]\n", f"more than {MAX_NODES:,} YAML values"),
    ("a: !!python/object:os.system x\n", "is not allowed"),
    ("a: !!set {x}\n", "is not allowed"),
    ("a: !!timestamp nope\n", "is not allowed"),
    ("a: !!int nope\n", "cannot read"),
    ("a: " + "9" * 5000 + "\n", "cannot read"),
    ("a: 1\x00\n", "NUL character"),
    ("a: \x1b]0;pwned\x07\n", "control character (U+001B)"),
    ("a: \x85\n", "control character (U+0085)"),
    ("a: b\ud800\n", "lone surrogate"),
    ("a: \ufffe\n", "non-character"),
    ("", "the file is empty"),
    ("# only a comment\n", "the file is empty"),
    ("- a\n- b\n", "a spec is a mapping"),
    ("1: x\n", "keys must be text"),
    ("? [a]\n: x\n", "keys must be text"),
    ("a: 1\n---\nb: 2\n", "invalid YAML"),
])
def test_limits_and_bad_text_are_clean_errors(text: str, words: str) -> None:
    t0 = time.perf_counter()
    err = _load_error(text)
    assert time.perf_counter() - t0 < 20  # about 1.5 s for the 50,000 values, unloaded
    assert words in str(err), str(err)
    _assert_positioned(err)


def test_text_over_the_size_limit() -> None:
    err = _load_error("name: x\nhypothesis: " + "a" * MAX_SPEC_BYTES + "\n")
    assert "limit of 1,048,576 bytes" in str(err)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("command", ["validate", "run", "gate", "power", "schedule", "assign"])
def test_fifo_as_spec_never_blocks(work: Path, command: str) -> None:
    fifo = work / "spec.yaml"
    os.mkfifo(fifo)
    (work / "units.csv").write_text("user_id\n1\n")
    extra = {"schedule": ("--out", work / "s.csv"),
             "assign": ("--units", work / "units.csv", "--out", work / "a.csv")}
    t0 = time.perf_counter()
    ran = cli(command, fifo, *extra.get(command, ()), cwd=work, timeout=30)
    assert time.perf_counter() - t0 < 15
    assert ran.code == 2, str(ran)
    assert_no_traceback(ran)
    assert "FIFO" in ran.stderr, str(ran)


def _special_paths(work: Path) -> Iterator[tuple[Path, str]]:
    yield work, "a directory"
    if Path("/dev/null").exists():
        yield Path("/dev/null"), "a character device"
    if hasattr(socket, "AF_UNIX"):
        sock_path = work / "s.sock"
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(sock_path))
        yield sock_path, "a socket"
        sock.close()


def test_special_files_as_spec_are_refused(work: Path) -> None:
    for path, what in _special_paths(work):
        with pytest.raises(SpecError, match=what):
            load_spec_file(path)
    with pytest.raises(SpecError, match="NUL"):
        load_spec_file("a\x00b.yaml")
    with pytest.raises(SpecError, match="no such file"):
        load_spec_file(work / "missing" / "x.yaml")
    (work / "f").write_text("x")
    with pytest.raises(SpecError, match="no such file"):
        load_spec_file(work / "f" / "x.yaml")


def test_bad_files_via_cli(work: Path) -> None:
    files = {
        "binary.yaml": (bytes(range(256)) * 4, "not UTF-8"),
        "nul.yaml": (b"name: x\x00\nkind: ab\n", "NUL character"),
        "latin1.yaml": ("name: café\n".encode("latin-1"), "not UTF-8"),
        "utf16.yaml": ("name: x\nkind: ab\n".encode("utf-16"), "not UTF-8"),
        "png.yaml": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8"),
        "big.yaml": (b"name: x\n" + b"#" * (MAX_SPEC_BYTES + 1), "over the limit"),
        "empty.yaml": (b"", "the file is empty"),
        "laughs.yaml": (_laughs().encode(), "expands to"),
    }
    for name, (raw, _) in files.items():
        (work / name).write_bytes(raw)
    ran = cli("validate", *(work / n for n in files), work, cwd=work, timeout=60)
    assert ran.code == 2, str(ran)
    assert_no_traceback(ran)
    lines = ran.stderr.splitlines()
    for name, (_, words) in files.items():
        mine = [ln for ln in lines if ln.startswith(f"error: {work / name}:")]
        assert len(mine) == 1, f"{name}: {ran}"
        assert words in mine[0], f"{name}: {ran}"
    assert any("is a directory" in ln for ln in lines), str(ran)


def test_huge_plans_are_refused_before_they_run(work: Path) -> None:
    """power with looks: 1000000 hung; an Aha grid of thousands of thresholds too."""
    looks = work / "looks.yaml"
    looks.write_text(_yaml(BASE["ab"]) + "analysis: {sequential: gst, looks: 1000000}\n")
    ran = cli("power", looks, cwd=work, timeout=60)
    assert_clean_error(ran, f"{looks}:", "analysis.looks", "100")
    grid = work / "grid.yaml"
    grid.write_text(_yaml(BASE["aha"]) + "retention: {start_day: 60, end_day: 90}\n"
                    "windows: [" + ", ".join(map(str, range(1, 61))) + "]\n"
                    "thresholds: [" + ", ".join(map(str, range(1, 3001))) + "]\n")
    ran = cli("run", grid, cwd=work, timeout=60)
    assert_clean_error(ran, f"{grid}:", "180,000 conditions", "100,000")


# -- 5. the loader never raises anything but SpecError ---------------------------------------


SPECIAL_TEXT = ["'", '"', "\\", "\\x00", "\\u001b", "${HOME}", "*a", "&a", "!!binary", ": ",
                "- ", "#", "{", "}", "[", "]", "|", ">", "%", "@", "`", "---", "...", "\t",
                "::error::x", "\x1b[31m", "\n", "\r", "\x00", "\x85", "\u2028", "\ufeff",
                "\U0001f600", "NO", "no", "~", "null", ".nan", "1e999", "0x1f", "1:30", "<<"]
NUMBERS = [math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, -0.0, 2**63, -(2**63) - 1,
           10**30, 2**31, -1, 0, 1e15, 1e16]


def _values() -> st.SearchStrategy[Any]:
    text = st.one_of(st.text(max_size=30), st.sampled_from(SPECIAL_TEXT),
                     st.lists(st.sampled_from(SPECIAL_TEXT), max_size=5).map("".join))
    scalars = st.one_of(text, st.sampled_from(NUMBERS), st.floats(), st.integers(),
                        st.booleans(), st.none())
    nested = st.integers(min_value=1, max_value=120).map(_deep)

    def containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4))

    return st.one_of(scalars, nested, st.recursive(scalars, containers, max_leaves=10))


def _deep(n: int) -> Any:
    value: Any = 1
    for i in range(n):
        value = [value] if i % 2 else {"k": value}
    return value


def _paths(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*path, i))
    return out


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def mutated_specs(draw: st.DrawFn) -> str:
    """A design, mutated in its values and structure, or in its raw text."""
    text = DESIGN_TEXTS[draw(st.sampled_from(sorted(DESIGN_TEXTS)))]
    how = draw(st.sampled_from(["value", "value", "delete", "rename", "text", "text", "dup"]))
    if how in ("text", "dup"):
        lines = text.splitlines(keepends=True)
        if how == "dup":
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(draw(st.integers(0, len(lines))), lines[i])
            return "".join(lines)
        pos = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 20))
        piece = draw(st.one_of(st.text(max_size=20), st.sampled_from(SPECIAL_TEXT)))
        return text[:pos] + piece + text[pos + cut:]
    data, _, _ = parse_yaml(text)
    paths = [p for p in _paths(data) if p]
    path = draw(st.sampled_from(paths))
    parent = _parent(data, path)
    if how == "value":
        parent[path[-1]] = draw(_values())
    elif how == "delete":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[draw(st.one_of(st.text(max_size=10), st.sampled_from(SPECIAL_TEXT)))] = \
            parent.pop(path[-1])
    try:
        return yaml.safe_dump(data, sort_keys=False,
                              allow_unicode=draw(st.booleans()),
                              default_flow_style=draw(st.sampled_from([False, True, None])))
    except (yaml.YAMLError, RecursionError, ValueError):  # pragma: no cover - dumper limits
        return text


def _assert_loads_or_clean_error(text: str) -> None:
    try:
        load_spec_text(text, "s.yaml")
    except SpecError as err:
        if "larger than the limit" not in str(err):
            _assert_positioned(err)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_specs())
def test_mutated_designs_load_or_fail_cleanly(text: str) -> None:
    _assert_loads_or_clean_error(text)


@pytest.mark.slow
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_specs())
def test_mutated_designs_load_or_fail_cleanly_many(text: str) -> None:
    _assert_loads_or_clean_error(text)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_as_a_spec_file(tmp_path_factory: pytest.TempPathFactory,
                                     raw: bytes) -> None:
    path = tmp_path_factory.mktemp("bytes") / "s.yaml"
    path.write_bytes(raw)
    with contextlib.suppress(SpecError):  # a SpecError or a spec; nothing else
        load_spec_file(path)


def _validate_batch(work: Path, texts: list[str]) -> Ran:
    files = []
    for i, text in enumerate(texts):
        path = work / f"m{i}.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass", newline="")
        files.append(path)
    t0 = time.perf_counter()
    ran = cli("validate", *files, cwd=work, timeout=60)
    assert time.perf_counter() - t0 < 30, "validate of a few small files ran too long"
    assert ran.code in (0, 2), str(ran)
    assert_no_traceback(ran)
    for path in files:
        ok = f"ok: {path} (" in ran.stdout
        failed = f"error: {path}:" in ran.stderr
        assert ok != failed, f"{path}: {ran}"
    if ran.code == 2:
        assert ran.stderr.startswith("error: "), str(ran)
    return ran


CLI_HEALTH = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]


@settings(max_examples=15, deadline=None, suppress_health_check=CLI_HEALTH)
@given(st.lists(mutated_specs(), min_size=5, max_size=5))
def test_validate_cli_on_mutated_designs(work: Path, texts: list[str]) -> None:
    """75 mutated designs through the real CLI, 5 per run: exit 0 or a clean exit 2."""
    _validate_batch(work, texts)


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=CLI_HEALTH)
@given(st.lists(mutated_specs(), min_size=10, max_size=10))
def test_validate_cli_on_mutated_designs_many(work: Path, texts: list[str]) -> None:
    _validate_batch(work, texts)
