"""``causalkit gate``: load, analyse, decide, remember the look, write CI output, exit.

The analysis and the decision are :func:`causalkit.gate.run.run_gate` (the same
as the Python door ``causalkit.gate(...)``); this module adds the exit code,
the gated report (:func:`~causalkit.gate.outputs.gated_report`) and the CI
outputs.

The command fails closed: whatever goes wrong, it never says ``ship``. A
:class:`~causalkit.errors.CausalkitError` anywhere (the spec, the data, the
analysis, the state file, an output file) becomes the decision ``error`` with
exit code 2 and ``error: ...`` on standard error, and the JSON report (when
``--json`` is given) still says ``error``. A bug (any other exception) also
writes the ``error`` outputs, saying exit code 1, then raises: the CLI prints
``internal error: ...`` and exits 1, so what the gate prints and its exit code
agree. Every output destination is checked before any work (a regular file or a
new path, :func:`causalkit.report.write.check_destination`); on an error the
outputs that can be written still are. Everything printed goes through
:func:`~causalkit.report.render.terminal.visible`.

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

import contextlib
import sys
from datetime import datetime
from pathlib import Path

from causalkit.entry import load_spec
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
from causalkit.gate.run import run_gate
from causalkit.progress import enable
from causalkit.report.model import Decision, Experiment, Meta, Report
from causalkit.report.render import render
from causalkit.report.render.terminal import visible
from causalkit.report.write import check_destination, write_atomic
from causalkit.spec.common import DecisionState
from causalkit.spec.loader import LoadedSpec
from causalkit.spec.types import parse_timestamp

DEFAULT_FAIL_ON = frozenset({"rollback", "invalid", "error"})


def parse_now(text: str | None) -> datetime | None:
    """``--now`` as an aware UTC datetime; None when omitted (the analysis' default rule).

    Without ``--now`` the analysis takes the time as ``causalkit run`` does: the
    wall clock, never earlier than the data's last exposure
    (:func:`causalkit.report.basis.analysis_time`).

    Raises:
        GateError: for text that is not ISO 8601 with a zone.

    Example:
        >>> parse_now("2026-12-08T09:00+09:00").isoformat()
        '2026-12-08T00:00:00+00:00'
        >>> parse_now(None) is None
        True
    """
    if text is None:
        return None
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise GateError(f"--now: {exc}") from None


def _error_report(spec_path: Path, loaded: LoadedSpec | None, message: str,
                  code: int = 2) -> Report:
    if loaded is not None:
        exp = Experiment(name=loaded.spec.name, kind=loaded.spec.kind,
                         spec_sha256=loaded.sha256,
                         hypothesis=getattr(loaded.spec, "hypothesis", None))
    else:
        exp = Experiment(name=spec_path.stem, kind="unknown")
    return Report(experiment=exp, decision=Decision(DecisionState.ERROR, (message,)),
                  meta=Meta(extra={"gate_exit_code": code}))


def _spec_for_annotation(spec: Path) -> str | None:
    try:
        rel = spec.resolve().relative_to(Path.cwd().resolve())
    except (ValueError, OSError):
        return None if spec.is_absolute() else str(spec)
    return rel.as_posix()


def _outputs(report: Report, code: int, fail_set: frozenset[str], json_out: Path | None,
             junit: Path | None, markdown: Path | None) -> list[tuple[Path, str]]:
    md = summary_markdown(report, code)
    out = [(json_out, render(report, "json")) if json_out is not None else None,
           (junit, junit_xml(report, fail_set)) if junit is not None else None,
           (markdown, md) if markdown is not None else None]
    return [o for o in out if o is not None]


def _emit(report: Report, code: int, fail_set: frozenset[str], *, spec: Path,
          json_out: Path | None, junit: Path | None, markdown: Path | None,
          best_effort: bool = False) -> None:
    """Write the outputs, append the job summary, print the console lines and annotations.

    ``best_effort`` (after an error): an output that cannot be written is said on
    standard error and the others are still written.
    """
    for path, text in _outputs(report, code, fail_set, json_out, junit, markdown):
        try:
            write_atomic(path, text)
        except OSError as exc:
            message = exc.message if isinstance(exc, CausalkitError) else str(exc)
            if not best_effort:
                raise GateError(f"cannot write the gate output: {message}") from None
            print(visible(f"error: cannot write the gate output: {message}"), file=sys.stderr)
    try:
        append_step_summary(summary_markdown(report, code))
    except GateError as exc:
        if not best_effort:
            raise
        print(visible(f"error: {exc}"), file=sys.stderr)
    for line in console_lines(report, code):
        print(line)
    if in_github_actions():
        for line in annotation_lines(report, spec_file=_spec_for_annotation(spec)):
            print(line)
    sys.stdout.flush()


def _check_outputs(*paths: Path | None) -> None:
    for path in paths:
        if path is not None:
            check_destination(path)


def _decide(loaded: LoadedSpec, data: Path | None, state: Path | None,
            now: datetime | None, fail_on: str | None
            ) -> tuple[Report, int, frozenset[str]]:
    run = run_gate(loaded, data, state=state, now=now, seed=None)
    basis = run.report.decision_basis
    spec_fail_on = [s.value for s in basis.fail_on] if basis is not None else []
    fail_set = parse_fail_on(fail_on, spec_fail_on)
    junit_fail = fail_set if fail_set is not None else frozenset(spec_fail_on)
    code = exit_code(run.result.decision.state.value, fail_set)
    gated = gated_report(run.report, run.result, exit_code=code, looks=run.looks)
    return gated, code, junit_fail


def gate_command(*, spec: Path, data: Path | None, state: Path | None, now: str | None,
                 fail_on: str | None, json_out: Path | None, junit: Path | None,
                 markdown: Path | None, debug: bool) -> int:
    """Run the gate on one spec and return the exit code (see :mod:`causalkit.gate.codes`).

    Args:
        spec: the spec file (of a kind with decision rules: ``ab``, ``switchback``).
        data: a CSV or Parquet file replacing the spec's data source.
        state: the state file (required for ``sequential: gst``; optional otherwise,
            where it records looks and makes decisions sticky). Without it the
            analysis runs as ``causalkit run`` does (no history).
        now: the analysis time (ISO 8601 with a zone); when ``None``, the rule
            ``causalkit run`` uses: the wall clock, never earlier than the data's last
            exposure.
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
    loaded: LoadedSpec | None = None
    fail_set: frozenset[str] = DEFAULT_FAIL_ON
    try:
        t_now = parse_now(now)
        parse_fail_on(fail_on)  # a typo is an error before any work
        _check_outputs(json_out, junit, markdown)  # a bad destination too
        loaded = load_spec(spec)
        with enable():  # progress of long steps on stderr, unless the caller chose a mode
            report, code, fail_set = _decide(loaded, data, state, t_now, fail_on)
        if report.decision is not None and report.decision.state is DecisionState.ERROR:
            print(visible(f"error: {report.decision.reasons[0]}"), file=sys.stderr)
        _emit(report, code, fail_set, spec=spec, json_out=json_out, junit=junit,
              markdown=markdown)
        return code
    except CausalkitError as exc:
        message = str(exc)
        print(visible(f"error: {message}"), file=sys.stderr)
        _emit_error(spec, loaded, message, fail_set, json_out, junit, markdown)
        if debug:
            raise
        return 2
    except Exception as exc:
        _emit_error(spec, loaded, f"internal error ({type(exc).__name__}: {exc}); this is a "
                    "bug in causalkit", fail_set, json_out, junit, markdown, code=1)
        raise


def _emit_error(spec: Path, loaded: LoadedSpec | None, message: str, fail_set: frozenset[str],
                json_out: Path | None, junit: Path | None, markdown: Path | None,
                code: int = 2) -> None:
    """The ``error`` outputs, saying exit code ``code`` (2, or 1 for a crash)."""
    report = _error_report(spec, loaded, message, code)
    with contextlib.suppress(CausalkitError, OSError):  # stdout closed: nothing to say
        _emit(report, code, fail_set, spec=spec, json_out=json_out, junit=junit,
              markdown=markdown, best_effort=True)
