"""Data-quality checks of an A/B scan: arms, extreme values, single-unit influence, float64.

Everything here reads the one scan (:mod:`causalkit.ab.scan`): per arm the moments,
the smallest and largest value of every moment column, the NULL counts. No check
touches the rows again.

=========================  ======================================================  =========
check                      what it measures                                        status
=========================  ======================================================  =========
``data_unknown_variants``  units whose arm label the spec does not name (NULL      ``fail``
                           labels included; the holdout label when the spec has
                           a holdout is not one)
``data_empty_arm``         a spec arm without units                                ``fail``
``data_influence``         the largest share of a column's variance (sum of        see below
                           squared deviations from the arm mean) held by one
                           unit, ``max((max - mean)^2, (min - mean)^2) / C``; for
                           a column without negative values also the largest
                           unit's share of the column's sum
``data_extreme_values``    a value of magnitude 1e300 or more, or sums that        ``fail``
                           overflow float64
                           (the metric's estimate is then not computed)
``data_float_resolution``  the float64 spacing of the compared levels against      ``warn`` >
                           the estimate's standard error,                          1% of se,
                           ``spacing(max(|level|)) / se``                          ``fail`` >
                                                                                   10% of se
``data_missing_exposure``  rows without an exposure time (left out of the daily    ``warn`` >
                           looks)                                                  0.1% rows
=========================  ======================================================  =========

Influence thresholds: with at least 100 units in the arm, ``warn`` above 0.25 and
``fail`` above 0.5; with 20 to 99 units, ``fail`` above 0.9 only; below 20 units, no
check. Why: one unit holding half of a column's variance leaves an interval that rests
on that one value (the normal approximation behind the t and z intervals needs many
units each contributing little; the share's inverse is about the number of units that
matter). Measured on 2,000 simulated arms each: normal data never exceed 0.25 at 100
units (median share 0.07; typical shares are ``2 ln(n) / n``); exponential data exceed
0.5 in 0.3% of arms at 100 units and never at 1,000; lognormal(sigma=1) data exceed 0.5
in 16% of arms at 100 units, 1% at 1,000 and never at 20,000, and lognormal(sigma=2)
(revenue-like) in 14% of arms even at 20,000 units, where the t interval's coverage
is indeed unreliable (cap such metrics). Small arms fail only for a share above 0.9
(exponential data at 30 units: about 1%), which a sentinel (share ``1 - 1/n``) always
reaches. The difference of two levels is rounded by up to one float64 spacing of the
levels (``2.2e-16 * |level|``): a level above about 5e13 standard errors warns (the
rounding is 1% of the se), above about 5e14 fails (10%); with a standard error near 1,
that is a mean of 1e13 to 1e14 and more. Values from 1e300 on square to infinity.

Example:
    >>> import numpy as np
    >>> from causalkit.data import Moments
    >>> from causalkit.spec.common import Metric
    >>> x = np.ones(40_000); x[0] = 2.0**63 - 1  # a sentinel denominator
    >>> arm = Moments.from_array(["d"], x[:, None])
    >>> m = Metric(name="r", type="ratio", numerator="d", denominator="d", role="primary")
    >>> checks, _ = value_checks([m], {"control": arm}, {"control": {"d": (1.0, x[0])}})
    >>> checks[0].name, checks[0].status.value
    ('data_influence', 'fail')
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from causalkit.data import Moments
from causalkit.data.sql import FLOAT_LIMIT
from causalkit.metrics import kind_of
from causalkit.report import Check, Status
from causalkit.spec.common import Metric

INFLUENCE_WARN = 0.25
"""One unit's share of a column's variance (or sum) above which the check warns."""
INFLUENCE_FAIL = 0.5
"""One unit's share above which the check fails: most of the variance is one value."""
INFLUENCE_FULL_UNITS = 100
"""Arms with at least this many units warn and fail at the thresholds above."""
INFLUENCE_SMALL_FAIL = 0.9
"""Smaller arms (down to :data:`INFLUENCE_MIN_UNITS`) only fail, above this share."""
INFLUENCE_MIN_UNITS = 20
"""Arms with fewer units are not checked for influence."""
RESOLUTION_WARN = 0.01
"""Float64 spacing of a level, as a share of the estimate's standard error, that warns."""
RESOLUTION_FAIL = 0.1
"""Float64 spacing of a level, as a share of the estimate's standard error, that fails."""
MISSING_EXPOSURE_WARN = 0.001
"""Share of rows without an exposure time above which the check warns."""
SHOWN_LABELS = 6
"""Labels named in a message (the most frequent first)."""

_SENTINELS = {float(2**63 - 1): "INT64_MAX", float(-(2**63)): "INT64_MIN",
              float(2**64 - 1): "UINT64_MAX", float(2**31 - 1): "INT32_MAX",
              float(-(2**31)): "INT32_MIN", float(2**32 - 1): "UINT32_MAX",
              float(np.finfo(np.float64).max): "the largest float64",
              float(np.finfo(np.float32).max): "the largest float32"}


@dataclass(frozen=True)
class ArmMatch:
    """How the arm labels in the data match the spec's arms.

    Attributes:
        unknown: label -> units, for labels the spec does not name (``None``: NULL).
        empty: spec arms without units.
        held: units under the holdout label (when the spec has a holdout).

    Example:
        >>> match_arms(["control", "treatment"], {"A": 5, "B": 4}).empty
        ('control', 'treatment')
    """

    unknown: dict[str | None, int]
    empty: tuple[str, ...]
    held: int = 0

    @property
    def mismatched(self) -> bool:
        """Whether any unit is in an unnamed arm or any spec arm is empty."""
        return bool(self.unknown or self.empty)


def match_arms(variants: Sequence[str], counts: Mapping[str | None, int], *,
               holdout_label: str | None = None) -> ArmMatch:
    """Compare the spec's arms with the labels found in the data (``label -> units``).

    Example:
        >>> m = match_arms(["control", "treatment"], {"control": 5, "Treatment": 4, None: 1})
        >>> m.unknown, m.empty
        ({'Treatment': 4, None: 1}, ('treatment',))
    """
    unknown = {k: int(n) for k, n in counts.items() if k not in variants and n > 0}
    held = unknown.pop(holdout_label, 0) if holdout_label is not None else 0
    empty = tuple(a for a in variants if counts.get(a, 0) == 0)
    return ArmMatch(unknown, empty, held)


def _label(k: str | None) -> str:
    return "NULL" if k is None else repr(k)


def labels_text(counts: Mapping[str | None, int]) -> str:
    """The labels with their unit counts, most frequent first (at most :data:`SHOWN_LABELS`).

    Example:
        >>> labels_text({"A": 20_000, "B": 19_500, None: 3})
        "'A' (20,000), 'B' (19,500), NULL (3)"
    """
    items = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    text = ", ".join(f"{_label(k)} ({n:,})" for k, n in items[:SHOWN_LABELS])
    more = len(items) - SHOWN_LABELS
    return text + (f" and {more:,} more" if more > 0 else "")


def did_you_mean(names: Sequence[str], labels: Sequence[str | None]) -> str:
    """Pairs of a spec arm and the closest label in the data (case ignored), as text.

    Example:
        >>> did_you_mean(["control", "treatment"], ["Control", "treatmnt", "A"])
        "did you mean 'Control' for 'control', 'treatmnt' for 'treatment'?"
        >>> did_you_mean(["control"], ["A", "B"])
        ''
    """
    found = [k for k in labels if k is not None]
    lower = {k.casefold(): k for k in found}
    pairs = []
    for name in names:
        close = difflib.get_close_matches(name.casefold(), list(lower), n=1, cutoff=0.6)
        if close:
            pairs.append(f"{lower[close[0]]!r} for {name!r}")
    return f"did you mean {', '.join(pairs)}?" if pairs else ""


def arm_checks(variants: Sequence[str], counts: Mapping[str | None, int], *,
               variant_column: str, holdout_label: str | None = None) -> list[Check]:
    """``data_unknown_variants`` and ``data_empty_arm`` checks (both ``fail``), and ``holdout``.

    Example:
        >>> cs = arm_checks(["control", "treatment"], {"A": 20_000, "B": 20_000},
        ...                 variant_column="variant")
        >>> [(c.name, c.status.value) for c in cs]
        [('data_unknown_variants', 'fail'), ('data_empty_arm', 'fail'), ('data_empty_arm', 'fail')]
        >>> print(cs[0].detail)
        40,000 unit(s) in arms the spec does not name: 'A' (20,000), 'B' (20,000); the spec's arms are 'control', 'treatment' (name the data's labels in variants:, or relabel the 'variant' column)
    """
    match = match_arms(variants, counts, holdout_label=holdout_label)
    arms = ", ".join(repr(a) for a in variants)
    hint = did_you_mean(variants, list(match.unknown))
    fix = hint or (f"name the data's labels in variants:, or relabel the {variant_column!r} "
                   "column")
    out: list[Check] = []
    if match.unknown:
        total = sum(match.unknown.values())
        out.append(Check(
            "data_unknown_variants", Status.FAIL,
            f"{total:,} unit(s) in arms the spec does not name: {labels_text(match.unknown)}; "
            f"the spec's arms are {arms} ({fix})", value=float(total)))
    if match.held:
        out.append(Check("holdout", Status.PASS, f"{match.held:,} held-out unit(s) left out"))
    found = {k: n for k, n in counts.items() if n > 0}
    for arm in match.empty:
        where = (f"labels in {variant_column!r}: {labels_text(found)}" if found
                 else f"the {variant_column!r} column holds no labels")
        out.append(Check("data_empty_arm", Status.FAIL,
                         f"arm {arm!r} has no units in the data ({where}"
                         + (f"; {hint}" if hint else "") + ")"))
    return out


def _sentinel(value: float) -> str:
    name = _SENTINELS.get(float(value))
    return f" = {name}, a sentinel?" if name else ""


def _checked_columns(metric: Metric) -> tuple[str, ...]:
    kind = kind_of(metric)
    values = () if kind.binary else kind.values(metric)
    return tuple(dict.fromkeys((*values, *kind.covariates(metric))))


def _influence(m: Moments, column: str, lo: float, hi: float) -> tuple[float, str]:
    """The largest share of the column's variance (or sum) held by one unit, and its kind."""
    i = m.columns.index(column)
    mean, c2 = float(m.mean[i]), float(m.comoment[i, i])
    with np.errstate(all="ignore"):
        top = max((hi - mean) ** 2, (lo - mean) ** 2)
        var_share = top / c2 if c2 > 0 and math.isfinite(c2) else 0.0
        total = mean * m.n
        sum_share = hi / total if lo >= 0 and total > 0 and math.isfinite(total) else 0.0
    var_share = min(var_share, 1.0) if math.isfinite(var_share) else 0.0
    sum_share = min(sum_share, 1.0) if math.isfinite(sum_share) else 0.0
    return (var_share, "variance") if var_share >= sum_share else (sum_share, "sum")


def value_checks(metrics: Sequence[Metric], arms: Mapping[str, Moments],
                 ranges: Mapping[str, Mapping[str, tuple[float, float]]], *,
                 order: Sequence[str] | None = None, overflow: Sequence[str] = ()
                 ) -> tuple[list[Check], dict[str, str]]:
    """``data_extreme_values`` and ``data_influence`` checks per metric (one per metric each).

    Args:
        metrics: the spec's metrics (binary-kind columns are not checked for influence).
        arms: arm -> moments of the scan.
        ranges: arm -> column -> ``(min, max)`` of the scan.
        order: the arms to check, in order (default: every arm in ``arms``).
        overflow: columns whose sums overflow float64.

    Returns:
        The checks and ``{metric name: "extreme_values"}`` for metrics whose estimate
        must not be computed.

    Example:
        >>> import numpy as np
        >>> m = Metric(name="y", type="mean", column="y")
        >>> arm = Moments.from_array(["y"], np.array([[1.0], [2.0]]))
        >>> checks, problems = value_checks([m], {"c": arm}, {"c": {"y": (1.0, 2e301)}})
        >>> checks[0].name, checks[0].status.value, problems
        ('data_extreme_values', 'fail', {'y': 'extreme_values'})
    """
    order = list(order if order is not None else arms)
    checks: list[Check] = []
    problems: dict[str, str] = {}
    for metric in metrics:
        cols = _checked_columns(metric)
        extreme: list[str] = []
        worst: tuple[float, str, str, str, float, int] | None = None
        for arm in order:
            m, r = arms.get(arm), ranges.get(arm, {})
            if m is None or m.n == 0:
                continue
            for c in cols:
                if c not in m.columns or c not in r:
                    continue
                lo, hi = r[c]
                big = max(abs(lo), abs(hi)) if not (math.isnan(lo) or math.isnan(hi)) else 0.0
                if big >= FLOAT_LIMIT or c in overflow:
                    extreme.append(f"{c!r} in arm {arm!r} (|value| up to {big:.3g})")
                    continue
                if m.n < INFLUENCE_MIN_UNITS:
                    continue
                share, what = _influence(m, c, lo, hi)
                far = hi if abs(hi - float(m.mean[m.columns.index(c)])) >= \
                    abs(lo - float(m.mean[m.columns.index(c)])) else lo
                if worst is None or share > worst[0]:
                    worst = (share, what, arm, c, far, m.n)
        if extreme:
            problems[metric.name] = "extreme_values"
            checks.append(Check(
                "data_extreme_values", Status.FAIL,
                f"values of magnitude {FLOAT_LIMIT:.0e} or more, or sums that overflow "
                f"float64: "
                f"{'; '.join(extreme)}; the estimate is not computed (rescale the column or "
                "drop sentinel values)", metric=metric.name))
            continue
        if worst is None:
            continue
        share, what, arm, c, far, n = worst
        status = _influence_status(share, n)
        if status is None:
            continue
        checks.append(Check(
            "data_influence", status,
            f"one unit holds {share:.1%} of the {what} of {c!r} in arm {arm!r} ({n:,} units; "
            f"its value {far:.6g}{_sentinel(far)}); the estimate rests on that one value "
            "(check it for a sentinel or a logging error, or cap the metric at a high "
            f"percentile; {_thresholds(n)})", metric=metric.name, value=share))
    return checks, problems


def _influence_status(share: float, n: int) -> Status | None:
    if n >= INFLUENCE_FULL_UNITS:
        return (Status.FAIL if share > INFLUENCE_FAIL else
                Status.WARN if share > INFLUENCE_WARN else None)
    return Status.FAIL if share > INFLUENCE_SMALL_FAIL else None


def _thresholds(n: int) -> str:
    if n >= INFLUENCE_FULL_UNITS:
        return f"fail above {INFLUENCE_FAIL:.0%}, warn above {INFLUENCE_WARN:.0%}"
    return f"fail above {INFLUENCE_SMALL_FAIL:.0%} with fewer than {INFLUENCE_FULL_UNITS} units"


def resolution_check(metric: str, arm: str, level: float, level_reference: float,
                     se: float) -> Check | None:
    """``data_float_resolution`` when the levels' float64 spacing is a visible share of the se.

    Example:
        >>> resolution_check("y", "t", 1e13, 1e13, 0.005).status.value
        'fail'
        >>> resolution_check("y", "t", 12.0, 12.3, 0.005) is None
        True
    """
    big = max(abs(level), abs(level_reference))
    if not (math.isfinite(big) and math.isfinite(se) and se > 0):
        return None
    share = float(np.spacing(big)) / se
    if share <= RESOLUTION_WARN:
        return None
    status = Status.FAIL if share > RESOLUTION_FAIL else Status.WARN
    return Check(
        "data_float_resolution", status,
        f"the levels ({big:.6g}) are stored with a float64 spacing of "
        f"{float(np.spacing(big)):.3g}, {share:.1%} of the standard error {se:.3g} ({arm}): "
        "the difference is rounded to that spacing (subtract a baseline or change the unit)",
        metric=metric, value=share)


def exposure_check(missing: int, rows: int, column: str) -> Check | None:
    """``data_missing_exposure``: rows without an exposure time (warn above 0.1%).

    Example:
        >>> exposure_check(5, 1000, "exposed_at").status.value
        'warn'
        >>> exposure_check(0, 1000, "exposed_at") is None
        True
    """
    if missing <= 0:
        return None
    share = missing / rows if rows else 1.0
    status = Status.WARN if share > MISSING_EXPOSURE_WARN else Status.PASS
    return Check("data_missing_exposure", status,
                 f"{missing:,} of {rows:,} rows ({share:.2%}) have no {column!r}; they count "
                 "in the analysis but in no daily look (warn above "
                 f"{MISSING_EXPOSURE_WARN:.1%})", value=float(missing))


__all__ = [
    "FLOAT_LIMIT",
    "INFLUENCE_FAIL",
    "INFLUENCE_FULL_UNITS",
    "INFLUENCE_MIN_UNITS",
    "INFLUENCE_SMALL_FAIL",
    "INFLUENCE_WARN",
    "MISSING_EXPOSURE_WARN",
    "RESOLUTION_FAIL",
    "RESOLUTION_WARN",
    "ArmMatch",
    "arm_checks",
    "did_you_mean",
    "exposure_check",
    "labels_text",
    "match_arms",
    "resolution_check",
    "value_checks",
]
