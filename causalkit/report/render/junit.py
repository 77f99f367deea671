"""JUnit XML: one ``<testsuite>`` with a ``<testcase>`` per estimate and per check.

CI systems (GitHub, GitLab, Jenkins, Azure) show each metric and check as a
test. A check with status ``fail`` is a ``<failure>``; ``warn`` passes with
its detail in ``<system-out>``. An estimate fails when it is a guardrail that
is significantly worse or worse than its non-inferiority margin, or a primary
metric that is significantly worse (``extra["worse"]`` /
``extra["worse_than_margin"]``, see the gate contract); an estimate whose point
value is not finite is an ``<error>``. The decision and its reasons are
``<property>`` elements of the suite. Characters XML cannot hold (control
characters) are replaced by U+FFFD so the file always parses.

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

from causalkit.report.model import Estimate, Report, Status
from causalkit.report.render._format import (
    estimate_verdict,
    fmt_ci,
    fmt_n,
    fmt_num,
    fmt_p,
    fmt_relative,
    is_error,
    is_failure,
)

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(value: object) -> str:
    """``value`` as text XML 1.0 can hold: illegal characters become U+FFFD.

    Example:
        >>> xml_text("a\\x00b")
        'a�b'
    """
    return _ILLEGAL_XML.sub("\ufffd", str(value))


def _summary(e: Estimate) -> str:
    lines = [
        f"metric: {e.metric}",
        f"contrast: {e.contrast}",
        f"method: {e.method}",
        f"role: {e.role}" + (f" (desired direction: {e.direction})" if e.direction else ""),
        f"estimate: {fmt_num(e.estimate)} CI {fmt_ci(e.ci_low, e.ci_high)}",
        f"relative: {fmt_relative(e)}",
        f"p-value: {fmt_p(e.p_value)}",
        f"n: {fmt_n(e.n)}",
    ]
    verdict = estimate_verdict(e)
    if verdict:
        lines.append(f"verdict: {verdict}")
    lines += [f"{k}: {v if isinstance(v, str) else fmt_num(v)}" for k, v in e.extra.items()]
    return "\n".join(lines)


def _failure_message(e: Estimate) -> str:
    if e.extra.get("worse_than_margin") is True:
        what = "is worse than its non-inferiority margin"
    else:
        what = "is significantly worse than control"
    return f"{e.role} metric {e.metric} ({e.contrast}) {what}: {fmt_num(e.estimate)} " \
           f"CI {fmt_ci(e.ci_low, e.ci_high)}"


def render_junit(report: Report) -> str:
    """Render ``report`` as JUnit XML (``<testsuites>`` holding one ``<testsuite>``).

    The suite is named after the experiment; estimates have classname
    ``<experiment>.estimates`` and checks ``<experiment>.checks``.

    Example:
        >>> from causalkit.report import Report, Experiment, Decision
        >>> out = render_junit(Report(experiment=Experiment(name="x", kind="ab"),
        ...                           decision=Decision("ship")))
        >>> '<property name="decision" value="ship" />' in out
        True
    """
    name = xml_text(report.experiment.name)
    suites = ET.Element("testsuites", name="causalkit")
    suite = ET.SubElement(suites, "testsuite", name=name,
                          timestamp=xml_text(report.meta.created_at))
    props = ET.SubElement(suite, "properties")

    def prop(key: str, value: object) -> None:
        ET.SubElement(props, "property", name=key, value=xml_text(value))

    dec = report.decision
    prop("decision", dec.state if dec else "none")
    for i, reason in enumerate(dec.reasons if dec else (), start=1):
        prop(f"decision.reason.{i}", reason)
    prop("kind", report.experiment.kind)
    prop("schema_version", report.schema_version)
    prop("causalkit_version", report.meta.causalkit_version)
    if report.meta.alpha is not None:
        prop("alpha", fmt_num(report.meta.alpha))
    if report.experiment.spec_sha256:
        prop("spec_sha256", report.experiment.spec_sha256)

    tests = failures = errors = 0
    for e in report.estimates:
        tests += 1
        case = ET.SubElement(suite, "testcase", classname=f"{name}.estimates",
                             name=xml_text(f"{e.metric} [{e.contrast}]"), time="0")
        if is_error(e):
            errors += 1
            err = ET.SubElement(case, "error", type="not_estimable",
                                message=xml_text(f"{e.metric} ({e.contrast}) could not be "
                                                 f"estimated: estimate is {fmt_num(e.estimate)}"))
            err.text = xml_text(_summary(e))
        elif is_failure(e):
            failures += 1
            fail = ET.SubElement(case, "failure", type=f"{e.role}_worse",
                                 message=xml_text(_failure_message(e)))
            fail.text = xml_text(_summary(e))
        else:
            ET.SubElement(case, "system-out").text = xml_text(_summary(e))
    for c in report.checks:
        tests += 1
        case = ET.SubElement(suite, "testcase", classname=f"{name}.checks",
                             name=xml_text(c.name if c.metric is None else f"{c.name} [{c.metric}]"),
                             time="0")
        detail = xml_text(c.detail or c.name)
        if c.status is Status.FAIL:
            failures += 1
            fail = ET.SubElement(case, "failure", type="check_failed", message=detail)
            fail.text = xml_text(f"{c.name}: {c.detail}" +
                                 (f" (value {fmt_num(c.value)})" if c.value is not None else ""))
        else:
            ET.SubElement(case, "system-out").text = xml_text(
                f"{c.status.value}: {c.detail}" +
                (f" (value {fmt_num(c.value)})" if c.value is not None else ""))
    counts = {"tests": str(tests), "failures": str(failures), "errors": str(errors),
              "skipped": "0", "time": "0"}
    suite.attrib.update(counts)
    suites.attrib.update(counts)
    ET.indent(suites)
    body = ET.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
