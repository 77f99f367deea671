"""``type: ratio``: ``mean(numerator) / mean(denominator)`` by the delta method.

The unit of randomization is the user, the unit of analysis a session or a match:
the ratio of per-user sums, with the variance of its linearization
``(N - r D) / mean(D)`` (:func:`causalkit.stats.delta.ratio_moments`). CUPED uses the
ratio of ``covariate_numerator`` to ``covariate_denominator``. A zero denominator
mean in an arm is a data problem.

Example:
    >>> import numpy as np
    >>> from causalkit.data import Moments
    >>> from causalkit.spec.common import Metric
    >>> m = Metric(name="r", type="ratio", numerator="n", denominator="d")
    >>> isinstance(RATIO, Ratio)
    True
    >>> mom = Moments.from_array(["n", "d"], np.array([[1.0, 2.0], [3.0, 2.0]]))
    >>> RATIO.level(m, mom)
    (1.0, 0.5)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from causalkit.data import Moments
from causalkit.metrics.base import FloatArray, MetricKind, col_cov, col_mean
from causalkit.spec.common import Metric, MetricFields
from causalkit.stats.delta import ratio_covariance, ratio_moments


class Ratio(MetricKind):
    """A ratio of per-unit sums (delta method, Welch's t)."""

    name = "ratio"
    fields = MetricFields.RATIO
    test = "delta+welch"

    def values(self, metric: Metric) -> tuple[str, ...]:
        """``(numerator, denominator)``."""
        assert metric.numerator is not None
        assert metric.denominator is not None
        return (metric.numerator, metric.denominator)

    def covariates(self, metric: Metric) -> tuple[str, ...]:
        """``(covariate_numerator, covariate_denominator)`` when both are set."""
        xn, xd = metric.covariate_numerator, metric.covariate_denominator
        return (xn, xd) if xn is not None and xd is not None else ()

    def _ratio(self, m: Moments, n: str, d: str) -> tuple[float, float]:
        k = self.ddof
        r, v = ratio_moments(col_mean(m, n), col_mean(m, d), col_cov(m, n, n, k),
                             col_cov(m, d, d, k), col_cov(m, n, d, k))
        return float(r), float(v)

    def level(self, metric: Metric, m: Moments) -> tuple[float, float]:
        """The ratio and the per-unit variance of its linearization."""
        n, d = self.values(metric)
        return self._ratio(m, n, d)

    def covariate(self, metric: Metric, m: Moments) -> tuple[float, float, float]:
        """The covariate ratio, its variance, and its covariance with the metric's ratio."""
        n, d = self.values(metric)
        xn, xd = self.covariates(metric)
        k = self.ddof
        rx, vx = self._ratio(m, xn, xd)
        c = ratio_covariance(col_mean(m, n), col_mean(m, d), col_mean(m, xn), col_mean(m, xd),
                             col_cov(m, n, xn, k), col_cov(m, n, xd, k), col_cov(m, d, xn, k),
                             col_cov(m, d, xd, k))
        return rx, vx, float(c)

    def problem(self, metric: Metric, control: Moments, treatment: Moments) -> str | None:
        """``zero_denominator`` when an arm's denominator mean is 0."""
        d = self.values(metric)[1]
        if col_mean(control, d) == 0 or col_mean(treatment, d) == 0:
            return "zero_denominator"
        return None

    def period_outcome(self, metric: Metric, total: Mapping[str, FloatArray],
                       count: Mapping[str, NDArray[Any]], per_period_total: bool) -> FloatArray:
        """``sum(numerator) / sum(denominator)`` of the period (NaN when the denominator is 0)."""
        n, d = self.values(metric)
        num, den = total[n], total[d]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)


RATIO = Ratio()
