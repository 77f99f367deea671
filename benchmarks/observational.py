"""Observational analysis at scale, against DoWhy on the same graphs and data.

1. Identification on random 50- and 200-node DAGs (about three parents per node,
   a few latent nodes): causalkit's ``identify`` (minimal and optimal backdoor
   sets, front-door, IV, ID when needed) against DoWhy's ``identify_effect_auto``
   (backdoor, IV, front-door). DoWhy runs in a child process with a time limit;
   a run that hits it is reported as the limit (a lower bound on DoWhy's time).
2. A million rows simulated from a 20-node DAG (``simulate: scm``): identify, AIPW
   (5-fold cross-fitting, logistic propensity, linear outcome models), placebo
   treatment (100 simulations) and random common cause (100 simulations), against
   DoWhy's same pipeline (``CausalModel`` -> ``identify_effect`` ->
   ``backdoor.econml.dr.LinearDRLearner`` with the same learners and 5 folds ->
   ``placebo_treatment_refuter`` and ``random_common_cause``). DoWhy's refuters refit
   the estimator in every simulation; they run ``PEER_SIMS`` simulations each and
   the time is scaled to 100 (stated in the note). Estimates must agree within
   three standard errors.

Run ``python benchmarks/observational.py`` (1M rows) or ``--quick`` (100k rows).
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "observational"))

from common import Result, best_of, peak_rss_mb

PEER_SIMS = 2
ID_LIMIT = 120.0


def _graph(n: int, seed: int) -> tuple[Any, str, str]:
    from dag_utils import random_dag

    return random_dag(n, min(1.0, 6.0 / n), seed, n_latent=max(1, n // 25))


def _dowhy_identify(graph: Any, t: str, y: str, out: Any) -> None:
    import logging

    logging.disable(logging.WARNING)
    from dowhy.causal_identifier.auto_identifier import EstimandType, identify_effect_auto

    observed = [v for v in graph.nodes if not graph.nodes[v].get("latent")]
    t0 = time.perf_counter()
    res = identify_effect_auto(graph, [t], [y], observed, EstimandType.NONPARAMETRIC_ATE)
    out.put((time.perf_counter() - t0, res.estimands.get("backdoor") is not None))


def _timed_child(target: Any, args: tuple[Any, ...], limit: float) -> tuple[float, Any]:
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    p.start()
    p.join(limit)
    if p.is_alive():
        p.terminate()
        p.join()
        return limit, None
    return q.get() if not q.empty() else (float("nan"), None)


def identification(quick: bool) -> list[Result]:
    """Identification time on 50- and 200-node DAGs, against DoWhy."""
    from causalkit.errors import IdentificationError
    from causalkit.observational.graph import build_graph
    from causalkit.observational.identify import identify, minimal_backdoor_set

    rows = []
    for n in (50, 200):
        g, t, y = _graph(n, seed=n)
        cg = build_graph(g)

        def ours(cg: Any = cg, t: str = t, y: str = y) -> Any:
            try:
                return identify(cg, t, y)
            except IdentificationError:
                return None

        secs, _ = best_of(ours, repeat=3)
        limit = 30.0 if quick else ID_LIMIT
        peer, their_bd = _timed_child(_dowhy_identify, (g, t, y), limit)
        mine_bd = minimal_backdoor_set(cg, t, y) is not None
        capped = peer >= limit
        rows.append(Result(
            "observational", f"identify, {n}-node DAG", secs, "dowhy", peer,
            "< 0.1 s", agree=None if their_bd is None else (their_bd == mine_bd),
            peak_memory_mb=peak_rss_mb(),
            note=("DoWhy stopped at the time limit (a lower bound)" if capped else
                  f"backdoor identifiable: {mine_bd}")))
    return rows


def _simulate(n: int) -> tuple[Any, str, str]:
    from causalkit.simulate.scm import simulate_scm

    graph = ["digraph {"]
    rng = np.random.default_rng(5)
    confounders = [f"c{i}" for i in range(12)]
    for c in confounders:
        graph.append(f"  {c} -> {{treatment outcome}};")
    for i in range(4):
        graph.append(f"  p{i} -> outcome;")
    for i in range(2):
        graph.append(f"  z{i} -> treatment;")
    for a, b in itertools.pairwise(confounders):
        if rng.random() < 0.5:
            graph.append(f"  {a} -> {b};")
    graph.append("  treatment -> outcome; }")
    dot = "\n".join(graph)
    sim = simulate_scm(seed=1, n=n, graph=dot, effect=1.0)
    return sim.tables["main"], dot, "treatment"


def _causalkit_pipeline(df: Any, dot: str) -> tuple[float, float]:
    import causalkit
    from causalkit.spec.observational import ObservationalSpec

    spec = ObservationalSpec(name="bench", kind="observational", graph=dot,
                             treatment="treatment", outcome="outcome", estimators=["aipw"],
                             refuters=["placebo", "random_common_cause"], simulations=100,
                             implications=False)
    rep = causalkit.analyze(spec, data=df, seed=0)
    e = rep.estimates[0]
    return e.estimate, float(e.se or 0.0)


def _dowhy_pipeline(df: Any, dot: str, sims: int) -> tuple[float, float, float, float]:
    import logging

    logging.disable(logging.WARNING)
    import networkx as nx
    from dowhy import CausalModel
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from causalkit.observational.graph import build_graph

    g = build_graph(dot)
    nxg = nx.DiGraph(list(g.edges))
    t0 = time.perf_counter()
    model = CausalModel(data=df, treatment="treatment", outcome="outcome", graph=nxg)
    estimand = model.identify_effect()
    estimate = model.estimate_effect(
        estimand, method_name="backdoor.econml.dr.LinearDRLearner",
        method_params={"init_params": {"model_propensity": LogisticRegression(max_iter=1000),
                                       "model_regression": LinearRegression(), "cv": 5},
                       "fit_params": {}})
    t_est = time.perf_counter() - t0
    t1 = time.perf_counter()
    model.refute_estimate(estimand, estimate, method_name="placebo_treatment_refuter",
                          placebo_type="permute", num_simulations=sims, n_jobs=1)
    t_placebo = time.perf_counter() - t1
    t2 = time.perf_counter()
    model.refute_estimate(estimand, estimate, method_name="random_common_cause",
                          num_simulations=sims, n_jobs=1)
    t_rcc = time.perf_counter() - t2
    return float(estimate.value), t_est, t_placebo, t_rcc


def pipeline(quick: bool) -> list[Result]:
    """A million rows, 20-node DAG: identify + AIPW + 2 x 100 refuter simulations."""
    n = 100_000 if quick else 1_000_000
    df, dot, _ = _simulate(n)
    secs, (est, se) = best_of(lambda: _causalkit_pipeline(df, dot), repeat=1 if not quick else 2)
    mem = peak_rss_mb()
    try:
        value, t_est, t_pl, t_rc = _dowhy_pipeline(df, dot, PEER_SIMS)
    except Exception as exc:  # pragma: no cover - depends on the peer's install
        return [Result("observational", f"pipeline, {n:,} rows, 20 nodes", secs, "dowhy", None,
                       ">= 50x faster", peak_memory_mb=mem, note=f"DoWhy failed: {exc}")]
    scale = 100 / PEER_SIMS
    peer = t_est + scale * (t_pl + t_rc)
    agree = abs(value - est) <= 3 * se
    return [Result(
        "observational", f"identify + AIPW + placebo(100) + random common cause(100), "
        f"{n:,} rows, 20-node DAG", secs, "dowhy", peer, ">= 50x faster", agree=agree,
        peak_memory_mb=mem,
        note=(f"causalkit AIPW {est:.4f} (se {se:.4f}), DoWhy LinearDRLearner {value:.4f}; "
              f"DoWhy: estimate {t_est:.1f} s, placebo {t_pl:.1f} s and random common cause "
              f"{t_rc:.1f} s for {PEER_SIMS} simulations each, scaled to 100"))]


def run(quick: bool = False) -> list[Result]:
    """All observational benchmark rows."""
    return identification(quick) + pipeline(quick)


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        ratio = "" if row.ratio is None else f" ratio {row.ratio:.4f} ({1 / row.ratio:,.0f}x)"
        print(f"{row.case}: causalkit {row.causalkit_seconds:.3f} s, {row.peer} "
              f"{row.peer_seconds if row.peer_seconds is None else round(row.peer_seconds, 2)} s"
              f"{ratio}; agree={row.agree}; {row.note}")
