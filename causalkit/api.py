"""The Python door: ``causalkit.analyze(spec, data=None) -> Report`` for every kind.

:func:`analyze` runs a spec's analysis on its data (see
:func:`causalkit.entry.resolve_sources` for every form data can take) and, for
kinds with decision rules (``ab``, ``switchback``), adds the decision the gate
would take on this data without a look history: the same state and reasons as
``causalkit gate`` without ``--state``. ``causalkit run`` is this function.

Example:
    >>> import causalkit
    >>> from causalkit.simulate.ab import simulate_ab
    >>> df = simulate_ab(seed=3, n=4000, effects={"treatment": {"chat_minutes": 1.0}}
    ...                  ).tables["main"]
    >>> rep = causalkit.analyze({"name": "demo", "kind": "ab", "unit": "user_id",
    ...     "metrics": [{"name": "chat_minutes", "type": "mean", "column": "chat_minutes",
    ...                  "role": "primary", "direction": "increase"}]}, data=df)
    >>> rep.estimates[0].assessment.value, rep.decision.state.value
    ('better', 'ship')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from causalkit.entry import SpecLike, load_spec, run_analysis
from causalkit.errors import GateError

if TYPE_CHECKING:
    from causalkit.report import Report

__all__ = ["analyze", "load_spec"]


def analyze(spec: SpecLike, data: Any = None, *, seed: int | None = None,
            now: datetime | None = None, progress: bool = False,
            options: Mapping[str, Any] | None = None,
            segments: Sequence[str] | None = None) -> Report:
    """Analyse a spec of any kind on its data and return the Report.

    Args:
        spec: a path to a YAML file, YAML text, a dict, a spec model or a loaded spec.
        data: replaces the spec's ``data:`` (which may then be absent): a pandas
            DataFrame, an Arrow table, a DuckDB relation, a CSV or Parquet path, or for
            Aha a pair ``(events, users)``. None reads the spec's ``data:``.
        seed: seed for randomization tests and resampling.
        now: the analysis time (timezone-aware); by default the wall clock, never
            earlier than the data's last exposure.
        progress: show progress of long steps on standard error (a bar on a terminal,
            plain lines otherwise) unless the caller configured a mode already with
            :func:`causalkit.progress.configure`; never on standard output.
        options: kind-specific options.
        segments: ``ab`` specs: the unit attribute columns to break effects down by,
            replacing the spec's ``segments.by`` (its other settings are kept); ``[]``
            turns the breakdown off. See ``docs/segments.md``.

    Returns:
        The report; for ``ab`` and ``switchback`` with its ``decision``.

    Raises:
        CausalkitError: for a spec or data that cannot be analysed (the message says
            where and what to do).

    Example:
        >>> import causalkit
        >>> rep = causalkit.analyze("name: x\\nkind: aha\\ndata: {simulate: event_log, "
        ...     "params: {n_users: 3000}}\\n")
        >>> rep.experiment.kind, rep.decision is None
        ('aha', True)
    """
    if segments is not None:
        if isinstance(segments, str):
            segments = [segments]
        options = {**(options or {}), "segments": list(segments)}
    report = run_analysis(spec, data, seed=seed, now=now, progress=progress, options=options)
    if report.decision_basis is None:
        return report
    from causalkit.gate.rules import decide
    from causalkit.report import Decision
    from causalkit.spec.common import DecisionState

    try:
        decision = decide(report).decision
    except GateError as exc:
        decision = Decision(DecisionState.ERROR, (str(exc),))
    return report.with_decision(decision)
