"""Effects by segment, read honestly: one family correction, heterogeneity, Simpson's guard.

Input: the per-cell moments of the A/B scan grouped by arm and every segment column
(:func:`causalkit.ab.scan.scan` with ``segments=``). Moments add exactly, so each
attribute's per-segment, per-arm moments are sums of cells, and the whole breakdown
costs one grouped scan.

For every segment column, segment value (small ones pooled into ``other``), metric
and treatment arm, a contrast (CUPED and ratio metrics included) is tested; the
family of all segment tests of the report is corrected together (Benjamini–Hochberg
by default: its intervals are the false-coverage-rate adjusted ones of Benjamini and
Yekutieli (2005), at level ``alpha R / m`` with ``R`` the number of discoveries, so
an interval excludes zero exactly when the segment is a discovery; Holm on request,
with its step-down levels). Then per metric, arm and column:

* heterogeneity: Cochran's Q over the segment estimates (for independent segments,
  the Wald test of the arm × segment interactions; with CUPED, segment-specific slopes);
* Simpson's-paradox guard: the arm × segment counts (a chi-square test of the mix)
  and the pooled effect against the within-segment (post-stratified) effect;
* per-segment sample-ratio checks (Holm over segments; a warning, like every segment
  check: a breakdown is read, it never changes the decision);
* optionally the post-stratified overall estimate with its variance.

Example:
    >>> import numpy as np
    >>> from causalkit.data import Moments
    >>> from causalkit.spec.common import Metric
    >>> rng = np.random.default_rng(0)
    >>> cells = {(arm, seg): Moments.from_array(["y"], rng.normal(size=(300, 1)))
    ...          for arm in ("control", "treatment") for seg in ("KR", "JP")}
    >>> res = segment_analysis([Metric(name="y", type="mean", column="y")], cells, ("country",),
    ...                        control="control", arms=("treatment",), weights=(0.5, 0.5))
    >>> sorted(e.segment for e in res.estimates)
    ['country=JP', 'country=KR']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from causalkit.ab.inference import _estimate, _fixed_p
from causalkit.ab.metrics import Contrast, contrast
from causalkit.data import Moments
from causalkit.errors import DataError
from causalkit.report.model import Check, Estimate, Role, Status, Table
from causalkit.spec.common import Metric
from causalkit.spec.segments import MAX_SEGMENTS, MIN_SEGMENT_SIZE
from causalkit.stats.multiplicity import adjust_pvalues, interval_levels
from causalkit.stats.segments import OTHER, cochran_q, mix_shift, pool_small, post_stratified
from causalkit.stats.segments import segment_srm as srm_p

MISSING_SEGMENT = "(missing)"
"""The segment of units whose attribute is missing."""
OTHER_TAKEN = "other (pooled)"
"""Name of the pooled small segments when the data already hold a value ``other``."""
SRM_FAIL = 0.001
"""A segment's sample-ratio p-value (Holm over the column's segments) below this warns."""


@dataclass(frozen=True)
class SegmentResult:
    """What the segment analysis adds to a report.

    Attributes:
        estimates: per-segment estimates (``segment`` set), then the post-stratified
            overall estimates (``segment`` None, role secondary) when asked for.
        checks: per column: ``segment_sample_ratio``, ``segment_heterogeneity`` and
            ``segment_mix`` (Simpson's-paradox guard), then ``segment_family``.
        tables: the heterogeneity table and the segment sizes.

    Example:
        >>> import numpy as np
        >>> def m(*v):
        ...     return Moments.from_array(["y"], np.array(v, dtype=float)[:, None])
        >>> cells = {("c", "KR"): m(1, 2, 3, 4, 5), ("t", "KR"): m(3, 4, 5, 6, 7),
        ...          ("c", "JP"): m(1, 2, 3, 4, 5), ("t", "JP"): m(1, 2, 3, 4, 5)}
        >>> res = segment_analysis([Metric(name="y", type="mean", column="y")], cells,
        ...                        ["country"], control="c", arms=["t"], weights=[0.5, 0.5],
        ...                        min_size=1, post_stratify=True)
        >>> [(e.segment, e.method, e.estimate) for e in res.estimates]
        [('country=JP', 'welch', 0.0), ('country=KR', 'welch', 2.0),
         (None, 'welch+poststrat(country)', 1.0)]
        >>> [t.name for t in res.tables], res.tables[1].rows
        (['segment_heterogeneity', 'segment_sizes'],
         (('country', 'JP', 5, 5), ('country', 'KR', 5, 5)))
    """

    estimates: tuple[Estimate, ...]
    checks: tuple[Check, ...]
    tables: tuple[Table, ...]


def segment_name(column: str, value: str) -> str:
    """The segment label of an estimate: ``column=value``.

    Example:
        >>> segment_name("country", "KR")
        'country=KR'
    """
    return f"{column}={value}"


def _text(v: Any) -> str:
    return MISSING_SEGMENT if v is None else str(v)


def by_segment(cells: Mapping[tuple[Any, ...], Moments], position: int, min_size: int
               ) -> dict[str, dict[str, Moments]]:
    """Per segment value of one column (small ones pooled): arm -> summed moments.

    A missing value is the segment ``(missing)``; segments with fewer than ``min_size``
    units (all arms) are pooled into ``other`` (``other (pooled)`` when the data
    already hold a value ``other``) when at least two are small.

    Args:
        cells: ``(arm, value_1, ..., value_k) -> Moments``.
        position: which segment column (0-based) to break down by.
        min_size: segments with fewer units (all arms) are pooled into ``other``.

    Example:
        >>> import numpy as np
        >>> m = Moments.from_array(["y"], np.ones((3, 1)))
        >>> out = by_segment({("c", "KR"): m, ("t", "KR"): m, ("c", "JP"): m}, 0, 1)
        >>> {k: {a: x.n for a, x in v.items()} for k, v in out.items()}
        {'KR': {'c': 3, 't': 3}, 'JP': {'c': 3}}
    """
    raw: dict[str, dict[str, Moments]] = {}
    for key, m in cells.items():
        arm, value = str(key[0]), _text(key[1 + position])
        seg = raw.setdefault(value, {})
        seg[arm] = seg[arm] + m if arm in seg else m
    sizes = {v: sum(m.n for m in arms.values()) for v, arms in raw.items()}
    names = pool_small(sizes, min_size)
    pooled_name = OTHER_TAKEN if OTHER in raw and names.get(OTHER) == OTHER and any(
        names[v] == OTHER for v in raw if v != OTHER) else OTHER
    out: dict[str, dict[str, Moments]] = {}
    for value, arms in raw.items():
        name = pooled_name if names[value] == OTHER else value
        seg = out.setdefault(name, {})
        for arm, m in arms.items():
            seg[arm] = seg[arm] + m if arm in seg else m
    return out


def _fcr_levels(p: np.ndarray, alpha: float, correction: str) -> tuple[np.ndarray, np.ndarray]:
    """Adjusted p-values and interval levels that agree with them.

    BH: the false-coverage-rate intervals of Benjamini and Yekutieli (2005) at level
    ``alpha R / m`` (``R`` discoveries of ``m`` tests; ``alpha / m`` when ``R = 0``),
    so an interval excludes 0 exactly when its test is a discovery. Holm: the
    step-down levels of :func:`~causalkit.stats.multiplicity.interval_levels`.
    """
    if p.size == 0:
        return p.copy(), p.copy()
    adj = adjust_pvalues(p, correction)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if correction == "bh":
        r = int(np.sum(adj[ok] <= alpha))
        levels = np.full(p.shape, alpha * max(r, 1) / max(m, 1))
    else:
        levels = interval_levels(p, alpha, correction)
    return adj, levels


@dataclass(frozen=True)
class _Column:
    """One segment column's segments, in report order, and their tested contrasts."""

    name: str
    order: list[str]
    segs: dict[str, dict[str, Moments]]
    contrasts: list[tuple[str, Contrast]]
    skipped: list[str]


def segment_analysis(metrics: Sequence[Metric], cells: Mapping[tuple[Any, ...], Moments],
                     columns: Sequence[str], *, control: str, arms: Sequence[str],
                     weights: Sequence[float], alpha: float = 0.05, correction: str = "bh",
                     min_size: int = MIN_SEGMENT_SIZE, post_stratify: bool = False,
                     pooled: Mapping[tuple[str, str], Estimate] | None = None,
                     n_unit: str = "users") -> SegmentResult:
    """Per-segment estimates with one family correction, and the checks that keep them honest.

    Args:
        metrics: the spec's metrics.
        cells: ``(arm, value per column) -> Moments`` from the grouped scan.
        columns: the segment columns, in the order of the cell keys.
        control: the control arm; ``arms``: the treatment arms.
        weights: planned traffic weights of ``(control, *arms)`` (per-segment SRM).
        alpha: the family's level; ``correction``: ``bh`` or ``holm``.
        min_size: pooling threshold (units, all arms).
        post_stratify: add the post-stratified overall estimate per metric and arm.
        pooled: the report's overall estimates by ``(metric, arm)`` (the mix-shift guard
            compares their sign with the within-segment effect).
        n_unit: what the counts count.

    Returns:
        Estimates (``segment`` set), checks and tables.

    Raises:
        DataError: when a column has more than :data:`~causalkit.spec.segments.MAX_SEGMENTS`
            segments after pooling (an id or a continuous value is no segment).

    Example:
        >>> import numpy as np
        >>> def m(*v):
        ...     return Moments.from_array(["y"], np.array(v, dtype=float)[:, None])
        >>> cells = {("c", "KR"): m(1, 2, 3, 4, 5), ("t", "KR"): m(3, 4, 5, 6, 7),
        ...          ("c", "JP"): m(1, 2, 3, 4, 5), ("t", "JP"): m(1, 2, 3, 4, 5)}
        >>> res = segment_analysis([Metric(name="y", type="mean", column="y")], cells,
        ...                        ["country"], control="c", arms=["t"], weights=[0.5, 0.5],
        ...                        min_size=1)
        >>> kr = res.estimates[1]
        >>> kr.segment, kr.estimate, round(kr.extra["p_value_unadjusted"], 4), round(kr.p_value, 4)
        ('country=KR', 2.0, 0.0805, 0.161)
        >>> [(c.name, c.status.value) for c in res.checks]
        [('segment_sample_ratio:country', 'pass'), ('segment_heterogeneity:country', 'pass'),
         ('segment_mix:country', 'pass'), ('segment_family', 'pass')]
    """
    cols: list[_Column] = []
    for pos, col in enumerate(columns):
        segs = by_segment(cells, pos, min_size)
        if len(segs) > MAX_SEGMENTS:
            raise DataError(
                f"{len(segs):,} segments after pooling those under {min_size:,} units "
                f"(at most {MAX_SEGMENTS:,})", column=col,
                hint="break down by a coarser attribute (bucket a number, group rare "
                     "values) or raise segments.min_size")
        order = sorted(segs, key=lambda v: (v in (OTHER, OTHER_TAKEN, MISSING_SEGMENT), v))
        found: list[tuple[str, Contrast]] = []
        skipped: list[str] = []
        for metric in metrics:
            for arm in arms:
                for v in order:
                    c, t = segs[v].get(control), segs[v].get(arm)
                    if c is None or t is None or c.n < 2 or t.n < 2:
                        if metric is metrics[0]:
                            skipped.append(f"{v} ({arm})" if len(arms) > 1 else v)
                        continue
                    with np.errstate(all="ignore"):
                        found.append((v, contrast(metric, c, t, arm)))
        cols.append(_Column(col, order, segs, found, skipped))
    flat = [(c.name, v, k) for c in cols for v, k in c.contrasts]
    raw = np.array([_fixed_p(k) for _, _, k in flat], dtype=float)
    adj, levels = _fcr_levels(raw, alpha, correction)
    ests: list[Estimate] = []
    for (col, v, k), p_adj, lvl, p in zip(flat, adj, levels, raw):
        with np.errstate(all="ignore"):
            e = _estimate(k, float(lvl), float(p_adj), float(p), math.nan, control, n_unit,
                          always_valid=False)
        extra = {**e.extra, "correction": correction, "family_size": int(np.isfinite(raw).sum())}
        ests.append(replace(e, segment=segment_name(col, v), extra=extra))
    checks: list[Check] = []
    het_rows: list[tuple[Any, ...]] = []
    size_rows: list[tuple[Any, ...]] = []
    post: list[Estimate] = []
    index = 0
    for col_ in cols:
        mine = ests[index:index + len(col_.contrasts)]
        index += len(col_.contrasts)
        checks.append(_srm_check(col_, control, arms, weights))
        rows, het = _heterogeneity(col_, mine, metrics, arms, alpha)
        het_rows += rows
        checks.append(het)
        checks.append(_mix_check(col_, metrics, arms, control, pooled, alpha))
        if post_stratify:
            post += _post_stratified(col_, metrics, arms, alpha, control, n_unit)
        for v in col_.order:
            size_rows.append((col_.name, v, *(col_.segs[v][a].n if a in col_.segs[v] else 0
                                          for a in (control, *arms))))
    checks.append(_family_check(ests, correction, alpha, cols))
    tables = (
        Table(name="segment_heterogeneity", title="Does the effect differ by segment? "
              "(Cochran's Q over the segment effects)",
              columns=("column", "metric", "arm", "segments", "Q", "df", "p_value", "I2"),
              rows=tuple(het_rows), priority=(0, 0, 1, 2, 2, 3, 0, 1)),
        Table(name="segment_sizes", title=f"Units per segment and arm ({n_unit}; segments "
              f"under {min_size:,} units pooled into {OTHER!r})",
              columns=("column", "segment", *(control, *arms)), rows=tuple(size_rows),
              priority=(0, 0, *([1] * (1 + len(arms))))),
    )
    return SegmentResult(tuple(ests) + tuple(post), tuple(checks), tables)


def _family_check(ests: Sequence[Estimate], correction: str, alpha: float,
                  cols: Sequence[_Column]) -> Check:
    m = sum(1 for e in ests if e.p_value is not None and math.isfinite(e.p_value))
    hits = [e for e in ests if e.p_value is not None and e.p_value <= alpha]
    what = ("Benjamini-Hochberg (false discovery rate; intervals at the false-coverage "
            "level alpha R / m)" if correction == "bh" else "Holm (family-wise error)")
    found = ", ".join(f"{e.metric} [{e.arm}] in {e.segment}" for e in hits[:8]) + \
        (f" and {len(hits) - 8} more" if len(hits) > 8 else "")
    return Check("segment_family", Status.PASS,
                 f"{m} segment tests corrected together by {what} at {alpha:g}: "
                 + (f"{len(hits)} discover{'y' if len(hits) == 1 else 'ies'} ({found})"
                    if hits else "no segment effect survives the correction")
                 + "".join(f"; not tested (an arm missing or under 2 units): {c.name} "
                           f"{', '.join(c.skipped[:10])}" for c in cols if c.skipped),
                 value=float(len(hits)))


def _srm_check(c: _Column, control: str, arms: Sequence[str], weights: Sequence[float]) -> Check:
    name = f"segment_sample_ratio:{c.name}"
    counts = [[c.segs[v][a].n if a in c.segs[v] else 0 for a in (control, *arms)]
              for v in c.order]
    if not counts:
        return Check(name, Status.PASS, f"no {c.name} segments in the data")
    p_srm = adjust_pvalues(srm_p(counts, weights), "holm")
    finite = p_srm[np.isfinite(p_srm)]
    bad = [(v, p) for v, p in zip(c.order, p_srm) if np.isfinite(p) and p < SRM_FAIL]
    if bad:
        return Check(name, Status.WARN,
                     f"the arm counts differ from the plan in {', '.join(v for v, _ in bad)} "
                     f"(Holm-adjusted p = {min(p for _, p in bad):.3g}): assignment is broken "
                     f"there, or {c.name} changed with the treatment; do not read those "
                     "segments' effects", value=float(finite.min()))
    return Check(name, Status.PASS,
                 f"every {c.name} segment's arm counts match the plan (Holm over "
                 f"{len(c.order)} segment{'s' if len(c.order) != 1 else ''})",
                 value=float(finite.min()) if finite.size else None)


def _heterogeneity(c: _Column, ests: Sequence[Estimate], metrics: Sequence[Metric],
                   arms: Sequence[str], alpha: float) -> tuple[list[tuple[Any, ...]], Check]:
    rows: list[tuple[Any, ...]] = []
    differs: list[str] = []
    ps: list[float] = []
    for metric in metrics:
        for arm in arms:
            es = [e for e in ests if e.metric == metric.name and e.arm == arm]
            h = cochran_q([e.estimate for e in es],
                          [e.se if e.se is not None else math.nan for e in es])
            rows.append((c.name, metric.name, arm, len(es), h.q, h.df, h.p_value, h.i2))
            if math.isfinite(h.p_value):
                ps.append(h.p_value)
                if h.p_value < alpha:
                    differs.append(f"{metric.name} [{arm}] (Q = {h.q:.3g}, df {h.df}, "
                                   f"p = {h.p_value:.3g}, I² = {h.i2:.0%})")
    name = f"segment_heterogeneity:{c.name}"
    value = min(ps) if ps else None
    if not ps:
        return rows, Check(name, Status.PASS, f"not tested: fewer than two {c.name} segments "
                           "with both arms", value=None)
    if differs:
        return rows, Check(name, Status.WARN,
                           f"the effect differs by {c.name} for {'; '.join(differs)}: the "
                           "overall effect is an average over different segment effects "
                           "(read the segment estimates, each tested at alpha)", value=value)
    return rows, Check(name, Status.PASS,
                       f"no evidence that the effect differs by {c.name} (smallest Cochran's "
                       f"Q p = {value:.3g} over {len(ps)} metric-arm test"
                       f"{'s' if len(ps) != 1 else ''})", value=value)


def _mix_check(c: _Column, metrics: Sequence[Metric], arms: Sequence[str], control: str,
               pooled: Mapping[tuple[str, str], Estimate] | None, alpha: float) -> Check:
    name = f"segment_mix:{c.name}"
    flagged: list[str] = []
    p_mix: float | None = None
    for metric in metrics:
        for arm in arms:
            if pooled is None or (metric.name, arm) not in pooled:
                continue
            overall = pooled[(metric.name, arm)].estimate
            ok = [(v, k) for v, k in c.contrasts
                  if k.metric.name == metric.name and k.arm == arm and k.problem is None]
            if len(ok) < 2 or not math.isfinite(overall):
                continue
            ps = post_stratified([k.estimate for _, k in ok], [k.se2 for _, k in ok],
                                 [k.control.n + k.treatment.n for _, k in ok])
            counts = [[c.segs[v][a].n if a in c.segs[v] else 0 for v in c.order]
                      for a in (control, arm)]
            m = mix_shift(counts, overall, ps.estimate, alpha=alpha)
            p_mix = m.p_value if p_mix is None else min(p_mix, m.p_value)
            if m.flagged:
                flagged.append(f"{metric.name} [{arm}]: pooled {overall:+.4g} vs within-"
                               f"{c.name} {ps.estimate:+.4g} (mix p = {m.p_value:.3g})")
    if p_mix is None:
        return Check(name, Status.PASS, f"not tested: fewer than two {c.name} segments with "
                     "both arms")
    if flagged:
        return Check(name, Status.WARN,
                     f"the {c.name} mix differs between arms and the pooled effect has the "
                     f"opposite sign of the within-{c.name} effect (Simpson's paradox) for "
                     f"{'; '.join(flagged)}: read the within-segment effects, and find why "
                     "the mix differs", value=p_mix)
    return Check(name, Status.PASS,
                 f"the pooled and within-{c.name} effects agree in sign, or the {c.name} mix "
                 f"does not differ between arms (smallest mix p = {p_mix:.3g})", value=p_mix)


def _post_stratified(c: _Column, metrics: Sequence[Metric], arms: Sequence[str], alpha: float,
                     control: str, n_unit: str) -> list[Estimate]:
    from scipy import stats

    out = []
    for metric in metrics:
        for arm in arms:
            ks = [k for _, k in c.contrasts
                  if k.metric.name == metric.name and k.arm == arm and k.problem is None]
            if len(ks) < 2:
                continue
            ps = post_stratified([k.estimate for k in ks], [k.se2 for k in ks],
                                 [k.control.n + k.treatment.n for k in ks])
            z = float(stats.norm.ppf(1 - alpha / 2))
            p = float(2 * stats.norm.sf(abs(ps.estimate / ps.se))) if ps.se > 0 else math.nan
            k0 = ks[0]
            out.append(Estimate(
                metric=metric.name, arm=arm, reference=control,
                method=f"{k0.method}+poststrat({c.name})", estimate=ps.estimate,
                ci_low=ps.estimate - z * ps.se, ci_high=ps.estimate + z * ps.se, p_value=p,
                se=ps.se, n=sum(k.treatment.n for k in ks),
                n_reference=sum(k.control.n for k in ks), n_unit=n_unit,
                role=Role.SECONDARY, direction=metric.direction, alpha=alpha,
                extra={"segments": len(ks)}))
    return out


__all__ = ["MISSING_SEGMENT", "OTHER_TAKEN", "SegmentResult", "by_segment", "segment_analysis",
           "segment_name"]
