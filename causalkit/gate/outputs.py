"""What the gate writes: the decided report, the job-summary Markdown, JUnit XML, console lines.

Everything here reads the *gated* report (:func:`gated_report`): the analysis'
report with the decision set, the gate's own verdict flags on every estimate,
the decision intervals (repeated confidence intervals under ``gst``) and the
gate's numbers in ``meta.extra`` under ``gate_*`` keys. So a dashboard that
reads the JSON sees exactly what the gate decided on.

Example:
    >>> from causalkit.report import Report, Experiment, Decision
    >>> rep = Report(experiment=Experiment(name="x", kind="ab"),
    ...              decision=Decision("hold", ("not significant yet",)))
    >>> console_lines(rep, 10)[0]
    'causalkit gate: HOLD (exit 10) - x'
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from causalkit.gate.github import annotation
from causalkit.report.model import Estimate, Report, Scalar, Table

if TYPE_CHECKING:
    from causalkit.gate.looks import Look
    from causalkit.gate.rules import GateResult
    from causalkit.gate.verdicts import Verdict

ICONS = {"ship": "✅", "hold": "⏸️", "inconclusive": "❔", "rollback": "⛔",
         "invalid": "⚠️", "error": "❌"}
LEVEL = {"ship": "notice", "hold": "warning", "inconclusive": "warning",
         "rollback": "error", "invalid": "error", "error": "error"}


def _verdict_word(v: Verdict) -> str:
    if not v.finite:
        return "not computable"
    if v.role == "guardrail":
        if v.worse_than_margin:
            return "worse than margin" if v.margin is not None else "worse"
        if v.noninferior is True:
            return "non-inferior"
        if v.noninferior is False:
            return "not shown non-inferior"
        return "worse" if v.worse else "no harm shown (no margin)"
    if v.worse:
        return "worse"
    if v.better:
        return "better" if v.meets_threshold else "better, below threshold"
    return "not significant"


def _apply(est: Estimate, v: Verdict) -> Estimate:
    extra: dict[str, Scalar] = dict(est.extra)
    extra.update({
        "significant": v.better or v.worse,
        "better": v.better if v.direction else None,
        "worse": v.worse if v.direction else None,
        "gate_verdict": _verdict_word(v),
    })
    if v.noninferior is not None:
        extra["noninferior"] = v.noninferior
        extra["worse_than_margin"] = v.worse_than_margin
    if v.interval == "report":
        return replace(est, extra=extra)
    extra.update({"ci_kind": v.interval, "fixed_ci_low": est.ci_low,
                  "fixed_ci_high": est.ci_high})
    if v.interval == "repeated_gst" and est.se:
        extra["boundary_z"] = (v.high - v.estimate) / est.se
    return replace(est, ci_low=v.low, ci_high=v.high, extra=extra)


def gated_report(report: Report, result: GateResult, *, exit_code: int,
                 looks: Sequence[Look] = (), notes: Sequence[str] = ()) -> Report:
    """The analysis report with the gate's decision, verdicts and numbers.

    Args:
        report: the analysis report.
        result: what :func:`causalkit.gate.rules.decide` returned.
        exit_code: the exit code the command will return.
        looks: the state file's looks after this run (shown as a table).
        notes: warnings of the command itself (e.g. a switched sequential method),
            added to the reasons.

    Example:
        >>> from datetime import datetime, UTC
        >>> from causalkit.gate.rules import GateRules, decide
        >>> from causalkit.report import Report, Experiment, Estimate
        >>> est = Estimate(metric="m", contrast="treatment - control", method="welch",
        ...     estimate=0.4, ci_low=0.1, ci_high=0.7, role="primary", direction="increase",
        ...     extra={"ci_kind": "always_valid"})
        >>> rep = Report(experiment=Experiment(name="x", kind="ab"), estimates=(est,))
        >>> res = decide(rep, GateRules(), now=datetime(2026, 1, 1, tzinfo=UTC))
        >>> gated = gated_report(rep, res, exit_code=0)
        >>> gated.decision.state, gated.estimates[0].extra["gate_verdict"]
        ('ship', 'better')
    """
    by_key = {(v.metric, v.arm): v for v in result.verdicts}
    from causalkit.gate.intervals import arm_of

    ests = []
    for est in report.estimates:
        v = by_key.get((est.metric, arm_of(est)))
        ests.append(_apply(est, v) if v is not None else est)
    warnings = [*notes, *result.warnings]
    reasons = (*result.decision.reasons, *(f"warning: {w}" for w in warnings))
    extra: dict[str, Scalar] = dict(report.meta.extra)
    for k, val in result.details.items():
        extra[f"gate_{k}"] = val
    extra["gate_exit_code"] = exit_code
    extra["gate_sticky_from_look"] = result.sticky_from
    extra["gate_warnings"] = len(warnings)
    tables = tuple(t for t in report.tables if t.name != "gate_looks")
    if looks:
        rows = tuple(
            (lk.index, lk.time.isoformat().replace("+00:00", "Z"), lk.n_per_arm,
             lk.information_fraction, lk.spent_alpha, lk.boundary_z, lk.decision)
            for lk in looks)
        tables = (*tables, Table("gate_looks", "Gate looks",
                                 ("look", "time", "n per arm", "information", "alpha spent",
                                  "boundary z", "decision"), rows))
    return replace(report, estimates=tuple(ests), decision=replace(result.decision,
                   reasons=tuple(reasons)), meta=replace(report.meta, extra=extra),
                   tables=tables)


def _md(text: object) -> str:
    from causalkit.report.render.markdown import escape_md

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
    state = report.decision.state if report.decision else "error"
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
    deciding = [e for e in report.estimates if e.role in ("primary", "guardrail")]
    if deciding:
        lines += ["| metric | arm | role | estimate | decision interval | margin | verdict |",
                  "| --- | --- | --- | ---: | --- | ---: | --- |"]
        from causalkit.gate.intervals import arm_of

        for e in deciding:
            lines.append(
                f"| {_md(e.metric)} | {_md(arm_of(e))} | {_md(e.role)} | {_num(e.estimate)} | "
                f"[{_num(e.ci_low)}, {_num(e.ci_high)}] | {_num(e.extra.get('margin'))} | "
                f"{_md(e.extra.get('gate_verdict') or '—')} |")
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

    The decision case passes for ``ship``, fails for decisions in ``fail_on``,
    is an ``<error>`` for ``error`` and is skipped (with the reasons) otherwise.
    The estimate and check cases come from the report's JUnit renderer
    (:mod:`causalkit.report.render.junit`), which reads the gate's verdict flags.

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
    root = _base_junit(report)
    suite = root.find("testsuite") if root.tag == "testsuites" else root
    if suite is None:
        suite = ET.SubElement(root, "testsuite", name=f"causalkit {report.experiment.name}")
    from causalkit.report.render.junit import xml_text

    state = report.decision.state if report.decision else "error"
    reasons = xml_text("\n".join(report.decision.reasons) if report.decision else "")
    case = ET.SubElement(suite, "testcase", classname="causalkit.gate", name="decision",
                         time="0")
    if state == "error":
        ET.SubElement(case, "error", message=f"error: {reasons}", type="error").text = reasons
    elif state in fail_on:
        ET.SubElement(case, "failure", message=f"{state}: {reasons}", type=state).text = reasons
    elif state != "ship":
        ET.SubElement(case, "skipped", message=f"{state}: {reasons}")
    ET.SubElement(case, "system-out").text = f"decision: {state}\n{reasons}\n"
    _recount(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _base_junit(report: Report) -> ET.Element:
    from causalkit.report.render import render

    return ET.fromstring(render(report, "junit").encode("utf-8"))


def _recount(root: ET.Element) -> None:
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for s in suites:
        cases = s.findall("testcase")
        counts = {"tests": len(cases),
                  "failures": sum(1 for c in cases if c.find("failure") is not None),
                  "errors": sum(1 for c in cases if c.find("error") is not None),
                  "skipped": sum(1 for c in cases if c.find("skipped") is not None)}
        for k, v in counts.items():
            s.set(k, str(v))
            totals[k] += v
    if root.tag == "testsuites":
        for k, v in totals.items():
            root.set(k, str(v))


def console_lines(report: Report, exit_code: int) -> list[str]:
    """The plain summary printed on standard output.

    Example:
        >>> from causalkit.report import Report, Experiment, Decision
        >>> rep = Report(experiment=Experiment(name="x", kind="ab"),
        ...              decision=Decision("ship", ("m is better",)))
        >>> console_lines(rep, 0)
        ['causalkit gate: SHIP (exit 0) - x', '  - m is better']
    """
    state = report.decision.state if report.decision else "error"
    lines = [f"causalkit gate: {state.upper()} (exit {exit_code}) - {report.experiment.name}"]
    if report.decision:
        lines += [f"  - {r}" for r in report.decision.reasons]
    return lines


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
    state = report.decision.state if report.decision else "error"
    reasons = list(report.decision.reasons) if report.decision else []
    main = [r for r in reasons if not r.startswith("warning: ")]
    warns = [r.removeprefix("warning: ") for r in reasons if r.startswith("warning: ")]
    title = f"causalkit gate: {state.upper()} ({report.experiment.name})"
    out = [annotation(LEVEL.get(state, "error"), "\n".join(main) or state, title=title,
                      file=spec_file)]
    out += [annotation("warning", w, title=f"causalkit gate warning ({report.experiment.name})",
                       file=spec_file) for w in warns]
    return out
