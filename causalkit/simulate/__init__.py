"""Generators of data with a known truth, one per shape.

Each generator is a function ``(*, seed, **params) -> Simulated`` registered by
name. Unknown parameters are a :class:`~causalkit.errors.SpecError` that lists
the accepted ones.

Example:
    >>> sorted(SIMULATORS)
    ['ab', 'event_log', 'matching_market', 'scm']
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from causalkit.errors import SpecError
from causalkit.progress import track
from causalkit.spec.common import Simulator

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Simulated:
    """Tables made by a generator, and the truth it planted (e.g. ``{"ate": 0.3}``)."""

    tables: dict[str, pd.DataFrame]
    truth: dict[str, Any] = field(default_factory=dict)


SIMULATORS: dict[str, str] = {
    Simulator.AB.value: "causalkit.simulate.ab:simulate_ab",
    Simulator.MATCHING_MARKET.value: "causalkit.simulate.market:simulate_market",
    Simulator.SCM.value: "causalkit.simulate.scm:simulate_scm",
    Simulator.EVENT_LOG.value: "causalkit.simulate.event_log:simulate_event_log",
}
"""Simulator name -> ``module:function`` (imported on first use)."""


def get_simulator(name: str) -> Callable[..., Simulated]:
    """The generator function registered under ``name``.

    Example:
        >>> get_simulator("ab").__name__
        'simulate_ab'
    """
    module, func = SIMULATORS[name].split(":")
    fn: Callable[..., Simulated] = getattr(importlib.import_module(module), func)
    return fn


SIZE_LIMITS: dict[str, dict[str, tuple[float, float]]] = {
    Simulator.AB.value: {"n": (2, 50_000_000)},
    Simulator.SCM.value: {"n": (10, 50_000_000)},
    Simulator.MATCHING_MARKET.value: {
        "days": (1 / 24, 366), "pre_days": (0, 366), "tick_seconds": (1, 86_400),
        "bucket_seconds": (1, 86_400), "replications": (1, 1_000), "scale": (1e-3, 1e3)},
}
"""Simulator parameter -> its allowed range (the event-log simulator checks its own):
made-up data must not exhaust the machine."""

MAX_MARKET_TICKS = 20_000_000
"""Largest ``(days + pre_days) * 86400 / tick_seconds`` of the matching market."""


def _check_sizes(name: str, params: Mapping[str, Any]) -> None:
    """Refuse simulator sizes outside :data:`SIZE_LIMITS` (a ``SpecError`` at ``data.params``).

    Example:
        >>> _check_sizes("ab", {"n": 10**15})
        Traceback (most recent call last):
        ...
        causalkit.errors.SpecError: data.params: n must be a number from 2 to 50,000,000 (...)
    """
    for key, (low, high) in SIZE_LIMITS.get(name, {}).items():
        if key not in params:
            continue
        value = params[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise SpecError(f"{key} must be a number from {low:,g} to {high:,}",
                            field="data.params", hint=f"got {value!r}")
    if name == Simulator.MATCHING_MARKET.value:
        days = float(params.get("days", 14.0)) + float(params.get("pre_days", 7.0))
        ticks = days * 86_400 / float(params.get("tick_seconds", 60.0))
        if ticks > MAX_MARKET_TICKS:
            raise SpecError(f"the market would simulate {ticks:,.0f} ticks per region, more than "
                            f"{MAX_MARKET_TICKS:,}", field="data.params",
                            hint="raise tick_seconds or shorten days / pre_days")


def simulate(name: str | Simulator, params: Mapping[str, Any] | None = None,
             seed: int | None = None, *, context: Mapping[str, Any] | None = None
             ) -> Simulated:
    """Run a registered generator with spec parameters.

    ``context`` passes arguments that causalkit supplies itself (the switch-back
    ``schedule``); a spec cannot set them through ``params``. The run is a progress
    step (:func:`causalkit.progress.track`); a generator with a ``progress``
    parameter is passed the step's ``(rows done, rows)`` callback.

    Raises:
        SpecError: for a parameter the generator does not take.

    Example:
        >>> sim = simulate("ab", {"n": 1000}, seed=1)
        >>> len(sim.tables["main"])
        1000
        >>> simulate("ab", {"users": 10})
        Traceback (most recent call last):
        ...
        causalkit.errors.SpecError: data.params: simulator 'ab' has no parameter 'users' (...)
    """
    key = name.value if isinstance(name, Simulator) else name
    fn = get_simulator(key)
    sig = inspect.signature(fn)
    context = dict(context or {})
    reports = "progress" in sig.parameters  # a (rows done, rows) callback; never a spec param
    accepted = [p for p in sig.parameters
                if p != "seed" and p not in context and p != "progress"]
    params = dict(params or {})
    for p in params:
        if p not in accepted:
            raise SpecError(
                f"simulator {key!r} has no parameter {p!r}",
                field="data.params", hint=f"parameters: {', '.join(accepted)}",
            )
    _check_sizes(key, params)
    with track(f"simulating {key}", unit="rows") as step:
        if reports:
            context["progress"] = step.callback
        sim = fn(seed=0 if seed is None else seed, **params, **context)
        main = sim.tables.get("main")
        if main is not None and not reports:
            step.update(len(main), len(main))
    return sim
