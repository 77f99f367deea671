"""Identification: which formula turns the causal question into one about observed data.

In order of preference: the **backdoor** adjustment (a minimal set, and the
efficient optimal set ``O(T, Y) = pa(cn(T, Y)) \\ forb(T, Y)`` of Henckel,
Perković & Maathuis 2022), the **front-door** formula, **instrumental
variables**, and for everything else the **ID algorithm**, which says whether
the effect is identifiable at all and why. Every search uses polynomial
d-separation algorithms from networkx (``find_minimal_d_separator``,
``is_d_separator``); nothing enumerates paths except, at most a few, to name
the open backdoor paths in an error.

Example:
    >>> from causalkit.observational.graph import build_graph
    >>> g = build_graph("digraph { a -> t; a -> z; z -> y; t -> y; b -> y }")
    >>> ident = identify(g, "t", "y")
    >>> ident.strategy.value, ident.minimal_set, ident.optimal_set
    ('backdoor', ('a',), ('z', 'b'))
    >>> print(ident.formula)
    E[y | do(t=1)] − E[y | do(t=0)] = Σ_{z, b} (E[y | t=1, z, b] − E[y | t=0, z, b]) P(z, b)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from causalkit.errors import IdentificationError
from causalkit.observational.graph import CausalGraph
from causalkit.observational.id_algorithm import IdResult, identify_id

if TYPE_CHECKING:
    import networkx as nx


class Strategy(StrEnum):
    """How the effect is identified."""

    BACKDOOR = "backdoor"
    FRONTDOOR = "frontdoor"
    IV = "iv"
    ID = "id"


@dataclass(frozen=True)
class Identification:
    """The identified estimand: strategy, the sets involved, a formula and words.

    ``adjustment_set`` is the set the estimators use (the optimal set when it is
    observable, else the minimal one, unless the user chose a set).
    """

    treatment: str
    outcome: str
    strategy: Strategy
    formula: str
    explanation: str
    adjustment_set: tuple[str, ...] | None = None
    minimal_set: tuple[str, ...] | None = None
    optimal_set: tuple[str, ...] | None = None
    frontdoor_set: tuple[str, ...] | None = None
    instruments: tuple[str, ...] = ()
    instrument_covariates: tuple[str, ...] = ()
    id_result: IdResult | None = None
    causal_path_exists: bool = True

    def describe(self) -> str:
        """Formula and explanation on separate lines.

        Example:
            >>> from causalkit.observational.graph import build_graph
            >>> print(identify(build_graph("digraph { t -> y }"), "t", "y").describe())
            E[y | do(t=1)] − E[y | do(t=0)] = E[y | t=1] − E[y | t=0]
            no backdoor path joins t and y: ...
        """
        return f"{self.formula}\n{self.explanation}"


def _fmt(nodes: Iterable[str]) -> str:
    return "{" + ", ".join(nodes) + "}"


def backdoor_graph(graph: CausalGraph, treatment: str) -> nx.DiGraph:
    """The graph with the treatment's outgoing edges removed (backdoor paths only).

    Example:
        >>> from causalkit.observational.graph import build_graph
        >>> sorted(backdoor_graph(build_graph("digraph { z -> t -> y; z -> y }"), "t").edges)
        [('z', 't'), ('z', 'y')]
    """
    g = graph.dag.copy()
    g.remove_edges_from([(treatment, c) for c in graph.children(treatment)])
    return g


def is_backdoor_set(graph: CausalGraph, treatment: str, outcome: str,
                    adjustment: Iterable[str]) -> bool:
    """Whether a set satisfies Pearl's backdoor criterion (checked by d-separation).

    It must hold no descendant of the treatment and d-separate treatment and
    outcome once the treatment's outgoing edges are removed.

    Example:
        >>> from causalkit.observational.graph import build_graph
        >>> g = build_graph("digraph { z -> t -> m -> y; z -> y }")
        >>> is_backdoor_set(g, "t", "y", ["z"]), is_backdoor_set(g, "t", "y", ["z", "m"])
        (True, False)
    """
    import networkx as nx

    z = set(adjustment)
    if z & (graph.descendants(treatment) | {treatment, outcome}):
        return False
    return bool(nx.is_d_separator(backdoor_graph(graph, treatment), {treatment}, {outcome}, z))


def _allowed(graph: CausalGraph, treatment: str, outcome: str) -> set[str]:
    forbidden = graph.descendants(treatment) | {treatment, outcome}
    return {n for n in graph.observed if n not in forbidden}


def minimal_backdoor_set(graph: CausalGraph, treatment: str,
                         outcome: str) -> tuple[str, ...] | None:
    """A minimal observed backdoor set (no proper subset works), or None if none exists.

    Example:
        >>> from causalkit.observational.graph import build_graph
        >>> minimal_backdoor_set(build_graph("digraph { a -> b -> t; b -> y; t -> y }"), "t", "y")
        ('b',)
    """
    import networkx as nx

    g = backdoor_graph(graph, treatment)
    found = nx.find_minimal_d_separator(g, {treatment}, {outcome},
                                        restricted=_allowed(graph, treatment, outcome))
    if found is None:
        return None
    return tuple(n for n in graph.nodes if n in found)


def causal_nodes(graph: CausalGraph, treatment: str, outcome: str) -> set[str]:
    """``cn(T, Y)``: the nodes on causal paths from the treatment to the outcome (not T).

    Example:
        >>> from causalkit.observational.graph import build_graph
        >>> sorted(causal_nodes(build_graph("digraph { t -> m -> y; t -> w }"), "t", "y"))
        ['m', 'y']
    """
    de_t = graph.descendants(treatment)
    if outcome not in de_t:
        return set()
    return {n for n in de_t if n == outcome or n in graph.ancestors(outcome)}


def optimal_adjustment_set(graph: CausalGraph, treatment: str,
                           outcome: str) -> tuple[str, ...] | None:
    """The efficient optimal set ``O(T, Y) = pa(cn(T, Y)) \\ forb(T, Y)`` (Henckel et al. 2022).

    Among all valid adjustment sets it gives the smallest asymptotic variance
    of the adjusted estimator. It is returned only when all its members are
    observed and it is valid; otherwise None.

    Example:
        >>> from causalkit.observational.graph import build_graph
        >>> g = build_graph("digraph { a -> t; a -> z; z -> y; t -> y; b -> y }")
        >>> optimal_adjustment_set(g, "t", "y")
        ('z', 'b')
    """
    cn = causal_nodes(graph, treatment, outcome)
    if not cn:
        return None
    forb = graph.descendants(cn) | cn | {treatment}
    parents = {p for c in cn for p in graph.parents(c)}
    o_set = parents - forb
    if o_set & graph.latent:
        return None
    ordered = tuple(n for n in graph.nodes if n in o_set)
    return ordered if is_backdoor_set(graph, treatment, outcome, ordered) else None


def frontdoor_set(graph: CausalGraph, treatment: str, outcome: str) -> tuple[str, ...] | None:
    """An observed set satisfying Pearl's front-door criterion, or None.

    Candidates are the observed nodes on causal paths from the treatment (the
    largest such set, and the treatment's observed children on those paths),
    after dropping those reached by an open backdoor path from the treatment.

    Example:
        >>> from causalkit.observational.graph import build_graph
        >>> frontdoor_set(build_graph("digraph { t -> m -> y; t <-> y }"), "t", "y")
        ('m',)
    """
    import networkx as nx

    cn = causal_nodes(graph, treatment, outcome) - {outcome}
    cand = {n for n in cn if n not in graph.latent}
    if not cand:
        return None
    g_bd = backdoor_graph(graph, treatment)
    cand = {m for m in cand if nx.is_d_separator(g_bd, {treatment}, {m}, set())}
    children = {c for c in graph.children(treatment) if c in cand}
    for m_set in (cand, children):
        if not m_set:
            continue
        cut = graph.dag.copy()
        cut.remove_nodes_from(m_set)
        if nx.has_path(cut, treatment, outcome):
            continue
        g_m = graph.dag.copy()
        g_m.remove_edges_from([(m, c) for m in m_set for c in graph.children(m)])
        if nx.is_d_separator(g_m, set(m_set), {outcome}, {treatment}):
            return tuple(n for n in graph.nodes if n in m_set)
    return None


def instruments(graph: CausalGraph, treatment: str, outcome: str) -> tuple[str, ...]:
    """Observed instruments (unconditional ones first; else one conditional instrument).

    See :func:`instrument_set` for the conditioning covariates.

    Example:
        >>> from causalkit.observational.graph import build_graph
        >>> instruments(build_graph("digraph { z -> t -> y; t <-> y }"), "t", "y")
        ('z',)
    """
    return instrument_set(graph, treatment, outcome)[0]


def instrument_set(graph: CausalGraph, treatment: str,
                   outcome: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Instruments and the covariates to hold fixed with them.

    ``z`` is an instrument given ``W`` (observed non-descendants of the treatment)
    when it is d-connected to the treatment given ``W`` and d-separated from the
    outcome given ``W`` once the treatment's outgoing edges are removed. ``W`` is a
    minimal such set, enlarged by the outcome's observed parents that are not
    descendants of the treatment (they sharpen the estimate) when that keeps
    every instrument valid.

    Example:
        >>> from causalkit.observational.graph import build_graph
        >>> g = build_graph("digraph { z -> t -> y; t <-> y; a -> {t y}; c -> {z y} }")
        >>> instrument_set(g, "t", "y")
        (('z',), ('a', 'c'))
    """
    import networkx as nx

    g_bd = backdoor_graph(graph, treatment)
    allowed = _allowed(graph, treatment, outcome)
    found: list[tuple[str, set[str]]] = []
    for z in graph.observed:
        if z not in allowed:
            continue
        w0 = nx.find_minimal_d_separator(g_bd, {z}, {outcome}, restricted=allowed - {z})
        if w0 is None:
            continue
        if nx.is_d_separator(graph.dag, {z}, {treatment}, set(w0)):
            continue
        found.append((z, set(w0)))
    if not found:
        return (), ()
    uncond = [z for z, w in found if not w]
    if uncond:
        ivs, base = uncond, set()
    else:
        ivs, base = [found[0][0]], found[0][1]
    extra = {p for p in graph.parents(outcome) if p in allowed and p not in ivs}
    candidate = base | extra
    if all(nx.is_d_separator(g_bd, {z}, {outcome}, candidate) and
           not nx.is_d_separator(graph.dag, {z}, {treatment}, candidate) for z in ivs):
        base = candidate
    return tuple(ivs), tuple(n for n in graph.nodes if n in base)


def open_backdoor_paths(graph: CausalGraph, treatment: str, outcome: str,
                        given: Iterable[str] = (), *, limit: int = 3,
                        max_paths: int = 20_000) -> list[str]:
    """Up to ``limit`` backdoor paths left open given ``given``, drawn as text.

    Example:
        >>> from causalkit.observational.graph import build_graph
        >>> g = build_graph("digraph { z -> t -> y; z -> y; t <-> y }")
        >>> open_backdoor_paths(g, "t", "y", ["z"])
        ['t <- U(t,y) -> y']
    """
    import networkx as nx

    g = backdoor_graph(graph, treatment)
    z = set(given)
    z_an = set(z)
    for n in z:
        z_an |= nx.ancestors(g, n)
    und = g.to_undirected(as_view=True)
    found: list[str] = []
    paths = nx.all_simple_paths(und, treatment, outcome, cutoff=12)
    for path in itertools.islice(paths, max_paths):
        if not g.has_edge(path[1], path[0]):
            continue
        if _path_open(g, path, z, z_an):
            found.append(_draw_path(g, path))
            if len(found) >= limit:
                break
    return found


def _path_open(g: nx.DiGraph, path: Sequence[str], z: set[str], z_an: set[str]) -> bool:
    for a, n, b in zip(path, path[1:], path[2:]):
        collider = g.has_edge(a, n) and g.has_edge(b, n)
        if collider and n not in z_an:
            return False
        if not collider and n in z:
            return False
    return True


def _draw_path(g: nx.DiGraph, path: Sequence[str]) -> str:
    out = path[0]
    for a, b in itertools.pairwise(path):
        out += f" -> {b}" if g.has_edge(a, b) else f" <- {b}"
    return out


def _backdoor_formula(t: str, y: str, z: Sequence[str], att: bool) -> str:
    lhs = f"E[{y}(1) − {y}(0) | {t}=1]" if att else f"E[{y} | do({t}=1)] − E[{y} | do({t}=0)]"
    if not z:
        return f"{lhs} = E[{y} | {t}=1] − E[{y} | {t}=0]"
    zs = ", ".join(z)
    if att:
        return f"{lhs} = E[{y} | {t}=1] − Σ_{{{zs}}} E[{y} | {t}=0, {zs}] P({zs} | {t}=1)"
    return f"{lhs} = Σ_{{{zs}}} (E[{y} | {t}=1, {zs}] − E[{y} | {t}=0, {zs}]) P({zs})"


def identify(graph: CausalGraph, treatment: str, outcome: str, *,
             adjustment: str | Sequence[str] = "optimal", att: bool = False) -> Identification:
    """Identify the effect of ``treatment`` on ``outcome``.

    Args:
        graph: the causal diagram.
        treatment: the treatment node.
        outcome: the outcome node.
        adjustment: ``"optimal"`` (default; falls back to minimal when the optimal
            set is not observable), ``"minimal"``, or an explicit list of columns
            (checked against the backdoor criterion).
        att: write the formula for the effect on the treated.

    Raises:
        IdentificationError: for a cyclic graph, unknown or latent treatment or
            outcome, an explicit set that is not a valid backdoor set, or an effect
            that no strategy identifies (naming the open backdoor paths and the hedge).

    Example:
        >>> from causalkit.observational.graph import build_graph
        >>> identify(build_graph("digraph { t -> y; t <-> y }"), "t", "y")
        Traceback (most recent call last):
        ...
        causalkit.errors.IdentificationError: the effect of t on y is not identifiable: no observed set blocks the backdoor path(s) t <- U(t,y) -> y; ...
    """
    graph.validate(treatment, outcome)
    t, y = treatment, outcome
    reaches = y in graph.descendants(t)
    minimal = minimal_backdoor_set(graph, t, y)
    optimal = optimal_adjustment_set(graph, t, y) if minimal is not None else None
    if not isinstance(adjustment, str):
        chosen = tuple(adjustment)
        bad = [c for c in chosen if c not in graph.observed]
        if bad:
            raise IdentificationError(
                f"adjustment column {bad[0]!r} is not an observed node of the graph")
        if not is_backdoor_set(graph, t, y, chosen):
            desc = [c for c in chosen if c in graph.descendants(t)]
            why = (f"{desc[0]!r} is a descendant of {t!r}" if desc else
                   "it leaves open " + "; ".join(open_backdoor_paths(graph, t, y, chosen)))
            raise IdentificationError(
                f"the adjustment set {_fmt(chosen)} does not satisfy the backdoor criterion: {why}",
                hint=f"a valid set is {_fmt(minimal)}" if minimal is not None else None)
        return _backdoor(graph, t, y, chosen, minimal, optimal, att, reaches, "chosen by the user")
    if adjustment not in ("optimal", "minimal"):
        raise IdentificationError(f"adjustment {adjustment!r} is not optimal, minimal or a list")
    if minimal is not None:
        if adjustment == "optimal" and optimal is not None:
            return _backdoor(graph, t, y, optimal, minimal, optimal, att, reaches,
                             "the optimal set O(T,Y) (Henckel, Perković & Maathuis 2022), the "
                             "valid set with the smallest asymptotic variance")
        note = "a minimal valid set" + (
            "" if adjustment == "minimal" else
            " (the optimal set O(T,Y) holds latent nodes, so it cannot be used)")
        return _backdoor(graph, t, y, minimal, minimal, optimal, att, reaches, note)
    id_result = identify_id(graph, {t}, {y})
    blocked = open_backdoor_paths(graph, t, y, _allowed(graph, t, y) & graph.ancestors({t, y}))
    paths = "; ".join(blocked) if blocked else "(paths through latent confounders)"
    fd = frontdoor_set(graph, t, y)
    if fd is not None:
        ms = ", ".join(fd)
        formula = (f"E[{y} | do({t}=1)] − E[{y} | do({t}=0)] = Σ_{{{ms}}} "
                   f"(P({ms} | {t}=1) − P({ms} | {t}=0)) Σ_{{{t}′}} E[{y} | {t}′, {ms}] P({t}′)")
        words = (f"no observed set blocks the backdoor path(s) {paths}, but {_fmt(fd)} satisfies "
                 f"the front-door criterion: it intercepts every causal path from {t} to {y}, "
                 f"no backdoor path from {t} to it is open, and {t} blocks every backdoor path "
                 f"from it to {y}")
        return Identification(t, y, Strategy.FRONTDOOR, formula, words, frontdoor_set=fd,
                              id_result=id_result, causal_path_exists=reaches)
    ivs, iv_cov = instrument_set(graph, t, y)
    if ivs:
        z = ivs[0]
        given = f" | {', '.join(iv_cov)}" if iv_cov else ""
        formula = (f"E[{y} | do({t}=1)] − E[{y} | do({t}=0)] = "
                   f"Cov({y}, {z}{given}) / Cov({t}, {z}{given})  (two-stage least squares)")
        words = (f"no observed set blocks the backdoor path(s) {paths}; {_fmt(ivs)} "
                 f"{'is an instrument' if len(ivs) == 1 else 'are instruments'}: associated "
                 f"with {t} and d-separated from {y} once {t}'s effects are removed. The IV "
                 f"estimand equals the average effect only if the effect is the same for "
                 f"everyone (linear model); otherwise it is a local average effect")
        if iv_cov:
            words += f"; the covariates {_fmt(iv_cov)} enter both stages"
        return Identification(t, y, Strategy.IV, formula, words, instruments=ivs,
                              instrument_covariates=iv_cov, id_result=id_result,
                              causal_path_exists=reaches)
    if id_result.identifiable:
        words = (f"no observed set blocks the backdoor path(s) {paths}, and there is no front-door "
                 f"set or instrument, but the ID algorithm identifies the effect")
        return Identification(t, y, Strategy.ID, f"P({y} | do({t})) = {id_result.formula}",
                              words, id_result=id_result, causal_path_exists=reaches)
    raise IdentificationError(
        f"the effect of {t} on {y} is not identifiable: no observed set blocks the backdoor "
        f"path(s) {paths}; there is no front-door set and no instrument; {id_result.explain()}",
        hint="measure a confounder on these paths (and mark it observed), or find an "
             "instrument or a mediator that satisfies the front-door criterion",
    )


def _backdoor(graph: CausalGraph, t: str, y: str, z: tuple[str, ...],
              minimal: tuple[str, ...] | None, optimal: tuple[str, ...] | None, att: bool,
              reaches: bool, why: str) -> Identification:
    formula = _backdoor_formula(t, y, z, att)
    if z:
        words = (f"adjusting for {_fmt(z)} ({why}) blocks every backdoor path from {t} to {y}, "
                 f"and none of them is a descendant of {t} (Pearl's backdoor criterion, checked by "
                 f"d-separation)")
    else:
        words = f"no backdoor path joins {t} and {y}: the effect needs no adjustment"
        if optimal:
            words += f"; adjusting for the optimal set {_fmt(optimal)} still reduces variance"
    if not reaches:
        words += f". {y} is not a descendant of {t}: the graph implies the effect is zero"
    return Identification(t, y, Strategy.BACKDOOR, formula, words, adjustment_set=z,
                          minimal_set=minimal, optimal_set=optimal, causal_path_exists=reaches)
