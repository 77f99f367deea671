"""Power of encouragement experiments: sample sizes for the ITT and the CACE.

A metric with ``received:`` is analysed as an encouragement experiment
(:mod:`causalkit.ab.complier`): the arm moves the received treatment ``D`` by the
first-stage lift ``L`` (the share of compliers), and the complier average causal
effect ``beta`` shows up in the outcome ``Y`` as the intent-to-treat effect
``ITT = L * beta``. With ``z = z_{1-alpha/2} + z_power`` and traffic shares ``s_c``,
``s_t``:

* **ITT** (the randomized comparison the gate decides on)::

      n_ITT = z**2 (var_c(Y) / s_c + var_t(Y) / s_t) / (L beta)**2

  (``var_t(Y) = p_t (1 - p_t)`` with ``p_t = p_c + L beta`` for a proportion;
  the control's variance for a mean);
* **CACE** (the Wald / 2SLS test of ``beta = 0`` with its robust standard error).
  Its t statistic is ``b / se(b) = ITT_hat / sd_hat`` exactly (the estimated first
  stage cancels), where ``sd_hat**2 = sum_arm var_arm(Y - b D) / n_arm``: the test
  rejects when ``|ITT_hat| > z_{1-alpha/2} sd``, and ``ITT_hat`` keeps the outcome's
  own variance, so::

      V_arm = var_arm(Y) + beta**2 var_arm(D) - 2 beta cov_arm(Y, D),
      n_CACE = (z_{1-alpha/2} sqrt(V_c/s_c + V_t/s_t)
                + z_power sqrt(var_c(Y)/s_c + var_t(Y)/s_t))**2 / (L beta)**2.

  ``V_c`` comes from the pre-period. The nudged arm follows the planning model: a
  further share ``L`` of the units who would not reach the condition do, and their
  outcome rises by ``beta``. For a proportion this fixes the nudged arm's cells
  (:func:`binary_variances`); for a mean ``V_t = V_c`` (a constant effect among the
  compliers leaves ``Y - beta D`` unchanged).

Both grow with ``1 / L**2``: halving the first-stage lift quadruples the units.
The pre-period data (one row per unit, before any nudge) give ``var(Y)``,
``var(D)``, ``cov(Y, D)`` and the always-taker share ``mean(D)`` (the compliance
rates: always-takers ``mean(D)``, compliers ``L``, never-takers ``1 - mean(D) - L``).

``plan.mde`` of a ``received:`` metric is the CACE to detect (relative to the
outcome's pre-period level unless ``mde_kind: absolute``); the lift is
``plan.first_stage_lift`` when the spec has that field, else
:data:`DEFAULT_FIRST_STAGE_LIFT`.

Example:
    >>> p = encouragement_sample_size(0.25, 0.25, 0.2, lift=0.1, cace=0.2)
    >>> round(p.itt_effect, 3), round(p.n_itt), round(p.n_cace)
    (0.02, 19622, 16831)
    >>> q = encouragement_sample_size(0.25, 0.25, 0.2, lift=0.05, cace=0.2)
    >>> round(q.n_itt / p.n_itt, 6)  # half the lift, four times the units
    4.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from causalkit.ab.complier import received_of
from causalkit.ab.metrics import Needs
from causalkit.data import Moments
from causalkit.metrics import kind_of
from causalkit.report import Table
from causalkit.spec.common import MarginKind, Metric
from causalkit.stats.power import required_total

if TYPE_CHECKING:
    from causalkit.spec.ab import ABSpec

DEFAULT_FIRST_STAGE_LIFT = 0.10
"""The first-stage lift assumed when the spec sets none: the nudge makes 10 % of the units
reach the condition who would not have (a prompt or a tutorial typically moves an action by
a few to 20 percentage points; set your own from an earlier nudge)."""


@dataclass(frozen=True)
class EncouragementPlan:
    """Total units (all arms) for the ITT and the CACE, and the ITT effect ``lift * cace``.

    Example:
        >>> EncouragementPlan(itt_effect=0.02, n_itt=19622.0, n_cace=16831.0).n_itt
        19622.0
    """

    itt_effect: float
    n_itt: float
    n_cace: float


def cace_variance(var_y: float, var_d: float, cov_yd: float, cace: float) -> float:
    """``var(Y - beta D)``: the per-unit variance of the CACE's Wald estimator (times ``L**2``).

    Example:
        >>> cace_variance(0.25, 0.2, 0.05, 0.3)
        0.238
    """
    return var_y + cace * cace * var_d - 2.0 * cace * cov_yd


def encouragement_sample_size(
    var_c: float, var_t: float, var_cace: float, *, lift: float, cace: float,
    alpha: float = 0.05, power: float = 0.8, share_c: float = 0.5, share_t: float = 0.5,
    var_cace_t: float | None = None,
) -> EncouragementPlan:
    """Units in total to detect a CACE ``cace`` (ITT ``lift * cace``) with the given power.

    Args:
        var_c: the outcome's per-unit variance in control.
        var_t: its variance in the nudged arm.
        var_cace: :func:`cace_variance` in control (``V_c``).
        lift: the first-stage lift (share of compliers).
        cace: the effect of the received treatment for the compliers.
        alpha: two-sided level; power: target power; share_c, share_t: traffic shares.
        var_cace_t: ``V_t`` in the nudged arm (default ``V_c``).

    Example:
        >>> p = encouragement_sample_size(0.2, 0.2, 0.2, lift=0.2, cace=0.1)
        >>> round(p.n_itt) == round(p.n_cace)
        True
    """
    effect = lift * cace
    n_itt = float(required_total(var_c, var_t, effect, alpha=alpha, power=power,
                                 share_c=share_c, share_t=share_t))
    n_cace = cace_required_total(var_c, var_t, var_cace, effect, alpha=alpha, power=power,
                                 share_c=share_c, share_t=share_t, var_cace_t=var_cace_t)
    return EncouragementPlan(itt_effect=effect, n_itt=n_itt, n_cace=n_cace)


def binary_variances(level: float, coverage: float, retention_reached: float,
                     lift: float, cace: float) -> tuple[float, float, float, float]:
    """``(var_c(Y), var_t(Y), V_c, V_t)`` for a 0/1 outcome and a 0/1 received treatment.

    Control: a share ``coverage`` has ``D = 1`` and mean outcome ``retention_reached``; the
    overall mean is ``level``. Nudged: a further ``lift`` has ``D = 1``, their outcome
    mean rises by ``cace``.

    Example:
        >>> [round(v, 6) for v in binary_variances(0.355, 0.3, 0.6, 0.1, 0.3)]
        [0.228975, 0.236775, 0.203775, 0.209775]
    """
    c, p = coverage, level
    p_t = p + lift * cace
    eyd_c = c * retention_reached
    eyd_t = eyd_c + lift * (p - eyd_c) / (1 - c) + lift * cace if c < 1 else eyd_c
    d_t = c + lift
    var_c, var_t = p * (1 - p), p_t * (1 - p_t)
    v_c = var_c + cace * cace * c * (1 - c) - 2 * cace * (eyd_c - p * c)
    v_t = var_t + cace * cace * d_t * (1 - d_t) - 2 * cace * (eyd_t - p_t * d_t)
    return var_c, var_t, v_c, v_t


def cace_required_total(var_c: float, var_t: float, var_cace: float, itt: float, *,
                        alpha: float = 0.05, power: float = 0.8, share_c: float = 0.5,
                        share_t: float = 0.5, var_cace_t: float | None = None) -> float:
    """Units in total for the CACE's Wald test (see the module docstring).

    Example:
        >>> round(cace_required_total(0.2, 0.2, 0.2, 0.02))  # = the ITT's when V = var(Y)
        15698
    """
    from scipy import stats

    za, zb = float(stats.norm.isf(alpha / 2)), float(stats.norm.ppf(power))
    v_t = var_cace if var_cace_t is None else var_cace_t
    k = math.sqrt(var_cace / share_c + v_t / share_t)
    w = math.sqrt(var_c / share_c + var_t / share_t)
    return (za * k + zb * w) ** 2 / itt ** 2


def first_stage_lift(spec: ABSpec) -> float:
    """The spec's ``plan.first_stage_lift``, else :data:`DEFAULT_FIRST_STAGE_LIFT`.

    Example:
        >>> from causalkit.spec.ab import ABSpec
        >>> first_stage_lift(ABSpec(name="x", kind="ab", unit="u", data={"simulate": "ab"},
        ...     metrics=[{"name": "m", "type": "mean", "column": "m", "role": "primary"}]))
        0.1
    """
    value = spec.plan.first_stage_lift
    return float(value) if value is not None else DEFAULT_FIRST_STAGE_LIFT


def encouragement_needs(base: Needs, metrics: Sequence[Metric]) -> Needs:
    """``base`` plus the received columns and the ``(Y, D)`` pairs the plan needs.

    Example:
        >>> from causalkit.ab.metrics import needs
        >>> from causalkit.spec.ab import ABMetric
        >>> ms = [ABMetric(name="r", type="proportion", column="y", received="d")]
        >>> encouragement_needs(needs(ms), ms).columns
        ('y', 'd')
    """
    columns, pairs = list(base.columns), list(base.pairs)
    for m in metrics:
        d = received_of(m)
        if d is None or m.column is None:
            continue
        columns.append(d)
        pairs += [(m.column, d), (d, d), (m.column, m.column)]
    return Needs(tuple(dict.fromkeys(columns)), tuple(dict.fromkeys(pairs)), base.derived,
                 base.binary)


def cace_to_detect(spec: ABSpec, level: float) -> float | None:
    """The CACE to detect: ``plan.mde`` (relative to ``level`` unless absolute), or None.

    Example:
        >>> from causalkit.spec.ab import ABSpec
        >>> s = ABSpec(name="x", kind="ab", unit="u", data={"simulate": "ab"},
        ...     plan={"mde": 0.5}, metrics=[{"name": "m", "type": "mean", "column": "m",
        ...     "role": "primary"}])
        >>> cace_to_detect(s, 0.3)
        0.15
    """
    if spec.plan.mde is None:
        return None
    return (spec.plan.mde * abs(level) if spec.plan.mde_kind is MarginKind.RELATIVE
            else spec.plan.mde)


def itt_effect(metric: Metric, spec: ABSpec, effect: float | None) -> float | None:
    """The effect the plan table's ITT row detects: ``lift * effect`` for a ``received:``
    metric (``effect`` is then the CACE), else ``effect`` unchanged.

    Example:
        >>> from causalkit.spec.ab import ABSpec
        >>> s = ABSpec(name="x", kind="ab", unit="u", data={"simulate": "ab"},
        ...     metrics=[{"name": "m", "type": "mean", "column": "m", "role": "primary",
        ...               "received": "d"}])
        >>> round(itt_effect(s.metrics[0], s, 0.2), 6)
        0.02
    """
    if effect is None or received_of(metric) is None:
        return effect
    return first_stage_lift(spec) * effect


COLUMNS = ("metric", "received", "always-taker share", "first-stage lift", "CACE to detect",
           "ITT to detect", "sd of Y - CACE x D", "units per arm (ITT)", "units in total (ITT)",
           "days (ITT)", "units per arm (CACE)", "units in total (CACE)", "power of CACE at ITT n")


def encouragement_plan(spec: ABSpec, mom: Moments, *, per_day: float | None,
                       alphas: dict[str, float], inflation: float = 1.0,
                       ) -> tuple[tuple[Table, ...], tuple[str, ...]]:
    """The ``encouragement_plan`` table and one sentence per ``received:`` metric.

    Args:
        spec: the A/B spec.
        mom: the pre-period moments (with the columns of :func:`encouragement_needs`).
        per_day: units per day (None: no duration).
        alphas: metric -> the (Bonferroni-split) level the main plan uses.
        inflation: the sequential analysis' sample-size factor.

    Example:
        >>> import numpy as np
        >>> from causalkit.spec.ab import ABSpec
        >>> rng = np.random.default_rng(0)
        >>> d = (rng.random(5000) < 0.3).astype(float)
        >>> y = (rng.random(5000) < 0.3 + 0.3 * d).astype(float)
        >>> mom = Moments.from_array(["y", "d"], np.column_stack([y, d]))
        >>> s = ABSpec(name="x", kind="ab", unit="u", data={"simulate": "ab"},
        ...     plan={"mde": 0.2, "mde_kind": "absolute"},
        ...     metrics=[{"name": "r", "type": "proportion", "column": "y", "received": "d",
        ...               "role": "primary"}])
        >>> tables, said = encouragement_plan(s, mom, per_day=1000.0, alphas={"r": 0.05})
        >>> print(said[0])  # doctest: +ELLIPSIS
        r: to detect a CACE of 0.2 (ITT 0.02 at a first-stage lift of 0.1) needs ... units per arm for the ITT ...
    """
    lift = first_stage_lift(spec)
    w_total = sum(spec.variants.values())
    keep = 1.0 - spec.assignment.holdout
    share_c = spec.variants[spec.control] / w_total * keep
    share_t = min(w for a, w in spec.variants.items() if a != spec.control) / w_total * keep
    power = spec.analysis.power
    rows: list[tuple[str | int | float | None, ...]] = []
    said = []
    for m in spec.metrics:
        d = received_of(m)
        if d is None or m.column is None or not {m.column, d} <= set(mom.columns):
            continue
        iy, idd = mom.index(m.column), mom.index(d)
        level, dbar = float(mom.mean[iy]), float(mom.mean[idd])
        var_y, var_d, cov_yd = _second_moments(mom, iy, idd)
        cace = cace_to_detect(spec, level)
        a = alphas.get(m.name, spec.analysis.alpha)
        if cace is None or not cace:
            rows.append((m.name, d, dbar, lift, None, None, None, None, None, None, None, None,
                         None))
            continue
        v = v_t = cace_variance(var_y, var_d, cov_yd, cace)
        var_t = var_y
        binary_d = abs(var_d * (mom.n - 1) / max(mom.n, 1) - dbar * (1 - dbar)) < 1e-9
        if kind_of(m).binary and binary_d and 0 < dbar < 1:
            eyd = cov_yd * (mom.n - 1) / mom.n + level * dbar
            var_y, var_t, v, v_t = binary_variances(level, dbar, eyd / dbar, lift, cace)
        p = encouragement_sample_size(var_y, var_t, v, lift=lift, cace=cace, alpha=a,
                                      power=power, share_c=share_c, share_t=share_t,
                                      var_cace_t=v_t)
        n_itt, n_cace = inflation * p.n_itt, inflation * p.n_cace
        arm_itt, arm_cace = math.ceil(n_itt * share_c), math.ceil(n_cace * share_c)
        days = math.ceil(n_itt) / per_day if per_day else None
        pw = _cace_power(p.itt_effect, var_y, var_t, v, v_t, math.ceil(n_itt), a, share_c,
                         share_t)
        rows.append((m.name, d, dbar, lift, cace, p.itt_effect, math.sqrt(max(v_t, 0.0)),
                     arm_itt, math.ceil(n_itt), days, arm_cace, math.ceil(n_cace), pw))
        when = f" ({days:.1f} days at {per_day:,.0f} a day)" if days is not None and per_day \
            else ""
        said.append(
            f"{m.name}: to detect a CACE of {cace:.4g} (ITT {p.itt_effect:.4g} at a first-stage "
            f"lift of {lift:g}) needs {arm_itt:,} units per arm for the ITT{when} and "
            f"{arm_cace:,} for the CACE, with power {power:g}; the units grow as 1 / lift**2 "
            f"(a lift of {lift / 2:g} needs four times as many)")
    if not rows:
        return (), ()
    table = Table(
        "encouragement_plan",
        "Encouragement metrics: units for the ITT (what the gate decides on) and the CACE, "
        "from the first-stage lift; n grows as 1 / lift**2",
        COLUMNS, tuple(rows), priority=(0, 3, 2, 0, 1, 1, 4, 0, 2, 1, 0, 2, 3))
    return (table,), tuple(said)


def _cace_power(itt: float, var_c: float, var_t: float, v: float, v_t: float, n: int,
                alpha: float, share_c: float, share_t: float) -> float:
    """Power of the CACE's Wald test at ``n`` units: ``P(|ITT_hat| > z sd_V)``."""
    from scipy import stats

    za = float(stats.norm.isf(alpha / 2))
    sd_v = math.sqrt((v / share_c + v_t / share_t) / n)
    sd_y = math.sqrt((var_c / share_c + var_t / share_t) / n)
    return float(stats.norm.sf((za * sd_v - abs(itt)) / sd_y)
                 + stats.norm.cdf((-za * sd_v - abs(itt)) / sd_y))


def _second_moments(mom: Moments, iy: int, idd: int) -> tuple[float, float, float]:
    """``var(Y)``, ``var(D)``, ``cov(Y, D)`` (ddof 1) from the pre-period moments."""
    n = max(mom.n - 1, 1)
    c = mom.comoment
    return float(c[iy, iy]) / n, float(c[idd, idd]) / n, float(c[iy, idd]) / n

