"""``causalkit gate``: load, analyse, decide, remember the look, write CI output, exit.

The command fails closed: whatever goes wrong, it never says ``ship``. A
:class:`~causalkit.errors.CausalkitError` anywhere (the spec, the data, the
analysis, the state file, an output file) becomes the decision ``error`` with
exit code 2 and ``error: ...`` on standard error, and the JSON report (when
``--json`` is given) still says ``error``. A bug (any other exception) also
writes the ``error`` outputs, then crashes with exit code 1.

Example:
    >>> import json, pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> gate_command(spec=d / "missing.yaml", data=None, state=None, now=None,
    ...              fail_on=None, json_out=d / "r.json", junit=None, markdown=None,
    ...              debug=False)
    causalkit gate: ERROR (exit 2) - missing
      - ...missing.yaml...
    2
    >>> json.loads((d / "r.json").read_text())["decision"]["state"]
    'error'
"""

from __future__ import annotations

import dataclasses
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from causalkit.errors import CausalkitError, GateError
from causalkit.gate.codes import exit_code, parse_fail_on
from causalkit.gate.github import append_step_summary, in_github_actions
from causalkit.gate.outputs import (
    annotation_lines,
    console_lines,
    gated_report,
    junit_xml,
    summary_markdown,
)
from causalkit.gate.rules import GateRules, decide
from causalkit.report.model import Decision, Experiment, Meta, Report

GATED_KINDS = ("ab", "switchback")
SEQUENCE_KINDS = ("ab",)
"""Kinds whose analysis computes confidence sequences itself under ``sequential: msprt``;
for the others the gate builds them from the fixed-horizon estimate and its se."""
DEFAULT_FAIL_ON = frozenset({"rollback", "invalid", "error"})


def parse_now(text: str | None) -> datetime:
    """``--now`` as an aware UTC datetime; the current time (to the second) when omitted.

    Raises:
        GateError: for text that is not ISO 8601 with a zone.

    Example:
        >>> parse_now("2026-12-08T09:00+09:00").isoformat()
        '2026-12-08T00:00:00+00:00'
    """
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    from causalkit.spec.types import parse_timestamp

    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise GateError(f"--now: {exc}") from None


def rules_for(spec: Any) -> tuple[GateRules, list[str], Any]:
    """The gate's rules for a spec, the notes to show, and the spec to analyse.

    ``sequential: none`` is switched to ``msprt`` (always-valid intervals) with a
    warning: a gate re-runs on growing data, and fixed-horizon intervals re-read
    daily ship far too often. ``ab`` specs are re-analysed with ``msprt``; for
    ``switchback`` the gate builds the confidence sequences itself. The planned horizon defaults to ``end - start``
    (``ab``) or the schedule's length (``switchback``).

    Example:
        >>> from causalkit.spec.ab import ABSpec
        >>> spec = ABSpec(name="x", kind="ab", unit="u", data={"simulate": "ab"},
        ...     metrics=[{"name": "m", "type": "mean", "column": "m", "role": "primary",
        ...               "direction": "increase"}])
        >>> rules, notes, _ = rules_for(spec)
        >>> rules.sequential, notes[0][:40]
        ('msprt', 'the spec says sequential: none; the gate')
    """
    from causalkit.spec.common import Sequential

    analysis = spec.analysis
    notes: list[str] = []
    if analysis.sequential is Sequential.NONE:
        notes.append(
            "the spec says sequential: none; the gate used always-valid (msprt) intervals "
            "because it re-reads growing data. Set analysis.sequential to msprt (or gst with "
            "--state) to make this explicit")
        if spec.kind in SEQUENCE_KINDS:
            spec = spec.model_copy(update={
                "analysis": analysis.model_copy(update={"sequential": Sequential.MSPRT})})
    decision = spec.decision
    if spec.kind == "switchback":
        start: datetime | None = spec.schedule.start
        planned: timedelta | None = spec.schedule.end - spec.schedule.start
    else:
        start = spec.start
        planned = spec.end - spec.start if spec.start and spec.end else None
    missing = [m.name for m in spec.metrics if m.role.value in ("primary", "guardrail")
               and m.direction is None]
    if missing:
        raise GateError(
            f"metric(s) {', '.join(missing)} decide the rollout but have no direction",
            hint="set direction: increase or decrease on every primary metric")
    rules = GateRules(
        sequential="gst" if spec.analysis.sequential is Sequential.GST else "msprt",
        alpha=spec.analysis.alpha,
        min_sample_per_arm=decision.min_sample_per_arm,
        min_runtime=decision.min_runtime,
        horizon=decision.horizon or planned,
        horizon_sample_per_arm=decision.horizon_sample_per_arm,
        start=start,
    )
    return rules, notes, spec


def _error_report(spec_path: Path, loaded: Any, message: str) -> Report:
    if loaded is not None:
        exp = Experiment(name=loaded.spec.name, kind=loaded.spec.kind,
                         spec_sha256=loaded.sha256,
                         hypothesis=getattr(loaded.spec, "hypothesis", None))
    else:
        exp = Experiment(name=spec_path.stem, kind="unknown")
    return Report(experiment=exp, decision=Decision("error", (message,)),
                  meta=Meta(extra={"gate_exit_code": 2}))


def _spec_for_annotation(spec: Path) -> str | None:
    try:
        rel = spec.resolve().relative_to(Path.cwd().resolve())
    except (ValueError, OSError):
        return None if spec.is_absolute() else str(spec)
    return rel.as_posix()


def _emit(report: Report, code: int, fail_set: frozenset[str], *, spec: Path,
          json_out: Path | None, junit: Path | None, markdown: Path | None) -> None:
    from causalkit.report.write import write_atomic

    md = summary_markdown(report, code)
    try:
        if json_out is not None:
            write_atomic(json_out, report.to_json() + "\n")
        if junit is not None:
            write_atomic(junit, junit_xml(report, fail_set))
        if markdown is not None:
            write_atomic(markdown, md)
    except OSError as exc:
        raise GateError(f"cannot write the gate output: {exc}") from None
    append_step_summary(md)
    for line in console_lines(report, code):
        print(line)
    if in_github_actions():
        for line in annotation_lines(report, spec_file=_spec_for_annotation(spec)):
            print(line)
    sys.stdout.flush()


def _decide(spec: Path, data: Path | None, state: Path | None, now: datetime,
            fail_on: str | None) -> tuple[Any, Report, int, frozenset[str]]:
    from causalkit.gate.state import load_state, save_state
    from causalkit.registry import RunContext, analyzer
    from causalkit.spec import load_spec_file

    parse_fail_on(fail_on)  # a typo is an error before any work
    loaded = load_spec_file(spec)
    kind = loaded.spec.kind
    if kind not in GATED_KINDS:
        raise GateError(f"the gate decides ab and switchback experiments, not {kind}",
                        hint="run other kinds with `causalkit run`")
    spec_fail_on = [s.value for s in loaded.spec.decision.fail_on]
    fail_set = parse_fail_on(fail_on, spec_fail_on)
    junit_fail = fail_set if fail_set is not None else frozenset(spec_fail_on)
    rules, notes, analysed_spec = rules_for(loaded.spec)
    if rules.sequential == "gst" and state is None:
        raise GateError("sequential: gst needs --state FILE",
                        hint="the state file remembers the earlier looks and the alpha "
                             "they spent; keep it between runs (e.g. as a CI cache)")
    gstate = None
    if state is not None:
        gstate = load_state(state, spec_sha256=loaded.sha256, experiment=loaded.spec.name,
                            sequential=rules.sequential)
    ctx = RunContext(data=data, now=now)
    report = analyzer(kind)(dataclasses.replace(loaded, spec=analysed_spec), ctx)
    result = decide(report, rules, now=now, history=gstate.looks if gstate else ())
    looks: tuple[Any, ...] = ()
    if gstate is not None and state is not None:
        new_state, changed = gstate.with_look(result.look)
        if changed:
            save_state(state, new_state)
        looks = new_state.looks
    code = exit_code(result.decision.state, fail_set)
    gated = gated_report(report, result, exit_code=code, looks=looks, notes=notes)
    return loaded, gated, code, junit_fail


def gate_command(*, spec: Path, data: Path | None, state: Path | None, now: str | None,
                 fail_on: str | None, json_out: Path | None, junit: Path | None,
                 markdown: Path | None, debug: bool) -> int:
    """Run the gate on one spec and return the exit code (see :mod:`causalkit.gate.codes`).

    Args:
        spec: the spec file (``kind: ab`` or ``switchback``).
        data: a CSV or Parquet file replacing the spec's data source.
        state: the state file (required for ``sequential: gst``; optional otherwise,
            where it records looks and makes decisions sticky).
        now: the analysis time (ISO 8601 with a zone); the current time when ``None``.
        fail_on: ``--fail-on`` text (see :func:`causalkit.gate.codes.parse_fail_on`).
        json_out: where to write the gated JSON report.
        junit: where to write JUnit XML.
        markdown: where to write the summary Markdown (also appended to
            ``$GITHUB_STEP_SUMMARY`` when that is set).
        debug: re-raise errors with their traceback after writing the outputs.

    Returns:
        The exit code.

    Example:
        >>> import pathlib, tempfile
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> gate_command(spec=d / "x.yaml", data=None, state=None, now="not a time",
        ...              fail_on=None, json_out=None, junit=None, markdown=None, debug=False)
        causalkit gate: ERROR (exit 2) - x
          - --now: 'not a time' is not an ISO 8601 timestamp; write it like 2026-12-01T00:00Z
        2
    """
    loaded: Any = None
    fail_set: frozenset[str] = DEFAULT_FAIL_ON
    try:
        t_now = parse_now(now)
        loaded, report, code, fail_set = _decide(spec, data, state, t_now, fail_on)
        _emit(report, code, fail_set, spec=spec, json_out=json_out, junit=junit,
              markdown=markdown)
        return code
    except CausalkitError as exc:
        message = str(exc)
        print(f"error: {message}", file=sys.stderr)
        _emit_error(spec, loaded, message, fail_set, json_out, junit, markdown)
        if debug:
            raise
        return 2
    except Exception as exc:
        _emit_error(spec, loaded, f"internal error ({type(exc).__name__}: {exc}); this is a "
                    "bug in causalkit", fail_set, json_out, junit, markdown)
        raise


def _emit_error(spec: Path, loaded: Any, message: str, fail_set: frozenset[str],
                json_out: Path | None, junit: Path | None, markdown: Path | None) -> None:
    report = _error_report(spec, loaded, message)
    try:
        _emit(report, 2, fail_set, spec=spec, json_out=json_out, junit=junit,
              markdown=markdown)
    except CausalkitError as exc:  # an output that cannot be written: say so, keep exit 2
        print(f"error: {exc}", file=sys.stderr)
    except OSError:  # pragma: no cover - stdout closed
        pass
