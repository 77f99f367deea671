"""Testable implications: the conditional independences the graph implies, tested on the data.

For every pair of non-adjacent observed nodes the graph (latent nodes included)
is searched for a minimal d-separating set of observed nodes
(``networkx.find_minimal_d_separator``); each such ``a ⊥ b | S`` is an implied
independence. Continuous ones are tested by partial correlation (Fisher's z),
computed from one scan of sufficient statistics (the covariance matrix); ones
among discrete columns (at most 10 levels each) by the likelihood-ratio G-test
over the strata of ``S``, from one grouped count query. p-values are Holm
corrected across the implications, so a correct graph is flagged with
probability at most α however many implications it has (the family-wise rate;
``tests/observational/test_findings.py`` measures it). A rejection whose effect
(partial correlation or Cramér's V) is at least :data:`NEGLIGIBLE` in size warns
(the data contradict the graph); one above :data:`MATERIAL` fails. A rejection
smaller than :data:`NEGLIGIBLE` is named in the check's detail but does not
warn: on large data the tests detect dependences far too small to change an
adjustment (|r| < 0.05 shares less than 0.25% of the variance).

Example:
    >>> from causalkit.observational.graph import build_graph
    >>> [str(i) for i in implied_independences(build_graph("digraph { a -> b -> c; a -> d }"))]
    ['a ⊥ c | b', 'b ⊥ d | a', 'c ⊥ d | b']
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from causalkit.data.engine import quote_ident
from causalkit.observational.graph import CausalGraph
from causalkit.report.model import Check, Status, Table

if TYPE_CHECKING:
    from causalkit.data import Source
    from causalkit.spec.observational import ObservationalSpec


@dataclass(frozen=True)
class Independence:
    """``a ⊥ b | given`` implied by the graph.

    Example:
        >>> from causalkit.observational.graph import build_graph
        >>> ind = implied_independences(build_graph("digraph { a -> b -> c }"))[0]
        >>> ind.a, ind.b, ind.given, str(ind)
        ('a', 'c', ('b',), 'a ⊥ c | b')
    """

    a: str
    b: str
    given: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.a} ⊥ {self.b}" + (f" | {', '.join(self.given)}" if self.given else "")


def implied_independences(graph: CausalGraph, *, limit: int | None = None) -> list[Independence]:
    """Pairwise implied independences with minimal observed separating sets.

    Sorted by the size of the conditioning set (small sets first: they test with
    the most power), then by the order of the nodes.

    Example:
        >>> from causalkit.observational.graph import build_graph
        >>> implied_independences(build_graph("digraph { a -> b <- c }"))
        [Independence(a='a', b='c', given=())]
    """
    import networkx as nx

    dag = graph.dag
    observed = graph.observed
    adjacent = set()
    directed, bidirected = graph.projection()
    for a, b in directed:
        adjacent.add(frozenset((a, b)))
    adjacent |= bidirected
    out: list[Independence] = []
    allowed = set(observed)
    for a, b in itertools.combinations(observed, 2):
        if frozenset((a, b)) in adjacent:
            continue
        sep = nx.find_minimal_d_separator(dag, {a}, {b}, restricted=allowed - {a, b})
        if sep is None:
            continue
        out.append(Independence(a, b, tuple(n for n in observed if n in sep)))
    out.sort(key=lambda i: len(i.given))
    return out[:limit] if limit is not None else out


@dataclass(frozen=True)
class TestResult:
    """One tested independence.

    Example:
        >>> cells = [(0, 0, (), 40), (0, 1, (), 10), (1, 0, (), 10), (1, 1, (), 40)]
        >>> r = g_test(cells, Independence("a", "b", ()))
        >>> r.test, r.df, round(r.statistic, 1), r.p_value < 1e-6, round(r.effect, 2)
        ('G-test (likelihood ratio)', 1.0, 38.5, True, 0.62)
    """

    independence: Independence
    test: str
    statistic: float
    df: float
    p_value: float
    effect: float


def partial_correlation_test(cov: np.ndarray, index: dict[str, int], n: int,
                             ind: Independence) -> TestResult:
    """Fisher-z test of a partial correlation from a covariance matrix.

    Example:
        >>> cov = np.array([[1.0, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 1.0]])
        >>> r = partial_correlation_test(cov, {"a": 0, "b": 1, "c": 2}, 1000,
        ...                              Independence("a", "c", ("b",)))
        >>> round(r.effect, 6), r.p_value > 0.5
        (0.0, True)
    """
    idx = [index[ind.a], index[ind.b], *(index[g] for g in ind.given)]
    sub = cov[np.ix_(idx, idx)]
    prec = np.linalg.pinv(sub)
    denom = np.sqrt(prec[0, 0] * prec[1, 1])
    r = float(-prec[0, 1] / denom) if denom > 0 else 0.0
    r = float(np.clip(r, -0.999999999, 0.999999999))
    dof = n - len(ind.given) - 3
    z = float(np.arctanh(r) * np.sqrt(max(dof, 1)))
    p = float(2 * stats.norm.sf(abs(z)))
    return TestResult(ind, "partial correlation (Fisher z)", z, float(dof), p, r)


def g_test(counts: Sequence[tuple[object, object, tuple[object, ...], int]],
           ind: Independence) -> TestResult:
    """Likelihood-ratio G-test of ``a ⊥ b | S`` from cell counts ``(a, b, s, count)``.

    Degrees of freedom add ``(levels_a − 1)(levels_b − 1)`` over the strata, with
    levels counted within each stratum. The effect size is Cramér's V pooled
    over strata, ``sqrt(G / (n (k − 1)))``.

    Example:
        >>> cells = [(0, 0, (), 25), (0, 1, (), 25), (1, 0, (), 25), (1, 1, (), 25)]
        >>> r = g_test(cells, Independence("a", "b", ()))
        >>> r.statistic, r.df, r.p_value
        (0.0, 1.0, 1.0)
    """
    strata: dict[tuple[object, ...], dict[tuple[object, object], int]] = {}
    for a, b, s, c in counts:
        strata.setdefault(s, {})[(a, b)] = strata.get(s, {}).get((a, b), 0) + int(c)
    g_stat, df, n_total, kmin = 0.0, 0.0, 0, 2
    for cells in strata.values():
        a_levels = sorted({k[0] for k in cells}, key=str)
        b_levels = sorted({k[1] for k in cells}, key=str)
        if len(a_levels) < 2 or len(b_levels) < 2:
            continue
        table = np.array([[cells.get((a, b), 0) for b in b_levels] for a in a_levels],
                         dtype=np.float64)
        n = table.sum()
        expected = table.sum(axis=1, keepdims=True) @ table.sum(axis=0, keepdims=True) / n
        mask = table > 0
        g_stat += float(2 * np.sum(table[mask] * np.log(table[mask] / expected[mask])))
        df += (len(a_levels) - 1) * (len(b_levels) - 1)
        n_total += int(n)
        kmin = max(kmin, min(len(a_levels), len(b_levels)))
    p = float(stats.chi2.sf(g_stat, df)) if df > 0 else 1.0
    v = float(np.sqrt(g_stat / (n_total * (kmin - 1)))) if n_total else 0.0
    return TestResult(ind, "G-test (likelihood ratio)", g_stat, df, p, v)


NEGLIGIBLE = 0.05
"""A rejected implication whose effect size (|partial correlation| or Cramér's V) is below
this is reported but does not warn."""
MATERIAL = 0.1
"""A rejected implication whose effect size is above this fails."""


def grade_rejections(results: Sequence[TestResult], p_holm: Sequence[float], alpha: float
                     ) -> tuple[Status, list[tuple[TestResult, float]],
                                list[tuple[TestResult, float]]]:
    """The status of the implications check, the rejections that count and the negligible ones.

    A rejection (Holm p < ``alpha``) counts when its effect size is at least
    :data:`NEGLIGIBLE`: it warns, or fails above :data:`MATERIAL`.

    Example:
        >>> ind = Independence("a", "b", ())
        >>> tiny = TestResult(ind, "partial correlation (Fisher z)", 3.1, 19997.0, 0.002, -0.022)
        >>> big = TestResult(ind, "partial correlation (Fisher z)", 9.0, 997.0, 1e-9, 0.28)
        >>> grade_rejections([tiny], [0.04], 0.05)[0].value
        'pass'
        >>> grade_rejections([tiny, big], [0.04, 1e-8], 0.05)[0].value
        'fail'
    """
    rejected = [(r, float(p)) for r, p in zip(results, p_holm) if p < alpha]
    counted = [(r, p) for r, p in rejected if abs(r.effect) >= NEGLIGIBLE]
    negligible = [(r, p) for r, p in rejected if abs(r.effect) < NEGLIGIBLE]
    if any(abs(r.effect) > MATERIAL for r, _ in counted):
        return Status.FAIL, counted, negligible
    return (Status.WARN if counted else Status.PASS), counted, negligible


def _listed(items: list[tuple[TestResult, float]]) -> str:
    return ", ".join(f"{r.independence} (Holm p = {p:.2g}, effect {r.effect:.2g})"
                     for r, p in sorted(items, key=lambda rp: rp[1])[:3])


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm-adjusted p-values.

    Example:
        >>> holm([0.01, 0.04, 0.03]).tolist()
        [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=np.float64)
    m = len(p)
    order = np.argsort(p)
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adj[i] = running
    return adj


def implication_checks(graph: CausalGraph, source: Source, spec: ObservationalSpec,
                       checks: list[Check], tables: list[Table]) -> list[TestResult]:
    """Test the graph's implied independences on ``source``; add a check and a table.

    Example:
        >>> import pandas as pd
        >>> from causalkit.data import Source
        >>> from causalkit.observational.graph import build_graph
        >>> from causalkit.spec.observational import ObservationalSpec
        >>> rng = np.random.default_rng(0); a = rng.normal(size=500); b = a + rng.normal(size=500)
        >>> df = pd.DataFrame({"a": a, "b": b, "c": b + rng.normal(size=500)})
        >>> spec = ObservationalSpec(name="x", kind="observational", graph="digraph{a->b->c}",
        ...                          treatment="b", outcome="c")
        >>> checks, tables = [], []
        >>> [str(r.independence) for r in implication_checks(build_graph(spec.graph),
        ...     Source.from_frame(df), spec, checks, tables)], checks[0].status.value
        (['a ⊥ c | b'], 'pass')
    """
    from causalkit.data import get_engine
    from causalkit.data.engine import ColumnKind

    found = implied_independences(graph, limit=spec.max_implications)
    if not found:
        checks.append(Check("testable_implications", Status.PASS,
                            "the graph implies no conditional independence among observed "
                            "variables (nothing to test)"))
        return []
    engine = get_engine(source)
    schema = engine.schema(source)
    involved = sorted({v for i in found for v in (i.a, i.b, *i.given)}, key=graph.nodes.index)
    distinct_sql = ", ".join(f"COUNT(DISTINCT {quote_ident(c)}) AS {quote_ident(c)}"
                             for c in involved)
    levels = engine.query(source, f"SELECT {distinct_sql} FROM src").to_pylist()[0]
    discrete = {c for c in involved if levels[c] <= 10}
    numeric = [c for c in involved if schema[c] in (ColumnKind.NUMERIC, ColumnKind.BOOLEAN)]
    cov: np.ndarray | None = None
    n = 0
    index = {c: i for i, c in enumerate(numeric)}
    unusable: list[str] = []
    results: list[TestResult] = []
    for ind in found:
        cols = (ind.a, ind.b, *ind.given)
        if all(c in discrete for c in cols):
            group = ", ".join(quote_ident(c) for c in cols)
            rows = engine.query(source, f"SELECT {group}, COUNT(*) AS n FROM src "
                                        f"GROUP BY {group}").to_pylist()
            cells = [(r[ind.a], r[ind.b], tuple(r[g] for g in ind.given), r["n"]) for r in rows]
            results.append(g_test(cells, ind))
        elif all(c in index for c in cols):
            if cov is None:
                mom = engine.grouped_moments(source, by=[], columns=numeric)[()]
                cov, n = mom.cov(), mom.n
                # infinite values, or squares beyond float64, leave no covariance to test with
                unusable = [c for c in numeric if not np.all(np.isfinite(cov[index[c]]))]
            if any(c in unusable for c in cols):
                continue
            results.append(partial_correlation_test(cov, index, n, ind))
    skipped = (f"; not tested: independences involving {', '.join(unusable)} (infinite values "
               f"or values too large for float64 sums of squares)") if unusable else ""
    if not results:
        if unusable:
            checks.append(Check("testable_implications", Status.WARN,
                                "no implied independence could be tested" + skipped))
        return []
    adj = holm([r.p_value for r in results])
    alpha = spec.analysis.alpha
    status, rejected, negligible = grade_rejections(results, adj.tolist(), alpha)
    if rejected:
        detail = (f"{len(rejected)} of {len(results)} implied independences are rejected at "
                  f"α = {alpha} after Holm correction: {_listed(rejected)}; the data contradict "
                  f"the graph there — revisit those edges")
    elif negligible:
        detail = (f"no implied independence is contradicted by more than a negligible "
                  f"dependence: {len(negligible)} of {len(results)} "
                  f"{'is' if len(negligible) == 1 else 'are'} rejected at α = {alpha} "
                  f"after Holm correction, each with |effect| below {NEGLIGIBLE} "
                  f"({_listed(negligible)}), too small to change the adjustment")
    else:
        detail = (f"all {len(results)} implied conditional independences tested are consistent "
                  f"with the data (Holm-corrected at α = {alpha})")
    detail += skipped
    if unusable and status is Status.PASS:
        status = Status.WARN
    checks.append(Check("testable_implications", status, detail, value=float(min(adj))))
    tables.append(Table(
        "implications", f"Testable implications of the graph (Holm-corrected across all "
                        f"{len(results)}; |effect| below {NEGLIGIBLE} is negligible)",
        ("independence", "test", "statistic", "df", "effect", "p_value", "p_holm", "result"),
        tuple((str(r.independence), r.test, r.statistic, r.df, r.effect, r.p_value, float(p),
               _result(r, float(p), alpha)) for r, p in zip(results, adj)),
        priority=(0, 3, 2, 3, 0, 2, 1, 0)))
    return results


def _result(r: TestResult, p_holm: float, alpha: float) -> str:
    """One implication's outcome in words (the ``result`` column)."""
    if not p_holm < alpha:
        return "consistent"
    if abs(r.effect) < NEGLIGIBLE:
        return "rejected, negligible"
    return "rejected, material" if abs(r.effect) > MATERIAL else "rejected"
