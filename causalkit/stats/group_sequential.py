"""Group-sequential looks: Lan-DeMets O'Brien-Fleming alpha spending, cached, and the look.

The numbers come from :mod:`causalkit.stats.sequential`; this module only
caches them (a daily CI job asks for the same fractions again and again) and
turns a boundary into a *repeated confidence interval*
``estimate +/- c_k * se`` (Jennison and Turnbull, 2000, ch. 9), whose
simultaneous coverage over every look lets the gate read guardrail margins and
the primary metric from one interval, exactly as with always-valid intervals.

Example:
    >>> round(boundary((0.2, 0.4, 0.6, 0.8, 1.0), 0.05), 2)
    2.03
    >>> round(spent_alpha(1.0, 0.05), 6)
    0.05
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

_CACHE: dict[tuple[tuple[float, ...], float], tuple[float, ...]] = {}


def _boundaries(fractions: tuple[float, ...], alpha: float) -> tuple[float, ...]:
    """Boundaries, cached; a look's boundary depends only on the looks up to it, so the
    boundaries of a longer plan with the same first looks answer a shorter one."""
    for (fr, a), values in _CACHE.items():
        if a == alpha and fr[:len(fractions)] == fractions:
            return values[:len(fractions)]
    from causalkit.stats.sequential import gst_boundaries

    values = tuple(float(x) for x in gst_boundaries(list(fractions), alpha))
    if len(_CACHE) > 256:
        _CACHE.clear()
    _CACHE[(fractions, alpha)] = values
    return values


def precompute(fractions: Sequence[float], alpha: float) -> None:
    """Compute and cache the boundaries of a whole planned schedule at once.

    Example:
        >>> precompute((0.5, 1.0), 0.05)
        >>> round(boundary((0.5,), 0.05), 3)
        2.963
    """
    _boundaries(tuple(float(f) for f in fractions), float(alpha))


def boundary(fractions: Sequence[float], alpha: float) -> float:
    """The two-sided z boundary at the last of ``fractions`` (earlier looks included).

    Args:
        fractions: information fractions of every look so far, strictly
            increasing, each in ``(0, 1]``.
        alpha: two-sided level of the whole sequence.

    Raises:
        ValueError: for fractions that are not strictly increasing in ``(0, 1]``.

    Example:
        >>> round(boundary((0.2,), 0.05), 2)
        4.88
    """
    fr = tuple(float(f) for f in fractions)
    if not fr or any(not 0 < f <= 1 for f in fr) or any(b <= a for a, b in itertools.pairwise(fr)):
        raise ValueError(
            f"information fractions must increase strictly within (0, 1], got {list(fr)}"
        )
    return _boundaries(fr, float(alpha))[-1]


def spent_alpha(fraction: float, alpha: float) -> float:
    """Cumulative alpha spent by the O'Brien-Fleming-type function at ``fraction``.

    Example:
        >>> spent_alpha(0.5, 0.05) < 0.01
        True
    """
    from causalkit.stats.sequential import obf_spending

    value = obf_spending(min(max(float(fraction), 0.0), 1.0), float(alpha))
    return float(value)


def repeated_interval(estimate: float, se: float, z: float) -> tuple[float, float]:
    """``estimate -/+ z * se`` (infinite when the boundary is infinite).

    Example:
        >>> repeated_interval(1.0, 0.5, 2.0)
        (0.0, 2.0)
    """
    if math.isinf(z):
        return (-math.inf, math.inf)
    return (estimate - z * se, estimate + z * se)


@dataclass(frozen=True)
class GstLook:
    """One look of a group-sequential plan.

    ``fraction`` is the information fraction of this look (may exceed 1 past the
    plan), ``z_by_alpha`` the two-sided boundary per alpha level, ``spent`` the
    cumulative alpha spent at the nominal level, and ``prior`` the fractions of
    the earlier tested looks the boundary was computed with.

    Example:
        >>> look = gst_look(0.5, [0.05], 0.05)
        >>> type(look).__name__, look.prior
        ('GstLook', ())
    """

    fraction: float
    z_by_alpha: dict[float, float]
    spent: float
    prior: tuple[float, ...]


class NoNewInformation(ValueError):
    """The data changed but the information fraction did not grow since the last look."""


def gst_look(fraction: float, alphas: Sequence[float], nominal_alpha: float, *,
             prior: Sequence[float] = (), same: tuple[float, Sequence[float]] | None = None
             ) -> GstLook:
    """The boundary of a look given the earlier looks' information fractions.

    Args:
        fraction: information fraction now (units or time over the plan's).
        alphas: the alpha levels in use (one per multiplicity-adjusted level).
        nominal_alpha: the plan's alpha (``spent`` is reported at this level).
        prior: information fractions of the earlier tested looks, oldest first.
        same: when this look repeats an earlier one on the same statistics, that
            look's fraction and the fractions of the tested looks before it (its
            boundary is reused exactly).

    Raises:
        NoNewInformation: when ``fraction`` does not exceed the last prior fraction.
        ValueError: for a fraction that is not positive.

    Example:
        >>> look = gst_look(0.5, [0.05], 0.05)
        >>> round(look.z_by_alpha[0.05], 3), round(look.spent, 5)
        (2.963, 0.00305)
        >>> round(gst_look(1.0, [0.05], 0.05, prior=[0.5]).z_by_alpha[0.05], 3)
        1.969
    """
    levels = {float(a) for a in alphas} | {float(nominal_alpha)}
    if same is not None:
        t, before = float(same[0]), tuple(float(x) for x in same[1])
        fractions = (*before, min(t, 1.0))
        return GstLook(t, {a: boundary(fractions, a) for a in levels},
                       spent_alpha(t, nominal_alpha), before)
    t = float(fraction)
    before = tuple(min(float(x), 1.0) for x in prior)
    if before and before[-1] >= 1.0:
        # The plan's information was complete at an earlier look that could not decide:
        # no alpha is left, the final boundary stands.
        return GstLook(t, {a: boundary(before, a) for a in levels},
                       spent_alpha(1.0, nominal_alpha), before)
    if before and min(t, 1.0) <= before[-1]:
        raise NoNewInformation(
            f"the data changed but the information did not grow (fraction {t:.4f} now, "
            f"{before[-1]:.4f} at the last look)")
    if t <= 0:
        raise ValueError("no information yet (information fraction 0)")
    fractions = (*before, min(t, 1.0))
    return GstLook(t, {a: boundary(fractions, a) for a in levels},
                   spent_alpha(t, nominal_alpha), before)
