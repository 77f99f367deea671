"""Number, label, assessment and decision formatting shared by the renderers.

Numbers keep a few significant digits; p-values read like ``0.0202`` or
``3.1e-20`` and never ``0``; a missing value (``None``) is an em dash. Words and
colours of an estimate come from its typed ``assessment``
(:data:`~causalkit.report.assessment.WORDS`, :data:`~causalkit.report.assessment.TONE`);
nothing here reads a verdict from ``extra``.

Example:
    >>> fmt_num(0.123456), fmt_num(50112.0), fmt_num(None), fmt_p(3.1e-20)
    ('0.1235', '50112', '—', '3.1e-20')
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import datetime

from causalkit.report.assessment import TONE, WORDS, Assessment, IntervalKind
from causalkit.report.headline import Headline
from causalkit.report.model import Check, DecisionBasis, Estimate, Report, Scalar
from causalkit.spec.common import Role, Sequential

MISSING = "—"


def _sci(x: float, digits: int) -> str:
    mantissa, exp = f"{x:.{max(digits - 1, 0)}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exp)}"


def fmt_num(x: float | int | None, digits: int = 4) -> str:
    """A number with ``digits`` significant digits, plain or scientific.

    Integers above 1e6 and tiny values switch to scientific notation; trailing
    zeros after the point are dropped.

    Example:
        >>> [fmt_num(v) for v in (0.29, 1234.5678, 2.5e-7, -3e9, 0.0, float("nan"),
        ...                       float("inf"), 7)]
        ['0.29', '1235', '2.5e-7', '-3e9', '0', 'NaN', '∞', '7']
    """
    if x is None:
        return MISSING
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x) if abs(x) < 10**9 else _sci(float(x), digits)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1e6 or a < 1e-4:
        return _sci(x, digits)
    decimals = max(0, digits - 1 - math.floor(math.log10(a)))
    text = f"{x:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_int(n: int) -> str:
    """A count with thousands separators.

    Example:
        >>> fmt_int(50112)
        '50,112'
    """
    return f"{n:,}"


P_FLOOR = 1e-300
"""The smallest p-value printed as a number; anything below reads ``<1e-300``."""


def fmt_p(p: float | None) -> str:
    """A p-value (or q-value): three significant digits, scientific below 1e-4, never ``0``.

    Values below :data:`P_FLOOR` (zero included: an underflow, not a certainty)
    read ``<1e-300``. This is the one formatter of every p-value and q-value cell
    in every renderer (:func:`fmt_cell` picks it by the column's name).

    Example:
        >>> [fmt_p(v) for v in (0.0202, 0.43, 1.0, 3.1e-20, 0.0, 5e-324, None)]
        ['0.0202', '0.43', '1', '3.1e-20', '<1e-300', '<1e-300', '—']
    """
    if p is None:
        return MISSING
    if isinstance(p, bool) or not isinstance(p, int | float):
        return str(p)
    if math.isnan(p):
        return "NaN"
    if p < 0:
        return fmt_num(p)  # not a p-value: shown as it is
    if p < P_FLOOR:
        return "<1e-300"
    if p < 1e-4:
        return _sci(p, 2)
    text = f"{p:.3g}"
    return text if "e" not in text else _sci(p, 2)


_P_COLUMN = re.compile(r"(^|_)[pq](_?value|_?values)?(_|$)")


def is_p_column(name: str) -> bool:
    """Whether a table column (or an ``extra`` key) holds p- or q-values, by its name.

    The names used in reports: ``p``, ``p_value``, ``q_value``, ``p_holm``,
    ``holdout_p_value``, ``holdout_q_value``, ``always-valid p``, ``p-value``
    (case, spaces and hyphens do not matter).

    Example:
        >>> [is_p_column(c) for c in ("p_value", "holdout_q_value", "always-valid p",
        ...                           "p_holm", "phi", "op", "e_value", "precision")]
        [True, True, True, True, False, False, False, False]
    """
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    return bool(_P_COLUMN.search(key))


def fmt_cell(column: str, value: Scalar) -> str:
    """A table cell: p- and q-value columns through :func:`fmt_p`, the rest :func:`fmt_scalar`.

    Example:
        >>> fmt_cell("p_value", 0.0), fmt_cell("estimate", 0.0), fmt_cell("q_value", None)
        ('<1e-300', '0', '—')
    """
    if is_p_column(column) and isinstance(value, int | float) and not isinstance(value, bool):
        return fmt_p(float(value))
    return fmt_scalar(value)


def fmt_pct(x: float | None, digits: int = 3) -> str:
    """A relative change as a signed percentage.

    Example:
        >>> fmt_pct(0.034), fmt_pct(-0.0012), fmt_pct(None), fmt_pct(0.0)
        ('+3.4%', '-0.12%', '—', '0%')
    """
    if x is None:
        return MISSING
    if math.isnan(x):
        return "NaN"
    text = fmt_num(100.0 * x, digits)
    sign = "+" if x > 0 and not text.startswith("+") else ""
    return f"{sign}{text}%"


def fmt_ci(low: float | None, high: float | None, *, pct: bool = False) -> str:
    """An interval ``[low, high]``; ``—`` when both ends are missing.

    Example:
        >>> fmt_ci(0.045, 0.535), fmt_ci(0.01, 0.058, pct=True), fmt_ci(None, None)
        ('[0.045, 0.535]', '[+1%, +5.8%]', '—')
    """
    if low is None and high is None:
        return MISSING
    f = fmt_pct if pct else fmt_num
    return f"[{f(low)}, {f(high)}]"


def fmt_relative(e: Estimate) -> str:
    """The relative effect with its interval, e.g. ``+3.4% [+1%, +5.8%]``.

    Example:
        >>> fmt_relative(Estimate(metric="m", arm="t", reference="c", method="welch",
        ...     estimate=0.4, relative=0.034, relative_ci_low=0.01, relative_ci_high=0.058))
        '+3.4% [+1%, +5.8%]'
    """
    if e.relative is None:
        return MISSING
    ci = fmt_ci(e.relative_ci_low, e.relative_ci_high, pct=True)
    return fmt_pct(e.relative) if ci == MISSING else f"{fmt_pct(e.relative)} {ci}"


def _unit(e: Estimate) -> str:
    return f" {e.n_unit}" if e.n_unit else ""


def fmt_n(e: Estimate, sep: str = " · ") -> str:
    """Units in the reference and in the arm, each count named, e.g. ``control 138 periods``.

    Every count carries its unit (``n_unit``: ``users``, ``region-periods``, ``rows``,
    ``units``), so a cell wrapped between the arms never shows a bare number; a count
    that is not known is left out.

    Example:
        >>> fmt_n(Estimate(metric="m", arm="treatment", reference="control", method="welch",
        ...                estimate=1.0, n=144, n_reference=138, n_unit="region-periods"))
        'control 138 region-periods · treatment 144 region-periods'
        >>> fmt_n(Estimate(metric="m", arm="t", reference="c", method="welch", estimate=1.0))
        '—'
    """
    parts = [f"{name} {fmt_int(count)}{_unit(e)}" for name, count in
             ((e.reference, e.n_reference), (e.arm, e.n)) if count is not None]
    return sep.join(parts) if parts else MISSING


def fmt_n_short(e: Estimate) -> str:
    """The counts alone, arm first, named once: ``144 / 138 region-periods`` (for headlines).

    Example:
        >>> fmt_n_short(Estimate(metric="m", arm="t", reference="c", method="welch",
        ...                      estimate=1.0, n=3461, n_reference=3407, n_unit="users"))
        '3,461 / 3,407 users'
        >>> fmt_n_short(Estimate(metric="m", arm="t", reference="c", method="welch",
        ...                      estimate=1.0, n=12, n_unit="rows"))
        '12 rows'
    """
    counts = [fmt_int(c) for c in (e.n, e.n_reference) if c is not None]
    return " / ".join(counts) + _unit(e) if counts else MISSING


def n_label(estimates: Sequence[Estimate]) -> str:
    """The header of a count column: ``n (region-periods)`` when the estimates share a unit.

    Example:
        >>> e = Estimate(metric="m", arm="t", reference="c", method="welch", estimate=1.0,
        ...              n_unit="region-periods")
        >>> n_label([e, e]), n_label([])
        ('n (region-periods)', 'n')
    """
    units = {e.n_unit for e in estimates if e.n_unit}
    return f"n ({units.pop()})" if len(units) == 1 else "n"


def fmt_levels(e: Estimate, sep: str = " · ") -> str:
    """The metric's level in the reference and in the arm, e.g. ``control 12.1 · treatment 12.5``.

    Example:
        >>> fmt_levels(Estimate(metric="m", arm="t", reference="c", method="welch",
        ...                     estimate=0.4, level=12.5, level_reference=12.1))
        'c 12.1 · t 12.5'
    """
    parts = [f"{name} {fmt_num(level)}" for name, level in
             ((e.reference, e.level_reference), (e.arm, e.level)) if level is not None]
    return sep.join(parts) if parts else MISSING


def row_labels(estimates: Sequence[Estimate]) -> list[str]:
    """The row label of each estimate (:attr:`Estimate.label`), never two alike.

    The label names the metric, the contrast and the method. A report whose
    estimates repeat a label (an analysis bug) still gets distinct rows: the
    second one is suffixed ``#2``, and so on.

    Example:
        >>> e = Estimate(metric="m", arm="t", reference="c", method="welch", estimate=1.0)
        >>> row_labels([e, e])
        ['m: t - c (welch)', 'm: t - c (welch) #2']
    """
    seen: dict[str, int] = {}
    taken = {e.label for e in estimates}
    out = []
    for e in estimates:
        label = e.label
        k = seen.get(label, 0) + 1
        seen[label] = k
        if k > 1:
            candidate = f"{label} #{k}"
            while candidate in taken:
                k += 1
                candidate = f"{label} #{k}"
            seen[label] = k
            label = candidate
        taken.add(label)
        out.append(label)
    return out


def fmt_scalar(v: Scalar) -> str:
    """A table cell: numbers formatted, ``None`` as ``—``, booleans as yes/no.

    Example:
        >>> fmt_scalar(None), fmt_scalar(True), fmt_scalar(0.123456), fmt_scalar("KR")
        ('—', 'yes', '0.1235', 'KR')
    """
    if v is None:
        return MISSING
    if isinstance(v, bool | int | float):
        return fmt_num(v)
    return str(v)


def numeric_columns(columns: Sequence[str], rows: Sequence[Sequence[Scalar]]) -> list[bool]:
    """For each column, whether every non-missing cell is a number (so it is right-aligned).

    Example:
        >>> numeric_columns(("arm", "units"), (("control", 19979), ("treatment", None)))
        [False, True]
    """
    out = []
    for j in range(len(columns)):
        cells = [row[j] for row in rows if j < len(row) and row[j] is not None]
        out.append(bool(cells) and all(isinstance(v, int | float) and not isinstance(v, bool)
                                       for v in cells))
    return out


INTERVAL_WORDS = {
    IntervalKind.FIXED: "fixed-horizon",
    IntervalKind.ALWAYS_VALID: "always-valid",
    IntervalKind.REPEATED_GST: "group-sequential",
}
"""How the kinds of decision interval are named in tables."""


def tone(e: Estimate) -> str:
    """The colour of an estimate's row: ``good``, ``bad``, ``caution`` or ``neutral`` (:data:`TONE`).

    Example:
        >>> tone(Estimate(metric="m", arm="t", reference="c", method="z", estimate=-0.004,
        ...               ci_low=-0.006, ci_high=-0.002, role="guardrail",
        ...               direction="increase", margin=0.01))
        'caution'
    """
    return TONE[e.assessment]


UNCALIBRATED = "uncalibrated"
"""The marker of an estimate whose model-based interval's coverage was not shown."""


def fmt_assessment(e: Estimate) -> str:
    """The assessment in words (:data:`WORDS`), with the margin or threshold it was read against.

    An estimate with ``calibrated=False`` (a model-based interval whose coverage
    was not shown) is marked ``; uncalibrated``.

    Example:
        >>> fmt_assessment(Estimate(metric="m", arm="t", reference="c", method="z",
        ...     estimate=0.0005, ci_low=-0.0004, ci_high=0.0014, role="guardrail",
        ...     direction="decrease", margin=0.002))
        'non-inferior (margin 0.002)'
        >>> fmt_assessment(Estimate(metric="m", arm="t", reference="c", method="hac",
        ...     estimate=0.4, ci_low=0.1, ci_high=0.7, calibrated=False))
        'significant; uncalibrated'
    """
    words = _assessment_words(e)
    return words if e.calibrated else f"{words}; {UNCALIBRATED}"


def _assessment_words(e: Estimate) -> str:
    words = WORDS[e.assessment]
    if e.assessment is Assessment.NOT_COMPUTABLE:
        return words
    if e.margin is not None and e.direction is not None:
        return f"{words} (margin {fmt_num(e.margin)})"
    if e.assessment is Assessment.BETTER_BELOW_THRESHOLD and e.practical_threshold is not None:
        return f"better, below the practical threshold {fmt_num(e.practical_threshold)}"
    return words


P_NONINFERIORITY = "p (non-inf.)"
"""The label of a non-inferiority p-value (column header, headline)."""

P_MARK = "†"
"""Marks a non-inferiority p-value in a column that also holds superiority p-values."""

P_MARK_NOTE = (f"{P_MARK} guardrail with a margin: the non-inferiority p-value (below alpha "
               "exactly when the interval excludes the margin), not the superiority p-value")
"""The note under a table whose p-value column mixes both kinds (see :func:`p_column`)."""


def shows_noninferiority_p(e: Estimate) -> bool:
    """Whether an estimate's p-value cell is its non-inferiority p-value.

    That is a guardrail (or secondary) metric with a ``margin`` and a ``direction``: its
    assessment reads the interval against the margin, so the p-value beside it is the one of
    the non-inferiority test (``p_noninferiority``), not the superiority ``p_value``.

    Example:
        >>> g = Estimate(metric="g", arm="t", reference="c", method="z", estimate=-0.001,
        ...              ci_low=-0.00296, ci_high=0.00096, se=0.001, p_value=0.32,
        ...              role="guardrail", direction="increase", margin=0.003)
        >>> shows_noninferiority_p(g), round(g.p_noninferiority, 4)
        (True, 0.0455)
    """
    return (e.margin is not None and e.direction is not None
            and e.role is not Role.PRIMARY)


def fmt_p_for(e: Estimate, *, mark: bool = False) -> str:
    """The p-value cell of an estimate: the non-inferiority p for guardrails with a margin.

    ``mark`` appends :data:`P_MARK` to a non-inferiority p-value (for a column that mixes
    both kinds; :func:`p_column` says when).

    Example:
        >>> g = Estimate(metric="g", arm="t", reference="c", method="z", estimate=-0.001,
        ...              ci_low=-0.00296, ci_high=0.00096, se=0.001, p_value=0.32,
        ...              role="guardrail", direction="increase", margin=0.003)
        >>> fmt_p_for(g), fmt_p_for(g, mark=True)
        ('0.0455', '0.0455†')
        >>> fmt_p_for(Estimate(metric="m", arm="t", reference="c", method="z", estimate=1.0,
        ...                    p_value=0.0202))
        '0.0202'
    """
    if not shows_noninferiority_p(e):
        return fmt_p(e.p_value)
    text = fmt_p(e.p_noninferiority)
    return f"{text}{P_MARK}" if mark and text != MISSING else text


def p_column(estimates: Sequence[Estimate]) -> tuple[str, bool, str | None]:
    """How to head a p-value column: ``(label, mark, note)``.

    All rows superiority p-values: ``("p-value", False, None)``; all non-inferiority:
    ``("p (non-inf.)", False, None)``; mixed: ``("p-value", True, P_MARK_NOTE)`` (pass
    ``mark`` to :func:`fmt_p_for`, print the note under the table). Rows without a
    p-value to show count as neither.

    Example:
        >>> m = Estimate(metric="m", arm="t", reference="c", method="z", estimate=1.0,
        ...              p_value=0.02)
        >>> g = Estimate(metric="g", arm="t", reference="c", method="z", estimate=-0.001,
        ...              se=0.001, role="guardrail", direction="increase", margin=0.003)
        >>> p_column([m]), p_column([g])
        (('p-value', False, None), ('p (non-inf.)', False, None))
        >>> p_column([m, g])[:2]
        ('p-value', True)
    """
    kinds = {ni for e in estimates
             if ((e.p_noninferiority if (ni := shows_noninferiority_p(e)) else e.p_value)
                 is not None)}  # a row showing no p-value ("—") is either kind
    if kinds == {True}:
        return P_NONINFERIORITY, False, None
    if kinds == {True, False}:
        return "p-value", True, P_MARK_NOTE
    return "p-value", False, None


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b or (math.isnan(a) and math.isnan(b))


def decision_differs(e: Estimate) -> bool:
    """Whether the decision interval is not the reported interval.

    Example:
        >>> e = Estimate(metric="m", arm="t", reference="c", method="z", estimate=1.0,
        ...              ci_low=0.5, ci_high=1.5)
        >>> decision_differs(e)
        False
        >>> import dataclasses
        >>> decision_differs(dataclasses.replace(e, decision_ci_low=0.2, decision_ci_high=1.8,
        ...                                      interval_kind="always_valid", assessment=None))
        True
    """
    return not (_same(e.decision_ci_low, e.ci_low) and _same(e.decision_ci_high, e.ci_high))


def fmt_decision_ci(e: Estimate) -> str:
    """The decision interval and its kind, e.g. ``[0.05, 0.77] always-valid``.

    Example:
        >>> fmt_decision_ci(Estimate(metric="m", arm="t", reference="c", method="z",
        ...     estimate=0.41, ci_low=0.12, ci_high=0.7, decision_ci_low=0.05,
        ...     decision_ci_high=0.77, interval_kind="always_valid"))
        '[0.05, 0.77] always-valid'
    """
    ci = fmt_ci(e.decision_ci_low, e.decision_ci_high)
    return ci if ci == MISSING else f"{ci} {INTERVAL_WORDS[e.interval_kind]}"


def is_error(e: Estimate) -> bool:
    """Whether an estimate could not be computed: a JUnit ``<error>``.

    That is a point estimate that is not finite, or a deciding (primary or
    guardrail) estimate whose decision interval is not computable (the gate
    then trusts no effect: ``invalid``). A secondary estimate shown without an
    interval is not an error.

    Example:
        >>> is_error(Estimate(metric="m", arm="t", reference="c", method="welch",
        ...                   estimate=float("nan")))
        True
        >>> is_error(Estimate(metric="m", arm="t", reference="c", method="welch", estimate=1.0))
        False
        >>> is_error(Estimate(metric="m", arm="t", reference="c", method="welch", estimate=1.0,
        ...                   role="primary"))
        True
    """
    return not math.isfinite(e.estimate) or (e.deciding and not e.finite)


def fmt_duration(seconds: float | None) -> str:
    """A duration in days, hours and minutes, e.g. ``7d 12h``.

    Example:
        >>> fmt_duration(7 * 86400 + 12 * 3600), fmt_duration(600), fmt_duration(0)
        ('7d 12h', '10m', '0m')
        >>> fmt_duration(None), fmt_duration(12.5)
        ('—', '12s')
    """
    if seconds is None or not math.isfinite(seconds):
        return MISSING if seconds is None else fmt_num(seconds)
    sign, s = ("-" if seconds < 0 else ""), abs(seconds)
    if 0 < s < 60:
        return f"{sign}{round(s)}s"
    if s >= 1e12:
        return f"{sign}{fmt_num(s / 86400)}d"
    minutes = round(s / 60)
    d, rest = divmod(minutes, 1440)
    h, m = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((d, "d"), (h, "h"), (m, "m")) if v]
    return sign + (" ".join(parts) if parts else "0m")


def _elapsed(start: str | None, end: str | None) -> float | None:
    if start is None or end is None:
        return None
    try:
        a, b = datetime.fromisoformat(start), datetime.fromisoformat(end)
        return (b - a).total_seconds()
    except (ValueError, TypeError):
        return None


def decision_word(report: Report) -> str:
    """The decision in one word for a heading: the state, ``not made`` or ``none``.

    ``not made``: the report can be gated (it has a ``decision_basis``) but the
    decision rules were not applied to it; ``none``: no decision rules apply.

    Example:
        >>> from causalkit.report import Decision, Experiment, Report
        >>> rep = Report(experiment=Experiment(name="x", kind="aha"))
        >>> decision_word(rep), decision_word(rep.with_decision(Decision("hold")))
        ('none', 'hold')
    """
    if report.decision is not None:
        return report.decision.state.value
    return "not made" if report.decision_basis is not None else "none"


NEEDS_HISTORY = ("this decision reads a group-sequential boundary that depends on earlier "
                 "looks; `causalkit gate --state FILE` remembers them and may decide "
                 "differently")
"""What renderers say when a decision ``needs_history``."""


def decision_lines(report: Report) -> list[str]:
    """The lines under the decision heading: its reasons, then what it depends on.

    Example:
        >>> from causalkit.report import Decision, Experiment, Report
        >>> decision_lines(Report(experiment=Experiment(name="x", kind="aha")))
        ['no decision rules apply to this report']
        >>> decision_lines(Report(experiment=Experiment(name="x", kind="ab"),
        ...                       decision=Decision("ship", ("m is better",))))
        ['m is better']
    """
    dec = report.decision
    if dec is None:
        if report.decision_basis is not None:
            return ["the decision rules were not applied to this report "
                    "(causalkit.analyze and causalkit gate apply them)"]
        headline = report.meta.extra.get("headline")  # the finding of a kind without rules
        found = [headline] if isinstance(headline, str) and headline else []
        return [*found, "no decision rules apply to this report"]
    lines = list(dec.reasons)
    if dec.needs_history:
        lines.append(NEEDS_HISTORY)
    return lines


_SEQUENTIAL_WORDS = {
    Sequential.NONE: "none (decision intervals: always-valid, tuned at the planned horizon)",
    Sequential.MSPRT: "msprt (always-valid intervals)",
    Sequential.GST: "gst (group-sequential boundary)",
}


def basis_items(basis: DecisionBasis) -> list[tuple[str, str]]:
    """The decision basis as (label, text) pairs, for a compact list under the decision.

    A ``problem`` (why the decision intervals could not be built) comes first.

    Example:
        >>> from causalkit.report import DecisionBasis
        >>> items = basis_items(DecisionBasis(sequential="msprt", alpha=0.05,
        ...     min_n_per_arm=4_800, n_unit="users", min_sample_per_arm=1_000,
        ...     horizon_sample_per_arm=10_000, start="2026-12-01T00:00:00Z",
        ...     now="2026-12-08T00:00:00Z", information_fraction=0.48, look=1))
        >>> for k, v in items[:5]:
        ...     print(f"{k}: {v}")
        sequential: msprt (always-valid intervals)
        alpha: 0.05
        sample: 4,800 users in the smallest arm (minimum 1,000; planned 10,000)
        runtime: 7d, 2026-12-01T00:00:00Z to 2026-12-08T00:00:00Z
        information fraction: 0.48
    """
    b = basis
    items = [("problem", b.problem)] if b.problem else []
    items += [("sequential", _SEQUENTIAL_WORDS.get(b.sequential, str(b.sequential))),
              ("alpha", fmt_num(b.alpha))]
    unit = "" if b.n_unit in ("", "units") else f" {b.n_unit}"
    bounds = []
    if b.min_sample_per_arm:
        bounds.append(f"minimum {fmt_int(b.min_sample_per_arm)}")
    if b.horizon_sample_per_arm is not None:
        bounds.append(f"planned {fmt_int(b.horizon_sample_per_arm)}")
    items.append(("sample", f"{fmt_int(b.min_n_per_arm)}{unit} in the smallest arm"
                  + (f" ({'; '.join(bounds)})" if bounds else "")))
    ran = _elapsed(b.start, b.now)
    bounds = []
    if b.min_runtime is not None:
        bounds.append(f"minimum {fmt_duration(b.min_runtime)}")
    if b.horizon is not None:
        bounds.append(f"horizon {fmt_duration(b.horizon)}")
    extra = f" ({'; '.join(bounds)})" if bounds else ""
    if b.start is not None and b.now is not None:
        items.append(("runtime", f"{fmt_duration(ran)}, {b.start} to {b.now}{extra}"))
    elif b.now is not None:
        items.append(("analysis time", b.now + extra))
    elif bounds:
        items.append(("runtime", "; ".join(bounds)))
    if b.first_exposure is not None or b.last_exposure is not None:
        items.append(("exposures", f"{b.first_exposure or MISSING} to "
                                   f"{b.last_exposure or MISSING}"))
    if b.information_fraction is not None:
        items.append(("information fraction", fmt_num(b.information_fraction, 3)))
    if b.look is not None:
        look = str(b.look)
        if b.boundary_z is not None:
            look += f", boundary |z| ≥ {fmt_num(b.boundary_z)}"
        if b.spent_alpha is not None:
            look += f", alpha spent {fmt_num(b.spent_alpha)} of {fmt_num(b.alpha)}"
        if not b.history_known:
            look += " (earlier looks not known)"
        items.append(("look", look))
    items.append(("fails CI on", ", ".join(s.value for s in b.fail_on) or MISSING))
    items += [("note", note) for note in b.notes]
    return items


# -- the headline (the answer first), as every renderer shows it ---------------------------


def answer_word(h: Headline) -> str:
    """The headline's answer as a heading word: ``SHIP``, ``FINDING``, ``NOT MADE``, ...

    Example:
        >>> from causalkit.report import Decision, Experiment, Report
        >>> from causalkit.report.headline import headline
        >>> answer_word(headline(Report(experiment=Experiment(name="x", kind="ab"),
        ...                             decision=Decision("rollback"))))
        'ROLLBACK'
    """
    return h.answer.upper()


def headline_estimate_line(e: Estimate) -> str:
    """One primary estimate for a headline: label, effect, interval, relative, p, n, verdict.

    The p-value is the non-inferiority one for a guardrail with a margin (labelled so),
    the counts are named (``n 144 / 138 region-periods``), and the verdict comes last.

    Example:
        >>> print(headline_estimate_line(Estimate(metric="conversion", arm="treatment",
        ...     reference="control", method="welch", estimate=0.0042, ci_low=0.0011,
        ...     ci_high=0.0073, relative=0.034, p_value=0.008, n=3461, n_reference=3407,
        ...     n_unit="users", role="primary", direction="increase")))
        conversion: treatment - control (welch): +0.0042 [0.0011, 0.0073], +3.4%, p 0.008, n 3,461 / 3,407 users — better
        >>> print(headline_estimate_line(Estimate(metric="refunds", arm="b", reference="a",
        ...     method="z", estimate=-0.001, ci_low=-0.00296, ci_high=0.00096, se=0.001,
        ...     p_value=0.32, role="guardrail", direction="increase", margin=0.003)))
        refunds: b - a (z): -0.001 [-0.00296, 0.00096], p (non-inf.) 0.0455 — non-inferior (margin 0.003)
    """
    sign = "+" if math.isfinite(e.estimate) and e.estimate > 0 else ""
    parts = [f"{sign}{fmt_num(e.estimate)}"]
    ci = fmt_ci(e.ci_low, e.ci_high)
    if ci != MISSING:
        parts[0] += f" {ci}"
    if e.relative is not None:
        parts.append(fmt_pct(e.relative))
    p_name = P_NONINFERIORITY if shows_noninferiority_p(e) else "p"
    p_text = fmt_p_for(e)
    if p_text != MISSING:
        parts.append(f"{p_name} {p_text}")
    if e.n is not None or e.n_reference is not None:
        parts.append(f"n {fmt_n_short(e)}")
    return f"{e.label}: {', '.join(parts)} — {fmt_assessment(e)}"


def alert_line(c: Check) -> str:
    """A failed or warned check for a headline: ``FAIL srm [metric]: detail``.

    Example:
        >>> from causalkit.report import Status
        >>> alert_line(Check("sample_ratio_mismatch", Status.FAIL, "p = 1e-6")), alert_line(
        ...     Check("outliers", Status.WARN, metric="revenue"))
        ('FAIL sample_ratio_mismatch: p = 1e-6', 'WARN outliers [revenue]')
    """
    name = c.name if c.metric is None else f"{c.name} [{c.metric}]"
    return f"{c.status.value.upper()} {name}" + (f": {c.detail}" if c.detail else "")


def headline_sentence(h: Headline) -> str:
    """The headline in one line (JUnit, logs): the answer, then its sentences.

    Example:
        >>> from causalkit.report import Decision, Experiment, Report
        >>> from causalkit.report.headline import headline
        >>> headline_sentence(headline(Report(experiment=Experiment(name="x", kind="ab"),
        ...     decision=Decision("ship", ("primary m is better", "guardrails hold")))))
        'ship: primary m is better; guardrails hold'
        >>> headline_sentence(headline(Report(experiment=Experiment(name="x", kind="aha"))))
        'none'
    """
    return h.answer + (f": {'; '.join(h.sentences)}" if h.sentences else "")
