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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from causalkit.errors import CausalkitError

if TYPE_CHECKING:
    from causalkit.report import Report
    from causalkit.spec.loader import LoadedSpec


@dataclass(frozen=True)
class RunContext:
    """What a command passes to an analysis besides the spec.

    ``data`` overrides the spec's data source (a CSV or Parquet path); ``now`` is
    the analysis time (the gate's ``--now``); ``progress`` allows progress bars.

    Example:
        >>> RunContext(seed=7).seed, RunContext().data is None
        (7, True)
    """

    data: Path | None = None
    seed: int | None = None
    now: datetime | None = None
    progress: bool = False
    options: dict[str, Any] = field(default_factory=dict)


Analyzer = Callable[["LoadedSpec", RunContext], "Report"]

SHAPE_MODULES: dict[str, str] = {
    "ab": "causalkit.ab",
    "switchback": "causalkit.switchback",
    "observational": "causalkit.observational",
    "aha": "causalkit.aha",
}

_ANALYZERS: dict[str, Analyzer] = {}
_PLANNERS: dict[str, Analyzer] = {}


def register(kind: str, *, analyze: Analyzer, power: Analyzer | None = None) -> None:
    """Register the analysis (and the power/design planner) of a kind.

    Example:
        >>> register("demo", analyze=lambda spec, ctx: None)  # doctest: +SKIP
    """
    _ANALYZERS[kind] = analyze
    if power is not None:
        _PLANNERS[kind] = power


def _load(kind: str) -> None:
    if kind in _ANALYZERS:
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
    _load(kind)
    if kind not in _ANALYZERS:
        raise CausalkitError(f"kind {kind!r} has no analysis yet")
    return _ANALYZERS[kind]


def planner(kind: str) -> Analyzer:
    """The power and design function registered for ``kind``.

    Example:
        >>> planner("aha")
        Traceback (most recent call last):
        ...
        causalkit.errors.CausalkitError: `causalkit power` does not apply to kind 'aha' (...)
    """
    _load(kind)
    if kind not in _PLANNERS:
        raise CausalkitError(
            f"`causalkit power` does not apply to kind {kind!r}",
            hint="power is planned for ab and switchback specs",
        )
    return _PLANNERS[kind]
