"""Metric kinds: one object per metric type, asked instead of branching on the type.

:func:`kind_of` gives the kind of a spec metric; :func:`register` adds a new type
(the spec then accepts it: the type's name and the spec fields it reads are
registered with :func:`causalkit.spec.common.register_metric_type`).

Example:
    >>> from causalkit.spec.common import Metric
    >>> kind_of(Metric(name="r", type="ratio", numerator="n", denominator="d")).method(
    ...     Metric(name="r", type="ratio", numerator="n", denominator="d"))
    'delta+welch'
    >>> sorted(KINDS)
    ['mean', 'proportion', 'ratio']
"""

from __future__ import annotations

from causalkit.errors import SpecError
from causalkit.metrics.base import MetricKind, col_cov, col_mean
from causalkit.metrics.mean import MEAN, Mean
from causalkit.metrics.proportion import PROPORTION, Proportion
from causalkit.metrics.ratio import RATIO, Ratio
from causalkit.spec.common import Metric, register_metric_type

KINDS: dict[str, MetricKind] = {k.name: k for k in (MEAN, PROPORTION, RATIO)}
"""Metric type name -> kind."""


def register(kind: MetricKind) -> MetricKind:
    """Add a metric type: specs may then say ``type: <kind.name>``.

    Example:
        >>> class Doubled(Mean):
        ...     name = "doubled_mean"
        ...     def level(self, metric, m):
        ...         level, var = super().level(metric, m)
        ...         return 2 * level, 4 * var
        >>> _ = register(Doubled())
        >>> Metric(name="m", type="doubled_mean", column="y").type
        'doubled_mean'
    """
    if not kind.name:
        raise SpecError("a metric kind needs a name")
    KINDS[kind.name] = kind
    register_metric_type(kind.name, kind.fields)
    return kind


def kind_of(metric: Metric) -> MetricKind:
    """The kind of a spec metric.

    Example:
        >>> kind_of(Metric(name="m", type="proportion", column="y")).binary
        True
    """
    try:
        return KINDS[str(metric.type)]
    except KeyError:
        raise SpecError(f"metric {metric.name!r}: no metric kind {metric.type!r} is registered",
                        hint="import the module that registers it") from None


__all__ = ["KINDS", "MEAN", "PROPORTION", "RATIO", "Mean", "MetricKind", "Proportion", "Ratio",
           "col_cov", "col_mean", "kind_of", "register"]
