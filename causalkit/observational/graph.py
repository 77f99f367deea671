"""Causal diagrams: DOT text, edge lists or networkx graphs, with latent nodes.

A bidirected edge ``a <-> b`` (latent confounding) becomes an explicit latent
parent ``U(a,b)`` of both ends, so every later step works on one DAG whose
unobserved nodes are marked. :meth:`CausalGraph.validate` checks the things a
user gets wrong: cycles (printed), a treatment or outcome missing from the
graph, a latent treatment or outcome.

Example:
    >>> g = build_graph("digraph { z -> t; z -> y; t -> y; t <-> y }")
    >>> g.observed
    ('z', 't', 'y')
    >>> sorted(g.latent)
    ['U(t,y)']
    >>> g.parents("y")
    ('z', 't', 'U(t,y)')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from causalkit.errors import DataError, IdentificationError
from causalkit.observational.dot import parse_dot

if TYPE_CHECKING:
    import networkx as nx


def latent_name(a: str, b: str) -> str:
    """The name of the latent parent that stands for a bidirected edge ``a <-> b``.

    Example:
        >>> latent_name("y", "t")
        'U(t,y)'
    """
    lo, hi = sorted((a, b))
    return f"U({lo},{hi})"


@dataclass(frozen=True)
class CausalGraph:
    """A causal DAG whose unobserved nodes are listed in ``latent``.

    ``bidirected`` keeps the user's bidirected edges (each already turned into a
    latent parent) so that drawings can show them as such.
    """

    nodes: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]
    latent: frozenset[str] = frozenset()
    bidirected: tuple[tuple[str, str], ...] = ()
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_parts(cls, nodes: Iterable[str], edges: Iterable[tuple[str, str]],
                   latent: Iterable[str] = (),
                   bidirected: Iterable[tuple[str, str]] = ()) -> CausalGraph:
        """Build from nodes, directed edges, latent names and bidirected pairs.

        Example:
            >>> CausalGraph.from_parts(["a", "b"], [("a", "b")]).edges
            (('a', 'b'),)
        """
        order: dict[str, None] = dict.fromkeys(nodes)
        edge_list: dict[tuple[str, str], None] = {}
        for a, b in edges:
            if a == b:
                raise IdentificationError(f"the graph has a self-loop {a} -> {a}",
                                          hint="a variable cannot cause itself; drop the edge")
            order.setdefault(a)
            order.setdefault(b)
            edge_list.setdefault((a, b))
        lat: dict[str, None] = dict.fromkeys(latent)
        for name in lat:
            order.setdefault(name)
        bi: list[tuple[str, str]] = []
        for a, b in bidirected:
            if a == b:
                raise IdentificationError(f"the bidirected edge {a} <-> {a} joins a node to itself")
            order.setdefault(a)
            order.setdefault(b)
            u = latent_name(a, b)
            if u not in lat:
                lat[u] = None
                order.setdefault(u)
                edge_list.setdefault((u, a))
                edge_list.setdefault((u, b))
                bi.append((a, b))
        return cls(tuple(order), tuple(edge_list), frozenset(lat), tuple(bi))

    def to_dot(self) -> str:
        """The graph as DOT text that :func:`build_graph` reads back to the same graph.

        Latent nodes get ``[latent=true]``; the latent parent of a bidirected edge is
        written as the edge ``a <-> b``. Every name is quoted.

        Example:
            >>> g = build_graph("digraph { z -> t -> y; z -> y; t <-> y; u [latent=true]; u -> z }")
            >>> print(g.to_dot())
            digraph {
              "z"; "t"; "y"; "u";
              "u" [latent=true];
              "z" -> "t"; "t" -> "y"; "z" -> "y"; "u" -> "z";
              "t" <-> "y";
            }
            >>> build_graph(g.to_dot()) == g
            True
        """
        made = {latent_name(a, b) for a, b in self.bidirected}

        def q(name: str) -> str:
            return '"' + name.replace('"', '\\"') + '"'

        lines = ["digraph {"]
        nodes = [n for n in self.nodes if n not in made]
        if nodes:
            lines.append("  " + " ".join(f"{q(n)};" for n in nodes))
        hidden = [n for n in nodes if n in self.latent]
        if hidden:
            lines.append("  " + " ".join(f"{q(n)} [latent=true];" for n in hidden))
        edges = [(a, b) for a, b in self.edges if a not in made]
        if edges:
            lines.append("  " + " ".join(f"{q(a)} -> {q(b)};" for a, b in edges))
        if self.bidirected:
            lines.append("  " + " ".join(f"{q(a)} <-> {q(b)};" for a, b in self.bidirected))
        lines.append("}")
        return "\n".join(lines)

    # -- networkx views --------------------------------------------------------------------
    @cached_property
    def dag(self) -> nx.DiGraph:
        """The graph as a networkx ``DiGraph`` (latent nodes carry ``latent=True``)."""
        import networkx as nx

        g = nx.DiGraph()
        for n in self.nodes:
            g.add_node(n, latent=n in self.latent)
        g.add_edges_from(self.edges)
        return g

    @property
    def observed(self) -> tuple[str, ...]:
        """The observed nodes, in order of appearance."""
        return tuple(n for n in self.nodes if n not in self.latent)

    def parents(self, node: str) -> tuple[str, ...]:
        """The parents of ``node`` (latent ones included)."""
        return tuple(self.dag.predecessors(node))

    def children(self, node: str) -> tuple[str, ...]:
        """The children of ``node``."""
        return tuple(self.dag.successors(node))

    def ancestors(self, nodes: str | Iterable[str]) -> set[str]:
        """The ancestors of ``nodes`` (excluding the nodes themselves unless reachable)."""
        import networkx as nx

        out: set[str] = set()
        for n in [nodes] if isinstance(nodes, str) else nodes:
            out |= nx.ancestors(self.dag, n)
        return out

    def descendants(self, nodes: str | Iterable[str]) -> set[str]:
        """The descendants of ``nodes``."""
        import networkx as nx

        out: set[str] = set()
        for n in [nodes] if isinstance(nodes, str) else nodes:
            out |= nx.descendants(self.dag, n)
        return out

    # -- checks ----------------------------------------------------------------------------
    def check_acyclic(self) -> None:
        """Raise :class:`IdentificationError` printing one cycle, if there is one.

        Example:
            >>> CausalGraph.from_parts([], [("a", "b"), ("b", "c"), ("c", "a")]).check_acyclic()
            Traceback (most recent call last):
            ...
            causalkit.errors.IdentificationError: the graph has a cycle: a -> b -> c -> a (a causal diagram must be acyclic; remove or reverse one of these edges)
        """
        import networkx as nx

        try:
            cycle = nx.find_cycle(self.dag)
        except nx.NetworkXNoCycle:
            return
        path = " -> ".join([cycle[0][0], *(b for _, b in cycle)])
        raise IdentificationError(
            f"the graph has a cycle: {path}",
            hint="a causal diagram must be acyclic; remove or reverse one of these edges",
        )

    def validate(self, treatment: str, outcome: str) -> None:
        """Check acyclicity and that treatment and outcome are observed nodes.

        Example:
            >>> build_graph("digraph { t -> y }").validate("t", "revenue")
            Traceback (most recent call last):
            ...
            causalkit.errors.IdentificationError: the outcome 'revenue' is not a node of the graph (nodes: t, y)
        """
        self.check_acyclic()
        for role, name in (("treatment", treatment), ("outcome", outcome)):
            if name not in self.dag:
                import difflib

                close = difflib.get_close_matches(name, list(self.nodes), n=1)
                hint = f"did you mean {close[0]!r}?" if close else \
                    f"nodes: {', '.join(self.nodes[:30])}"
                raise IdentificationError(f"the {role} {name!r} is not a node of the graph",
                                          hint=hint)
            if name in self.latent:
                raise IdentificationError(f"the {role} {name!r} is marked latent",
                                          hint="the treatment and the outcome must be observed")
        if treatment == outcome:
            raise IdentificationError("the treatment and the outcome are the same node")

    def check_columns(self, columns: Iterable[str], source: str = "data") -> None:
        """Every observed node needs a data column; name the first that has none.

        Example:
            >>> build_graph("digraph { z -> t -> y }").check_columns(["t", "y"], "d.csv")
            Traceback (most recent call last):
            ...
            causalkit.errors.DataError: d.csv: column 'z': the graph's observed node has no data column (add the column, or mark the node latent: `z [latent=true]`)
        """
        have = set(columns)
        for n in self.observed:
            if n not in have:
                raise DataError(
                    "the graph's observed node has no data column", column=n, source=source,
                    hint=f"add the column, or mark the node latent: `{n} [latent=true]`",
                )

    # -- latent projection -----------------------------------------------------------------
    def projection(self) -> tuple[set[tuple[str, str]], set[frozenset[str]]]:
        """The latent projection onto the observed nodes: directed and bidirected edges.

        ``a -> b`` when a directed path from ``a`` to ``b`` passes only latent nodes;
        ``a <-> b`` when a latent node reaches both through latent-only paths.

        Example:
            >>> g = build_graph("digraph { u -> a; a -> m -> b; u -> b; u [latent=true]; m [latent=true] }")
            >>> directed, bidirected = g.projection()
            >>> sorted(directed), [sorted(pair) for pair in bidirected]
            ([('a', 'b')], [['a', 'b']])
        """
        if "projection" in self._cache:
            return self._cache["projection"]
        dag = self.dag
        directed: set[tuple[str, str]] = set()
        bidirected: set[frozenset[str]] = set()

        def observed_reach(start: str) -> set[str]:
            seen, out, stack = {start}, set(), list(dag.successors(start))
            while stack:
                n = stack.pop()
                if n in seen:
                    continue
                seen.add(n)
                if n in self.latent:
                    stack.extend(dag.successors(n))
                else:
                    out.add(n)
            return out

        for n in self.observed:
            for m in observed_reach(n):
                directed.add((n, m))
        for u in self.latent:
            reach = sorted(observed_reach(u))
            for i, a in enumerate(reach):
                for b in reach[i + 1:]:
                    bidirected.add(frozenset((a, b)))
        self._cache["projection"] = (directed, bidirected)
        return directed, bidirected


GraphInput = Any
"""DOT text, a list of edges (dicts with from/to/bidirected, or pairs), or a networkx DiGraph."""


def build_graph(graph: GraphInput, latent: Sequence[str] = ()) -> CausalGraph:
    """Turn any accepted graph input into a :class:`CausalGraph`.

    Accepts DOT text, a list of spec ``Edge`` models, dicts ``{from, to, bidirected}``
    or ``(from, to)`` pairs, or a networkx ``DiGraph`` (node attribute
    ``latent=True`` or ``observed=False`` marks latent nodes; edge attribute
    ``bidirected=True`` marks latent confounding).

    Example:
        >>> import networkx as nx
        >>> g = nx.DiGraph([("z", "t"), ("t", "y")]); g.add_node("z", latent=True)
        >>> build_graph(g).latent
        frozenset({'z'})
        >>> build_graph([{"from": "a", "to": "b", "bidirected": True}]).bidirected
        (('a', 'b'),)
    """
    nodes: list[str] = []
    edges: list[tuple[str, str]] = []
    bidirected: list[tuple[str, str]] = []
    lat: list[str] = [str(x) for x in latent]
    if isinstance(graph, str):
        parsed = parse_dot(graph)
        nodes, edges = list(parsed.nodes), list(parsed.edges)
        bidirected, lat = list(parsed.bidirected), [*parsed.latent, *lat]
    elif hasattr(graph, "nodes") and hasattr(graph, "edges") and hasattr(graph, "is_directed"):
        if not graph.is_directed():
            raise IdentificationError("a networkx graph must be a DiGraph (directed)")
        for n, data in graph.nodes(data=True):
            nodes.append(str(n))
            if data.get("latent") or data.get("observed") is False:
                lat.append(str(n))
        for a, b, data in graph.edges(data=True):
            if data.get("bidirected"):
                bidirected.append((str(a), str(b)))
            else:
                edges.append((str(a), str(b)))
    elif isinstance(graph, Sequence):
        for i, e in enumerate(graph):
            if isinstance(e, Mapping):
                try:
                    a, b = str(e["from"]), str(e["to"])
                except KeyError as exc:
                    raise IdentificationError(f"graph edge {i} has no {exc.args[0]!r}") from None
                bi = bool(e.get("bidirected", False))
            elif hasattr(e, "source") and hasattr(e, "target"):
                a, b, bi = e.source, e.target, bool(getattr(e, "bidirected", False))
            elif isinstance(e, Sequence) and not isinstance(e, str) and len(e) == 2:
                a, b, bi = str(e[0]), str(e[1]), False
            else:
                raise IdentificationError(f"graph edge {i} is not a pair or a from/to mapping")
            (bidirected if bi else edges).append((a, b))
    else:
        raise IdentificationError(
            f"cannot read a graph from {type(graph).__name__}",
            hint="give DOT text, a list of edges, or a networkx DiGraph",
        )
    return CausalGraph.from_parts(nodes, edges, lat, bidirected)


def to_dot(graph: GraphInput, latent: Sequence[str] = ()) -> str:
    """Any accepted graph input (a networkx ``DiGraph``, an edge list, DOT) as DOT text.

    This is how a graph built in Python goes into a spec's ``graph:``.

    Example:
        >>> import networkx as nx
        >>> g = nx.DiGraph([("z", "t"), ("t", "y")])
        >>> g.add_edge("z", "y", bidirected=True)
        >>> print(to_dot(g))
        digraph {
          "z"; "t"; "y";
          "z" -> "t"; "t" -> "y";
          "z" <-> "y";
        }
    """
    return build_graph(graph, latent).to_dot()
