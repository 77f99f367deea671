"""One run of the gate, and its Python door ``causalkit.gate(spec, data=None, ...)``.

:func:`run_gate` is what ``causalkit gate`` and :func:`gate` share: read the
state file (the earlier looks), run the analysis through
:func:`causalkit.entry.run_analysis` with those looks, decide
(:func:`causalkit.gate.rules.decide`), and record the look in the state file.
Without a state file the analysis runs with ``history=None``, exactly as
``causalkit run`` does, so both reach the same decision on the same data. With
one, the whole run holds the state's lock (:func:`causalkit.gate.state.locked`)
and the state is checked against its invariants twice: against the spec when it
is read, and against the analysis' start, horizon and time before the decision.

:func:`gate` returns the :class:`~causalkit.gate.rules.GateResult`; it prints
nothing and never exits (``causalkit gate`` adds the exit code and the CI
outputs). The spec and the data take every form :func:`causalkit.analyze` takes.

Example:
    >>> import causalkit
    >>> from causalkit.simulate.ab import simulate_ab
    >>> df = simulate_ab(seed=3, n=4000, effects={"treatment": {"chat_minutes": 1.0}}
    ...                  ).tables["main"]
    >>> spec = {"name": "demo", "kind": "ab", "unit": "user_id",
    ...         "analysis": {"sequential": "msprt"},
    ...         "metrics": [{"name": "chat_minutes", "type": "mean", "column": "chat_minutes",
    ...                      "role": "primary", "direction": "increase"}]}
    >>> result = causalkit.gate(spec, df)
    >>> result.decision.state.value, result.look.index
    ('ship', 1)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from causalkit.entry import SpecLike, load_spec, run_analysis
from causalkit.errors import GateError
from causalkit.gate.looks import Look
from causalkit.gate.rules import GateResult, decide, no_decision_rules
from causalkit.gate.state import GateState, check_looks, load_state, locked, save_state
from causalkit.report.basis import PriorLook, parse_time
from causalkit.report.model import Report
from causalkit.spec.common import DecisionRules, DecisionState, Sequential
from causalkit.spec.loader import LoadedSpec


@dataclass(frozen=True)
class GateRun:
    """One run: the analysis report, the decision, and the state file's looks after it.

    Example:
        >>> run = run_gate({"name": "x", "kind": "ab", "unit": "user_id",
        ...     "metrics": [{"name": "chat_minutes", "type": "mean", "column": "chat_minutes",
        ...                  "role": "primary", "direction": "increase"}],
        ...     "data": {"simulate": "ab", "params": {"n": 4000}}})
        >>> type(run).__name__, run.result.decision.state.value, run.looks
        ('GateRun', 'hold', ())
    """

    loaded: LoadedSpec
    report: Report
    result: GateResult
    looks: tuple[Look, ...] = ()


def _prior(state: GateState | None) -> tuple[PriorLook, ...] | None:
    if state is None:
        return None
    return tuple(PriorLook(lk.index, lk.key, lk.information_fraction, lk.tested)
                 for lk in state.looks)


def run_gate(spec: SpecLike, data: Any = None, *, state: str | Path | None = None,
             now: datetime | None = None, seed: int | None = None) -> GateRun:
    """Analyse with the earlier looks, decide, and record the look in the state file.

    Args:
        spec: a path, YAML text, a dict, a spec model or a loaded spec.
        data: replaces the spec's ``data:`` (see :func:`causalkit.entry.resolve_sources`).
        state: the state file (created when missing); None runs without history.
        now: the analysis time (timezone-aware); None for the rule ``causalkit run``
            uses (the wall clock, never earlier than the data's last exposure).
        seed: seed for randomization tests and resampling.

    Raises:
        GateError: for a kind without decision rules, a group-sequential plan without
            a state file, a state file that cannot be read, breaks its invariants or
            cannot be written, statistics of an earlier look than the latest (the
            history is append-only), or a state another run holds for too long.
        CausalkitError: for a spec or data that cannot be analysed.

    Example:
        >>> import pathlib, tempfile
        >>> state = pathlib.Path(tempfile.mkdtemp()) / "state.json"
        >>> spec = {"name": "x", "kind": "ab", "unit": "user_id",
        ...     "metrics": [{"name": "chat_minutes", "type": "mean", "column": "chat_minutes",
        ...                  "role": "primary", "direction": "increase"}],
        ...     "data": {"simulate": "ab", "params": {"n": 4000}}}
        >>> [lk.index for lk in run_gate(spec, state=state).looks]
        [1]
    """
    loaded = load_spec(spec)
    if not isinstance(getattr(loaded.spec, "decision", None), DecisionRules):
        # the spec says so before any work; decide() says it again of a report
        raise no_decision_rules(loaded.spec.kind)
    if state is None:
        return _run(loaded, data, None, now=now, seed=seed)
    path = Path(state)
    with locked(path):  # one gate run at a time reads, decides and writes this state
        return _run(loaded, data, path, now=now, seed=seed)


def _run(loaded: LoadedSpec, data: Any, path: Path | None, *, now: datetime | None,
         seed: int | None) -> GateRun:
    gstate = None
    if path is not None:
        spec = loaded.spec
        analysis = getattr(spec, "analysis", None)
        rules = getattr(spec, "decision", None)
        gstate = load_state(
            path, spec_sha256=loaded.sha256, experiment=spec.name,
            sequential=analysis.sequential.value if analysis is not None else "",
            alpha=getattr(analysis, "alpha", None),
            horizon_sample_per_arm=getattr(rules, "horizon_sample_per_arm", None), now=now)
    report = run_analysis(loaded, data, seed=seed, now=now, history=_prior(gstate))
    basis = report.decision_basis
    if basis is not None and basis.sequential is Sequential.GST and gstate is None:
        raise GateError("sequential: gst needs a state file (--state FILE, or state= in "
                        "Python)",
                        hint="the state file remembers the earlier looks and the alpha "
                             "they spent; keep it between runs (e.g. as a CI cache)")
    if gstate is not None and path is not None and basis is not None:
        # the analysis knows what the spec alone does not: the start and its own time
        check_looks(gstate.looks, path=path, sequential=basis.sequential.value,
                    alpha=basis.alpha, horizon_sample_per_arm=basis.horizon_sample_per_arm,
                    horizon=basis.horizon, start=parse_time(basis.start),
                    now=parse_time(basis.now))
    result = decide(report, history=gstate.looks if gstate else (), now=now)
    if gstate is None or path is None or basis is None:
        return GateRun(loaded, report, result)
    if result.decision.state is DecisionState.ERROR:  # no look was made: the state stays
        return GateRun(loaded, report, result, gstate.looks)
    if not gstate.sequential:
        gstate = replace(gstate, sequential=basis.sequential.value)
    new_state, changed = gstate.with_look(result.look)
    if changed:
        save_state(path, new_state)
    return GateRun(loaded, report, result, new_state.looks)


def gate(spec: SpecLike, data: Any = None, *, state: str | Path | None = None,
         now: datetime | None = None, seed: int | None = None) -> GateResult:
    """The gate's decision on a spec and its data (``causalkit.gate(...)``), with no exit.

    Args:
        spec: a path to a YAML file, YAML text, a dict, a spec model or a loaded spec
            (``ab`` or ``switchback``: a kind with decision rules).
        data: replaces the spec's ``data:``: a pandas DataFrame, an Arrow table, a
            DuckDB relation or a CSV/Parquet path; None reads the spec's ``data:``.
        state: a state file path; the look is recorded there, as ``causalkit gate
            --state`` does (required for ``sequential: gst``). None: no history, the
            decision ``causalkit run`` shows.
        now: the analysis time (timezone-aware); by default the wall clock, never
            earlier than the data's last exposure.
        seed: seed for randomization tests and resampling.

    Returns:
        The decision (``result.decision``: state, reasons), the look, the warnings.

    Raises:
        CausalkitError: (a ``GateError`` for gate-specific problems) when the spec,
            the data or the state cannot support a decision.

    Example:
        >>> import causalkit
        >>> result = causalkit.gate(
        ...     "name: demo\\nkind: ab\\nunit: user_id\\nanalysis: {sequential: msprt}\\n"
        ...     "metrics: [{name: chat_minutes, type: mean, column: chat_minutes, "
        ...     "role: primary, direction: increase}]\\n"
        ...     "data: {simulate: ab, params: {n: 2000}}\\n")
        >>> result.decision.state.value in ("ship", "hold", "inconclusive", "rollback")
        True
    """
    return run_gate(spec, data, state=state, now=now, seed=seed).result
