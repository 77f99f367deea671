"""Per-metric levels from per-arm sufficient statistics, asked of the metric's kind.

A metric in an arm reduces to a :class:`Level`: its (possibly CUPED-adjusted)
value and the per-unit variance of its linearization. Two levels make a
:class:`Contrast`, which :mod:`causalkit.ab.analysis` turns into estimates.

What a metric type computes lives in its kind (:mod:`causalkit.metrics`): the
columns and co-moments it needs (:func:`needs` gathers them for the scan), its
level and variance, its CUPED pieces, its data problems and its test. The built-in
kinds:

=============  ===============================  ==================  =============
type           level                            per-unit variance   test
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from causalkit.data import Moments
from causalkit.metrics import kind_of
from causalkit.spec.common import Metric
from causalkit.stats.cuped import cuped_adjust, cuped_theta
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


@dataclass(frozen=True)
class Needs:
    """What the metrics of a spec need from one scan of the data.

    Attributes:
        columns: the moment columns, virtual ones (products) included.
        pairs: column pairs whose co-moments are needed (the diagonal included).
        derived: virtual column -> the two data columns whose product it is (the
            scan checks the data columns behind every column).
        binary: data columns whose values must be 0 or 1 (of binary kinds).

    Example:
        >>> needs([Metric(name="p", type="proportion", column="b")]).binary
        ('b',)
    """

    columns: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]
    derived: Mapping[str, tuple[str, str]]
    binary: tuple[str, ...]


def needs(metrics: Sequence[Metric], available: set[str] | None = None) -> Needs:
    """The columns, co-moments, products and 0/1 checks the metrics' kinds declare.

    With ``available`` (the data's columns), a metric's CUPED covariates are left
    out when one of their data columns is missing (the power planner's rule).

    Example:
        >>> ms = [Metric(name="m", type="mean", column="y", covariate="x"),
        ...       Metric(name="p", type="proportion", column="b")]
        >>> n = needs(ms)
        >>> n.columns, n.binary, n.pairs[:3]
        (('y', 'x', 'b'), ('b',), (('y', 'y'), ('x', 'x'), ('y', 'x')))
        >>> needs(ms, available={"y", "b"}).columns
        ('y', 'b')
    """
    columns: list[str] = []
    pairs: list[tuple[str, str]] = []
    derived: dict[str, tuple[str, str]] = {}
    binary: list[str] = []
    for metric in metrics:
        kind = kind_of(metric)
        covs = kind.covariates(metric)
        missing = available is not None and \
            not set(kind.data_columns(metric, covs)) <= available
        cols = [c for c in kind.columns(metric) if not (missing and c in covs)]
        columns += cols
        pairs += [(a, b) for a, b in kind.pairs(metric) if a in cols and b in cols]
        derived.update({c: f for c, f in kind.derived(metric).items() if c in cols})
        if kind.binary:
            binary += kind.data_columns(metric, kind.values(metric))
    return Needs(tuple(dict.fromkeys(columns)), tuple(dict.fromkeys(pairs)), derived,
                 tuple(dict.fromkeys(binary)))


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
    kind = kind_of(metric)
    yc, vc = kind.level(metric, control)
    yt, vt = kind.level(metric, treatment)
    raw_c, raw_t = yc, yt
    theta: float | None = None
    problem = kind.problem(metric, control, treatment)
    if kind.has_covariate(metric) and problem is None:
        xp, vx_p, c_p = kind.covariate(metric, control + treatment)
        theta = float(cuped_theta(c_p, vx_p))
        xc, vxc, cc = kind.covariate(metric, control)
        xt, vxt, ct = kind.covariate(metric, treatment)
        if not all(np.isfinite([xc, xt, xp])):  # a covariate denominator averaging 0
            problem = "zero_denominator"
        else:
            m_c, v_c = cuped_adjust(yc, xc, xp, vc, vxc, cc, theta)
            m_t, v_t = cuped_adjust(yt, xt, xp, vt, vxt, ct, theta)
            yc, vc, yt, vt = float(m_c), float(v_c), float(m_t), float(v_t)
    lc = Level(control.n, raw_c, yc, max(vc, 0.0) if np.isfinite(vc) else vc)
    lt = Level(treatment.n, raw_t, yt, max(vt, 0.0) if np.isfinite(vt) else vt)
    df = math.inf if kind.normal else float(welch_df(lc.se2, lc.n, lt.se2, lt.n))
    if problem is None and not (lc.se2 + lt.se2 > 0):
        problem = "zero_variance"
    return Contrast(metric, arm, lc, lt, df, kind.method(metric), theta, problem)
