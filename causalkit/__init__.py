"""causalkit: decide whether a product change works.

One experiment-spec format (:mod:`causalkit.spec`), one report layer
(:mod:`causalkit.report`), and four shapes of analysis: user-randomized A/B
tests, switch-back tests, DAG-based estimation on observational data and
Aha-moment discovery, all through one door:

* :func:`causalkit.analyze` ``(spec, data=None) -> Report`` for every kind;
* :func:`causalkit.load_spec` ``(spec) -> LoadedSpec`` (a path, YAML text, a dict
  or a model);
* ``causalkit.gate(spec, data=None, state=None) -> GateResult``: the rollout
  decision with the look history (no exit; ``causalkit gate`` adds the exit code).

They import lazily, so ``import causalkit`` stays cheap.

Example:
    >>> import causalkit
    >>> causalkit.__version__
    '0.1.0'
    >>> callable(causalkit.analyze), callable(causalkit.gate)
    (True, True)
"""

from typing import TYPE_CHECKING, Any

from causalkit._version import __version__
from causalkit.errors import (
    CausalkitError,
    DataError,
    GateError,
    IdentificationError,
    SpecError,
)

if TYPE_CHECKING:
    from causalkit.api import analyze, load_spec
    from causalkit.gate.run import gate as gate


__all__ = [
    "CausalkitError",
    "DataError",
    "GateError",
    "IdentificationError",
    "SpecError",
    "__version__",
    "analyze",
    "gate",
    "load_spec",
]


def __getattr__(name: str) -> Any:
    """Import the door's functions on first use (``analyze``, ``load_spec``, ``gate``)."""
    if name in ("analyze", "load_spec"):
        import causalkit.api

        return getattr(causalkit.api, name)
    if name == "gate":
        import importlib

        return importlib.import_module("causalkit.gate")
    raise AttributeError(f"module 'causalkit' has no attribute {name!r}")
