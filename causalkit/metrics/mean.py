"""``type: mean``: the mean of a per-unit column, compared by Welch's t test.

Level ``mean(Y)``; per-unit variance ``var(Y)`` (ddof 1); CUPED with ``covariate``.

Example:
    >>> import numpy as np
    >>> from causalkit.data import Moments
    >>> from causalkit.spec.common import Metric
    >>> m = Metric(name="y", type="mean", column="y")
    >>> isinstance(MEAN, Mean)
    True
    >>> MEAN.level(m, Moments.from_array(["y"], np.array([[1.0], [2.0], [4.0]])))[1]
    2.333333333333333
"""

from __future__ import annotations

from causalkit.data import Moments
from causalkit.metrics.base import MetricKind, col_cov, col_mean
from causalkit.spec.common import Metric, MetricFields


class Mean(MetricKind):
    """The mean of a column (Welch's t)."""

    name = "mean"
    fields = MetricFields.COLUMN
    test = "welch"

    def values(self, metric: Metric) -> tuple[str, ...]:
        """``(column,)``."""
        assert metric.column is not None
        return (metric.column,)

    def level(self, metric: Metric, m: Moments) -> tuple[float, float]:
        """``(mean, variance)`` of the column."""
        (y,) = self.values(metric)
        return col_mean(m, y), col_cov(m, y, y, self.ddof)


MEAN = Mean()
