"""The report of an Aha analysis: ranked conditions, views, the re-check and the causal check.

Example:
    >>> from causalkit.aha.report import condition_row_columns
    >>> condition_row_columns()[:4]
    ('rank', 'condition', 'action', 'window_days')
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from causalkit.aha.inputs import input_checks
from causalkit.aha.search import index_of, ranked
from causalkit.report.model import (
    Check,
    Estimate,
    Experiment,
    Figure,
    Meta,
    Report,
    Scalar,
    Status,
    Table,
)

if TYPE_CHECKING:
    from causalkit.aha.analysis import AhaResult
    from causalkit.spec.aha import AhaSpec


def _f(x: object) -> Scalar:
    v = float(x)  # type: ignore[arg-type]
    return round(v, 6) if np.isfinite(v) else None


def _p(x: object) -> Scalar:
    """A p- or q-value to 6 significant digits: never rounded to 0 (tiny values stay tiny)."""
    v = float(x)  # type: ignore[arg-type]
    return float(f"{v:.6g}") if np.isfinite(v) else None


def condition_row_columns() -> tuple[str, ...]:
    """Columns of the ranked-conditions table.

    Example:
        >>> condition_row_columns()[-1]
        'holdout_p_value'
    """
    return ("rank", "condition", "action", "window_days", "threshold", "reached", "retained",
            "precision", "recall", "specificity", "npv", "coverage", "lift", "phi", "p_value",
            "q_value", "accepted", "holdout_precision", "holdout_lift", "holdout_phi",
            "holdout_p_value")


CONDITION_PRIORITY = (1, 0, 4, 4, 4, 3, 4, 0, 0, 3, 3, 2, 1, 2, 3, 1, 2, 2, 3, 3, 3)
"""Column priorities of the ranked-conditions table (0 = always shown; higher numbers are
hidden first on a narrow terminal): condition, precision and recall first, then lift and
the q-value, then the holdout columns and the rest."""


def _conditions_table(res: AhaResult, rows: int) -> Table:
    g, d, h = res.grid, res.grid.discovery, res.grid.holdout
    out = []
    for rank, key in enumerate(ranked(g)[:rows], start=1):
        i = index_of(g, key)
        assert i is not None
        out.append((rank, key.label, key.action, key.window, key.threshold,
                    int(d.tp[i] + d.fp[i]), int(d.tp[i]), _f(d.precision[i]), _f(d.recall[i]),
                    _f(d.specificity[i]), _f(d.npv[i]), _f(d.coverage[i]), _f(d.lift[i]),
                    _f(d.phi[i]), _p(d.p_value[i]), _p(g.q_value[i]), bool(res.accepted[i]),
                    _f(h.precision[i]), _f(h.lift[i]), _f(h.phi[i]), _p(h.p_value[i])))
    n_cond = int(np.prod(g.shape))
    return Table(name="aha_conditions",
                 title=f"Conditions ranked by phi on discovery users (top {len(out)} of {n_cond})",
                 columns=condition_row_columns(), rows=tuple(out),
                 priority=CONDITION_PRIORITY)


def _funnel_table(res: AhaResult) -> Table:
    g, d = res.grid, res.grid.discovery
    rows = []
    for step, key in enumerate(res.funnel, start=1):
        i = index_of(g, key)
        assert i is not None
        rows.append((step, key.label, _f(d.coverage[i]), _f(d.precision[i]), _f(d.recall[i]),
                     _f(d.lift[i]), _f(d.phi[i])))
    return Table(name="aha_funnel",
                 title="Funnel: accepted conditions on the precision-recall front, "
                       "from high recall to high precision",
                 columns=("step", "condition", "coverage", "precision", "recall", "lift", "phi"),
                 rows=tuple(rows), priority=(1, 0, 1, 0, 0, 1, 2))


def _recheck_table(res: AhaResult) -> Table:
    rows = []
    m = res.recheck
    for i, key in enumerate(res.rechecked):
        rows.append((key.label, "single", _f(m.precision[i]), _f(m.recall[i]), _f(m.lift[i]),
                     _f(m.phi[i]), _p(m.p_value[i]), _p(res.recheck_q[i])))
    c = res.combinations
    for i, item in enumerate(c.items):
        rows.append((item.label, item.op, _f(c.holdout.precision[i]), _f(c.holdout.recall[i]),
                     _f(c.holdout.lift[i]), _f(c.holdout.phi[i]), _p(c.holdout.p_value[i]),
                     _p(res.combination_q[i])))
    return Table(name="aha_holdout",
                 title=f"Re-checked on {res.n_holdout} holdout users: the winners and their "
                       "AND/OR combinations",
                 columns=("condition", "kind", "precision", "recall", "lift", "phi", "p_value",
                          "q_value"),
                 rows=tuple(rows), priority=(0, 2, 0, 0, 1, 2, 3, 1))


def _combination_table(res: AhaResult) -> Table:
    c = res.combinations
    rows = []
    for i, item in enumerate(c.items):
        rows.append((item.label, item.op, _f(c.discovery.coverage[i]),
                     _f(c.discovery.precision[i]), _f(c.discovery.recall[i]),
                     _f(c.discovery.phi[i]), _f(c.holdout.precision[i]),
                     _f(c.holdout.phi[i]), _p(res.combination_q[i])))
    return Table(name="aha_combinations",
                 title="AND/OR combinations of the best condition of each top action",
                 columns=("condition", "op", "coverage", "precision", "recall", "phi",
                          "holdout_precision", "holdout_phi", "holdout_q_value"),
                 rows=tuple(rows), priority=(0, 2, 2, 0, 0, 1, 1, 2, 1))


def _users_table(res: AhaResult) -> Table:
    s = res.summary
    rows: tuple[tuple[Scalar, ...], ...] = (
        ("users in the users table", s.users),
        ("excluded: no signup time", s.missing_signup),
        ("excluded: retention window not fully observed", s.not_observed),
        ("eligible users", s.eligible_users),
        ("discovery users (search)", res.n_discovery),
        ("holdout users (re-check and causal check)", res.n_holdout),
        ("events", s.events),
        ("events of users not in the users table (ignored)", s.events_unknown_user),
        ("events before signup (ignored)", s.events_before_signup),
        ("events without a time (ignored)", s.null_timestamps),
        ("events without an event name (ignored)", s.null_events),
    )
    return Table(name="aha_users", title="Users and events", columns=("what", "count"),
                 rows=rows, priority=(0, 0))


def _k(k: float) -> Scalar:
    return None if np.isnan(k) else (float("inf") if np.isinf(k) else round(k, 3))


def _causal_table(res: AhaResult) -> Table:
    rows = []
    for c in res.causal:
        rows.append((c.key.label, c.n_treated, c.n_control, _f(c.raw_difference),
                     _f(c.effect), _f(c.ci_low), _f(c.ci_high), c.verdict.value,
                     _k(c.robust_k), c.benchmark, _f(c.rv_alpha), _f(c.e_value),
                     _f(c.e_value_ci), c.fragile, c.engine))
    return Table(name="aha_causal",
                 title="Causal check on observational data: effect of reaching the condition "
                       "on retention, and the confounding it survives (robust_k: times the "
                       "strongest measured covariate, the benchmark); only a randomized test "
                       "settles it",
                 columns=("condition", "reached", "not_reached", "raw_difference", "effect",
                          "ci_low", "ci_high", "verdict", "robust_k", "benchmark", "rv_alpha",
                          "e_value", "e_value_ci", "fragile", "engine"),
                 rows=tuple(rows), priority=(0, 3, 3, 2, 0, 1, 1, 0, 1, 2, 3, 2, 3, 2, 4))


def _winner_sentence(res: AhaResult) -> str:
    """What predicts retention: the winner with its precision, recall and lift."""
    assert res.winner is not None
    g, d = res.grid, res.grid.discovery
    i = index_of(g, res.winner)
    assert i is not None
    text = (f"{res.winner.label} predicts retention ({res.outcome}) best: precision "
            f"{float(d.precision[i]):.3f}, recall {float(d.recall[i]):.3f}, lift "
            f"{float(d.lift[i]):.2f} on {res.n_discovery:,} discovery users")
    if res.winner in res.rechecked and res.n_holdout > 0:
        j = res.rechecked.index(res.winner)
        m = res.recheck
        q = float(res.recheck_q[j])
        ok = np.isfinite(q) and q <= res.alpha and float(m.phi[j]) > 0
        text += (f"; on {res.n_holdout:,} holdout users precision {float(m.precision[j]):.3f}, "
                 f"lift {float(m.lift[j]):.2f} "
                 + ("(it replicates)" if ok else "(it does not replicate)"))
    return text


_NOT_DIAGNOSTICS = ("causal_sensitivity", "causal_identification")
"""Causal checks that are not diagnostics of the estimate (the verdict says the first; the
second states the formula)."""


def _trust(checks: tuple[Check, ...]) -> str:
    """Words on the winner's causal diagnostics that failed or warned ('' when all pass)."""
    def names(status: Status) -> list[str]:
        return [c.name.removeprefix("causal_").replace("_", " ") for c in checks
                if c.status is status and c.name not in _NOT_DIAGNOSTICS]

    failed, warned = names(Status.FAIL), names(Status.WARN)
    if failed:
        return (f"; but its {', '.join(failed)} "
                + ("diagnostics fail" if len(failed) > 1 else "diagnostic fails")
                + ", so this estimate is not trustworthy")
    if warned:
        return (f" (the {', '.join(warned)} "
                + ("diagnostics warn)" if len(warned) > 1 else "diagnostic warns)"))
    return ""


def _causal_sentence(res: AhaResult) -> str:
    """The graded causal verdict on the winner (or why there is none)."""
    assert res.winner is not None
    if res.experiment is not None:
        est, _ = res.experiment
        lo = "?" if est.ci_low is None else f"{est.ci_low:+.4g}"
        hi = "?" if est.ci_high is None else f"{est.ci_high:+.4g}"
        return (f"Causal evidence: the randomized experiment {est.extra.get('experiment')!s} "
                f"estimates {est.metric} {est.estimate:+.4g} [{lo}, {hi}]")
    main = next((c for c in res.causal if c.key == res.winner), None)
    if main is None:
        failed = any(c.metric == res.winner.label for c in res.notes)
        return ("No causal check " + ("could run" if failed else "ran") + " on it: only a "
                "randomized test settles whether it causes retention")
    method = next((e.method for e in main.estimates if e.estimate == main.effect
                   and e.ci_low == main.ci_low), "")
    return (f"Causal verdict on observational data: effect {main.effect:+.3f} "
            f"[{main.ci_low:+.3f}, {main.ci_high:+.3f}]"
            + (f" ({method})" if method else "")
            + f", {main.verdict_words}{_trust(main.checks)}. Only a randomized test settles "
              f"whether it causes retention (nudge {res.winner.action} in an A/B test and "
              "point experiment: at its report)")


def findings(res: AhaResult) -> tuple[str, ...]:
    """The answer in sentences: the winner (precision, recall, lift) and its causal verdict.

    Without a winner, one sentence saying that no condition survives the false-discovery
    correction.

    Example:
        >>> findings.__name__  # see build_report: Report.findings
        'findings'
    """
    if res.winner is None:
        n_test = int(np.isfinite(res.grid.discovery.p_value).sum())
        return (f"No condition predicts retention ({res.outcome}): none of {n_test} testable "
                f"conditions raises it and survives the false-discovery correction at "
                f"q <= {res.alpha}",)
    return (_winner_sentence(res), _causal_sentence(res))


def headline(res: AhaResult) -> str | None:
    """One paragraph on the winner: the findings joined (None without a winner).

    Example:
        >>> headline.__name__  # see build_report: meta.extra["headline"]
        'headline'
    """
    if res.winner is None:
        return None
    return ". ".join(findings(res))


NO_HARM_NOTE = ("an Aha report decides nothing and shows no harm, so a diagnostic that fails "
                "warns here: ")
"""The prefix of a causal diagnostic that would fail in an observational report."""


def _no_harm(check: Check) -> Check:
    """A failed check as a warning: an Aha report has no harm (a JUnit failure means harm)."""
    if check.status is not Status.FAIL:
        return check
    return replace(check, status=Status.WARN, detail=NO_HARM_NOTE + check.detail)


def _checks(res: AhaResult) -> list[Check]:
    s = res.summary
    out: list[Check] = []
    share = s.excluded_users / s.users if s.users else 0.0
    status = Status.WARN if share > 0.5 or s.eligible_users < 500 else Status.PASS
    out.append(Check(
        "aha_observed_users", status,
        f"{s.eligible_users} users with a fully observed retention window; {s.not_observed} "
        f"excluded because signup + {res.outcome.split('_')[-1]} days is after the end of the "
        f"data, {s.missing_signup} without a signup time", value=float(s.excluded_users)))
    if s.events_unknown_user or s.events_before_signup:
        out.append(Check(
            "aha_orphan_events", Status.WARN,
            f"{s.events_unknown_user} events of users missing from the users table and "
            f"{s.events_before_signup} events before signup were ignored",
            value=float(s.events_unknown_user + s.events_before_signup)))
    out.extend(input_checks(s))  # event rows without a time or a name: counted, not dropped
    n_acc = int(res.accepted.sum())
    n_test = int(np.isfinite(res.grid.discovery.p_value).sum())
    out.append(Check(
        "aha_discoveries", Status.PASS if n_acc else Status.WARN,
        f"{n_acc} of {n_test} testable conditions raise retention and survive the "
        f"false-discovery correction at q <= {res.alpha}"
        + ("" if n_acc else "; nothing to carry into the causal check"), value=float(n_acc)))
    if res.winner is not None:
        if res.n_holdout == 0:
            out.append(Check("aha_holdout_replication", Status.WARN,
                             "no holdout users: the winner is not re-checked (set holdout > 0)"))
        else:
            i = res.rechecked.index(res.winner)
            q = float(res.recheck_q[i])
            phi = float(res.recheck.phi[i])
            ok = np.isfinite(q) and q <= res.alpha and phi > 0
            out.append(Check(
                "aha_holdout_replication", Status.PASS if ok else Status.WARN,
                f"winner {res.winner.label}: holdout phi {phi:.3f}, q = {q:.3g} "
                + ("(replicates)" if ok else "(does not replicate on users it was not chosen on)"),
                metric=res.winner.label, value=q))
        if res.n_holdout == 0 and res.causal:
            out.append(Check("aha_causal_same_users", Status.WARN,
                             "the causal check runs on the users the condition was chosen on"))
    for c in res.causal:
        out.extend(c.checks)
    out.extend(res.notes)
    if res.experiment is not None:
        out.append(res.experiment[1])
    return [_no_harm(c) for c in out]


def _figures(res: AhaResult, spec: AhaSpec) -> list[Figure]:
    from causalkit.aha.search import best_per_action
    from causalkit.aha.views import funnel, heatmap, precision_recall

    g = res.grid
    phi = np.nan_to_num(g.discovery.phi, nan=-np.inf).reshape(len(g.actions), -1).max(axis=1)
    top_actions = [g.actions[i] for i in np.argsort(-phi, kind="stable")]
    figs = [heatmap(g, a) for a in top_actions[: spec.heatmaps]]
    highlight = [k.action for k in best_per_action(g, res.alpha, 6)] or top_actions[:6]
    figs.append(precision_recall(g, res.accepted, highlight=highlight))
    figs.append(funnel(g, res.funnel))
    return figs


def build_report(res: AhaResult, spec: AhaSpec, *, spec_sha256: str | None = None,
                 fingerprint: str | None = None) -> Report:
    """The :class:`~causalkit.report.Report` of an :class:`~causalkit.aha.analysis.AhaResult`.

    Example:
        >>> build_report.__name__  # see causalkit.aha.analysis.analyze
        'build_report'
    """
    estimates: list[Estimate] = []
    for c in res.causal:
        estimates.extend(c.estimates)
    if res.experiment is not None:
        estimates.insert(0, res.experiment[0])
    tables = [_conditions_table(res, spec.report_rows), _funnel_table(res), _recheck_table(res),
              _combination_table(res), _users_table(res)]
    if res.causal:
        tables.append(_causal_table(res))
    main = next((c for c in res.causal if c.key == res.winner), None)
    extra: dict[str, Scalar] = {
        "winner": res.winner.label if res.winner else None,
        "headline": headline(res),
        "causal_verdict": main.verdict.value if main is not None else None,
        "causal_robust_k": _k(main.robust_k) if main is not None else None,
        "causal_benchmark": main.benchmark if main is not None else None,
        "conditions": int(np.prod(res.grid.shape)),
        "accepted": int(res.accepted.sum()),
        "actions": len(res.grid.actions),
        "eligible_users": res.summary.eligible_users,
        "excluded_users": res.summary.excluded_users,
        "holdout_users": res.n_holdout,
        "fdr": spec.fdr.value,
        "p_value": "two-sided Fisher exact",
    }
    return Report(
        experiment=Experiment(name=spec.name, kind="aha", spec_sha256=spec_sha256,
                              data_fingerprint=fingerprint, hypothesis=spec.hypothesis),
        estimates=tuple(estimates), checks=tuple(_checks(res)),
        meta=Meta(seed=res.seed, alpha=res.alpha, extra=extra), tables=tuple(tables),
        figures=tuple(_figures(res, spec)), findings=findings(res),
    )
