"""The field-by-field reference of the spec format, generated from the models.

``docs/spec-reference.md`` is this module's output (a test keeps them equal), so the
reference can never drift from what the loader accepts.

Example:
    >>> text = reference_markdown()
    >>> "## `kind: ab`" in text and "| `alpha` |" in text
    True
"""

from __future__ import annotations

import enum
import types
import typing
from datetime import datetime, timedelta
from typing import Any

import annotated_types as at
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from causalkit.spec.limits import LIMITS, MAX_NUMBER
from causalkit.spec.models import SPEC_TYPES

_TITLE = {"ab": "kind: ab", "switchback": "kind: switchback",
          "observational": "kind: observational", "aha": "kind: aha"}


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        base = args[0]
        if base is timedelta:
            return "duration"
        if base is datetime:
            return "timestamp"
        return _type_name(base)
    if origin in (typing.Union, types.UnionType):
        parts = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(dict.fromkeys(parts))
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return "mapping"
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return " \\| ".join(f"`{m.value}`" for m in annotation)
        if issubclass(annotation, BaseModel):
            return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
        if annotation is timedelta:
            return "duration"
        if annotation is datetime:
            return "timestamp"
        return {"str": "text", "int": "integer", "float": "number", "bool": "boolean"}.get(
            annotation.__name__, annotation.__name__)
    return str(annotation)


def _num(value: float) -> str:
    if float(value).is_integer():
        whole = int(value)
        return f"{whole:,}" if abs(whole) >= 1000 else str(whole)
    return f"{value:g}"


def _metadata(field: Any) -> list[Any]:
    """Constraints of a field: its own and those of the scalar type it holds."""
    found = list(field.metadata)
    stack = [field.annotation]
    while stack:
        ann = stack.pop()
        origin = typing.get_origin(ann)
        if origin is typing.Annotated:
            found.extend(ann.__metadata__)
        elif origin in (typing.Union, types.UnionType):
            stack.extend(typing.get_args(ann))
    return found


def _constraints(field: Any) -> str:
    """The range of a field in words (``1 to 100``, ``> 0, < 0.5``, ``at most 100 items``);
    the bounds every number or whole number has are left to the Limits section."""
    low: float | None = None
    high: float | None = None
    low_open = high_open = False
    size = None
    for m in _metadata(field):
        items = [m] if not isinstance(m, at.Interval) else [
            at.Gt(m.gt) if m.gt is not None else None, at.Ge(m.ge) if m.ge is not None else None,
            at.Lt(m.lt) if m.lt is not None else None, at.Le(m.le) if m.le is not None else None]
        for b in items:
            if isinstance(b, at.Ge | at.Gt):
                value = float(b.ge if isinstance(b, at.Ge) else b.gt)  # type: ignore[arg-type]
                if abs(value) < MAX_NUMBER and (low is None or value >= low):
                    low, low_open = value, isinstance(b, at.Gt)
            elif isinstance(b, at.Le | at.Lt):
                value = float(b.le if isinstance(b, at.Le) else b.lt)  # type: ignore[arg-type]
                if abs(value) < MAX_NUMBER and (high is None or value <= high):
                    high, high_open = value, isinstance(b, at.Lt)
        if isinstance(m, at.MaxLen):
            size = m.max_length
    parts = []
    if low is not None and high is not None and not low_open and not high_open:
        parts.append(f"{_num(low)} to {_num(high)}")
    else:
        if low is not None:
            parts.append(f"{'>' if low_open else '≥'} {_num(low)}")
        if high is not None:
            parts.append(f"{'<' if high_open else '≤'} {_num(high)}")
    if size is not None:
        parts.append(f"at most {_num(size)} items")
    return ", ".join(parts)


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        try:
            value = field.default_factory()
        except TypeError:
            return "—"
        if isinstance(value, BaseModel):
            return "defaults"
    else:
        value = field.default
    if value is None or value is PydanticUndefined:
        return "—"
    if isinstance(value, enum.Enum):
        return f"`{value.value}`"
    if isinstance(value, list):
        return "`[" + ", ".join(str(getattr(v, "value", v)) for v in value) + "]`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def _nested(model: type[BaseModel]) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    for field in model.model_fields.values():
        stack = [field.annotation]
        while stack:
            ann = stack.pop()
            if isinstance(ann, type) and issubclass(ann, BaseModel) and ann not in found:
                found.append(ann)
            stack.extend(typing.get_args(ann))
    return found


def _model_doc(annotation: Any) -> str:
    """The first docstring line of the model inside ``annotation`` (a list of it too)."""
    stack = [annotation]
    while stack:
        ann = stack.pop()
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            lines = (ann.__doc__ or "").strip().splitlines()
            return lines[0] if lines else ""
        stack.extend(typing.get_args(ann))
    return ""


def _table(model: type[BaseModel]) -> list[str]:
    lines = ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for name, field in model.model_fields.items():
        key = field.alias or name
        desc = field.description or _model_doc(field.annotation)
        desc = desc.replace("|", "\\|").replace("\n", " ")
        kind = _type_name(field.annotation)
        bounds = _constraints(field)
        if bounds:
            kind += f", {bounds}"
        lines.append(f"| `{key}` | {kind} | {_default(field)} | {desc} |")
    return lines


def reference_markdown() -> str:
    """The Markdown reference of every spec kind and every nested mapping.

    Example:
        >>> reference_markdown().splitlines()[0]
        '# Spec reference'
    """
    out = ["# Spec reference", "",
           "Generated from the spec models (`causalkit.spec.reference`); "
           "see [the spec format](spec.md) for the rules and examples.", ""]
    shared: list[type[BaseModel]] = []
    for kind, model in SPEC_TYPES.items():
        out += [f"## `{_TITLE[kind]}`", "", (model.__doc__ or "").strip().splitlines()[0], ""]
        out += _table(model)
        out.append("")
        for sub in _nested(model):
            if sub not in shared:
                shared.append(sub)
    seen: set[type[BaseModel]] = set()
    queue = list(shared)
    while queue:
        sub = queue.pop(0)
        if sub in seen:
            continue
        seen.add(sub)
        doc = (sub.__doc__ or "").strip().splitlines()
        out += [f"## {sub.__name__}", "", doc[0] if doc else "", ""]
        out += _table(sub)
        out.append("")
        queue.extend(s for s in _nested(sub) if s not in seen)
    out += _limits()
    return "\n".join(out).rstrip() + "\n"


def _limits() -> list[str]:
    out = ["## Limits", "",
           "A spec is a small, hand-written file. The loader refuses anything beyond these "
           "limits at once, with the file, line, column and field, what it found and the "
           "limit; `causalkit validate` exits with code 2 and never runs long (about two "
           "seconds at most, for a 1 MiB file). Every number is also held to the range shown "
           "in its table above.", "",
           "| what | limit | notes |", "| --- | --- | --- |"]
    for what, limit, notes in LIMITS:
        out.append(f"| {what} | {limit} | {notes.replace('|', chr(92) + '|')} |")
    out.append("")
    return out
