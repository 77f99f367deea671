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

import difflib
import hashlib
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import yaml
from pydantic import BaseModel, ValidationError

from causalkit.errors import SpecError
from causalkit.spec.common import DataSource
from causalkit.spec.models import SPEC_ADAPTER, SPEC_TYPES

_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.SafeLoader):
    """Safe loader with YAML 1.2 booleans and timestamps kept as strings."""


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


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _to_python(
    loader: _Loader,
    node: yaml.Node,
    path: Path_,
    positions: dict[Path_, tuple[int, int]],
    key_positions: dict[Path_, tuple[int, int]],
    file: str,
) -> Any:
    positions[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            line, col = _mark(key_node)
            if not isinstance(key, str):
                raise SpecError(
                    f"keys must be text, got {key!r}", file=file, line=line, column=col,
                    field=_format_path(path) or None,
                )
            if key in out:
                raise SpecError(
                    f"duplicate key {key!r}", file=file, line=line, column=col,
                    field=_format_path((*path, key)), hint="each key may appear once",
                )
            key_positions[(*path, key)] = (line, col)
            out[key] = _to_python(
                loader, value_node, (*path, key), positions, key_positions, file
            )
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _to_python(loader, item, (*path, i), positions, key_positions, file)
            for i, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


def _format_path(path: typing.Sequence[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_yaml(text: str, file: str = "<string>") -> tuple[Any, dict[Path_, tuple[int, int]],
                                                            dict[Path_, tuple[int, int]]]:
    """Parse YAML text into Python values and the line/column of every value and key.

    Example:
        >>> data, pos, keys = parse_yaml("a:\\n  b: [1, 2]\\n")
        >>> data, pos[("a", "b", 1)], keys[("a", "b")]
        ({'a': {'b': [1, 2]}}, (2, 10), (2, 3))
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError("the file is empty", file=file, line=1, column=1,
                            hint="a spec needs at least name, kind and data")
        positions: dict[Path_, tuple[int, int]] = {}
        key_positions: dict[Path_, tuple[int, int]] = {}
        data = _to_python(loader, node, (), positions, key_positions, file)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecError(f"invalid YAML: {problem}", file=file, line=line, column=col,
                        hint="check indentation, colons and quotes") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"invalid YAML: {exc}", file=file) from None
    finally:
        loader.dispose()
    return data, positions, key_positions


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
            return f"unknown key {key!r}; allowed keys: {', '.join(allowed)}", hint
        return f"unknown key {key!r}", None
    if kind == "missing":
        return "required field is missing", None
    if kind in ("enum", "literal_error"):
        expected = ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
        return f"{value!r} is not one of {expected}", None
    if kind == "union_tag_invalid":
        expected = ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected_tags", ""))))
        return f"{ctx.get('tag')!r} is not one of {expected}", None
    if kind == "union_tag_not_found":
        return "required field is missing", "kind is one of ab, switchback, observational, aha"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"])), None
    msg = err["msg"]
    if value is not None and not isinstance(value, dict | list):
        return f"{msg} (got {value!r})", None
    return msg, None


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
    try:
        return SPEC_ADAPTER.validate_python(data)
    except ValidationError as exc:
        errors = exc.errors()
        err = errors[0]
        loc, model = _strip_tag(tuple(err["loc"]))
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = ("kind",)
        # function-after validators report at the model; keep their loc
        message, hint = _message(err, model, loc)
        where = _where(loc, err["type"], positions, key_positions)
        if err["type"] == "missing" and loc[:-1] in positions:
            where = positions[loc[:-1]]
        more = len(errors) - 1
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
    path = Path(source.path).expanduser()
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
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise SpecError("cannot read the spec file: no such file", file=file,
                        hint="check the path") from None
    except OSError as exc:
        raise SpecError(f"cannot read the spec file: {exc.strerror}", file=file) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"the file is not UTF-8 text (byte {exc.start})", file=file) from None
    loaded = load_spec_text(text, file=file, base=p.resolve().parent)
    return LoadedSpec(spec=loaded.spec, path=p, sha256=hashlib.sha256(raw).hexdigest(),
                      positions=loaded.positions)


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
