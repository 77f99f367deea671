"""Read spec files: safe YAML with positions, validation, errors with file:line:column.

YAML is read with a safe loader under YAML 1.2 rules for booleans (only
``true``/``false``; ``NO`` stays the country code) and timestamps kept as text
(so a timestamp without a zone is caught). Duplicate keys are errors.

Example:
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "x.yaml").write_text(
    ...     "name: x\\nkind: ab\\nunit: user_id\\nmetrics:\\n"
    ...     "  - {name: m, type: avg, column: m, role: primary}\\ndata: {simulate: ab}\\n")
    >>> load_spec(d / "x.yaml")
    Traceback (most recent call last):
    ...
    causalkit.errors.SpecError: ...x.yaml:5:21: metrics[0].type: 'avg' is not one of mean, proportion, ratio
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import math
import os
import re
import stat
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import yaml
from pydantic import BaseModel, ValidationError

from causalkit.errors import SpecError
from causalkit.spec.common import DataSource
from causalkit.spec.limits import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_INTEGER,
    MAX_NODES,
    MAX_SPEC_BYTES,
)
from causalkit.spec.models import SPEC_ADAPTER, SPEC_TYPES
from causalkit.spec.types import FieldError

_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_CORE_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in
                       ("str", "int", "float", "bool", "null", "seq", "map"))

# C0 controls but tab, line feed and carriage return; DEL; C1 controls (NEL too: YAML
# counts it as a line break where editors do not); lone surrogates; U+FFFE and U+FFFF.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class _Loader(yaml.SafeLoader):
    """Safe loader with YAML 1.2 booleans, timestamps kept as strings, and limits.

    Composing counts aliases and nodes and tracks the nesting depth, so a "billion
    laughs" file or a deeply nested one stops at once (see :mod:`causalkit.spec.limits`).
    """

    def __init__(self, stream: str, file: str = "<string>") -> None:
        super().__init__(stream)
        self.file = file
        self.n_aliases = 0
        self.n_nodes = 0  # values written in the text
        self.n_expanded = 0  # values once every alias is expanded
        self.depth = 0
        self.open_anchors: set[str] = set()
        self.anchor_sizes: dict[str, int] = {}

    def _limit(self, message: str, event: yaml.Event, hint: str) -> SpecError:
        line, col = _mark(event)
        return SpecError(message, file=self.file, line=line, column=col, hint=hint)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self.n_aliases += 1
            if self.n_aliases > MAX_ALIASES:
                raise self._limit(f"more than {MAX_ALIASES} YAML aliases", event,
                                  "a spec needs few aliases (*name); write the values out")
            if event.anchor in self.open_anchors:
                raise self._limit(f"the alias *{event.anchor} refers to a list or mapping "
                                  "that contains it", event, "a spec cannot refer to itself")
            size = self.anchor_sizes.get(event.anchor or "", 1)
            self.n_expanded += size
            if self.n_expanded > MAX_NODES:
                raise self._limit(
                    f"the alias *{event.anchor} expands to {size:,} values, which makes more "
                    f"than {MAX_NODES:,} YAML values in all", event,
                    "a spec is a small file; use fewer aliases")
            return super().compose_node(parent, index)
        self.n_nodes += 1
        self.n_expanded += 1
        if self.n_nodes > MAX_NODES or self.n_expanded > MAX_NODES:
            raise self._limit(f"more than {MAX_NODES:,} YAML values", event,
                              "a spec is a small file; keep large data in the data source")
        if self.depth >= MAX_DEPTH:
            raise self._limit(f"lists and mappings nested more than {MAX_DEPTH} deep", event,
                              "flatten the structure")
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self.open_anchors.add(anchor)
        self.depth += 1
        before = self.n_expanded - 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
            if anchor is not None:
                self.open_anchors.discard(anchor)
        if anchor is not None:
            self.anchor_sizes[anchor] = self.n_expanded - before
        if node is not None and node.tag not in _CORE_TAGS | {"tag:yaml.org,2002:merge"}:
            line, col = _mark(node)
            raise SpecError(f"the YAML tag {node.tag.replace('tag:yaml.org,2002:', '!!')} "
                            "is not allowed in a spec", file=self.file, line=line, column=col,
                            hint="remove the tag; a spec holds text, numbers, booleans, "
                                 "lists and mappings")
        return node


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _TIMESTAMP)]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class LoadedSpec:
    """A validated spec with where it came from: its path, the SHA-256 of its bytes and
    the line and column of every value.

    Example:
        >>> ls = load_spec_text("name: x\\nkind: aha\\ndata: {simulate: event_log}\\n")
        >>> ls.spec.name, ls.positions[("kind",)]
        ('x', (2, 7))
    """

    spec: Any
    path: Path | None
    sha256: str
    positions: dict[Path_, tuple[int, int]]


def _mark(node: yaml.Node | yaml.Event) -> tuple[int, int]:
    mark = node.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


class _Builder:
    """Turns composed YAML nodes into Python values, recording every position and
    counting the values it makes (aliases expanded) against the limits."""

    def __init__(self, loader: _Loader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.positions: dict[Path_, tuple[int, int]] = {}
        self.key_positions: dict[Path_, tuple[int, int]] = {}
        self.count = 0

    def _error(self, message: str, node: yaml.Node, path: Path_, hint: str) -> SpecError:
        line, col = _mark(node)
        return SpecError(message, file=self.file, line=line, column=col,
                         field=_format_path(path) or None, hint=hint)

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self._error(f"more than {MAX_NODES:,} YAML values once aliases are expanded",
                              node, path, "a spec is a small file; use fewer aliases")
        if len(path) >= MAX_DEPTH:
            raise self._error(f"lists and mappings nested more than {MAX_DEPTH} deep once "
                              "aliases are expanded", node, path, "flatten the structure")
        self.positions[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key: Any = self.scalar(key_node, path) \
                    if isinstance(key_node, yaml.ScalarNode) \
                    else [] if isinstance(key_node, yaml.SequenceNode) else {}
                line, col = _mark(key_node)
                if not isinstance(key, str):
                    raise SpecError(
                        f"keys must be text, got {_describe(key)}", file=self.file, line=line,
                        column=col, field=_format_path(path) or None,
                    )
                if key in out:
                    raise SpecError(
                        f"duplicate key {key!r}", file=self.file, line=line, column=col,
                        field=_format_path((*path, key)), hint="each key may appear once",
                    )
                self.key_positions[(*path, key)] = (line, col)
                out[key] = self.build(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.scalar(node, path)

    def scalar(self, node: yaml.Node, path: Path_) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, OverflowError):
            # e.g. a whole number of thousands of digits, or !!float on text
            whole = node.tag.endswith(":int")
            raise self._error(
                f"cannot read {_clip(str(node.value))!r} as "
                f"{'a whole number' if whole else 'a ' + node.tag.rsplit(':', 1)[-1]}",
                node, path, f"whole numbers lie within ±{MAX_INTEGER}" if whole
                else "remove the tag") from None


def _clip(text: str, size: int = 60) -> str:
    return text if len(text) <= size else text[: size - 3] + "..."


def _describe(value: Any) -> str:
    """A short description of a YAML value for messages: its kind and a clipped repr."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {_clip(repr(value))}"
    if isinstance(value, str):
        return f"text {_clip(repr(value))}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def _format_path(path: typing.Sequence[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def check_text(text: str, file: str = "<string>") -> None:
    """Refuse spec text over the size limit or holding control characters.

    Raises:
        SpecError: with the line and column of the first control character.

    Example:
        >>> check_text("name: x\\x00\\n", "s.yaml")
        Traceback (most recent call last):
        ...
        causalkit.errors.SpecError: s.yaml:1:8: the spec holds a NUL character (U+0000) (...)
    """
    if len(text) > MAX_SPEC_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_SPEC_BYTES:
        raise SpecError(f"the spec is larger than the limit of {MAX_SPEC_BYTES:,} bytes (1 MiB)",
                        file=file, hint="a spec is a small file; keep data in the data source")
    bad = _CONTROL.search(text)
    if bad is None:
        return
    i = bad.start()
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    code = ord(bad.group())
    what = "a NUL character" if code == 0 else "a control character"
    if 0xD800 <= code <= 0xDFFF:
        what = "a lone surrogate"
    elif code in (0xFFFE, 0xFFFF):
        what = "a non-character"
    hint = ("is it a binary file? a spec is UTF-8 text" if code == 0 else
            "remove it; inside double quotes write it as an escape such as \\t or \\u001b")
    raise SpecError(f"the spec holds {what} (U+{code:04X})", file=file, line=line, column=col,
                    hint=hint)


def parse_yaml(text: str, file: str = "<string>") -> tuple[Any, dict[Path_, tuple[int, int]],
                                                            dict[Path_, tuple[int, int]]]:
    """Parse YAML text into Python values and the line/column of every value and key.

    The text is checked first (:func:`check_text`); composing stops at the limits of
    :mod:`causalkit.spec.limits` (aliases, values, depth).

    Example:
        >>> data, pos, keys = parse_yaml("a:\\n  b: [1, 2]\\n")
        >>> data, pos[("a", "b", 1)], keys[("a", "b")]
        ({'a': {'b': [1, 2]}}, (2, 10), (2, 3))
    """
    check_text(text, file)
    loader = _Loader(text, file)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError("the file is empty", file=file, line=1, column=1,
                            hint="a spec needs at least name, kind and data")
        builder = _Builder(loader, file)
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecError(f"invalid YAML: {problem}", file=file, line=line, column=col,
                        hint="check indentation, colons and quotes") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"invalid YAML: {exc}", file=file) from None
    except RecursionError:  # pragma: no cover - the depth limit comes first
        raise SpecError(f"lists and mappings nested more than {MAX_DEPTH} deep",
                        file=file) from None
    finally:
        loader.dispose()
    return data, builder.positions, builder.key_positions


def _check_values(data: Any, file: str, positions: dict[Path_, tuple[int, int]]) -> None:
    """Every number in the document is finite and every whole number fits 64 bits (also
    in ``params``, which no model types); a value built in Python is held to the depth
    and size limits of a file."""
    count = 0
    stack: list[tuple[Any, Path_]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        count += 1
        problem = None
        if count > MAX_NODES:
            problem = f"more than {MAX_NODES:,} values"
        elif len(path) > MAX_DEPTH:
            problem = f"lists and mappings nested more than {MAX_DEPTH} deep"
        elif isinstance(value, float) and not math.isfinite(value):
            problem = (f"{_yaml_number(value)} is not a finite number; numbers in a spec "
                       "must be finite")
        elif isinstance(value, int) and not isinstance(value, bool) and \
                not -MAX_INTEGER <= value <= MAX_INTEGER:
            problem = f"the whole number is too large; whole numbers lie within ±{MAX_INTEGER}"
        if problem is not None:
            where = _where(path, "", positions, {})
            raise SpecError(problem, file=file, line=where[0] if where else None,
                            column=where[1] if where else None,
                            field=_format_path(path) or None)
        if isinstance(value, dict):
            stack.extend((v, (*path, k if isinstance(k, str | int) else str(k)))
                         for k, v in value.items())
        elif isinstance(value, list | tuple):
            stack.extend((v, (*path, i)) for i, v in enumerate(value))


def _yaml_number(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    return ".inf" if value > 0 else "-.inf"


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types inside Optional/Union/Annotated."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(_unwrap(arg))
        return out
    return [annotation]


def _model_at(root: type[BaseModel], loc: Path_) -> type[BaseModel] | None:
    """The model class that owns the mapping at ``loc``, when it is one."""
    candidates: list[Any] = [root]
    for part in loc:
        nxt: list[Any] = []
        for cand in candidates:
            if isinstance(cand, type) and issubclass(cand, BaseModel) and isinstance(part, str):
                field = cand.model_fields.get(part)
                if field is None:
                    field = next(
                        (f for f in cand.model_fields.values() if f.alias == part), None
                    )
                if field is not None:
                    nxt.extend(_unwrap(field.annotation))
            else:
                origin = typing.get_origin(cand)
                args = typing.get_args(cand)
                if origin is list and isinstance(part, int) and args:
                    nxt.extend(_unwrap(args[0]))
                elif origin is dict and isinstance(part, str) and len(args) == 2:
                    nxt.extend(_unwrap(args[1]))
        candidates = nxt
    for cand in candidates:
        if isinstance(cand, type) and issubclass(cand, BaseModel):
            return cand
    return None


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


_TYPE_WORDS = {
    "float_type": "a valid number",
    "int_type": "a valid whole number",
    "bool_type": "a valid boolean (true or false)",
    "string_type": "valid text",
    "dict_type": "a valid mapping (key: value lines)",
    "model_type": "a valid mapping (key: value lines)",
    "model_attributes_type": "a valid mapping (key: value lines)",
    "list_type": "a valid list",
}


def _type_hint(kind: str, value: Any) -> str | None:
    if isinstance(value, str) and kind in ("float_type", "int_type"):
        try:
            float(value)
        except ValueError:
            return "write a number, e.g. 0.05 or 10000"
        return ("YAML reads this as text: write the number without quotes, in plain digits "
                "such as 0.05 or 10000; an exponent needs a dot and a sign, as in 1.0e+3")
    if kind == "int_type" and isinstance(value, float):
        return "write a whole number in digits, e.g. 10000 rather than 1.0e+4 or 10000.0"
    if kind == "bool_type":
        return "YAML 1.2: only true and false are booleans; yes, no, on and off are text"
    if kind == "string_type" and value is not None and not isinstance(value, dict | list):
        return "put the value in quotes to make it text"
    return None


def _message(err: Any, model: type[BaseModel] | None, loc: Path_) -> tuple[str, str | None]:
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        key = loc[-1] if loc else "?"
        owner = _model_at(model, loc[:-1]) if model else None
        if owner is not None:
            allowed = _allowed_keys(owner)
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else None
            return f"unknown key {_clip(repr(key))}; allowed keys: {', '.join(allowed)}", hint
        return f"unknown key {_clip(repr(key))}", None
    if kind == "missing":
        return "required field is missing", None
    if kind in ("enum", "literal_error"):
        expected = ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
        return f"{_clip(repr(value))} is not one of {expected}", None
    if kind == "union_tag_invalid":
        expected = ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected_tags", ""))))
        return f"{_clip(repr(ctx.get('tag')))} is not one of {expected}", None
    if kind == "union_tag_not_found":
        return "required field is missing", "kind is one of ab, switchback, observational, aha"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"])), None
    if kind in _TYPE_WORDS:
        return f"{_describe(value)} is not {_TYPE_WORDS[kind]}", _type_hint(kind, value)
    if kind == "finite_number":
        return f"{_describe(value)} is not a finite number; numbers in a spec must be finite", None
    msg = err["msg"]
    if value is not None and not isinstance(value, dict | list):
        return f"{msg} (got {_clip(repr(value))})", None
    return msg, None


def _clean_loc(data: Any, loc: Path_) -> Path_:
    """The error location as keys and indexes of the document: pydantic's union-member
    tags (``str``, ``list[Edge]``, ``function-before[...]``) are dropped."""
    out: list[str | int] = []
    current = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(current, dict):
            if part in current:
                out.append(part)
                current = current[part]
            elif last or not isinstance(part, str) or not _looks_like_tag(part):
                out.append(part)  # a missing or unknown key
                current = None
        elif isinstance(current, list | tuple) and isinstance(part, int):
            out.append(part)
            current = current[part] if 0 <= part < len(current) else None
        elif current is None and not _looks_like_tag(str(part)):
            out.append(part)
    return tuple(out)


def _deepest(data: Any, errors: list[Any]) -> Any:
    """The error to report: the first one, unless it is a type mismatch of one branch of
    a union (``graph`` is text or a list of edges) and another error lies inside the
    value, in the branch that matched its shape."""
    first = errors[0]
    if first["type"] not in _TYPE_WORDS:
        return first
    loc = _clean_loc(data, _strip_tag(tuple(first["loc"]))[0])
    for other in errors[1:]:
        deeper = _clean_loc(data, _strip_tag(tuple(other["loc"]))[0])
        if len(deeper) > len(loc) and deeper[:len(loc)] == loc:
            return other
    return first


def _looks_like_tag(part: str) -> bool:
    return bool(re.search(r"[\[\]()]", part)) or part in (
        "str", "int", "float", "bool", "list", "dict", "timedelta", "datetime") or (
        part[:1].isupper())


def _strip_tag(loc: Path_) -> tuple[Path_, type[BaseModel] | None]:
    if loc and isinstance(loc[0], str) and loc[0] in SPEC_TYPES:
        return loc[1:], SPEC_TYPES[loc[0]]
    return loc, None


def _where(loc: Path_, err_type: str, positions: dict[Path_, tuple[int, int]],
           key_positions: dict[Path_, tuple[int, int]]) -> tuple[int, int] | None:
    if err_type == "extra_forbidden" and loc in key_positions:
        return key_positions[loc]
    probe = loc
    while True:
        if probe in positions:
            return positions[probe]
        if not probe:
            return None
        probe = probe[:-1]


def validate_data(data: Any, file: str = "<string>",
                  positions: dict[Path_, tuple[int, int]] | None = None,
                  key_positions: dict[Path_, tuple[int, int]] | None = None) -> Any:
    """Validate parsed YAML into a spec; errors name the file, line, column and field.

    Example:
        >>> validate_data({"name": "x", "kind": "abc"})
        Traceback (most recent call last):
        ...
        causalkit.errors.SpecError: <string>: kind: 'abc' is not one of ab, switchback, observational, aha
    """
    positions = positions or {}
    key_positions = key_positions or {}
    if not isinstance(data, dict):
        line, col = positions.get((), (1, 1))
        raise SpecError("a spec is a mapping of keys to values", file=file, line=line,
                        column=col, hint="write one key: value per line")
    _check_values(data, file, positions)
    try:
        return SPEC_ADAPTER.validate_python(data)
    except ValidationError as exc:
        errors = exc.errors()
        err = _deepest(data, errors)
        loc, model = _strip_tag(tuple(err["loc"]))
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = ("kind",)
        loc = _clean_loc(data, loc)
        problem = (err.get("ctx") or {}).get("error")
        if isinstance(problem, FieldError):  # a model check about one of its fields
            loc = (*loc, *problem.field)
        message, hint = _message(err, model, loc)
        # the other branches of a union (carryover: a whole number or a duration)
        same = [e for e in errors[1:]
                if _clean_loc(data, _strip_tag(tuple(e["loc"]))[0]) == loc
                and tuple(e["loc"]) != tuple(err["loc"])]
        for other in same:
            message += "; or: " + _message(other, model, loc)[0]
        where = _where(loc, err["type"], positions, key_positions)
        if err["type"] == "missing" and loc[:-1] in positions:
            where = positions[loc[:-1]]
        more = len(errors) - 1 - len(same)
        if more:
            hint = (hint + "; " if hint else "") + f"{more} more problem(s) after this one"
        raise SpecError(
            message,
            file=file,
            line=where[0] if where else None,
            column=where[1] if where else None,
            field=_format_path(loc) or None,
            hint=hint,
        ) from None


def _resolve_source(source: DataSource, base: Path) -> DataSource:
    if source.path is None:
        return source
    path = Path(source.path)
    with contextlib.suppress(RuntimeError):  # ~user of no such user: left as written
        path = path.expanduser()
    if not path.is_absolute():
        path = base / path
    return source.model_copy(update={"path": str(path)})


def resolve_paths(spec: Any, base: Path) -> Any:
    """Return a copy of ``spec`` whose relative data paths are anchored at ``base``.

    Example:
        >>> from causalkit.spec.models import SPEC_ADAPTER
        >>> s = SPEC_ADAPTER.validate_python({"name": "x", "kind": "observational",
        ...     "graph": "digraph {t -> y}", "treatment": "t", "outcome": "y",
        ...     "data": {"path": "d.csv"}})
        >>> resolve_paths(s, Path("/specs")).data.path
        '/specs/d.csv'
    """
    update: dict[str, Any] = {}
    for name in type(spec).model_fields:
        value = getattr(spec, name)
        if isinstance(value, DataSource):
            update[name] = _resolve_source(value, base)
    return spec.model_copy(update=update) if update else spec


def load_spec_text(text: str, file: str = "<string>", base: Path | None = None) -> LoadedSpec:
    """Parse and validate spec text.

    Example:
        >>> ls = load_spec_text("name: x\\nkind: aha\\ndata: {simulate: event_log}\\n")
        >>> ls.spec.kind, len(ls.sha256)
        ('aha', 64)
    """
    data, positions, key_positions = parse_yaml(text, file)
    spec = validate_data(data, file, positions, key_positions)
    if base is not None:
        spec = resolve_paths(spec, base)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedSpec(spec=spec, path=None, sha256=sha, positions=positions)


def load_spec_file(path: str | Path) -> LoadedSpec:
    """Read a spec file and keep its hash and positions (see :func:`load_spec`).

    Example:
        >>> load_spec_file("/nonexistent/x.yaml")
        Traceback (most recent call last):
        ...
        causalkit.errors.SpecError: /nonexistent/x.yaml: cannot read the spec file: no such file (check the path)
    """
    p = Path(path)
    file = str(path)
    raw = read_spec_bytes(p, file)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError(f"the file is not UTF-8 text (byte {exc.start}: "
                        f"{raw[exc.start:exc.start + 1]!r})", file=file, line=line, column=col,
                        hint="save the spec as UTF-8; is it a binary file?") from None
    loaded = load_spec_text(text, file=file, base=p.resolve().parent)
    return LoadedSpec(spec=loaded.spec, path=p, sha256=hashlib.sha256(raw).hexdigest(),
                      positions=loaded.positions)


_FILE_TYPES = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISSOCK, "a socket"))


def _file_type(mode: int) -> str | None:
    """What a non-regular file is, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _FILE_TYPES if test(mode)), "not a regular file")


def read_spec_bytes(path: str | Path, file: str | None = None) -> bytes:
    """The bytes of a spec file, refusing what is not a small regular file.

    The file type is checked with ``stat`` before opening (a directory, FIFO, socket or
    device is refused, so a FIFO never blocks), the file is opened without blocking and
    checked again, and at most :data:`~causalkit.spec.limits.MAX_SPEC_BYTES` are read.

    Raises:
        SpecError: naming the path and what is wrong with it.

    Example:
        >>> read_spec_bytes("/")
        Traceback (most recent call last):
        ...
        causalkit.errors.SpecError: /: the spec path is a directory, not a file (give the path of a YAML spec file)
    """
    file = str(path) if file is None else file
    hint = "give the path of a YAML spec file"
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise SpecError("cannot read the spec file: no such file", file=file,
                        hint="check the path") from None
    except OSError as exc:
        raise SpecError(f"cannot read the spec file: {exc.strerror or exc}", file=file) from None
    except ValueError:  # a NUL character in the path
        raise SpecError("cannot read the spec file: the path holds a NUL character",
                        file=file, hint="check the path") from None
    kind = _file_type(info.st_mode)
    if kind is not None:
        raise SpecError(f"the spec path is {kind}, not a file", file=file, hint=hint)
    if info.st_size > MAX_SPEC_BYTES:
        raise SpecError(f"the spec file is {info.st_size:,} bytes, over the limit of "
                        f"{MAX_SPEC_BYTES:,} bytes (1 MiB)", file=file,
                        hint="a spec is a small file; keep data in the data source")
    flags = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
             | getattr(os, "O_CLOEXEC", 0))
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise SpecError(f"cannot read the spec file: {exc.strerror or exc}", file=file) from None
    try:
        kind = _file_type(os.fstat(fd).st_mode)  # replaced since the stat above?
        if kind is not None:
            raise SpecError(f"the spec path is {kind}, not a file", file=file, hint=hint)
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_SPEC_BYTES:
            chunk = os.read(fd, MAX_SPEC_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise SpecError(f"cannot read the spec file: {exc.strerror or exc}", file=file) from None
    finally:
        os.close(fd)
    if size > MAX_SPEC_BYTES:
        raise SpecError(f"the spec file is over the limit of {MAX_SPEC_BYTES:,} bytes (1 MiB)",
                        file=file, hint="a spec is a small file; keep data in the data source")
    return b"".join(chunks)


def load_spec(path: str | Path) -> Any:
    """Read and validate one spec file.

    Args:
        path: a YAML file.

    Returns:
        The spec, an ``ABSpec``, ``SwitchbackSpec``, ``ObservationalSpec`` or ``AhaSpec``,
        with relative data paths resolved against the file's folder.

    Raises:
        SpecError: naming the file, line, column and field of the first problem.

    Example:
        >>> import pathlib, tempfile
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "a.yaml").write_text("name: x\\nkind: aha\\ndata: {simulate: event_log}\\n")
        >>> load_spec(d / "a.yaml").name
        'x'
    """
    return load_spec_file(path).spec
