"""Group-sequential boundaries for the gate: Lan-DeMets O'Brien-Fleming alpha spending.

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

from causalkit.errors import GateError

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
        GateError: for fractions that are not strictly increasing in ``(0, 1]``.

    Example:
        >>> round(boundary((0.2,), 0.05), 2)
        4.88
    """
    fr = tuple(float(f) for f in fractions)
    if not fr or any(not 0 < f <= 1 for f in fr) or any(b <= a for a, b in itertools.pairwise(fr)):
        raise GateError(
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
