"""Per-metric levels from per-arm sufficient statistics: means, proportions, ratios, CUPED.

A metric in an arm reduces to a :class:`Level`: its (possibly CUPED-adjusted)
value and the per-unit variance of its linearization. Two levels make a
:class:`Contrast`, which :mod:`causalkit.ab.analysis` turns into estimates.

=============  ===============================  ==================  =============
type           level                            per-unit variance   reference
=============  ===============================  ==================  =============
``mean``       ``mean(Y)``                      ``var(Y)`` ddof 1   Welch t
``proportion`` ``mean(Y)``, Y in {0, 1}         ``p (1 - p)``       z
``ratio``      ``mean(N) / mean(D)``            delta method        Welch t
=============  ===============================  ==================  =============

With a covariate, CUPED replaces the level by ``Y - theta (X - X_pool)`` with
``theta`` estimated on the pooled control + treatment sample (the covariate of
a ratio is the ratio of ``covariate_numerator`` to ``covariate_denominator``).

Example:
    >>> import numpy as np
    >>> from causalkit.data import Moments
    >>> from causalkit.spec.common import Metric
    >>> m = Metric(name="y", type="mean", column="y")
    >>> c = Moments.from_array(["y"], np.array([[1.0], [2.0], [3.0]]))
    >>> t = Moments.from_array(["y"], np.array([[2.0], [3.0], [4.0]]))
    >>> k = contrast(m, c, t, "treatment")
    >>> k.treatment.mean - k.control.mean, k.method
    (1.0, 'welch')
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from causalkit.data import Moments
from causalkit.spec.common import Metric, MetricType
from causalkit.stats.cuped import cuped_adjust, cuped_theta
from causalkit.stats.delta import ratio_covariance, ratio_moments
from causalkit.stats.effects import welch_df


@dataclass(frozen=True)
class Level:
    """A metric's level in one arm.

    Attributes:
        n: units in the arm.
        raw: the unadjusted level (mean, proportion or ratio).
        mean: the level used for the comparison (CUPED-adjusted when a covariate is set).
        var: per-unit variance of the (adjusted) linearization; ``var / n`` is the
            variance of ``mean``.
    """

    n: int
    raw: float
    mean: float
    var: float

    @property
    def se2(self) -> float:
        """Variance of the level's estimator, ``var / n``."""
        return self.var / self.n if self.n > 0 else math.nan


@dataclass(frozen=True)
class Contrast:
    """One metric in one treatment arm against control, before testing.

    ``problem`` names a data problem that makes the comparison meaningless
    (``zero_denominator``, ``zero_variance``) or is None.
    """

    metric: Metric
    arm: str
    control: Level
    treatment: Level
    df: float
    method: str
    theta: float | None = None
    problem: str | None = None

    @property
    def estimate(self) -> float:
        """``treatment - control`` of the compared levels."""
        return self.treatment.mean - self.control.mean

    @property
    def se2(self) -> float:
        """Variance of the estimate."""
        return self.control.se2 + self.treatment.se2


def pairs_for(metric: Metric) -> list[tuple[str, str]]:
    """Column pairs whose covariances the metric needs (diagonal included).

    Example:
        >>> pairs_for(Metric(name="m", type="mean", column="y", covariate="x"))
        [('y', 'y'), ('x', 'x'), ('y', 'x')]
    """
    if metric.type is MetricType.RATIO:
        assert metric.numerator is not None
        assert metric.denominator is not None
        cols = [metric.numerator, metric.denominator]
        if metric.covariate_numerator is not None and metric.covariate_denominator is not None:
            cols += [metric.covariate_numerator, metric.covariate_denominator]
        return [(a, b) for i, a in enumerate(cols) for b in cols[i:]]
    assert metric.column is not None
    out = [(metric.column, metric.column)]
    if metric.covariate is not None:
        out += [(metric.covariate, metric.covariate), (metric.column, metric.covariate)]
    return out


def _cov(m: Moments, a: str, b: str, ddof: int) -> float:
    if m.n - ddof <= 0:
        return math.nan
    return float(m.comoment[m.index(a), m.index(b)]) / (m.n - ddof)


def _mean(m: Moments, a: str) -> float:
    return float(m.mean[m.index(a)])


def _value(metric: Metric, m: Moments, ddof: int) -> tuple[float, float]:
    """``(level, per-unit variance)`` of the metric itself."""
    if metric.type is MetricType.RATIO:
        n, d = metric.numerator, metric.denominator
        assert n is not None
        assert d is not None
        r, v = ratio_moments(_mean(m, n), _mean(m, d), _cov(m, n, n, ddof), _cov(m, d, d, ddof),
                             _cov(m, n, d, ddof))
        return float(r), float(v)
    assert metric.column is not None
    return _mean(m, metric.column), _cov(m, metric.column, metric.column, ddof)


def _covariate(metric: Metric, m: Moments, ddof: int) -> tuple[float, float, float]:
    """``(covariate level, its per-unit variance, covariance with the metric)``."""
    if metric.type is MetricType.RATIO:
        n, d = metric.numerator, metric.denominator
        xn, xd = metric.covariate_numerator, metric.covariate_denominator
        assert n is not None
        assert d is not None
        assert xn is not None
        assert xd is not None
        rx, vx = ratio_moments(_mean(m, xn), _mean(m, xd), _cov(m, xn, xn, ddof),
                               _cov(m, xd, xd, ddof), _cov(m, xn, xd, ddof))
        c = ratio_covariance(_mean(m, n), _mean(m, d), _mean(m, xn), _mean(m, xd),
                             _cov(m, n, xn, ddof), _cov(m, n, xd, ddof), _cov(m, d, xn, ddof),
                             _cov(m, d, xd, ddof))
        return float(rx), float(vx), float(c)
    assert metric.column is not None
    assert metric.covariate is not None
    x = metric.covariate
    return _mean(m, x), _cov(m, x, x, ddof), _cov(m, metric.column, x, ddof)


def has_covariate(metric: Metric) -> bool:
    """Whether the metric is CUPED-adjusted.

    Example:
        >>> has_covariate(Metric(name="m", type="mean", column="y"))
        False
    """
    if metric.type is MetricType.RATIO:
        return metric.covariate_numerator is not None
    return metric.covariate is not None


def contrast(metric: Metric, control: Moments, treatment: Moments, arm: str) -> Contrast:
    """Levels of a metric in control and one treatment arm, with CUPED when configured.

    Example:
        >>> import numpy as np
        >>> from causalkit.data import Moments
        >>> m = Metric(name="r", type="ratio", numerator="n", denominator="d")
        >>> c = Moments.from_array(["n", "d"], np.array([[1.0, 2.0], [1.0, 4.0]]))
        >>> contrast(m, c, c, "t").problem
        >>> z = Moments.from_array(["n", "d"], np.array([[1.0, 0.0], [0.0, 0.0]]))
        >>> contrast(m, z, c, "t").problem
        'zero_denominator'
    """
    proportion = metric.type is MetricType.PROPORTION
    ddof = 0 if proportion else 1
    yc, vc = _value(metric, control, ddof)
    yt, vt = _value(metric, treatment, ddof)
    raw_c, raw_t = yc, yt
    theta: float | None = None
    method = {"mean": "welch", "proportion": "z", "ratio": "delta+welch"}[str(metric.type)]
    problem: str | None = None
    if metric.type is MetricType.RATIO:
        d = metric.denominator
        assert d is not None
        if _mean(control, d) == 0 or _mean(treatment, d) == 0:
            problem = "zero_denominator"
    if has_covariate(metric) and problem is None:
        pooled = control + treatment
        _, vx_p, c_p = _covariate(metric, pooled, ddof)
        xp = _covariate(metric, pooled, ddof)[0]
        theta = float(cuped_theta(c_p, vx_p))
        xc, vxc, cc = _covariate(metric, control, ddof)
        xt, vxt, ct = _covariate(metric, treatment, ddof)
        if not all(np.isfinite([xc, xt, xp])):
            problem = "zero_denominator"
        else:
            m_c, v_c = cuped_adjust(yc, xc, xp, vc, vxc, cc, theta)
            m_t, v_t = cuped_adjust(yt, xt, xp, vt, vxt, ct, theta)
            yc, vc, yt, vt = float(m_c), float(v_c), float(m_t), float(v_t)
        method += "+cuped"
    lc = Level(control.n, raw_c, yc, max(vc, 0.0) if np.isfinite(vc) else vc)
    lt = Level(treatment.n, raw_t, yt, max(vt, 0.0) if np.isfinite(vt) else vt)
    df = math.inf if proportion else float(welch_df(lc.se2, lc.n, lt.se2, lt.n))
    if problem is None and not (lc.se2 + lt.se2 > 0):
        problem = "zero_variance"
    return Contrast(metric, arm, lc, lt, df, method, theta, problem)
