"""The ID algorithm (Shpitser & Pearl 2006; Tian & Pearl 2002) on the latent projection.

It decides whether ``P(y | do(x))`` is a function of the observed distribution
and, if it is, returns the formula; if not, the *hedge* that proves it is not
(two nested C-forests: sets joined by latent confounding through which the
treatment's effect cannot be separated from confounding).

The graph is the acyclic directed mixed graph (ADMG) over the observed nodes:
directed edges plus bidirected edges for latent confounding (see
:meth:`causalkit.observational.graph.CausalGraph.projection`).

Example:
    >>> from causalkit.observational.graph import build_graph
    >>> g = build_graph("digraph { x -> m -> y; x <-> y }")
    >>> r = identify_id(g, {"x"}, {"y"})
    >>> r.identifiable
    True
    >>> r.formula
    'Σ_{m} P(m | x) Σ_{x′} P(x′) P(y | x′, m)'
    >>> identify_id(build_graph("digraph { x -> y; x <-> y }"), {"x"}, {"y"}).identifiable
    False
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from causalkit.observational.graph import CausalGraph


@dataclass(frozen=True)
class IdResult:
    """Whether ``P(y | do(x))`` is identifiable, its formula, or the hedge that blocks it.

    Example:
        >>> from causalkit.observational.graph import build_graph
        >>> ok = identify_id(build_graph("digraph { z -> x -> y; z -> y }"), {"x"}, {"y"})
        >>> ok.identifiable, ok.formula, ok.hedge
        (True, 'Σ_{z} P(z) P(y | z, x)', None)
        >>> bad = identify_id(build_graph("digraph { x -> y; x <-> y }"), {"x"}, {"y"})
        >>> bad.identifiable, bad.formula, [sorted(s) for s in bad.hedge]
        (False, None, [['x', 'y'], ['y']])
    """

    identifiable: bool
    formula: str | None = None
    hedge: tuple[frozenset[str], frozenset[str]] | None = None

    def explain(self) -> str:
        """The result in words.

        Example:
            >>> IdResult(False, hedge=(frozenset({"x", "y"}), frozenset({"y"}))).explain()[:40]
            'not identifiable: {x, y} and {y} form a '
        """
        if self.identifiable:
            return f"identifiable by the ID algorithm: {self.formula}"
        assert self.hedge is not None
        big, small = (", ".join(sorted(s)) for s in self.hedge)
        return (
            f"not identifiable: {{{big}}} and {{{small}}} form a hedge (Shpitser & Pearl 2006): "
            f"both are single districts linked by latent confounding, and the treatment sits in "
            f"the larger one only, so no observed distribution separates its effect from the "
            f"confounding"
        )


class _Hedge(Exception):
    def __init__(self, big: frozenset[str], small: frozenset[str]) -> None:
        super().__init__("hedge")
        self.big = big
        self.small = small


@dataclass(frozen=True)
class _ADMG:
    nodes: frozenset[str]
    parents: dict[str, frozenset[str]]
    siblings: dict[str, frozenset[str]]

    def sub(self, keep: Iterable[str]) -> _ADMG:
        k = frozenset(keep)
        return _ADMG(k, {n: self.parents[n] & k for n in k}, {n: self.siblings[n] & k for n in k})

    def ancestors(self, targets: Iterable[str], *, cut: frozenset[str] = frozenset()) -> set[str]:
        """Ancestors (targets included); edges into ``cut`` are ignored."""
        out = set(targets)
        stack = list(out)
        while stack:
            n = stack.pop()
            if n in cut:
                continue
            for p in self.parents[n]:
                if p not in out:
                    out.add(p)
                    stack.append(p)
        return out

    def districts(self, within: Iterable[str] | None = None) -> list[frozenset[str]]:
        pool = set(self.nodes if within is None else within)
        out: list[frozenset[str]] = []
        while pool:
            start = pool.pop()
            comp, stack = {start}, [start]
            while stack:
                n = stack.pop()
                for s in self.siblings[n]:
                    if s in pool:
                        pool.discard(s)
                        comp.add(s)
                        stack.append(s)
            out.append(frozenset(comp))
        return out


# -- expressions -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Atom:
    nodes: frozenset[str]
    given: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Sum:
    over: frozenset[str]
    body: _Expr


@dataclass(frozen=True)
class _Prod:
    items: tuple[_Expr, ...]


@dataclass(frozen=True)
class _Ratio:
    num: _Expr
    den: _Expr


_Expr = _Atom | _Sum | _Prod | _Ratio


@dataclass(frozen=True)
class _Dist:
    """A distribution over ``scope``: the observed one (``expr`` is None) or an expression."""

    scope: frozenset[str]
    expr: _Expr | None = None

    def as_expr(self) -> _Expr:
        return _Atom(self.scope) if self.expr is None else self.expr


def _marginal(dist: _Dist, keep: frozenset[str]) -> _Dist:
    drop = dist.scope - keep
    if not drop:
        return dist
    if dist.expr is None:
        return _Dist(keep)
    return _Dist(keep, _Sum(drop, dist.expr))


def _conditional(dist: _Dist, node: str, given: frozenset[str]) -> _Expr:
    if dist.expr is None:
        return _Atom(frozenset({node}), given)
    num = _marginal(dist, given | {node}).as_expr()
    return _Ratio(num, _marginal(dist, given).as_expr()) if given else num


def _summed(over: frozenset[str], body: _Expr) -> _Expr:
    return _Sum(over, body) if over else body


class _Printer:
    def __init__(self, order: Sequence[str], primed: frozenset[str]) -> None:
        self.rank = {n: i for i, n in enumerate(order)}
        self.primed = primed

    def names(self, nodes: Iterable[str], bound: frozenset[str]) -> str:
        ranked = sorted(nodes, key=self.rank.__getitem__)
        return ", ".join(f"{n}′" if n in bound else n for n in ranked)

    def render(self, e: _Expr, bound: frozenset[str] = frozenset()) -> str:
        if isinstance(e, _Atom):
            head = self.names(e.nodes, bound)
            return f"P({head} | {self.names(e.given, bound)})" if e.given else f"P({head})"
        if isinstance(e, _Sum):
            inner = bound | (e.over & self.primed)
            return f"Σ_{{{self.names(e.over, inner)}}} {self.render(e.body, inner)}"
        if isinstance(e, _Prod):
            return " ".join(self.render(i, bound) for i in e.items)
        return f"[{self.render(e.num, bound)}] / [{self.render(e.den, bound)}]"


def _identify(y: frozenset[str], x: frozenset[str], dist: _Dist, g: _ADMG,
              order: Sequence[str]) -> _Expr:
    v = g.nodes
    rank = {n: i for i, n in enumerate(order)}
    if not x:  # line 1
        return _marginal(dist, y).as_expr()
    an_y = frozenset(g.ancestors(y))
    if v != an_y:  # line 2
        return _identify(y, x & an_y, _marginal(dist, an_y), g.sub(an_y), order)
    w = (v - x) - g.ancestors(y, cut=x)  # line 3
    if w:
        return _identify(y, x | w, dist, g, order)
    rest = v - x
    comps = sorted(g.districts(rest), key=lambda c: min(rank[n] for n in c))
    if len(comps) > 1:  # line 4
        parts = tuple(_identify(s, v - s, dist, g, order) for s in comps)
        return _summed(rest - y, _Prod(parts))
    s = comps[0]
    whole = g.districts()
    if len(whole) == 1 and whole[0] == v:  # line 5
        raise _Hedge(v, s)
    ranked = [n for n in order if n in v]
    if s in whole:  # line 6
        factors = tuple(_conditional(dist, n, frozenset(ranked[:ranked.index(n)]))
                        for n in ranked if n in s)
        return _summed(s - y, _Prod(factors))
    big = next(c for c in whole if s < c)  # line 7
    factors = tuple(_conditional(dist, n, frozenset(ranked[:ranked.index(n)]))
                    for n in ranked if n in big)
    return _identify(y, x & big, _Dist(big, _Prod(factors)), g.sub(big), order)


def identify_id(graph: CausalGraph, treatment: Iterable[str], outcome: Iterable[str]) -> IdResult:
    """Run the ID algorithm for ``P(outcome | do(treatment))``.

    Example:
        >>> from causalkit.observational.graph import build_graph
        >>> identify_id(build_graph("digraph { z -> x -> y; z -> y }"), {"x"}, {"y"}).formula
        'Σ_{z} P(z) P(y | z, x)'
    """
    import networkx as nx

    directed, bidirected = graph.projection()
    observed = graph.observed
    parents: dict[str, set[str]] = {n: set() for n in observed}
    siblings: dict[str, set[str]] = {n: set() for n in observed}
    for a, b in directed:
        parents[b].add(a)
    for pair in bidirected:
        a, b = tuple(pair)
        siblings[a].add(b)
        siblings[b].add(a)
    g = _ADMG(frozenset(observed), {k: frozenset(v) for k, v in parents.items()},
              {k: frozenset(v) for k, v in siblings.items()})
    dg = nx.DiGraph()
    dg.add_nodes_from(observed)
    dg.add_edges_from(directed)
    order = list(nx.lexicographical_topological_sort(dg, key=lambda n: observed.index(n)))
    x, y = frozenset(treatment), frozenset(outcome)
    try:
        expr = _identify(y, x, _Dist(g.nodes), g, order)
    except _Hedge as h:
        return IdResult(False, hedge=(h.big, h.small))
    return IdResult(True, formula=_Printer(order, primed=x).render(expr))
