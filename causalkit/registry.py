"""The registry of analyses: each shape's module fills it when imported.

The CLI knows only kinds; it imports the shape's module (named in
:data:`SHAPE_MODULES`), whose import calls :func:`register`. This keeps
``causalkit --help`` fast and the shapes independent of each other.

Example:
    >>> from causalkit.registry import SHAPE_MODULES
    >>> SHAPE_MODULES["ab"]
    'causalkit.ab'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from causalkit.errors import CausalkitError

if TYPE_CHECKING:
    from causalkit.data import Source
    from causalkit.report import Report
    from causalkit.report.basis import PriorLook
    from causalkit.spec.loader import LoadedSpec


@dataclass(frozen=True)
class RunContext:
    """What the entry (``causalkit.analyze``, the CLI) passes to an analysis besides the spec.

    ``sources`` holds the data, already resolved at the entry: spec field
    (``data``, ``pre_data``, ``events``, ``users``) -> table (``main``,
    ``pre_period``, ``events``, ...) -> :class:`~causalkit.data.Source`. Simulators
    run at the entry, never in a shape; a spec field absent here is read from the
    spec's file, query or table (:func:`causalkit.data.pick_source`). ``now`` is the
    analysis time (``--now``; None for the default rule of
    :func:`causalkit.report.basis.analysis_time`); ``history`` the gate's earlier
    looks (None when unknown, as in ``causalkit run``); ``progress`` says the caller
    asked for progress (shapes report long steps through
    :func:`causalkit.progress.track` either way; what is shown is the configured mode).

    Example:
        >>> RunContext(seed=7).seed, RunContext().sources
        (7, {})
    """

    sources: Mapping[str, Mapping[str, Source]] = field(default_factory=dict)
    seed: int | None = None
    now: datetime | None = None
    history: tuple[PriorLook, ...] | None = None
    progress: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    def source(self, spec_field: str, table: str = "main") -> Source | None:
        """The source the entry resolved for a spec field and table, if any.

        Example:
            >>> RunContext().source("data") is None
            True
        """
        return self.sources.get(spec_field, {}).get(table)


Analyzer = Callable[["LoadedSpec", RunContext], "Report"]
SimulationContext = Callable[[Any], Mapping[str, Any]]
SpecValidator = Callable[["LoadedSpec"], None]
"""A kind's checks of a spec that need no data (its graph, its roles); raises ``SpecError``."""


@dataclass(frozen=True)
class Shape:
    """What a kind registers: its analysis, its planner, and how its data are made.

    ``simulation_context`` gives the arguments causalkit supplies to a simulator
    for a spec (the switch-back ``schedule``); ``main_table`` names the table a
    single data file or frame stands for (``main``; ``events`` for Aha);
    ``validate`` checks what the spec's models cannot check alone and needs no
    data (an observational graph: parsed, acyclic, with its treatment and
    outcome), raising a ``SpecError`` with the file and line of the field at
    fault — ``causalkit validate`` and :func:`causalkit.entry.load_spec` call it
    through :func:`validate`.

    Example:
        >>> isinstance(shape("ab"), Shape), shape("ab").power is not None
        (True, True)
        >>> shape("observational").validate is not None
        True
    """

    analyze: Analyzer
    power: Analyzer | None = None
    simulation_context: SimulationContext | None = None
    main_table: str = "main"
    validate: SpecValidator | None = None

SHAPE_MODULES: dict[str, str] = {
    "ab": "causalkit.ab",
    "switchback": "causalkit.switchback",
    "observational": "causalkit.observational",
    "aha": "causalkit.aha",
}

_SHAPES: dict[str, Shape] = {}


def register(kind: str, *, analyze: Analyzer, power: Analyzer | None = None,
             simulation_context: SimulationContext | None = None,
             main_table: str = "main", validate: SpecValidator | None = None) -> None:
    """Register the analysis (and the power/design planner, the spec validator) of a kind.

    Example:
        >>> register("demo", analyze=lambda spec, ctx: None)  # doctest: +SKIP
    """
    _SHAPES[kind] = Shape(analyze, power, simulation_context, main_table, validate)


def validate(loaded: LoadedSpec) -> None:
    """Run the checks the spec's kind registered (nothing for a kind without any).

    Raises:
        SpecError: with the file, line and column of the field at fault.

    Example:
        >>> from causalkit.spec.loader import load_spec_text
        >>> validate(load_spec_text("name: x\\nkind: observational\\n"
        ...     "graph: 'digraph { a -> b -> a }'\\ntreatment: a\\noutcome: b\\n"))
        Traceback (most recent call last):
        ...
        causalkit.observational.validate.GraphSpecError: <string>:3:8: graph: the graph has a cycle: a -> b -> a (...)
    """
    check = shape(loaded.spec.kind).validate
    if check is not None:
        check(loaded)


def shape(kind: str) -> Shape:
    """Everything registered for ``kind`` (imports the shape's package).

    Example:
        >>> shape("aha").main_table
        'events'
    """
    _load(kind)
    if kind not in _SHAPES:
        raise CausalkitError(f"kind {kind!r} has no analysis yet")
    return _SHAPES[kind]


def _load(kind: str) -> None:
    if kind in _SHAPES:
        return
    module = SHAPE_MODULES.get(kind)
    if module is None:
        raise CausalkitError(f"no analysis is registered for kind {kind!r}")
    importlib.import_module(module)


def analyzer(kind: str) -> Analyzer:
    """The analysis function registered for ``kind`` (imports the shape's package).

    Example:
        >>> analyzer("ab").__module__
        'causalkit.ab.analysis'
    """
    return shape(kind).analyze


def planner(kind: str) -> Analyzer:
    """The power and design function registered for ``kind``.

    Example:
        >>> planner("aha")
        Traceback (most recent call last):
        ...
        causalkit.errors.CausalkitError: `causalkit power` does not apply to kind 'aha' (...)
    """
    planned = shape(kind).power
    if planned is None:
        raise CausalkitError(
            f"`causalkit power` does not apply to kind {kind!r}",
            hint="power is planned for ab and switchback specs",
        )
    return planned
