"""Metric kinds: one object per metric type, asked instead of branching on the type.

:func:`kind_of` gives the kind of a spec metric; :func:`register` adds a new type
(the spec then accepts it: the type's name and the spec fields it reads are
registered with :func:`causalkit.spec.common.register_metric_type`);
:func:`unregister` removes it again.

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
from causalkit.spec.common import METRIC_TYPES, Metric, register_metric_type

KINDS: dict[str, MetricKind] = {k.name: k for k in (MEAN, PROPORTION, RATIO)}
"""Metric type name -> kind."""


BUILTIN = frozenset(KINDS)
"""The names of the built-in kinds (never replaced nor removed)."""


def register(kind: MetricKind) -> MetricKind:
    """Add a metric type: specs may then say ``type: <kind.name>``.

    Registering a name again replaces that (non built-in) kind. The registration
    is process-wide: remove it with :func:`unregister` (tests do so in a fixture).

    Raises:
        SpecError: for a kind without a name, or the name of a built-in kind.

    Example:
        >>> class Doubled(Mean):
        ...     name = "doubled_mean"
        ...     def level(self, metric, m):
        ...         level, var = super().level(metric, m)
        ...         return 2 * level, 4 * var
        >>> _ = register(Doubled())
        >>> Metric(name="m", type="doubled_mean", column="y").type
        'doubled_mean'
        >>> unregister("doubled_mean")
        >>> "doubled_mean" in KINDS
        False
    """
    if not kind.name:
        raise SpecError("a metric kind needs a name")
    if kind.name in BUILTIN:
        raise SpecError(f"{kind.name!r} is a built-in metric type",
                        hint="give the new kind its own name")
    KINDS[kind.name] = kind
    register_metric_type(kind.name, kind.fields)
    return kind


def unregister(name: str) -> None:
    """Remove a registered metric type (the kind and the spec's ``type: <name>``).

    Unknown names are ignored.

    Raises:
        SpecError: for the name of a built-in kind.

    Example:
        >>> unregister("never_registered")
    """
    if name in BUILTIN:
        raise SpecError(f"{name!r} is a built-in metric type and cannot be removed")
    KINDS.pop(name, None)
    METRIC_TYPES.pop(name, None)


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


__all__ = ["BUILTIN", "KINDS", "MEAN", "PROPORTION", "RATIO", "Mean", "MetricKind", "Proportion",
           "Ratio", "col_cov", "col_mean", "kind_of", "register", "unregister"]
