"""``type: proportion``: the share of units with a 1 in a 0/1 column, compared by a z test.

Level ``p = mean(Y)``; per-unit variance ``p (1 - p)`` (ddof 0); values other than
0 and 1 are a data error; the planning variance follows the proportion under the
effect, ``p' (1 - p')``.

Example:
    >>> import numpy as np
    >>> from causalkit.data import Moments
    >>> from causalkit.spec.common import Metric
    >>> m = Metric(name="y", type="proportion", column="y")
    >>> isinstance(PROPORTION, Proportion)
    True
    >>> PROPORTION.level(m, Moments.from_array(["y"], np.array([[0.0], [1.0], [1.0], [0.0]])))
    (0.5, 0.25)
    >>> PROPORTION.planning_variance(0.5, 0.25, 0.1)
    0.24
"""

from __future__ import annotations

from causalkit.metrics.mean import Mean


class Proportion(Mean):
    """A 0/1 column's share of ones (z test)."""

    name = "proportion"
    test = "z"
    binary = True
    ddof = 0
    normal = True

    def planning_variance(self, level: float, variance: float, effect: float) -> float:
        """``p' (1 - p')`` at ``p' = level + effect`` (clipped to [0, 1]), times the CUPED
        reduction already in ``variance`` relative to ``level (1 - level)``."""
        base = level * (1 - level)
        pt = min(max(level + effect, 0.0), 1.0)
        keep = variance / base if base > 0 else 1.0
        return pt * (1 - pt) * keep


PROPORTION = Proportion()
