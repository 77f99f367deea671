"""The Aha analysis: search the grid, pick and re-check the winner, run the causal check.

:func:`discover` does the work on two sources and returns an :class:`AhaResult`;
:func:`analyze` is what ``causalkit run`` calls for a ``kind: aha`` spec.

Example:
    >>> from causalkit.simulate.event_log import simulate_event_log
    >>> from causalkit.data import Source
    >>> from causalkit.spec.aha import AhaSpec
    >>> sim = simulate_event_log(seed=2, n_users=4_000)
    >>> spec = AhaSpec(name="demo", kind="aha",
    ...                windows=[3, 7], thresholds=[1, 3], actions={"exclude": ["app_open"]},
    ...                check={"enabled": False})
    >>> res = discover(spec, Source.from_frame(sim.tables["events"]),
    ...                Source.from_frame(sim.tables["users"]))
    >>> res.winner.label
    'add_friend >= 3 in 7d'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from causalkit.aha.causal import (
    CausalResult,
    causal_frame,
    check_condition,
    default_graph,
    experiment_evidence,
)
from causalkit.aha.combine import Combinations, combine, holdout_family, tables
from causalkit.aha.grid import ConditionGrid
from causalkit.aha.inputs import (
    Columns,
    InputSummary,
    action_frequencies,
    plan_scan,
    select_actions,
    target_users,
)
from causalkit.aha.metrics import ConditionMetrics, condition_metrics, pareto_front
from causalkit.aha.scan import UserFacts
from causalkit.aha.search import (
    Key,
    best_per_action,
    condition_indicators,
    index_of,
    ranked,
    run_grid,
    survivors,
)
from causalkit.errors import SpecError
from causalkit.report.model import Check, Estimate
from causalkit.spec.common import Role
from causalkit.spec.limits import grid_size_problem

if TYPE_CHECKING:
    import pandas as pd

    from causalkit.data import Source
    from causalkit.registry import RunContext
    from causalkit.report.model import Report
    from causalkit.spec.aha import AhaSpec
    from causalkit.spec.loader import LoadedSpec


@dataclass(frozen=True)
class AhaResult:
    """Everything the search found (the report is built from it).

    ``accepted`` marks grid conditions that survive the FDR correction with
    phi > 0; ``winner`` is the accepted condition with the highest phi;
    ``rechecked`` are the conditions re-tested on holdout users (``recheck``
    their holdout metrics, ``recheck_q`` their q-values within the re-checked
    family, which also holds the combinations). ``population`` is the users table
    the spec's ``targeting`` rule selected (``None`` without a rule), and ``notes``
    then start with the ``targeting`` check.
    """

    spec_name: str
    summary: InputSummary
    grid: ConditionGrid
    accepted: NDArray[np.bool_]
    winner: Key | None
    funnel: tuple[Key, ...]
    rechecked: tuple[Key, ...]
    recheck: ConditionMetrics
    recheck_q: NDArray[np.float64]
    combinations: Combinations
    combination_q: NDArray[np.float64]
    causal: tuple[CausalResult, ...]
    experiment: tuple[Estimate, Check] | None
    users: UserFacts
    alpha: float
    seed: int
    n_discovery: int
    n_holdout: int
    outcome: str
    notes: tuple[Check, ...] = ()
    population: Source | None = None

    def to_frame(self) -> pd.DataFrame:
        """Every condition of the grid with its discovery and holdout metrics.

        ``p_value`` is never 0 (at least the smallest positive double);
        ``log10_p_value`` keeps its exact size below that.

        Example:
            >>> # see the module example; one row per (action, window, threshold)
            >>> True
            True
        """
        import pandas as pd

        g = self.grid
        a, w, z = np.meshgrid(np.arange(len(g.actions)), g.windows, g.thresholds,
                              indexing="ij")
        d, h = g.discovery, g.holdout
        data = {
            "action": np.asarray(g.actions, dtype=object)[a.ravel()],
            "window_days": w.ravel(), "threshold": z.ravel(),
            "tp": d.tp.ravel(), "fp": d.fp.ravel(), "fn": d.fn.ravel(), "tn": d.tn.ravel(),
            "precision": d.precision.ravel(), "recall": d.recall.ravel(),
            "specificity": d.specificity.ravel(), "npv": d.npv.ravel(),
            "coverage": d.coverage.ravel(), "lift": d.lift.ravel(), "phi": d.phi.ravel(),
            "p_value": d.p_value.ravel(), "log10_p_value": _log10(d), "q_value": g.q_value.ravel(),
            "accepted": self.accepted.ravel(),
            "holdout_precision": h.precision.ravel(), "holdout_recall": h.recall.ravel(),
            "holdout_lift": h.lift.ravel(), "holdout_phi": h.phi.ravel(),
            "holdout_p_value": h.p_value.ravel(), "holdout_log10_p_value": _log10(h),
        }
        frame = pd.DataFrame(data)
        return frame.sort_values("phi", ascending=False, na_position="last",
                                 kind="stable").reset_index(drop=True)


def _log10(m: ConditionMetrics) -> NDArray[np.float64]:
    """log10 p of every condition (exact also below the smallest double)."""
    if m.log10_p_value is None:
        return np.log10(m.p_value.ravel())
    return m.log10_p_value.ravel()


def _funnel(grid: ConditionGrid, accepted: NDArray[np.bool_]) -> tuple[Key, ...]:
    d = grid.discovery
    prec = np.where(accepted, d.precision, np.nan)
    rec = np.where(accepted, d.recall, np.nan)
    front = pareto_front(prec, rec)
    idx = np.argwhere(front)
    keys = [Key(grid.actions[i], int(grid.windows[j]), int(grid.thresholds[k]))
            for i, j, k in idx]
    return tuple(sorted(keys, key=lambda k: -float(d.recall[index_of(grid, k)])))


def discover(spec: AhaSpec, events: Source, users: Source, *, seed: int | None = None,
             progress: Callable[[int, int], None] | None = None,
             experiment_base: Path | None = None) -> AhaResult:
    """Run the search, the holdout re-check and the causal check of a spec on two sources.

    Args:
        spec: the ``kind: aha`` spec.
        events: the event log.
        users: the users table.
        seed: the holdout salt and the causal check's seed (default: the spec's
            ``analysis.seed``, else 0).
        progress: called after each bucket of users with (done, total).
        experiment_base: folder that a relative ``experiment:`` path is relative to.

    Example:
        >>> discover.__name__  # see the module example for a full run
        'discover'
    """
    seed = seed if seed is not None else (spec.analysis.seed or 0)
    alpha = spec.analysis.alpha
    c = spec.columns
    cols = Columns(c.user, c.event, c.timestamp, c.signup)
    notes: list[Check] = []
    log_end, population = None, None
    rule = spec.targeting.tree if spec.targeting is not None else None
    if rule is not None:
        assert spec.targeting is not None
        assert spec.targeting.rule is not None
        targeted = target_users(events, users, rule, columns=cols)
        events, users, log_end = targeted.events, targeted.users, targeted.log_end
        population = users
        notes.append(targeted.check(spec.targeting.rule))
    plan = plan_scan(
        events, users, columns=cols, log_end=log_end,
        covariates=spec.covariates,
        retention=(spec.retention.start_day, spec.retention.end_day),
        retention_event=spec.retention.event, max_window=max(spec.windows),
        observed_until=spec.observed_until, holdout=spec.holdout, salt=str(seed),
        chunk_users=spec.chunk_users,
    )
    actions = select_actions(action_frequencies(plan), include=spec.actions.include,
                             top=spec.actions.top, exclude=spec.actions.exclude,
                             source=events.describe())
    problem = grid_size_problem(len(actions), len(spec.windows), len(spec.thresholds))
    if problem:  # the spec alone could not bound it: the actions came from the data
        raise SpecError(problem + "; search fewer actions (actions.include, actions.top, "
                        "actions.exclude), windows or thresholds", field="actions")
    grid, facts = run_grid(plan, actions, spec.windows, spec.thresholds,
                           proxy_days=spec.check.proxy_days, fdr=spec.fdr.value,
                           progress=progress)
    accepted = survivors(grid, alpha)
    order = ranked(grid, only=accepted)
    winner = order[0] if order else None

    combo_keys = best_per_action(grid, alpha, spec.combine_top)
    check_keys: list[Key] = []
    if spec.check.enabled and spec.experiment is None:
        check_keys = best_per_action(grid, alpha, spec.check.top)
        for cond in spec.check.conditions:
            k = Key(cond.action, cond.window, cond.threshold)
            if k not in check_keys:
                check_keys.append(k)
    rechecked = list(dict.fromkeys([*([winner] if winner else []), *combo_keys, *check_keys]))
    ind, early = condition_indicators(plan, rechecked, proxy_days=spec.check.proxy_days)
    col = {k: i for i, k in enumerate(rechecked)}
    hold = facts.holdout
    recheck = condition_metrics(*tables(ind[hold], facts.retained[hold])) if rechecked \
        else condition_metrics([], [], [], [])
    combos = combine(combo_keys, ind[:, [col[k] for k in combo_keys]], facts.retained, hold)
    recheck_q, combination_q = holdout_family(recheck, combos, method=spec.fdr.value)

    outcome = f"retained_d{spec.retention.start_day}_{spec.retention.end_day}"
    causal: list[CausalResult] = []
    experiment = None
    if spec.experiment is not None:
        path = Path(spec.experiment)
        if not path.is_absolute() and experiment_base is not None:
            path = experiment_base / path
        experiment = experiment_evidence(path, spec.experiment_metric)
    elif check_keys:
        rows = hold if hold.any() else np.ones_like(hold)
        graph = spec.graph or default_graph(spec.covariates)
        for i, k in enumerate(check_keys):
            frame = causal_frame(ind[rows, col[k]], facts.retained[rows],
                                 facts.early[rows] - early[k.action][rows],
                                 facts.covariates[rows], spec.covariates)
            try:
                causal.append(check_condition(
                    k, frame, graph=graph, check=spec.check, alpha=alpha, seed=seed,
                    role=Role.PRIMARY if i == 0 else Role.SECONDARY, outcome_label=outcome))
            except Exception as exc:  # a failed check is reported, never a silent number
                from causalkit.errors import CausalkitError
                from causalkit.report.model import Status

                if not isinstance(exc, CausalkitError):
                    raise
                notes.append(Check("causal_check_failed", Status.FAIL, str(exc), metric=k.label))
    return AhaResult(
        spec_name=spec.name, summary=plan.summary, grid=grid, accepted=accepted, winner=winner,
        funnel=_funnel(grid, accepted), rechecked=tuple(rechecked), recheck=recheck,
        recheck_q=recheck_q, combinations=combos, combination_q=combination_q,
        causal=tuple(causal), experiment=experiment, users=facts, alpha=alpha, seed=seed,
        n_discovery=int((~hold).sum()), n_holdout=int(hold.sum()), outcome=outcome,
        notes=tuple(notes), population=population,
    )


def _sources(spec: AhaSpec, ctx: RunContext) -> tuple[Source, Source]:
    """The event log and the users table of a run.

    In order: the tables the entry put under ``data`` (a frame pair or a single
    event log passed as data, ``--data``, or the tables of ``data: {simulate:
    event_log}``), then the spec's ``events:`` and ``users:``, then its ``data:``
    (a file there is the event log). The users table never comes from a single
    event log.

    Raises:
        DataError: when no event log or no users table is given.

    Example:
        >>> import pandas as pd
        >>> from causalkit.data import Source
        >>> from causalkit.registry import RunContext
        >>> from causalkit.spec.aha import AhaSpec
        >>> spec = AhaSpec(name="x", kind="aha", data={"simulate": "event_log"})
        >>> ev = Source.from_frame(pd.DataFrame({"user_id": [1]}), name="<events>")
        >>> _sources(spec, RunContext(sources={"data": {"events": ev}}))
        Traceback (most recent call last):
        ...
        causalkit.errors.DataError: <events>: no users table (...) came with this event log (...)
    """
    from causalkit.data import pick_source
    from causalkit.errors import DataError

    events = ctx.source("data", "events")
    if events is None:
        field = "events" if spec.events is not None else "data"
        events = pick_source(ctx.sources, spec.events or spec.data, field, "events")
    users = ctx.source("data", "users") or ctx.source("users", "users")
    if users is None and spec.users is not None:
        users = pick_source(ctx.sources, spec.users, "users", "users")
    if users is None:
        raise DataError(
            "no users table (user id, signup time, covariates) came with this event log",
            source=events.describe(),
            hint="pass data=(events, users) to causalkit.analyze, or add users: to the spec")
    return events, users


def analyze(loaded: LoadedSpec, ctx: RunContext) -> Report:
    """The registered analysis of ``kind: aha`` (what ``causalkit.analyze`` and ``run`` call).

    Reads the tables the entry resolved (see :func:`_sources`): a pair
    ``(events, users)`` passed as data, a single event log passed as data (``--data``;
    the users table stays the spec's), or the spec's own sources.

    Example:
        >>> import causalkit
        >>> rep = causalkit.analyze(
        ...     "name: x\\nkind: aha\\ndata: {simulate: event_log, params: {n_users: 2000}}\\n"
        ...     "windows: [7]\\nthresholds: [3]\\nactions: {include: [add_friend]}\\n"
        ...     "check: {enabled: false}\\nheatmaps: 0\\n")
        >>> rep.meta.extra["winner"]
        'add_friend >= 3 in 7d'
    """
    from causalkit.aha.report import build_report
    from causalkit.progress import track

    spec: AhaSpec = loaded.spec
    events, users = _sources(spec, ctx)
    base = loaded.path.resolve().parent if loaded.path is not None else None
    with track("Aha grid, then the causal check", unit="user buckets") as step:
        result = discover(spec, events, users, seed=ctx.seed, progress=step.callback,
                          experiment_base=base)
    report = build_report(result, spec, spec_sha256=loaded.sha256,
                          fingerprint=f"{events.fingerprint()}+{users.fingerprint()}")
    from causalkit.aha.propose import add_proposal

    # the encouragement experiment that would settle the winner (a report section; the
    # spec's YAML in meta.extra, written by `causalkit run --propose-experiment OUT.yaml`)
    return add_proposal(report, result, spec, users=result.population or users)
