"""The entry: a spec and data in, the registered analysis run, a Report out.

This is the one place where a spec given in any form (a path, YAML text, a dict,
a spec model) becomes a :class:`~causalkit.spec.loader.LoadedSpec`, and where
data given in any form (a pandas DataFrame, an Arrow table, a path, a DuckDB
relation, a pair of Aha tables, or the spec's own ``data:``) become the
:class:`~causalkit.data.Source` objects a shape reads. Simulators
(``data: {simulate: ...}``) run here, once, into frames: the data layer only
wraps frames, files, SQL and tables, and shapes never make data.

:func:`causalkit.analyze` and :func:`causalkit.gate` are built on
:func:`run_analysis`; the CLI's ``run``, ``power`` and ``gate`` too.

Example:
    >>> loaded = load_spec({"name": "x", "kind": "aha", "data": {"simulate": "event_log"}})
    >>> loaded.spec.kind, loaded.path is None
    ('aha', True)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from causalkit.data import Source
from causalkit.errors import CausalkitError, DataError, SpecError
from causalkit.progress import enable, track
from causalkit.registry import RunContext, shape
from causalkit.spec.common import DataSource
from causalkit.spec.loader import LoadedSpec, load_spec_file, load_spec_text, validate_data

if TYPE_CHECKING:
    from causalkit.report import Report
    from causalkit.report.basis import PriorLook

SpecLike = str | Path | Mapping[str, Any] | LoadedSpec | Any
"""A spec: a path to a YAML file, YAML text, a dict, a spec model or a loaded spec."""


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def load_spec(spec: SpecLike) -> LoadedSpec:
    """A spec in any form, validated: a path, YAML text, a dict, a spec model or a LoadedSpec.

    Text with a newline or a ``kind:`` key is YAML; other text is a path.

    Raises:
        SpecError: with ``file:line:column`` for a spec that does not validate.

    Example:
        >>> load_spec("name: x\\nkind: aha\\ndata: {simulate: event_log}\\n").spec.name
        'x'
        >>> load_spec({"name": "x", "kind": "nope"})
        Traceback (most recent call last):
        ...
        causalkit.errors.SpecError: <dict>: kind: ...
    """
    from pydantic import BaseModel

    if isinstance(spec, LoadedSpec):
        return spec
    if isinstance(spec, Path):
        return load_spec_file(spec)
    if isinstance(spec, str):
        if "\n" in spec or spec.lstrip().startswith(("name:", "kind:", "{")):
            return load_spec_text(spec)
        return load_spec_file(spec)
    if isinstance(spec, BaseModel):
        text = json.dumps(spec.model_dump(mode="json", exclude_none=True), sort_keys=True)
        return LoadedSpec(spec, None, _sha(text), {})
    if isinstance(spec, Mapping):
        model = validate_data(dict(spec), "<dict>")
        text = json.dumps(dict(spec), sort_keys=True, default=str)
        return LoadedSpec(model, None, _sha(text), {})
    raise SpecError(f"a spec must be a path, YAML text, a dict or a spec model, not "
                    f"{type(spec).__name__}")


def _from_data(value: Any, engine: Any, main_table: str) -> dict[str, Source]:
    """Tables for data given at the entry (see :func:`resolve_sources`)."""
    if isinstance(value, Source):
        return {main_table: value}
    if isinstance(value, str | Path):
        if engine is None:
            return {main_table: Source.from_path(value)}
        return {main_table: Source.from_path(value, engine=engine)}
    if isinstance(value, tuple) and len(value) == 2:
        return {"events": _one(value[0], "events"), "users": _one(value[1], "users")}
    if isinstance(value, Mapping):
        return {str(k): _one(v, str(k)) for k, v in value.items()}
    return {main_table: _one(value, main_table)}


def _one(value: Any, name: str) -> Source:
    if isinstance(value, Source):
        return value
    if isinstance(value, str | Path):
        return Source.from_path(value)
    module = type(value).__module__
    if module.startswith("duckdb"):
        try:
            table = value.to_arrow_table() if hasattr(value, "to_arrow_table") else value.arrow()
            if hasattr(table, "read_all"):  # a record-batch reader (DuckDB >= 1.4's arrow())
                table = table.read_all()
        except Exception as exc:  # a closed connection, a failed query
            raise DataError(f"cannot read the DuckDB relation: {exc}", source=name) from None
        value = table
        module = type(value).__module__
    import pandas as pd

    if isinstance(value, pd.DataFrame) or module.startswith("pyarrow"):
        return Source.from_frame(value, name=f"<{name}>")
    raise DataError(
        f"data of type {type(value).__name__} cannot be read",
        source=name,
        hint="pass a pandas DataFrame, an Arrow table, a DuckDB relation or a CSV/Parquet path",
    )


def _simulated(loaded: LoadedSpec, spec_field: str, source: DataSource) -> dict[str, Source]:
    from causalkit.simulate import simulate

    kind = loaded.spec.kind
    made = shape(kind).simulation_context
    context = dict(made(loaded.spec)) if made is not None else {}
    seed = 0 if source.seed is None else source.seed
    sim = simulate(source.simulate, source.params, seed, context=context)  # type: ignore[arg-type]
    name = source.simulate.value  # type: ignore[union-attr]
    ctx_key = {k: getattr(v, "sha256", repr(v)) for k, v in context.items()}
    out = {}
    for table, frame in sim.tables.items():
        seed_text = json.dumps({"sim": name, "params": source.params, "seed": seed,
                                "table": table, "context": ctx_key}, sort_keys=True,
                               default=str)
        out[table] = Source.from_frame(frame, name=f"simulate:{name}:{table}",
                                       truth=sim.truth, fingerprint_seed=seed_text)
    return out


def resolve_sources(loaded: LoadedSpec, data: Any = None
                    ) -> dict[str, dict[str, Source]]:
    """The data of a spec, as the sources a shape reads: spec field -> table -> Source.

    ``data`` replaces the spec's ``data:`` (which may then be absent): a pandas
    DataFrame, an Arrow table, a DuckDB relation, a CSV or Parquet path, a
    :class:`~causalkit.data.Source`, a pair ``(events, users)`` for Aha, or a
    mapping of table name to any of those. Every ``simulate:`` field of the spec
    not replaced by ``data`` is simulated here.

    Example:
        >>> import pandas as pd
        >>> loaded = load_spec({"name": "x", "kind": "ab", "unit": "u",
        ...     "metrics": [{"name": "m", "type": "mean", "column": "m", "role": "primary"}]})
        >>> srcs = resolve_sources(loaded, pd.DataFrame({"u": [1], "variant": ["control"],
        ...                                              "m": [1.0]}))
        >>> srcs["data"]["main"].kind
        'frame'
    """
    spec = loaded.spec
    out: dict[str, dict[str, Source]] = {}
    main_table = shape(spec.kind).main_table
    for spec_field in type(spec).model_fields:
        value = getattr(spec, spec_field, None)
        if spec_field == "data" and data is not None:
            engine = getattr(value, "engine", None)
            from causalkit.spec.common import Engine

            out["data"] = _from_data(data, engine or Engine.DUCKDB, main_table)
        elif isinstance(value, DataSource) and value.simulate is not None:
            out[spec_field] = _simulated(loaded, spec_field, value)
    return out


def run_analysis(spec: SpecLike, data: Any = None, *, seed: int | None = None,
                 now: datetime | None = None, history: Sequence[PriorLook] | None = None,
                 progress: bool = False, options: Mapping[str, Any] | None = None) -> Report:
    """Run the registered analysis of a spec's kind on its data (no decision is added).

    Args:
        spec: a path, YAML text, a dict, a spec model or a loaded spec.
        data: data replacing the spec's ``data:`` (see :func:`resolve_sources`).
        seed: seed for randomization tests and resampling (the spec's when None).
        now: the analysis time (timezone-aware); None for the default rule.
        history: the gate's earlier looks; None when unknown.
        progress: show progress of long steps on standard error (a bar on a terminal,
            lines otherwise: :func:`causalkit.progress.enable`), unless the caller
            configured a progress mode already.
        options: kind-specific options (for example Aha's ``--propose-experiment``).

    Example:
        >>> rep = run_analysis({"name": "x", "kind": "ab", "unit": "user_id",
        ...     "metrics": [{"name": "chat_minutes", "type": "mean", "column": "chat_minutes",
        ...                  "role": "primary", "direction": "increase"}],
        ...     "data": {"simulate": "ab", "params": {"n": 2000}}})
        >>> rep.estimates[0].metric, rep.decision is None
        ('chat_minutes', True)
    """
    loaded = load_spec(spec)
    if now is not None and now.tzinfo is None:
        raise CausalkitError("the analysis time (now) needs a time zone",
                             hint="write it like 2026-12-01T00:00Z")
    with enable(progress):
        sources = resolve_sources(loaded, data)
        ctx = RunContext(sources=sources, seed=seed, now=now,
                         history=None if history is None else tuple(history),
                         progress=progress, options=dict(options or {}))
        kind = loaded.spec.kind
        with track(f"{kind} analysis of {loaded.spec.name}"):
            report = shape(kind).analyze(loaded, ctx)
    if report.decision is not None:  # shapes never decide; the entry's caller does
        report = replace(report, decision=None)
    return report


def run_planner(spec: SpecLike, *, pre_data: Any = None, progress: bool = False) -> Report:
    """Run the registered planner of a spec's kind (``causalkit power``).

    ``pre_data`` (a path or a frame) replaces the spec's ``pre_data:``; simulated
    fields of the spec are simulated here, as for :func:`run_analysis`. ``progress``
    shows progress of long steps on standard error, as for :func:`run_analysis`.

    Example:
        >>> from causalkit.simulate.ab import simulate_ab
        >>> pre = simulate_ab(seed=1, n=2000).tables["main"]
        >>> rep = run_planner({"name": "x", "kind": "ab", "unit": "user_id",
        ...     "metrics": [{"name": "chat_minutes", "type": "mean", "column": "chat_minutes",
        ...                  "role": "primary"}]}, pre_data=pre)
        >>> rep.experiment.kind
        'ab'
    """
    loaded = load_spec(spec)
    from causalkit.registry import planner

    with enable(progress):
        sources = resolve_sources(loaded)
        if pre_data is not None:
            sources["pre_data"] = _from_data(pre_data, None, "main")
        kind = loaded.spec.kind
        with track(f"{kind} power planning of {loaded.spec.name}"):
            return planner(kind)(loaded, RunContext(sources=sources, progress=progress))
