"""Gate rollouts in CI: a report becomes a decision, an exit code and CI-native output.

``causalkit gate SPEC`` analyses an ``ab`` or ``switchback`` spec and decides
``ship``, ``hold``, ``inconclusive``, ``rollback``, ``invalid`` or ``error``
(exit codes 0, 10, 11, 20, 30, 2). The decision rules are a pure function of the
report (:func:`decide`); re-running every day is safe because the intervals are
always-valid (``msprt``) or group-sequential (``gst``, with a state file).

Example:
    >>> from causalkit.gate import EXIT_CODES
    >>> EXIT_CODES["rollback"]
    20
"""

from causalkit.gate.codes import EXIT_CODES, exit_code, parse_fail_on
from causalkit.gate.command import gate_command
from causalkit.gate.looks import Look
from causalkit.gate.rules import GateResult, GateRules, decide
from causalkit.gate.state import GateState, load_state, save_state
from causalkit.gate.verdicts import Verdict, judge

__all__ = [
    "EXIT_CODES",
    "GateResult",
    "GateRules",
    "GateState",
    "Look",
    "Verdict",
    "decide",
    "exit_code",
    "gate_command",
    "judge",
    "load_state",
    "parse_fail_on",
    "save_state",
]
