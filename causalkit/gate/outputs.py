"""What the gate writes: the decided report, the job-summary Markdown, JUnit XML, console lines.

Everything here reads the *gated* report (:func:`gated_report`): the analysis'
report (whose estimates already carry their decision intervals and typed
assessments) with the decision set, a ``gate_looks`` table and the gate's
numbers in ``meta.extra`` under ``gate_*`` keys (exit code, look, information,
runtime: numbers, not verdicts). Verdicts are read from ``Estimate.assessment``
and ``Estimate.harm`` only, so a dashboard that reads the JSON sees exactly what
the gate decided on, and a JUnit failure is exactly what the gate calls harm.

Console lines and GitHub annotations are printed to a CI log: every line goes
through :func:`~causalkit.report.render.terminal.visible` (control characters
shown, newlines folded, ``::`` and ``##[`` neutralized), so an experiment or a
metric named ``"x\\n::add-mask::..."`` cannot issue a workflow command.

Example:
    >>> from causalkit.report import Report, Experiment, Decision
    >>> rep = Report(experiment=Experiment(name="x", kind="ab"),
    ...              decision=Decision("hold", ("not significant yet",)))
    >>> console_lines(rep, 10)[0]
    'causalkit gate: HOLD (exit 10) - x'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from causalkit.gate.github import annotation
from causalkit.gate.looks import Look
from causalkit.gate.rules import GateResult
from causalkit.report.assessment import WORDS
from causalkit.report.model import Report, Scalar, Table
from causalkit.report.render.junit import junit_xml as write_junit
from causalkit.report.render.markdown import escape_md
from causalkit.report.render.terminal import visible

ICONS = {"ship": "✅", "hold": "⏸️", "inconclusive": "❔", "rollback": "⛔",
         "invalid": "⚠️", "error": "❌"}
LEVEL = {"ship": "notice", "hold": "warning", "inconclusive": "warning",
         "rollback": "error", "invalid": "error", "error": "error"}


def _state(report: Report) -> str:
    return report.decision.state.value if report.decision else "error"


def gated_report(report: Report, result: GateResult, *, exit_code: int,
                 looks: Sequence[Look] = ()) -> Report:
    """The analysis report with the gate's decision, its looks and its numbers.

    The estimates are the analysis' own (their assessments are the verdicts);
    the decision is :func:`~causalkit.gate.rules.decide`'s, warnings included.

    Args:
        report: the analysis report.
        result: what :func:`causalkit.gate.rules.decide` returned.
        exit_code: the exit code the command will return.
        looks: the state file's looks after this run (shown as a table).

    Example:
        >>> from causalkit.gate.rules import decide
        >>> from causalkit.report import Report, Experiment, Estimate, DecisionBasis
        >>> est = Estimate(metric="m", arm="treatment", reference="control", method="welch",
        ...     estimate=0.4, ci_low=0.1, ci_high=0.7, role="primary", direction="increase",
        ...     interval_kind="always_valid")
        >>> rep = Report(experiment=Experiment(name="x", kind="ab"), estimates=(est,),
        ...     decision_basis=DecisionBasis(sequential="msprt", alpha=0.05, min_n_per_arm=900,
        ...                                  now="2026-01-01T00:00:00Z"))
        >>> gated = gated_report(rep, decide(rep), exit_code=0)
        >>> gated.decision.state.value, gated.meta.extra["gate_exit_code"]
        ('ship', 0)
    """
    extra: dict[str, Scalar] = dict(report.meta.extra)
    for k, val in result.details.items():
        extra[f"gate_{k}"] = val
    extra["gate_exit_code"] = exit_code
    extra["gate_sticky_from_look"] = result.sticky_from
    extra["gate_warnings"] = len(result.warnings)
    tables = tuple(t for t in report.tables if t.name != "gate_looks")
    if looks:
        rows = tuple(
            (lk.index, lk.time.isoformat().replace("+00:00", "Z"), lk.n_per_arm,
             lk.information_fraction, lk.spent_alpha, lk.boundary_z, lk.decision)
            for lk in looks)
        tables = (*tables, Table("gate_looks", "Gate looks",
                                 ("look", "time", "n per arm", "information", "alpha spent",
                                  "boundary z", "decision"), rows))
    return replace(report, decision=result.decision, meta=replace(report.meta, extra=extra),
                   tables=tables)


def _md(text: object) -> str:
    return escape_md(text)


def _num(x: object) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:.4g}" if math.isfinite(x) else str(x)
    return str(x)


def summary_markdown(report: Report, exit_code: int) -> str:
    """The job-summary Markdown of a gated report (decision first, then the evidence).

    Example:
        >>> from causalkit.report import Report, Experiment, Decision
        >>> rep = Report(experiment=Experiment(name="x|y", kind="ab"),
        ...              decision=Decision("ship", ("primary m is better",)))
        >>> print(summary_markdown(rep, 0).splitlines()[0])
        ## ✅ causalkit gate: SHIP — x\\|y
    """
    state = _state(report)
    exp = report.experiment
    x = report.meta.extra
    lines = [f"## {ICONS.get(state, '')} causalkit gate: {state.upper()} — {_md(exp.name)}", ""]
    facts = [f"exit code {exit_code}"]
    if x.get("gate_sequential"):
        facts.append(f"sequential {_md(x['gate_sequential'])}")
    if x.get("gate_look") is not None:
        facts.append(f"look {x['gate_look']}")
    if x.get("gate_n_per_arm") is not None:
        facts.append(f"{x['gate_n_per_arm']} units in the smallest arm")
    if x.get("gate_runtime"):
        facts.append(f"running {_md(x['gate_runtime'])}")
    if x.get("gate_information_fraction") is not None:
        facts.append(f"information {_num(x['gate_information_fraction'])}")
    lines += [" · ".join(facts), ""]
    reasons = report.decision.reasons if report.decision else ()
    lines += ["**Reasons**", "", *(f"- {_md(r)}" for r in reasons), ""]
    deciding = [e for e in report.estimates if e.deciding]
    if deciding:
        lines += ["| metric | arm | role | estimate | decision interval | margin | verdict |",
                  "| --- | --- | --- | ---: | --- | ---: | --- |"]
        lines += [
            f"| {_md(e.metric)} | {_md(e.arm)} | {_md(e.role.value)} | {_num(e.estimate)} | "
            f"[{_num(e.decision_ci_low)}, {_num(e.decision_ci_high)}] | {_num(e.margin)} | "
            f"{_md(WORDS[e.assessment])} |"
            for e in deciding]
        lines.append("")
    if report.checks:
        lines += ["| check | status | detail |", "| --- | --- | --- |"]
        lines += [f"| {_md(c.name)} | {c.status.value} | {_md(c.detail) or '—'} |"
                  for c in report.checks]
        lines.append("")
    looks = next((t for t in report.tables if t.name == "gate_looks"), None)
    if looks is not None:
        lines += ["<details><summary>Looks</summary>", "",
                  "| " + " | ".join(looks.columns) + " |",
                  "| " + " | ".join("---" for _ in looks.columns) + " |"]
        lines += ["| " + " | ".join(_md(_num(v)) for v in row) + " |" for row in looks.rows]
        lines += ["", "</details>", ""]
    prov = [f"spec sha256 `{(exp.spec_sha256 or '—')[:16]}`",
            f"data `{_md(exp.data_fingerprint or '—')}`",
            f"causalkit {_md(report.meta.causalkit_version)}"]
    lines += ["<sub>" + " · ".join(prov) + "</sub>", ""]
    return "\n".join(lines)


def junit_xml(report: Report, fail_on: frozenset[str]) -> str:
    """JUnit XML: the report's test cases plus one ``causalkit.gate`` case for the decision.

    The one JUnit writer (:func:`causalkit.report.render.junit.junit_xml`, the
    same that ``causalkit run --format junit`` uses) with its decision case: an
    estimate case fails exactly when ``Estimate.harm`` (what the gate rolls back
    on), so ``run`` and ``gate`` count the same failures. The decision case
    passes for ``ship``, fails for decisions in ``fail_on``, is an ``<error>``
    for ``error`` and is skipped (with the reasons) otherwise.

    Example:
        >>> import xml.etree.ElementTree as ET
        >>> from causalkit.report import Report, Experiment, Decision
        >>> rep = Report(experiment=Experiment(name="x", kind="ab"),
        ...              decision=Decision("rollback", ("guardrail g is worse",)))
        >>> root = ET.fromstring(junit_xml(rep, frozenset({"rollback"})))
        >>> [(c.get("name"), c[0].tag) for c in root.iter("testcase")]
        [('decision', 'failure')]
        >>> root.find("testsuite").get("failures")
        '1'
    """
    return write_junit(report, decision_case=True, fail_on=fail_on)


def console_lines(report: Report, exit_code: int) -> list[str]:
    """The plain summary printed on standard output.

    Example:
        >>> from causalkit.report import Report, Experiment, Decision
        >>> rep = Report(experiment=Experiment(name="x", kind="ab"),
        ...              decision=Decision("ship", ("m is better",)))
        >>> console_lines(rep, 0)
        ['causalkit gate: SHIP (exit 0) - x', '  - m is better']
    """
    state = _state(report)
    lines = [f"causalkit gate: {state.upper()} (exit {exit_code}) - {report.experiment.name}"]
    if report.decision:
        lines += [f"  - {r}" for r in report.decision.reasons]
    return [visible(line) for line in lines]


def annotation_lines(report: Report, *, spec_file: str | None = None) -> list[str]:
    """GitHub annotation lines: one for the decision, one per warning reason.

    ``rollback``, ``invalid`` and ``error`` are errors; ``hold`` and
    ``inconclusive`` warnings; ``ship`` a notice.

    Example:
        >>> from causalkit.report import Report, Experiment, Decision
        >>> rep = Report(experiment=Experiment(name="x", kind="ab"),
        ...              decision=Decision("invalid", ("check srm failed: p = 1e-9",)))
        >>> annotation_lines(rep)
        ['::error title=causalkit gate%3A INVALID (x)::check srm failed: p = 1e-9']
    """
    state = _state(report)
    reasons = [visible(r) for r in (report.decision.reasons if report.decision else ())]
    main = [r for r in reasons if not r.startswith("warning: ")]
    warns = [r.removeprefix("warning: ") for r in reasons if r.startswith("warning: ")]
    name = visible(report.experiment.name)
    title = f"causalkit gate: {state.upper()} ({name})"
    out = [annotation(LEVEL.get(state, "error"), "\n".join(main) or state, title=title,
                      file=spec_file)]
    out += [annotation("warning", w, title=f"causalkit gate warning ({name})",
                       file=spec_file) for w in warns]
    return out
