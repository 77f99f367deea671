"""The answer first: what every renderer shows before the detail.

:func:`headline` reads a report and returns its :class:`Headline`: the decision
(or, for kinds without one, the finding), the sentences that explain it, the
primary estimates and the checks that failed or warned. Text, Markdown, HTML and
JUnit render the same headline, so the formats cannot disagree about the answer.

Example:
    >>> from causalkit.report import Check, Decision, Experiment, Report, Status
    >>> rep = Report(experiment=Experiment(name="x", kind="ab"),
    ...              decision=Decision("hold", ("too early: 40% of the planned users",)),
    ...              checks=(Check("srm", Status.PASS), Check("outliers", Status.WARN, "3 users")))
    >>> h = headline(rep)
    >>> h.answer, h.tone, h.sentences[0], [c.name for c in h.alerts]
    ('hold', 'caution', 'too early: 40% of the planned users', ['outliers'])
"""

from __future__ import annotations

from dataclasses import dataclass

from causalkit.report.model import Check, Estimate, Report, Role, Status

DECISION_TONE = {"ship": "good", "hold": "caution", "inconclusive": "caution",
                 "rollback": "bad", "invalid": "bad"}
"""The tone of each decision state (renderers map tones to colours)."""

FINDING = "finding"
"""The answer word of a report without decision rules that states a finding."""


@dataclass(frozen=True)
class Headline:
    """The answer first (see the module docstring).

    Attributes:
        answer: the decision state (``ship``, ``hold``, ``inconclusive``, ``rollback``,
            ``invalid``), ``not made`` (a gated kind whose rules were not applied),
            ``finding`` (a kind without decision rules that states findings) or ``none``.
        tone: ``good``, ``bad``, ``caution`` or ``neutral``.
        sentences: the decision's reasons, or the report's findings, main one first.
        primary: the estimates to show in the headline (primary metrics; for kinds without
            roles, the estimates the findings are about), in report order.
        alerts: failed checks first, then warned checks, in report order.
    """

    answer: str
    tone: str
    sentences: tuple[str, ...]
    primary: tuple[Estimate, ...]
    alerts: tuple[Check, ...]

    @property
    def failed(self) -> tuple[Check, ...]:
        """The alerts that failed."""
        return tuple(c for c in self.alerts if c.status is Status.FAIL)

    @property
    def warned(self) -> tuple[Check, ...]:
        """The alerts that warned."""
        return tuple(c for c in self.alerts if c.status is Status.WARN)


MAX_PRIMARY = 6
"""At most this many estimates in a headline (the rest are in the detail)."""


def _primary(report: Report) -> tuple[Estimate, ...]:
    ests = tuple(e for e in report.estimates if e.segment is None)
    chosen = [e for e in ests if e.role is Role.PRIMARY]
    if not chosen:
        chosen = [e for e in ests if e.calibrated][:3] or list(ests[:3])
    return tuple(chosen[:MAX_PRIMARY])


def headline(report: Report) -> Headline:
    """The headline of ``report``: answer, tone, sentences, primary estimates and alerts.

    Example:
        >>> from causalkit.report import Experiment, Report
        >>> h = headline(Report(experiment=Experiment(name="a", kind="aha"),
        ...                     findings=("add_friend >= 3 in 7d predicts retention",)))
        >>> h.answer, h.sentences
        ('finding', ('add_friend >= 3 in 7d predicts retention',))
    """
    alerts = tuple(c for c in report.checks if c.status is Status.FAIL) + tuple(
        c for c in report.checks if c.status is Status.WARN)
    if report.decision is not None:
        state = report.decision.state.value
        answer, tone = state, DECISION_TONE.get(state, "neutral")
        sentences = tuple(report.decision.reasons) + tuple(report.findings)
    elif report.findings:
        answer, tone, sentences = FINDING, "neutral", tuple(report.findings)
    else:
        answer = "not made" if report.decision_basis is not None else "none"
        tone, sentences = "neutral", ()
    return Headline(answer=answer, tone=tone, sentences=sentences, primary=_primary(report),
                    alerts=alerts)


__all__ = ["DECISION_TONE", "FINDING", "MAX_PRIMARY", "Headline", "headline"]
