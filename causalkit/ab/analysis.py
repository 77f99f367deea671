"""The ``kind: ab`` analysis: one scan, checks, estimates, tables and figures in a Report.

Steps: scan the data once for per-arm sufficient statistics of the columns and
products the metrics' kinds declare (:mod:`causalkit.ab.scan`,
:mod:`causalkit.metrics`); check the data (duplicated units, unknown, empty or
tiny arms, values other than 0 and 1 in metrics of binary kinds such as
proportions, extreme values, single-unit influence and float64 resolution, missing
exposure times: :mod:`causalkit.ab.quality`) and the sample ratio (``fail``, not
tested, when the data's arms do not match the spec's); compare every metric in
every treatment arm with control (:mod:`causalkit.ab.metrics`); test, correct
and build estimates (:mod:`causalkit.ab.inference`); set the decision intervals
and the decision basis (:func:`causalkit.report.intervals.finish`); add an arm
table, a level table, a forest plot and, when the data carry
``timestamp_column``, the confidence sequence over time.

From Python, analyse a DataFrame through the one door, :func:`causalkit.analyze`
(the spec needs no ``data:`` then); it adds the decision the gate would take.

Example:
    >>> import causalkit
    >>> from causalkit.simulate.ab import simulate_ab
    >>> df = simulate_ab(seed=3, n=4000, effects={"treatment": {"chat_minutes": 1.0}}).tables["main"]
    >>> rep = causalkit.analyze({"name": "demo", "kind": "ab", "unit": "user_id",
    ...     "metrics": [{"name": "chat_minutes", "type": "mean", "column": "chat_minutes",
    ...                  "covariate": "pre_chat_minutes", "role": "primary",
    ...                  "direction": "increase"}]}, data=df)
    >>> e = rep.estimates[0]
    >>> e.method, e.ci_low < 1.0 < e.ci_high, e.contrast, rep.checks[0].name
    ('welch+cuped', True, 'treatment - control', 'sample_ratio_mismatch')
    >>> e.interval_kind.value, rep.decision_basis.sequential.value
    ('always_valid', 'none')
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from causalkit.ab.assignment import HOLDOUT
from causalkit.ab.complier import complier_needs, complier_results
from causalkit.ab.inference import estimates as build_estimates
from causalkit.ab.metrics import Contrast, contrast, needs
from causalkit.ab.quality import (
    ArmMatch,
    arm_checks,
    exposure_check,
    labels_text,
    match_arms,
    resolution_check,
    value_checks,
)
from causalkit.ab.scan import Scan, duplicate_details, require_binary, scan
from causalkit.ab.timeline import Timeline, timelines
from causalkit.data import Source, pick_source
from causalkit.report import Check, Estimate, Experiment, Figure, Meta, Report, Status, Table
from causalkit.report.assessment import contrast_text
from causalkit.report.basis import PriorLook, decision_basis
from causalkit.report.intervals import finish
from causalkit.spec.common import Metric, Role, Sequential
from causalkit.stats.srm import srm_test

if TYPE_CHECKING:
    from collections.abc import Sequence

    from causalkit.registry import RunContext
    from causalkit.spec.ab import ABSpec
    from causalkit.spec.loader import LoadedSpec

SRM_FAIL = 0.001
SRM_WARN = 0.01
N_UNIT = "units"
"""What ``n`` and ``n_reference`` of an A/B estimate count."""
SEQUENTIAL_NONE_NOTE = (
    "the spec says sequential: none; the decision uses always-valid (msprt) intervals "
    "because a gate re-reads growing data; set analysis.sequential to msprt (or gst with "
    "--state) to make this explicit")


def analyze(loaded: LoadedSpec, ctx: RunContext) -> Report:
    """The registered analysis of ``kind: ab`` (:func:`causalkit.analyze`, the CLI, the gate).

    Reads the data the entry resolved (``ctx.sources["data"]["main"]``), else the
    spec's ``data:`` file, query or table.

    Example:
        >>> from causalkit.registry import analyzer
        >>> analyzer("ab") is analyze
        True
    """
    spec: ABSpec = loaded.spec
    source = pick_source(ctx.sources, spec.data, "data", "main")
    return analyze_source(spec, source, spec_sha256=loaded.sha256, seed=ctx.seed, now=ctx.now,
                          history=ctx.history)


def analyze_source(spec: ABSpec, source: Source, *, spec_sha256: str | None = None,
                   seed: int | None = None, figures: bool = True, now: datetime | None = None,
                   history: Sequence[PriorLook] | None = None) -> Report:
    """Analyse an A/B spec on a given source (the engine behind :func:`analyze`).

    Prefer :func:`causalkit.analyze` (``causalkit.analyze(spec, data=df)``); this
    helper takes an already wrapped :class:`~causalkit.data.Source` and can skip
    the figures.

    Args:
        spec: the validated spec (its ``data:`` is not read).
        source: the data (``Source.from_frame(df)`` for a DataFrame; never mutated).
        spec_sha256: the spec file's hash for the report.
        seed: recorded in the report's meta.
        figures: draw the forest and confidence-sequence plots.
        now: the analysis time (None: the wall clock, never before the last exposure).
        history: the gate's earlier looks (None when unknown).

    Raises:
        DataError: for missing or non-numeric columns, NaN metric values, missing
            unit ids, proportion columns with values other than 0 and 1.
        GateError: when a decision interval cannot be built (``sequential: gst``
            without a planned sample or horizon).

    Example:
        >>> import pandas as pd
        >>> from causalkit.spec.ab import ABSpec
        >>> df = pd.DataFrame({"user_id": range(6), "variant": ["control", "treatment"] * 3,
        ...                    "y": [1.0, 2.0, 2.0, 3.0, 3.0, 5.0]})
        >>> spec = ABSpec(name="t", kind="ab", unit="user_id",
        ...               metrics=[{"name": "y", "type": "mean", "column": "y", "role": "primary"}])
        >>> rep = analyze_source(spec, Source.from_frame(df), figures=False)
        >>> e = rep.estimates[0]
        >>> round(e.estimate, 6), (e.n, e.n_reference), rep.checks[0].status.value
        (1.333333, (3, 3), 'pass')
    """
    need = complier_needs(needs(spec.metrics), spec.metrics)
    ts = spec.timestamp_column
    sc = scan(source, unit=spec.unit, variant=spec.variant_column, columns=need.columns,
              pairs=need.pairs, binary=need.binary, derived=need.derived, timestamp=ts,
              by_day=ts is not None, check_duplicates=spec.check_duplicates)
    require_binary(sc.nonbinary, source)
    counts = _label_counts(sc)
    holdout = HOLDOUT if spec.assignment.holdout > 0 else None
    match = match_arms(list(spec.variants), counts, holdout_label=holdout)
    checks = [_srm_check(spec, sc, match), *_data_checks(spec, sc, source, counts, holdout)]
    values, problems = value_checks(spec.metrics, sc.arms, sc.ranges,
                                    order=list(spec.variants), overflow=sc.overflow)
    checks += values
    control = spec.control
    arms = [a for a in spec.variants if a != control]
    usable = [a for a in arms if sc.arms.get(a) is not None and sc.arms[a].n >= 2]
    contrasts: list[Contrast] = []
    if sc.arms.get(control) is not None and sc.arms[control].n >= 2:
        for metric in spec.metrics:
            for arm in usable:
                contrasts.append(_contrast(metric, sc, control, arm, problems))
    checks += _problem_checks(contrasts, control)
    checks += _resolution_checks(contrasts)
    cx = complier_results(spec.metrics, sc.arms, sc.ranges, control=control,  # received:
                          treatments=usable if contrasts else [], problems=problems,
                          alpha=spec.analysis.alpha, n_unit=N_UNIT)
    checks += cx.checks
    horizon = spec.decision.horizon_sample_per_arm
    with np.errstate(all="ignore"):  # a metric with extreme values is marked, not computed
        ests = build_estimates(contrasts, spec.analysis, control=control,
                               horizon_per_arm=horizon, n_unit=N_UNIT)
    lines: list[Timeline] = []
    if sc.by_day and contrasts:
        primary = [m for m in spec.metrics if m.role is Role.PRIMARY and m.name not in problems]
        if primary:
            with np.errstate(all="ignore"):  # other columns of the moments may overflow
                lines = timelines(sc.by_day, primary, control=control, arms=usable,
                                  analysis=spec.analysis, horizon_per_arm=horizon)
    per_arm = [sc.arms[a].n if a in sc.arms else 0 for a in spec.variants]
    basis = decision_basis(
        spec.decision, spec.analysis, min_n_per_arm=min(per_arm), n_unit=N_UNIT,
        start=spec.start,
        planned_horizon=spec.end - spec.start if spec.start and spec.end else None,
        first_exposure=sc.first_exposure, last_exposure=sc.last_exposure, now=now)
    if spec.analysis.sequential is Sequential.NONE:
        basis = replace(basis, notes=(*basis.notes, SEQUENTIAL_NONE_NOTE))
    ests, basis = finish(ests, checks, basis, history=history)
    ests = [*ests, *cx.estimates]  # first stage and CACE: secondary, never deciding
    extra: dict[str, str | int | float | bool | None] = {
        "correction": spec.analysis.correction.value,
        "sequential": spec.analysis.sequential.value,
    }
    return Report(
        experiment=Experiment(name=spec.name, kind="ab", spec_sha256=spec_sha256,
                              data_fingerprint=source.fingerprint(), hypothesis=spec.hypothesis),
        estimates=tuple(ests),
        checks=tuple(checks),
        meta=Meta(seed=seed, alpha=spec.analysis.alpha, extra=extra),
        tables=(_arm_table(spec, sc), _level_table(contrasts, control), *_timeline_tables(lines),
                *cx.tables),
        figures=tuple(_figures(ests, lines, control)) if figures else (),
        decision_basis=basis,
    )


def _label_counts(sc: Scan) -> dict[str | None, int]:
    """Units per arm label in the data (``None``: rows without a label)."""
    counts: dict[str | None, int] = {k: m.n for k, m in sc.arms.items()}
    if sc.missing_variant:
        counts[None] = sc.missing_variant
    return counts


def _srm_check(spec: ABSpec, sc: Scan, match: ArmMatch) -> Check:
    counts = [sc.arms[a].n if a in sc.arms else 0 for a in spec.variants]
    shares = ", ".join(f"{a} {n:,}" for a, n in zip(spec.variants, counts))
    if match.mismatched:
        other = f"; other labels: {labels_text(match.unknown)}" if match.unknown else ""
        return Check("sample_ratio_mismatch", Status.FAIL,
                     f"not tested: the arms in the data do not match the spec's ({shares}"
                     f"{other}); see data_unknown_variants and data_empty_arm")
    r = srm_test(counts, list(spec.variants.values()))
    status = Status.FAIL if not r.p_value >= SRM_FAIL else (
        Status.WARN if r.p_value < SRM_WARN else Status.PASS)
    return Check("sample_ratio_mismatch", status,
                 f"chi-square {r.statistic:.3g} (df {r.df}), p = {r.p_value:.3g}; {shares}",
                 value=r.p_value)


def _data_checks(spec: ABSpec, sc: Scan, source: Source, counts: dict[str | None, int],
                 holdout: str | None) -> list[Check]:
    out: list[Check] = []
    if sc.duplicate_rows > 0:
        cross, within, examples = duplicate_details(source, unit=spec.unit,
                                                    variant=spec.variant_column)
        out.append(Check(
            "data_duplicate_units", Status.FAIL,
            f"{sc.rows - sc.units:,} extra row(s) for repeated ids in {spec.unit!r}: "
            f"{cross:,} unit(s) in two or more arms, {within:,} repeated within an arm "
            f"(e.g. {', '.join(examples)}); keep one row per unit with its first arm",
            value=float(sc.duplicate_rows)))
    out += arm_checks(list(spec.variants), counts, variant_column=spec.variant_column,
                      holdout_label=holdout)
    for arm in spec.variants:
        if (sc.arms[arm].n if arm in sc.arms else 0) == 1:
            out.append(Check("data_small_arm", Status.FAIL,
                             f"arm {arm!r} has a single unit: no variance can be estimated"))
    if spec.timestamp_column is not None:
        missing = exposure_check(sc.missing_timestamps, sc.rows, spec.timestamp_column)
        if missing is not None:
            out.append(missing)
    return out


def _contrast(metric: Metric, sc: Scan, control: str, arm: str,
              problems: dict[str, str]) -> Contrast:
    """The metric's contrast, marked with a data problem found by the value checks."""
    with np.errstate(all="ignore"):
        k = contrast(metric, sc.arms[control], sc.arms[arm], arm)
    problem = problems.get(metric.name)
    return replace(k, problem=problem) if problem is not None else k


def _resolution_checks(contrasts: list[Contrast]) -> list[Check]:
    out = []
    for k in contrasts:
        if k.problem is None:
            found = resolution_check(k.metric.name, k.arm, k.treatment.mean, k.control.mean,
                                     float(np.sqrt(k.se2)))
            if found is not None:
                out.append(found)
    return out


def _problem_checks(contrasts: list[Contrast], control: str) -> list[Check]:
    text = {"zero_variance": "has zero variance in both arms (a constant metric)",
            "zero_denominator": "has a zero denominator mean in an arm"}
    out = []
    for k in contrasts:
        if k.problem is not None and k.problem != "extreme_values":
            out.append(Check(f"data_{k.problem}", Status.FAIL,
                             f"metric {k.metric.name!r} "
                             f"{text.get(k.problem, 'has a data problem')} ({k.arm} vs {control})",
                             metric=k.metric.name))
    return out


def _arm_table(spec: ABSpec, sc: Scan) -> Table:
    total_w = sum(spec.variants.values())
    total_n = sum(sc.arms[a].n if a in sc.arms else 0 for a in spec.variants) or 1
    rows = tuple(
        (a, sc.arms[a].n if a in sc.arms else 0, round(w / total_w, 6),
         round((sc.arms[a].n if a in sc.arms else 0) / total_n, 6))
        for a, w in spec.variants.items())
    return Table("arms", "Units per arm", ("arm", "units", "planned share", "observed share"), rows,
                 priority=(0, 0, 1, 1))


def _level_table(contrasts: list[Contrast], control: str) -> Table:
    """Each metric's level in each arm (the arms as the spec names them); an ``adjusted
    level`` column, and CUPED in the title, only when CUPED ran on some metric."""
    cuped = any(k.theta is not None for k in contrasts)
    rows: list[tuple[str | int | float | None, ...]] = []
    seen: set[tuple[str, str]] = set()
    for k in contrasts:
        for arm, lv in ((control, k.control), (k.arm, k.treatment)):
            if (k.metric.name, arm) in seen:
                continue
            seen.add((k.metric.name, arm))
            adjusted = (lv.mean if k.theta is not None else None,) if cuped else ()
            rows.append((k.metric.name, arm, lv.n, lv.raw, *adjusted, lv.var ** 0.5))
    if cuped:
        return Table("levels", "Metric levels per arm (adjusted level: CUPED, for metrics "
                               "with a covariate)",
                     ("metric", "arm", "units", "level", "adjusted level", "sd per unit"),
                     tuple(rows), priority=(0, 0, 1, 0, 0, 2))
    return Table("levels", "Metric levels per arm", ("metric", "arm", "units", "level",
                                                     "sd per unit"),
                 tuple(rows), priority=(0, 0, 1, 0, 2))


def _timeline_tables(lines: list[Timeline]) -> tuple[Table, ...]:
    if not lines:
        return ()
    rows = tuple((t.metric, t.arm, str(d), float(e), float(lo), float(hi), float(p))
                 for t in lines
                 for d, e, lo, hi, p in zip(t.days, t.estimate, t.ci_low, t.ci_high, t.p_value))
    return (Table("confidence_sequence", "Daily looks: always-valid confidence sequence",
                  ("metric", "arm", "day", "estimate", "cs low", "cs high", "always-valid p"),
                  rows, priority=(0, 1, 0, 0, 1, 1, 2)),)


def _figures(ests: list[Estimate], lines: list[Timeline], control: str) -> list[Figure]:
    from causalkit.report.plots import confidence_sequence_plot, forest_plot
    from causalkit.report.svg import figure_to_svg

    out = []
    if any(e.finite for e in ests):
        out.append(Figure("forest", "Effects with intervals",
                          figure_to_svg(forest_plot(ests))))
    for t in lines:
        title = f"{t.metric} ({contrast_text(t.arm, control)}): confidence sequence by day"
        fig = confidence_sequence_plot(list(t.days), t.estimate, t.ci_low, t.ci_high, title)
        out.append(Figure(f"cs_{t.metric}_{t.arm}", title, figure_to_svg(fig)))
    return out
