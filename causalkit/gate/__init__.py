"""Gate rollouts in CI: a report becomes a decision, an exit code and CI-native output.

``causalkit gate SPEC`` analyses a spec whose kind has decision rules (its report
carries a :class:`~causalkit.report.DecisionBasis`: ``ab`` and ``switchback``)
and decides ``ship``, ``hold``, ``inconclusive``, ``rollback``, ``invalid`` or
``error`` (exit codes 0, 10, 11, 20, 30, 2). The decision rules
(:func:`decide`) are a pure function of the report and the earlier looks; the
report's decision intervals are always-valid (``msprt``) or group-sequential
(``gst``, with a state file), so re-running every day is safe.

From Python the package itself is the door: ``causalkit.gate(spec, data=None, *,
state=None, now=None, seed=None)`` returns the :class:`GateResult` (no printing,
no exit), while ``causalkit.gate.decide`` and the other names below still work.

Example:
    >>> import causalkit
    >>> from causalkit.gate import EXIT_CODES
    >>> EXIT_CODES["rollback"], callable(causalkit.gate)
    (20, True)
"""

from __future__ import annotations

import sys
import types
from datetime import datetime
from pathlib import Path
from typing import Any

from causalkit.gate.codes import EXIT_CODES, exit_code, parse_fail_on
from causalkit.gate.command import gate_command
from causalkit.gate.looks import Look
from causalkit.gate.rules import RULES, GateResult, decide
from causalkit.gate.run import GateRun, gate, run_gate
from causalkit.gate.state import GateState, load_state, save_state

__all__ = [
    "EXIT_CODES",
    "RULES",
    "GateResult",
    "GateRun",
    "GateState",
    "Look",
    "decide",
    "exit_code",
    "gate",
    "gate_command",
    "load_state",
    "parse_fail_on",
    "run_gate",
    "save_state",
]


class _GateModule(types.ModuleType):
    """This package, callable: ``causalkit.gate(...)`` is :func:`causalkit.gate.run.gate`.

    The package and the Python door share the name ``gate``: ``causalkit.gate`` is
    the package once it is imported (Python binds a subpackage as an attribute of
    its parent), so a function of that name could not also live on ``causalkit``.
    Giving the package module a class with ``__call__`` makes ``causalkit.gate(spec)``
    run the gate while ``causalkit.gate.decide`` and the rest stay importable.
    """

    def __call__(self, spec: Any, data: Any = None, *, state: str | Path | None = None,
                 now: datetime | None = None, seed: int | None = None) -> GateResult:
        return gate(spec, data, state=state, now=now, seed=seed)


sys.modules[__name__].__class__ = _GateModule
