"""The metric-kind interface: what a metric type declares and computes.

A metric kind (one module per type: :mod:`~causalkit.metrics.mean`,
:mod:`~causalkit.metrics.proportion`, :mod:`~causalkit.metrics.ratio`) declares
the data columns it reads and the co-moments it needs, and computes from
:class:`~causalkit.data.Moments` its level, the per-unit variance of its
linearization (with CUPED when a covariate is set), the variance to plan with,
and the outcome of a switch-back region-period from per-period totals. The A/B
analysis, the power planner, the timeline and the switch-back analysis ask the
kind and never branch on the metric's type — the way tea-tasting's metrics
declare their aggregates.

A new type is one subclass of :class:`MetricKind` registered with :func:`causalkit.metrics.register`:
the spec then accepts ``type: <its name>`` and every shape uses it (see "Add a
metric type" in the A/B manual).

Example:
    >>> import numpy as np
    >>> from causalkit.data import Moments
    >>> from causalkit.metrics import kind_of
    >>> from causalkit.spec.common import Metric
    >>> m = Metric(name="y", type="mean", column="y")
    >>> k = kind_of(m)
    >>> isinstance(k, MetricKind)
    True
    >>> k.columns(m), k.method(m)
    (('y',), 'welch')
    >>> k.level(m, Moments.from_array(["y"], np.array([[1.0], [2.0], [3.0]])))
    (2.0, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from causalkit.data import Moments
from causalkit.spec.common import Metric, MetricFields

FloatArray = NDArray[np.float64]


def col_mean(m: Moments, column: str) -> float:
    """The mean of one column of ``m``.

    Example:
        >>> col_mean(Moments.from_array(["y"], np.array([[1.0], [3.0]])), "y")
        2.0
    """
    return float(m.mean[m.index(column)])


def col_cov(m: Moments, a: str, b: str, ddof: int) -> float:
    """The covariance of two columns of ``m`` (NaN without enough units).

    Example:
        >>> col_cov(Moments.from_array(["y"], np.array([[1.0], [3.0]])), "y", "y", 1)
        2.0
    """
    if m.n - ddof <= 0:
        return math.nan
    return float(m.comoment[m.index(a), m.index(b)]) / (m.n - ddof)


class MetricKind:
    """One metric type: its columns, co-moments, level, variance and planning variance.

    Subclasses set :attr:`name` (the spec's ``type``), :attr:`fields` (which spec
    fields name its columns: ``column`` or ``ratio``), :attr:`test` (the test's
    label), and override :meth:`values` and :meth:`level`. Optional: :meth:`derived`
    (virtual product columns such as ``y*y``), :meth:`covariates` and
    :meth:`covariate` (CUPED), :meth:`problem` (a data problem), :meth:`planning_variance`
    (power under an effect), :meth:`period_outcome` (switch-backs), and the flags
    :attr:`binary`, :attr:`ddof`, :attr:`normal`.

    What the shapes ask: the A/B scan reads :meth:`columns`, :meth:`pairs`,
    :meth:`derived`, :meth:`data_columns` and :attr:`binary`; the contrast reads
    :meth:`level`, :meth:`covariate`, :meth:`problem`, :meth:`method` and
    :attr:`normal` (``df`` is infinite when it is set, else Welch-Satterthwaite);
    the planner reads :meth:`level`, :meth:`covariate` and :meth:`planning_variance`.
    """

    name: ClassVar[str] = ""
    fields: ClassVar[MetricFields] = MetricFields.COLUMN
    test: ClassVar[str] = "welch"
    binary: ClassVar[bool] = False
    """Values must be 0 or 1 (a data check)."""
    ddof: ClassVar[int] = 1
    """Degrees of freedom of the per-unit variance (0 for a proportion's ``p (1 - p)``)."""
    normal: ClassVar[bool] = False
    """Compare with the normal distribution (z) rather than Welch's t."""

    # -- columns --------------------------------------------------------------------

    def values(self, metric: Metric) -> tuple[str, ...]:
        """The columns of the metric itself (``column``, or numerator and denominator)."""
        raise NotImplementedError

    def covariates(self, metric: Metric) -> tuple[str, ...]:
        """The CUPED covariate columns (empty without CUPED)."""
        return (metric.covariate,) if metric.covariate is not None else ()

    def derived(self, metric: Metric) -> Mapping[str, tuple[str, str]]:
        """Virtual columns the scan computes as products of two data columns.

        A kind whose statistic needs, say, the moments of ``y * y`` declares
        ``{"y*y": ("y", "y")}`` and names ``"y*y"`` in :meth:`values`.
        """
        return {}

    def columns(self, metric: Metric) -> tuple[str, ...]:
        """Every column the metric needs moments of (virtual ones included).

        Example:
            >>> from causalkit.metrics import kind_of
            >>> m = Metric(name="m", type="mean", column="y", covariate="x")
            >>> kind_of(m).columns(m)
            ('y', 'x')
        """
        return tuple(dict.fromkeys((*self.values(metric), *self.covariates(metric))))

    def data_columns(self, metric: Metric, columns: Sequence[str] | None = None
                     ) -> tuple[str, ...]:
        """The data columns behind ``columns`` (default :meth:`columns`), virtual ones
        replaced by their factors: what must exist, be numeric and hold no NULL or NaN.

        Example:
            >>> from causalkit.metrics import kind_of
            >>> m = Metric(name="r", type="ratio", numerator="n", denominator="d",
            ...            covariate_numerator="xn", covariate_denominator="xd")
            >>> k = kind_of(m)
            >>> k.data_columns(m), k.data_columns(m, k.values(m))
            (('n', 'd', 'xn', 'xd'), ('n', 'd'))
        """
        virtual = self.derived(metric)
        out: list[str] = []
        for c in self.columns(metric) if columns is None else columns:
            out.extend(virtual.get(c, (c,)))
        return tuple(dict.fromkeys(out))

    def pairs(self, metric: Metric) -> list[tuple[str, str]]:
        """Column pairs whose co-moments the metric needs (diagonal included).

        Example:
            >>> from causalkit.metrics import kind_of
            >>> m = Metric(name="m", type="mean", column="y", covariate="x")
            >>> kind_of(m).pairs(m)
            [('y', 'y'), ('x', 'x'), ('y', 'x')]
        """
        cols = self.columns(metric)
        diag = [(c, c) for c in cols]
        return diag + [(a, b) for i, a in enumerate(cols) for b in cols[i + 1:]]

    def has_covariate(self, metric: Metric) -> bool:
        """Whether the metric is CUPED-adjusted."""
        return bool(self.covariates(metric))

    # -- statistics -----------------------------------------------------------------

    def method(self, metric: Metric) -> str:
        """The estimate's method label (``welch``, ``z``, ``delta+welch``, ``+cuped``)."""
        return self.test + ("+cuped" if self.has_covariate(metric) else "")

    def level(self, metric: Metric, m: Moments) -> tuple[float, float]:
        """``(level, per-unit variance of its linearization)`` in one arm."""
        raise NotImplementedError

    def covariate(self, metric: Metric, m: Moments) -> tuple[float, float, float]:
        """``(covariate level, its per-unit variance, covariance with the metric)``."""
        (x,) = self.covariates(metric)
        (y,) = self.values(metric)[:1]
        return col_mean(m, x), col_cov(m, x, x, self.ddof), col_cov(m, y, x, self.ddof)

    def problem(self, metric: Metric, control: Moments, treatment: Moments) -> str | None:
        """A data problem that makes the comparison meaningless (``zero_denominator``), or None."""
        return None

    def planning_variance(self, level: float, variance: float, effect: float) -> float:
        """The per-unit variance in the treatment arm under an effect (power, sample size)."""
        return variance

    # -- switch-backs ---------------------------------------------------------------

    def period_outcome(self, metric: Metric, total: Mapping[str, FloatArray],
                       count: Mapping[str, NDArray[Any]], per_period_total: bool) -> FloatArray:
        """The outcome of every region-period from its per-column totals and counts.

        ``per_period_total`` asks for the period's total instead of its mean.
        """
        (y,) = self.values(metric)
        with np.errstate(invalid="ignore", divide="ignore"):
            if per_period_total:
                return np.asarray(total[y], dtype=np.float64)
            n = count[y]
            return np.where(n > 0, total[y] / np.maximum(n, 1), np.nan)
