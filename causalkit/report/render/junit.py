"""JUnit XML: one ``<testsuite>`` with a ``<testcase>`` per estimate and per check.

CI systems (GitHub, GitLab, Jenkins, Azure) show each metric and check as a
test. A check with status ``fail`` is a ``<failure>``; ``warn`` passes with
its detail in ``<system-out>``. **An estimate is a ``<failure>`` exactly when it
is harm** (:attr:`~causalkit.report.Estimate.harm`: assessed ``worse`` or
``inferior`` on a primary or guardrail metric), which is what the gate rolls
back on; a guardrail ``worse_within_margin`` passes. Reports of kinds without
decision rules (no ``decision_basis``: Aha, observational) roll nothing back, so
their estimates never fail. An estimate that could not
be computed (:func:`~causalkit.report.render._format.is_error`) is an
``<error>``. The decision, its basis and its reasons are ``<property>`` elements
of the suite. Characters XML cannot hold (control characters) are replaced by
U+FFFD so the file always parses; C1 controls, bidirectional overrides, line
separators and the ``:`` of ``::`` and the ``[`` of ``##[`` are written as
character references, so the file printed to a CI log issues no workflow
command. The answer comes first (:func:`causalkit.report.headline.headline`): the
suite's first properties are ``headline`` (the answer and its sentences in one line),
``headline.answer``, ``headline.primary.N`` (each primary estimate with its verdict)
and ``headline.alert.N`` (failed, then warned checks), and the suite's
``<system-out>`` holds the same lines. An uncalibrated estimate (``calibrated=False``: a model-based interval
whose coverage was not shown) has a ``calibrated=false`` property on its test
case, says so in its summary and assessment, and is listed in the suite's
``uncalibrated`` property.

:func:`junit_xml` is the one writer: ``causalkit run --format junit`` calls it
as is, and the gate adds the ``decision`` test case (``decision_case=True``), so
both files fail on the same estimates.

Example:
    >>> import xml.etree.ElementTree as ET
    >>> from causalkit.report import Report, Experiment, Check, Status
    >>> rep = Report(experiment=Experiment(name="x", kind="ab"),
    ...              checks=(Check("srm", Status.FAIL, "p < 0.001"),))
    >>> suite = ET.fromstring(render_junit(rep)).find("testsuite")
    >>> suite.get("tests"), suite.get("failures")
    ('1', '1')
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Literal

from causalkit.report.headline import headline
from causalkit.report.model import Estimate, Report, Status
from causalkit.report.render._format import (
    P_NONINFERIORITY,
    alert_line,
    basis_items,
    decision_word,
    fmt_assessment,
    fmt_ci,
    fmt_decision_ci,
    fmt_levels,
    fmt_n,
    fmt_num,
    fmt_p,
    fmt_relative,
    headline_estimate_line,
    headline_sentence,
    is_error,
    is_p_column,
    row_labels,
    shows_noninferiority_p,
)
from causalkit.spec.common import DecisionState

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_LOG_UNSAFE = re.compile("[\t\r\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                         "\u2066-\u2069]|::|##\\[")

Outcome = Literal["failure", "error", "pass"]


def xml_text(value: object) -> str:
    """``value`` as text XML 1.0 can hold: illegal characters become U+FFFD.

    Example:
        >>> xml_text("a\\x00b")
        'a�b'
    """
    return _ILLEGAL_XML.sub("\ufffd", str(value))


def estimate_outcome(e: Estimate) -> Outcome:
    """What an estimate's test case is: ``failure`` (harm), ``error`` or ``pass``.

    Example:
        >>> from causalkit.report import Estimate
        >>> g = dict(metric="g", arm="t", reference="c", method="z", role="guardrail",
        ...          direction="increase", margin=0.01)
        >>> estimate_outcome(Estimate(estimate=-0.004, ci_low=-0.006, ci_high=-0.002, **g))
        'pass'
        >>> estimate_outcome(Estimate(estimate=-0.04, ci_low=-0.06, ci_high=-0.02, **g))
        'failure'
    """
    if e.harm:
        return "failure"
    if is_error(e):
        return "error"
    return "pass"


def _summary(e: Estimate) -> str:
    lines = [
        f"metric: {e.metric}",
        f"contrast: {e.contrast}",
        f"method: {e.method}",
        f"role: {e.role.value}"
        + (f" (desired direction: {e.direction.value})" if e.direction else ""),
        f"estimate: {fmt_num(e.estimate)} CI {fmt_ci(e.ci_low, e.ci_high)}",
        f"decision interval: {fmt_decision_ci(e)}",
        f"assessment: {e.assessment.value} ({fmt_assessment(e)})",
        f"relative: {fmt_relative(e)}",
        f"p-value: {fmt_p(e.p_value)}",
        *([f"{P_NONINFERIORITY}: {fmt_p(e.p_noninferiority)}"]
          if shows_noninferiority_p(e) else []),
        f"n: {fmt_n(e)}",
        f"level: {fmt_levels(e)}",
    ]
    if e.margin is not None:
        lines.append(f"margin: {fmt_num(e.margin)}")
    if e.practical_threshold is not None:
        lines.append(f"practical threshold: {fmt_num(e.practical_threshold)}")
    if e.alpha is not None:
        lines.append(f"alpha: {fmt_num(e.alpha)}")
    if not e.calibrated:
        lines.append("calibrated: no (a model-based interval whose coverage was not shown; "
                     "the gate does not decide from it)")
    lines += [f"{k}: {_extra(k, v)}" for k, v in e.extra.items()]
    return "\n".join(lines)


def uncalibrated_rows(report: Report) -> list[tuple[str, str, str]]:
    """Table rows whose ``calibrated`` cell is false: ``(table, row label, note)``.

    A table may carry model-based rows beside design-based ones (the switch-back
    ``methods`` table); JUnit lists them as skipped cases marked uncalibrated.

    Example:
        >>> from causalkit.report import Experiment, Report, Table
        >>> t = Table("methods", "m", ("metric", "method", "calibrated", "note"),
        ...           (("y", "hajek", True, ""), ("y", "fe (HAC)", False, "model-based")))
        >>> uncalibrated_rows(Report(experiment=Experiment(name="x", kind="switchback"),
        ...                          tables=(t,)))
        [('methods', 'y: fe (HAC)', 'model-based')]
    """
    out = []
    for t in report.tables:
        if "calibrated" not in t.columns:
            continue
        at = t.columns.index("calibrated")
        note_at = t.columns.index("note") if "note" in t.columns else None
        for row in t.rows:
            if row[at] is False:
                words = [str(v) for v in row[:2] if isinstance(v, str)]
                note = str(row[note_at]) if note_at is not None and row[note_at] else ""
                out.append((t.name, ": ".join(words) or t.name, note or "model-based"))
    return out


def _extra(key: str, value: object) -> str:
    if isinstance(value, str):
        return value
    if is_p_column(key) and isinstance(value, int | float) and not isinstance(value, bool):
        return fmt_p(float(value))
    return fmt_num(value)  # type: ignore[arg-type]


def _log_safe(document: str) -> str:
    """Serialized XML with C1 controls, bidi overrides and CI commands as character refs."""
    def sub(m: re.Match[str]) -> str:
        text = m.group()
        if text == "::":
            return ":&#58;"
        if text == "##[":
            return "##&#91;"
        return f"&#x{ord(text):x};"

    return _LOG_UNSAFE.sub(sub, document)


def _failure_message(e: Estimate) -> str:
    return (f"{e.role.value} metric {e.label} is {fmt_assessment(e)}: {fmt_num(e.estimate)}, "
            f"decision interval {fmt_decision_ci(e)}")


def _decision_case(suite: ET.Element, report: Report,
                   fail_on: Iterable[DecisionState | str] | None) -> None:
    if fail_on is None:
        fail_on = (report.decision_basis.fail_on if report.decision_basis is not None
                   else (DecisionState.ROLLBACK, DecisionState.INVALID, DecisionState.ERROR))
    failing = {DecisionState(s) for s in fail_on}
    dec = report.decision
    state = dec.state if dec is not None else DecisionState.ERROR
    reasons = xml_text("\n".join(dec.reasons) if dec is not None else "no decision was made")
    case = ET.SubElement(suite, "testcase", classname="causalkit.gate", name="decision",
                         time="0")
    if state is DecisionState.ERROR:
        ET.SubElement(case, "error", message=f"error: {reasons}", type="error").text = reasons
    elif state in failing:
        ET.SubElement(case, "failure", message=f"{state.value}: {reasons}",
                      type=state.value).text = reasons
    elif state is not DecisionState.SHIP:
        ET.SubElement(case, "skipped", message=f"{state.value}: {reasons}")
    ET.SubElement(case, "system-out").text = f"decision: {state.value}\n{reasons}\n"


def junit_xml(report: Report, *, decision_case: bool = False,
              fail_on: Iterable[DecisionState | str] | None = None) -> str:
    """JUnit XML of ``report`` (``<testsuites>`` holding one ``<testsuite>``).

    The suite is named after the experiment; estimates have classname
    ``<experiment>.estimates`` and are named by their label (metric, contrast,
    method), checks have ``<experiment>.checks``. An estimate fails exactly when
    it is harm (:attr:`~causalkit.report.Estimate.harm`).

    Args:
        report: the report.
        decision_case: add a ``causalkit.gate`` test case named ``decision`` (what
            the gate writes): it passes for ``ship``, fails for a state in
            ``fail_on``, is an ``<error>`` for ``error`` (or no decision) and is
            skipped otherwise.
        fail_on: the decision states that fail the decision case; default the
            report's ``decision_basis.fail_on`` (else rollback, invalid, error).

    Example:
        >>> import xml.etree.ElementTree as ET
        >>> from causalkit.report import Report, Experiment, Decision
        >>> rep = Report(experiment=Experiment(name="x", kind="ab"),
        ...              decision=Decision("rollback", ("guardrail g is worse",)))
        >>> root = ET.fromstring(junit_xml(rep, decision_case=True))
        >>> [(c.get("name"), c[0].tag) for c in root.iter("testcase")]
        [('decision', 'failure')]
        >>> root.find("testsuite").get("failures")
        '1'
    """
    name = xml_text(report.experiment.name)
    suites = ET.Element("testsuites", name="causalkit")
    suite = ET.SubElement(suites, "testsuite", name=name,
                          timestamp=xml_text(report.meta.created_at))
    props = ET.SubElement(suite, "properties")

    def prop(key: str, value: object) -> None:
        ET.SubElement(props, "property", name=key, value=xml_text(value))

    h = headline(report)
    lines = [headline_sentence(h), *(headline_estimate_line(e) for e in h.primary),
             *(alert_line(c) for c in h.alerts)]
    prop("headline", lines[0])
    prop("headline.answer", h.answer)
    for i, e in enumerate(h.primary, start=1):
        prop(f"headline.primary.{i}", headline_estimate_line(e))
    for i, c in enumerate(h.alerts, start=1):
        prop(f"headline.alert.{i}", alert_line(c))
    dec = report.decision
    prop("decision", decision_word(report))
    if dec is not None:
        for i, reason in enumerate(dec.reasons, start=1):
            prop(f"decision.reason.{i}", reason)
        prop("decision.needs_history", str(dec.needs_history).lower())
    if report.decision_basis is not None:
        for key, value in basis_items(report.decision_basis):
            prop(f"decision_basis.{key.replace(' ', '_')}", value)
    prop("kind", report.experiment.kind)
    prop("schema_version", report.schema_version)
    prop("causalkit_version", report.meta.causalkit_version)
    if report.meta.alpha is not None:
        prop("alpha", fmt_num(report.meta.alpha))
    if report.experiment.spec_sha256:
        prop("spec_sha256", report.experiment.spec_sha256)
    uncalibrated = [label for e, label in zip(report.estimates, row_labels(report.estimates),
                                              strict=True) if not e.calibrated]
    rows = uncalibrated_rows(report)
    uncalibrated += [label for _, label, _ in rows]
    if uncalibrated:
        prop("uncalibrated", "; ".join(uncalibrated))
    for table, label, note in rows:  # shown, never a failure: they decide nothing
        case = ET.SubElement(suite, "testcase", classname=f"{name}.{xml_text(table)}",
                             name=xml_text(label), time="0")
        ET.SubElement(ET.SubElement(case, "properties"), "property", name="calibrated",
                      value="false")
        ET.SubElement(case, "skipped", message=xml_text(f"uncalibrated: {note}"))

    for e, label in zip(report.estimates, row_labels(report.estimates), strict=True):
        case = ET.SubElement(suite, "testcase", classname=f"{name}.estimates",
                             name=xml_text(label), time="0")
        outcome = estimate_outcome(e)
        if outcome == "failure" and report.decision_basis is None:
            # a kind without decision rules (aha, observational) rolls nothing back
            outcome = "error" if is_error(e) else "pass"
        if not e.calibrated:
            ET.SubElement(ET.SubElement(case, "properties"), "property", name="calibrated",
                          value="false")
        if outcome == "error":
            err = ET.SubElement(case, "error", type="not_computable",
                                message=xml_text(f"{e.label} could not be computed: estimate "
                                                 f"{fmt_num(e.estimate)}, decision interval "
                                                 f"{fmt_decision_ci(e)}"))
            err.text = xml_text(_summary(e))
        elif outcome == "failure":
            fail = ET.SubElement(case, "failure", type=f"{e.role.value}_{e.assessment.value}",
                                 message=xml_text(_failure_message(e)))
            fail.text = xml_text(_summary(e))
        else:
            ET.SubElement(case, "system-out").text = xml_text(_summary(e))
    for c in report.checks:
        case = ET.SubElement(suite, "testcase", classname=f"{name}.checks",
                             name=xml_text(c.name if c.metric is None else f"{c.name} [{c.metric}]"),
                             time="0")
        detail = xml_text(c.detail or c.name)
        value = f" (value {fmt_num(c.value)})" if c.value is not None else ""
        if c.status is Status.FAIL:
            fail = ET.SubElement(case, "failure", type="check_failed", message=detail)
            fail.text = xml_text(f"{c.name}: {c.detail}{value}")
        else:
            ET.SubElement(case, "system-out").text = xml_text(f"{c.status.value}: {c.detail}{value}")
    if decision_case:
        _decision_case(suite, report, fail_on)
    ET.SubElement(suite, "system-out").text = xml_text("\n".join(lines) + "\n")
    cases = suite.findall("testcase")
    counts = {"tests": str(len(cases)),
              "failures": str(sum(c.find("failure") is not None for c in cases)),
              "errors": str(sum(c.find("error") is not None for c in cases)),
              "skipped": str(sum(c.find("skipped") is not None for c in cases)), "time": "0"}
    suite.attrib.update(counts)
    suites.attrib.update(counts)
    ET.indent(suites)
    body = _log_safe(ET.tostring(suites, encoding="unicode"))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def render_junit(report: Report) -> str:
    """Render ``report`` as JUnit XML (:func:`junit_xml` without the gate's decision case).

    Example:
        >>> from causalkit.report import Report, Experiment, Decision
        >>> out = render_junit(Report(experiment=Experiment(name="x", kind="ab"),
        ...                           decision=Decision("ship")))
        >>> '<property name="decision" value="ship" />' in out
        True
    """
    return junit_xml(report)


__all__ = ["estimate_outcome", "junit_xml", "render_junit", "xml_text"]
