"""Decision intervals of a gated report: always-valid or group-sequential, computed once.

A gated shape builds its estimates with their reported intervals (always-valid
under ``sequential: msprt`` when the shape computes confidence sequences itself,
fixed-horizon otherwise) and hands them to :func:`finish`, which sets every
deciding (primary or guardrail) estimate's *decision interval*:

* ``sequential: gst``: the repeated confidence interval ``estimate +/- c_k se`` at
  the Lan-DeMets O'Brien-Fleming boundary of the current look, given the earlier
  looks' information fractions (:func:`causalkit.stats.group_sequential.gst_look`);
* otherwise, for an estimate whose interval is fixed-horizon, the normal-mixture
  confidence sequence tuned at the planned horizon
  (:func:`causalkit.stats.sequential.sequence_interval`): a gate re-reads growing
  data, and fixed-horizon intervals re-read daily ship far too often;
* an always-valid interval is kept as it is.

The assessment of each estimate follows from its decision interval. The gate
reads the result and computes no interval itself.

Example:
    >>> from causalkit.report import DecisionBasis, Estimate
    >>> e = Estimate(metric="m", arm="treatment", reference="control", method="ht",
    ...     estimate=0.4, ci_low=0.2, ci_high=0.6, se=0.1, role="primary",
    ...     direction="increase", n=5000, n_reference=5000, alpha=0.05)
    >>> b = DecisionBasis(sequential="msprt", alpha=0.05, min_n_per_arm=5000,
    ...                   horizon_sample_per_arm=10_000)
    >>> (f,), basis = finish([e], [], b)
    >>> f.interval_kind.value, [round(x, 3) for x in (f.decision_ci_low, f.decision_ci_high)]
    ('always_valid', [0.092, 0.708])
    >>> basis.information_fraction
    0.5
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from causalkit.errors import GateError
from causalkit.report.assessment import IntervalKind
from causalkit.report.basis import (
    GST_FIRST_LOOK_NOTE,
    PriorLook,
    information_fraction,
    look_key,
)
from causalkit.report.model import Check, DecisionBasis, Estimate
from causalkit.spec.common import Sequential
from causalkit.stats.group_sequential import NoNewInformation, gst_look, repeated_interval
from causalkit.stats.sequential import sequence_interval


def _need_se(e: Estimate, why: str) -> float:
    if e.se is None:
        raise GateError(f"estimate {e.metric} ({e.contrast}) has no standard error",
                        hint=f"the decision builds {why} from se")
    return e.se


def finish(estimates: Sequence[Estimate], checks: Sequence[Check], basis: DecisionBasis,
           history: Sequence[PriorLook] | None = None
           ) -> tuple[list[Estimate], DecisionBasis]:
    """Set the decision interval (and so the assessment) of every deciding estimate.

    When the intervals cannot be built (see :func:`build`), the estimates keep their
    reported intervals and the basis records the ``problem``: the report is still
    whole, and the decision rules answer ``error`` with that reason (fail closed).

    Example:
        >>> from causalkit.report import DecisionBasis, Estimate
        >>> e = Estimate(metric="m", arm="t", reference="c", method="welch", estimate=1.0,
        ...     se=0.5, role="primary", direction="increase", n=50, n_reference=50)
        >>> _, basis = finish([e], [], DecisionBasis(sequential="gst", alpha=0.05,
        ...                                          min_n_per_arm=50))
        >>> basis.problem
        'the decision needs the planned information (set decision.horizon_sample_per_arm ...)'
    """
    try:
        return build(estimates, checks, basis, history)
    except GateError as exc:
        key = look_key(estimates, checks, basis.min_n_per_arm)
        return list(estimates), replace(basis, problem=str(exc), look_key=key,
                                        history_known=history is not None)


def build(estimates: Sequence[Estimate], checks: Sequence[Check], basis: DecisionBasis,
          history: Sequence[PriorLook] | None = None
          ) -> tuple[list[Estimate], DecisionBasis]:
    """The decision intervals of :func:`finish`, raising when they cannot be built.

    Args:
        estimates: the shape's estimates, with ``alpha`` (the multiplicity-adjusted
            level of each) and ``se``.
        checks: the shape's checks (part of the look's key).
        basis: from :func:`causalkit.report.basis.decision_basis`.
        history: the earlier looks (the gate's state file), oldest first; ``None``
            when they are unknown (``causalkit run``): a group-sequential boundary is
            then that of a first look, and the basis says so.

    Returns:
        The estimates and the basis with the look's key, information fraction and,
        under ``gst``, boundary, alpha spent and look number.

    Raises:
        GateError: when an interval cannot be built (no standard error, no planned
            information, a group-sequential look without new information).

    Example:
        >>> from causalkit.report import DecisionBasis, Estimate
        >>> e = Estimate(metric="m", arm="t", reference="c", method="welch", estimate=1.0,
        ...     se=0.5, role="primary", direction="increase", n=5000, n_reference=5000,
        ...     alpha=0.05)
        >>> b = DecisionBasis(sequential="gst", alpha=0.05, min_n_per_arm=5000,
        ...                   horizon_sample_per_arm=10_000)
        >>> (f,), basis = build([e], [], b, history=())
        >>> round(basis.boundary_z, 3), round(f.decision_ci_low, 3), basis.look
        (2.963, -0.481, 1)
    """
    key = look_key(estimates, checks, basis.min_n_per_arm)
    past = tuple(history or ())
    same = next((lk for lk in past if lk.key == key), None)
    index = same.index if same is not None else max((lk.index for lk in past), default=0) + 1
    notes = list(basis.notes)
    out = list(estimates)
    if basis.sequential is Sequential.GST:
        tested = [lk for lk in past if lk.tested and lk.information_fraction is not None]
        if same is not None and same.information_fraction is not None:
            again = (same.information_fraction,
                     [float(lk.information_fraction or 0) for lk in tested
                      if lk.index < same.index])
            t = same.information_fraction
        else:
            again, t = None, information_fraction(basis)
        alphas = [e.alpha if e.alpha is not None else basis.alpha for e in out if e.deciding]
        try:
            look = gst_look(t, alphas, basis.alpha,
                            prior=[float(lk.information_fraction or 0) for lk in tested],
                            same=again)
        except NoNewInformation as exc:
            raise GateError(str(exc), hint="a group-sequential look needs more data than the "
                            "last one; if the earlier data were wrong, start a new state "
                            "file") from None
        except ValueError as exc:
            raise GateError(str(exc), hint="wait for data in every arm") from None
        for i, e in enumerate(out):
            if e.deciding:
                z = look.z_by_alpha[e.alpha if e.alpha is not None else basis.alpha]
                low, high = repeated_interval(e.estimate, _need_se(e, "repeated intervals"), z)
                out[i] = e.with_decision_interval(low, high, IntervalKind.REPEATED_GST)
        if history is None:
            notes.append(GST_FIRST_LOOK_NOTE)
        basis = replace(basis, information_fraction=look.fraction,
                        boundary_z=look.z_by_alpha[basis.alpha], spent_alpha=look.spent,
                        look=index, look_key=key, history_known=history is not None,
                        notes=tuple(notes))
        return out, basis
    fraction: float | None = None
    for i, e in enumerate(out):
        if e.deciding and e.interval_kind is IntervalKind.FIXED:
            se = _need_se(e, "an always-valid interval")
            if fraction is None:
                try:
                    fraction = information_fraction(basis)
                except GateError:
                    raise GateError(
                        f"estimate {e.metric} ({e.contrast}) has a fixed-horizon interval; "
                        "the decision turns it into an always-valid one tuned at the planned "
                        "horizon",
                        hint="set decision.horizon_sample_per_arm or decision.horizon "
                             "(with a start)") from None
            alpha = e.alpha if e.alpha is not None else basis.alpha
            low, high = sequence_interval(e.estimate, se, alpha, fraction)
            out[i] = e.with_decision_interval(low, high, IntervalKind.ALWAYS_VALID)
    if fraction is None and (basis.horizon_sample_per_arm is not None
                             or basis.horizon is not None):
        try:
            fraction = information_fraction(basis)
        except GateError:
            fraction = None
    basis = replace(basis, information_fraction=fraction, look=index, look_key=key,
                    history_known=history is not None, notes=tuple(notes))
    return out, basis
