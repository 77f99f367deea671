"""``causalkit power`` for A/B specs: sample size, MDE and duration per metric, from pre-period data.

The pre-period data (``--data PRE``, which the entry passes as
``ctx.sources["pre_data"]["main"]``, or ``pre_data`` in the spec) holds one row
per unit with the metric columns measured before the test (and, for CUPED, the
covariate columns measured before that). From one scan
(:func:`causalkit.ab.scan.moments`, over the columns and products the metrics'
kinds declare) come, per metric, the level, the per-unit variance of its
linearization and -- when the covariate columns are present -- the CUPED variance
reduction ``rho**2``, all asked of the metric's kind (:mod:`causalkit.metrics`);
with ``timestamp_column`` present, the traffic per day.

Planning rules (listed in the report's ``plan_assumptions`` check):

* level ``alpha`` is split Bonferroni-style across primary metrics x treatment
  arms (and across guardrails x arms), the conservative bound of Holm;
* shares: each arm's weight times ``1 - holdout``; with several treatment arms
  the smallest arm is planned for;
* the effect to detect is ``plan.mde`` (relative to the pre-period level unless
  ``mde_kind: absolute``), and the treatment arm's variance under it is the kind's
  planning variance (``p' (1 - p')`` for a proportion, else the control's); the
  MDE is reported at ``plan.sample_per_arm``, else
  ``decision.horizon_sample_per_arm``, else the pre-period size;
* fixed-horizon normal approximation (:mod:`causalkit.stats.power`); an
  always-valid (mSPRT) analysis needs more units for the same power.

Example:
    >>> from causalkit.data import Source
    >>> from causalkit.registry import RunContext
    >>> from causalkit.simulate.ab import simulate_ab
    >>> from causalkit.spec.ab import ABSpec
    >>> from causalkit.spec.loader import LoadedSpec
    >>> pre = Source.from_frame(simulate_ab(seed=1, n=5000).tables["main"])
    >>> spec = ABSpec(name="x", kind="ab", unit="user_id", plan={"mde": 0.05},
    ...               metrics=[{"name": "chat", "type": "mean", "column": "chat_minutes",
    ...                         "covariate": "pre_chat_minutes", "role": "primary"}])
    >>> rep = plan(LoadedSpec(spec, None, "", {}), RunContext(sources={"pre_data": {"main": pre}}))
    >>> row = dict(zip(rep.tables[0].columns, rep.tables[0].rows[0]))
    >>> 0.4 < row["cuped variance reduction"] < 0.6, row["units per arm"] > 100
    (True, True)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from causalkit.ab.encouragement_power import encouragement_needs, encouragement_plan, itt_effect
from causalkit.ab.metrics import needs
from causalkit.ab.scan import moments, require_binary
from causalkit.data import ColumnKind, Moments, Source, get_engine, pick_source, quote_ident
from causalkit.data.sql import dialect_of, epoch_seconds
from causalkit.errors import DataError
from causalkit.metrics import kind_of
from causalkit.report import Check, Experiment, Meta, Report, Status, Table
from causalkit.spec.common import MarginKind, Metric, Role, Sequential
from causalkit.stats.cuped import variance_reduction
from causalkit.stats.power import mde, power_at, required_total
from causalkit.stats.sequential_power import (
    gst_z_boundaries,
    inflation_factor,
    msprt_z_boundaries,
)

if TYPE_CHECKING:
    from causalkit.registry import RunContext
    from causalkit.spec.ab import ABSpec
    from causalkit.spec.loader import LoadedSpec


def metric_variance(metric: Metric, m: Moments) -> tuple[float, float, float]:
    """``(level, per-unit variance, CUPED rho**2)`` of a metric in pre-period moments.

    The metric's kind computes the level, the variance and the covariate pieces;
    ``rho**2`` is 0 when the metric has no covariate or its columns are not in ``m``.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).normal(size=(2000, 2)) @ [[1, 0.8], [0, 0.6]]
        >>> m = Moments.from_array(["y", "x"], x)
        >>> lv, v, r2 = metric_variance(Metric(name="y", type="mean", column="y",
        ...                                    covariate="x"), m)
        >>> round(r2, 1)
        0.6
    """
    kind = kind_of(metric)
    level, var = kind.level(metric, m)
    covs = kind.covariates(metric)
    if not covs or not set(covs) <= set(m.columns):
        return level, var, 0.0
    _, vx, c = kind.covariate(metric, m)
    return level, var, float(variance_reduction(c, var, vx))


def plan(loaded: LoadedSpec, ctx: RunContext) -> Report:
    """The registered power planner of ``kind: ab`` (``causalkit power SPEC --data PRE``).

    Reads the pre-period data the entry resolved (``ctx.sources["pre_data"]["main"]``:
    ``--data PRE``, or the spec's simulated ``pre_data``), else the spec's
    ``pre_data:`` file, query or table. It never simulates data itself.

    Raises:
        DataError: when there is no pre-period data, or a metric column is missing from it.

    Example:
        >>> from causalkit.registry import RunContext
        >>> from causalkit.spec.ab import ABSpec
        >>> from causalkit.spec.loader import LoadedSpec
        >>> spec = ABSpec(name="x", kind="ab", unit="u",
        ...               metrics=[{"name": "m", "type": "mean", "column": "m", "role": "primary"}])
        >>> plan(LoadedSpec(spec, None, "", {}), RunContext())
        Traceback (most recent call last):
        ...
        causalkit.errors.DataError: power planning needs pre-period data (...)
    """
    spec: ABSpec = loaded.spec
    if ctx.source("pre_data") is None and spec.pre_data is None:
        raise DataError("power planning needs pre-period data",
                        hint="pass --data PRE.parquet or set pre_data in the spec")
    source = pick_source(ctx.sources, spec.pre_data, "pre_data", "main")
    schema = get_engine(source).schema(source)
    need = encouragement_needs(needs(spec.metrics, available=set(schema)), spec.metrics)
    mom, nonbinary = moments(source, columns=need.columns, pairs=need.pairs,
                             binary=need.binary, derived=need.derived)
    require_binary(nonbinary, source)
    per_day, days = _traffic(spec, source, schema, mom.n)

    w_total = sum(spec.variants.values())
    keep = 1.0 - spec.assignment.holdout
    share_c = spec.variants[spec.control] / w_total * keep
    arms = [a for a in spec.variants if a != spec.control]
    share_t = min(spec.variants[a] for a in arms) / w_total * keep
    fam = {r: sum(1 for m in spec.metrics if m.role is r) * len(arms) for r in Role}
    alpha = spec.analysis.alpha
    power = spec.analysis.power
    n_plan = (spec.plan.sample_per_arm or spec.decision.horizon_sample_per_arm
              or max(int(mom.n * share_c), 2))
    n_total_plan = n_plan / share_c
    inflation, looks = _sequential_inflation(spec)
    rows = []
    for m in spec.metrics:
        kind = kind_of(m)
        level, var, rho2 = metric_variance(m, mom)
        var_adj = var * (1.0 - rho2)
        a = alpha / fam[m.role] if m.role is not Role.SECONDARY else alpha
        mde_abs = float(mde(var_adj, var_adj, n_total_plan, alpha=a, power=power,
                            share_c=share_c, share_t=share_t))
        effect: float | None = None
        n_arm: int | None = None
        n_total: int | None = None
        run_days: float | None = None
        pw: float | None = None
        if spec.plan.mde is not None:
            effect = (spec.plan.mde * abs(level) if spec.plan.mde_kind is MarginKind.RELATIVE
                      else spec.plan.mde)
            effect = itt_effect(m, spec, effect)  # a received: metric's mde is its CACE
            assert effect is not None
            var_t = kind.planning_variance(level, var_adj, effect)
            total = inflation * float(required_total(var_adj, var_t, effect, alpha=a,
                                                     power=power, share_c=share_c,
                                                     share_t=share_t))
            n_arm = math.ceil(total * share_c)
            n_total = math.ceil(total)
            run_days = n_total / per_day if per_day else None
            pw = float(power_at(effect, var_adj, var_t, n_total_plan, alpha=a,
                                share_c=share_c, share_t=share_t))
        rows.append((m.name, str(m.type), m.role.value, level, math.sqrt(var), rho2, a, effect,
                     n_arm, n_total, run_days, n_plan, mde_abs,
                     mde_abs / abs(level) if level else None, pw))
    table = Table(
        "power_plan", "Sample size, MDE and duration per metric",
        ("metric", "type", "role", "level", "sd per unit", "cuped variance reduction",
         "alpha", "effect to detect", "units per arm", "units in total", "days",
         "planned units per arm", "mde", "mde relative", "power at planned units"),
        tuple(rows), priority=PLAN_PRIORITY if spec.plan.mde is not None else NO_MDE_PRIORITY)
    enc_tables, enc_said = encouragement_plan(
        spec, mom, per_day=per_day, inflation=inflation,
        alphas={m.name: alpha / fam[m.role] if m.role is not Role.SECONDARY else alpha
                for m in spec.metrics})
    detail = (f"pre-period: {mom.n:,} units"
              + (f" over {days:.1f} days" if days else "")
              + (f"; {per_day:,.0f} units per day" if per_day else "")
              + f"; alpha {alpha} split over {fam[Role.PRIMARY]} primary and "
              f"{fam[Role.GUARDRAIL]} guardrail comparison(s) (Bonferroni); power {power}; "
              f"shares control {share_c:.3f}, smallest treatment {share_t:.3f}; fixed-horizon "
              "normal approximation"
              + (f"; units inflated x{inflation:.3f} for {spec.analysis.sequential.value} "
                 f"over {looks} equally spaced looks (exact sequential power)"
                 if inflation != 1.0 else ""))
    checks = [Check("plan_assumptions", Status.PASS, detail)]
    if spec.plan.mde is None:
        checks.append(Check("plan_mde", Status.WARN, MDE_MISSING))
    elif not per_day:
        checks.append(Check("plan_traffic", Status.WARN, TRAFFIC_MISSING))
    return Report(
        experiment=Experiment(name=spec.name, kind="ab", spec_sha256=loaded.sha256 or None,
                              data_fingerprint=source.fingerprint(), hypothesis=spec.hypothesis),
        checks=tuple(checks),
        meta=Meta(alpha=alpha, extra={"units_per_day": per_day, "pre_period_units": mom.n,
                                      "sequential_inflation": inflation}),
        tables=(table, *enc_tables),
        findings=(*_findings(table, spec.plan.mde is not None, per_day, power), *enc_said),
    )


PLAN_PRIORITY = (0, 6, 3, 4, 5, 4, 5, 1, 0, 2, 1, 4, 2, 3, 3)
"""How much each column of the plan table matters on a narrow terminal (0: always shown):
the metric and the units per arm first, then the days and the effect to detect."""

NO_MDE_PRIORITY = (0, 6, 3, 4, 5, 4, 5, 7, 7, 7, 7, 1, 0, 1, 7)
"""Without ``plan.mde`` the empty columns (effect, units, days, power) are hidden first and
the MDE at the planned units is a key column."""

MDE_MISSING = ("plan.mde is not set, so there is no sample size, duration or power: set "
               "plan.mde (e.g. plan: {mde: 0.02}, relative to the pre-period level) to get "
               "them; the mde column shows what the planned units can detect")
"""The check's detail when the spec has no ``plan.mde``."""

TRAFFIC_MISSING = ("the traffic is not known, so there is no duration: set plan.units_per_day "
                   "or a timestamp_column present in the pre-period data")
"""The check's detail when the units per day are not known."""


def _findings(table: Table, has_mde: bool, per_day: float | None,
              power: float) -> tuple[str, ...]:
    """One sentence per primary metric (else per metric): the units it needs, or what the
    planned units can detect when no effect to detect was set.

    Example:
        >>> t = Table("power_plan", "", ("metric", "role", "level", "effect to detect",
        ...           "units per arm", "units in total", "days", "planned units per arm", "mde",
        ...           "mde relative", "power at planned units"),
        ...           (("m", "primary", 12.0, 0.24, 3839, 7678, 2.559, 20000, 0.079, 0.0066, 1.0),))
        >>> print(_findings(t, True, 3000.0, 0.8)[0])
        m needs 3,839 units per arm (7,678 in total; 2.559 days at 3,000 a day) to detect 0.24 (2% of 12) with power 0.8
        >>> print(_findings(t, False, None, 0.8)[0])
        m: the 20,000 planned units per arm detect 0.079 (0.66% of 12) with power 0.8; set plan.mde to get the sample size
    """
    from causalkit.report.render._format import MISSING, fmt_num

    def num(x: object) -> str:
        return fmt_num(x) if isinstance(x, int | float) else MISSING

    rows = [dict(zip(table.columns, r, strict=True)) for r in table.rows]
    chosen = [r for r in rows if r["role"] == "primary"] or rows
    out = []
    for r in chosen:
        level = r["level"]

        def rel(x: object, level: object = level) -> str:
            if not isinstance(level, float) or not level or not isinstance(x, int | float):
                return ""
            return f" ({fmt_num(100 * float(x) / abs(level), 2)}% of {num(level)})"

        if has_mde and isinstance(r["units per arm"], int):
            days = r["days"]
            when = (f"; {num(days)} days at {per_day:,.0f} a day"
                    if isinstance(days, float) and per_day else "")
            effect = r["effect to detect"]
            out.append(f"{r['metric']} needs {r['units per arm']:,} units per arm "
                       f"({r['units in total']:,} in total{when}) to detect "
                       f"{num(effect)}{rel(effect)} with power {fmt_num(power)}")
        else:
            out.append(f"{r['metric']}: the {r['planned units per arm']:,} planned units per arm "
                       f"detect {num(r['mde'])}{rel(r['mde'])} with power {fmt_num(power)}; "
                       "set plan.mde to get the sample size")
    return tuple(out)


def _sequential_inflation(spec: ABSpec) -> tuple[float, int]:
    """Sample-size factor of a sequential analysis over equally spaced looks.

    ``analysis.looks`` sets the number of looks (default 14: two weeks of daily runs).
    The factor keeps the planned power when the gate may stop at any look.

    Example:
        >>> from causalkit.spec.ab import ABSpec
        >>> spec = ABSpec(name="x", kind="ab", unit="u", data={"simulate": "ab"},
        ...     analysis={"sequential": "gst", "looks": 2},
        ...     metrics=[{"name": "m", "type": "mean", "column": "m", "role": "primary"}])
        >>> factor, looks = _sequential_inflation(spec)
        >>> round(factor, 3), looks
        (1.004, 2)
    """
    method = spec.analysis.sequential
    if method is Sequential.NONE:
        return 1.0, 1
    looks = spec.analysis.looks or 14
    fractions = [(k + 1) / looks for k in range(looks)]
    alpha, power = spec.analysis.alpha, spec.analysis.power
    bounds = (gst_z_boundaries(fractions, alpha) if method is Sequential.GST
              else msprt_z_boundaries(fractions, alpha))
    return float(inflation_factor(bounds, fractions, alpha, power)), looks


def _traffic(spec: ABSpec, source: Source, schema: dict[str, ColumnKind],
             n: int) -> tuple[float | None, float | None]:
    if spec.plan.units_per_day is not None:
        return spec.plan.units_per_day, None
    ts = spec.timestamp_column
    if ts is None or schema.get(ts) is not ColumnKind.TIMESTAMP:
        return None, None
    q = quote_ident(ts)
    engine = get_engine(source)
    d = dialect_of(engine)
    span = f"{epoch_seconds(f'MAX({q})', d)} - {epoch_seconds(f'MIN({q})', d)}"
    row = engine.query(source, f"SELECT {span} AS s FROM src").to_pylist()[0]
    seconds = float(row["s"] or 0.0)
    days = max(seconds / 86_400.0, 1.0)
    return n / days, days
