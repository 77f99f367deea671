"""Exit codes of ``causalkit gate`` and the ``--fail-on`` option.

Without ``--fail-on`` every decision has its own exit code:

========  ============  ===========================================
code      decision      meaning
========  ============  ===========================================
0         ship          roll out
10        hold          keep the experiment running
11        inconclusive  the planned horizon passed without a decision
20        rollback      harm shown: turn the change off
30        invalid       a check failed; no effect is trusted
2         error         the spec, data or state could not be read
1         (crash)       a bug in causalkit; please report it
========  ============  ===========================================

With ``--fail-on LIST`` (comma-separated decisions, or ``spec`` for the spec's
``decision.fail_on``) the listed decisions exit 1 and every other decision
exits 0, for CI systems that only know zero and non-zero. ``error`` always exits
2, listed or not: a gate that cannot read its inputs never passes.

Example:
    >>> exit_code("hold"), exit_code("hold", fail_on=frozenset({"rollback"}))
    (10, 0)
    >>> exit_code("error", fail_on=frozenset())
    2
"""

from __future__ import annotations

from collections.abc import Iterable

from causalkit.errors import GateError

EXIT_CODES: dict[str, int] = {
    "ship": 0,
    "hold": 10,
    "inconclusive": 11,
    "rollback": 20,
    "invalid": 30,
    "error": 2,
}
"""Decision -> exit code when ``--fail-on`` is not given."""

DECISIONS: tuple[str, ...] = tuple(EXIT_CODES)


def exit_code(state: str, fail_on: frozenset[str] | None = None) -> int:
    """The exit code of a decision.

    Args:
        state: the decision.
        fail_on: decisions that exit 1 (the rest exit 0); ``None`` for the
            distinct codes. ``error`` exits 2 either way.

    Example:
        >>> exit_code("rollback", fail_on=frozenset({"rollback", "invalid"}))
        1
    """
    if state not in EXIT_CODES:
        raise GateError(f"unknown decision {state!r}")
    if state == "error":
        return 2
    if fail_on is None:
        return EXIT_CODES[state]
    return 1 if state in fail_on else 0


def parse_fail_on(text: str | None, spec_default: Iterable[str] = ()) -> frozenset[str] | None:
    """Parse ``--fail-on``: ``None`` (distinct codes), ``spec``, or a list of decisions.

    Raises:
        GateError: for an unknown decision name.

    Example:
        >>> sorted(parse_fail_on("rollback, invalid"))
        ['invalid', 'rollback']
        >>> sorted(parse_fail_on("spec", ["rollback", "error"]))
        ['error', 'rollback']
        >>> parse_fail_on("rollbak")
        Traceback (most recent call last):
        ...
        causalkit.errors.GateError: --fail-on: unknown decision 'rollbak' (use ... or spec)
    """
    if text is None:
        return None
    items = [part.strip().lower() for part in text.split(",") if part.strip()]
    if items == ["spec"]:
        return frozenset(str(s) for s in spec_default)
    for item in items:
        if item not in EXIT_CODES:
            raise GateError(f"--fail-on: unknown decision {item!r}",
                            hint=f"use a comma-separated list of {', '.join(DECISIONS)} or spec")
    return frozenset(items)
