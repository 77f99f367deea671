"""A small, dependency-free parser for the subset of Graphviz DOT used by causal diagrams.

Supported (everything else is an :class:`~causalkit.errors.IdentificationError`
that names the line):

* ``digraph NAME { ... }`` or ``strict digraph { ... }`` or just the statements;
* edges ``a -> b``, chains ``a -> b -> c``, groups ``a -> {b c}`` and ``{a b} -> c``;
  ``b <- a`` is accepted as ``a -> b`` (not Graphviz, but handy);
* bidirected edges (latent confounding) ``a <-> b``, or ``a -> b [dir=both]``
  (Graphviz's own notation), or ``a -> b [bidirected=true]``;
* node statements ``x [latent=true]`` (also ``observed=false`` / ``observed=no``,
  ``latent=1``), other attributes are ignored;
* ``graph [...]``, ``node [...]``, ``edge [...]`` and ``key = value`` statements
  are accepted and ignored; identifiers may be quoted (``"age group"``);
* comments ``// ...``, ``# ...`` and ``/* ... */``; ``;`` and ``,`` separators.

Example:
    >>> g = parse_dot("digraph { z -> {t y}; t -> y; u [latent=true]; u -> t; t <-> y }")
    >>> g.nodes
    ('z', 't', 'y', 'u')
    >>> g.edges
    (('z', 't'), ('z', 'y'), ('t', 'y'), ('u', 't'))
    >>> g.bidirected, g.latent
    ((('t', 'y'),), ('u',))
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from causalkit.errors import IdentificationError

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n]*|\#[^\n]*|/\*.*?\*/)
  | (?P<arrow><->|->|<-|--)
  | (?P<punct>[{}\[\];,=])
  | (?P<quoted>"(?:[^"\\]|\\.)*")
  | (?P<ident>[A-Za-z_\u0080-\uffff][\w.\u0080-\uffff]*|-?(?:\.\d+|\d+(?:\.\d*)?))
    """,
    re.VERBOSE | re.DOTALL,
)

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


@dataclass(frozen=True)
class ParsedGraph:
    """The nodes (in order of appearance), directed and bidirected edges, and latent nodes.

    Example:
        >>> g = parse_dot('digraph { "age group" -> t -> y; u [latent=true]; u -> {t y} }')
        >>> g.nodes, g.latent, g.bidirected
        (('age group', 't', 'y', 'u'), ('u',), ())
        >>> g.edges
        (('age group', 't'), ('t', 'y'), ('u', 't'), ('u', 'y'))
    """

    nodes: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]
    bidirected: tuple[tuple[str, str], ...]
    latent: tuple[str, ...]


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    line: int


def _tokenize(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos, line = 0, 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise IdentificationError(
                f"graph line {line}: cannot read {text[pos:pos + 12]!r}",
                hint="write edges as `a -> b;` inside `digraph { ... }`",
            )
        kind = m.lastgroup or ""
        value = m.group()
        if kind == "quoted":
            out.append(_Tok("id", value[1:-1].replace('\\"', '"'), line))
        elif kind == "ident":
            out.append(_Tok("id", value, line))
        elif kind in ("arrow", "punct"):
            out.append(_Tok(value, value, line))
        line += value.count("\n")
        pos = m.end()
    return out


class _Parser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.toks = tokens
        self.i = 0
        self.nodes: dict[str, None] = {}
        self.edges: dict[tuple[str, str], None] = {}
        self.bidirected: dict[tuple[str, str], None] = {}
        self.latent: dict[str, None] = {}

    def peek(self, k: int = 0) -> _Tok | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def take(self, kind: str | None = None) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise IdentificationError("graph ends too early", hint="is a `}` or `]` missing?")
        if kind is not None and tok.kind != kind:
            raise IdentificationError(
                f"graph line {tok.line}: expected {kind!r}, found {tok.text!r}"
            )
        self.i += 1
        return tok

    def error(self, tok: _Tok, what: str) -> IdentificationError:
        return IdentificationError(f"graph line {tok.line}: {what} (at {tok.text!r})")

    def parse(self) -> ParsedGraph:
        first = self.peek()
        if first is not None and first.kind == "id" and first.text.lower() in (
            "strict", "digraph", "graph"
        ):
            if first.text.lower() == "strict":
                self.take()
            head = self.take("id")
            if head.text.lower() == "graph":
                raise self.error(head, "an undirected `graph` cannot be a causal diagram; "
                                       "write `digraph`")
            if head.text.lower() != "digraph":
                raise self.error(head, "expected `digraph`")
            nxt = self.peek()
            if nxt is not None and nxt.kind == "id":
                self.take()
            self.take("{")
            self.statements(closing="}")
            self.take("}")
            rest = self.peek()
            if rest is not None:
                raise self.error(rest, "text after the closing `}`")
        else:
            self.statements(closing=None)
        return ParsedGraph(tuple(self.nodes), tuple(self.edges), tuple(self.bidirected),
                           tuple(self.latent))

    def statements(self, closing: str | None) -> None:
        while True:
            tok = self.peek()
            if tok is None:
                if closing is not None:
                    raise IdentificationError("graph ends without its closing `}`")
                return
            if closing is not None and tok.kind == closing:
                return
            if tok.kind in (";", ","):
                self.take()
                continue
            self.statement()

    def statement(self) -> None:
        tok = self.peek()
        assert tok is not None
        if tok.kind == "id" and tok.text.lower() in ("graph", "node", "edge"):
            nxt = self.peek(1)
            if nxt is not None and nxt.kind == "[":
                self.take()
                self.attributes()
                return
        if tok.kind == "id" and tok.text.lower() == "subgraph":
            raise self.error(tok, "subgraphs are not supported; list the edges directly")
        nxt = self.peek(1)
        if tok.kind == "id" and nxt is not None and nxt.kind == "=":
            self.take()
            self.take()
            self.take("id")
            return
        left = self.group()
        ops: list[tuple[str, list[str]]] = []
        while (op := self.peek()) is not None and op.kind in ("->", "<-", "<->", "--"):
            if op.kind == "--":
                raise self.error(op, "undirected edges `--` are not allowed; use `->` or `<->`")
            self.take()
            ops.append((op.kind, self.group()))
        attrs = self.attributes() if (p := self.peek()) is not None and p.kind == "[" else {}
        for name in left:
            self.nodes.setdefault(name)
        if not ops:
            if _flag(attrs, "latent") or _flag(attrs, "observed") is False:
                for name in left:
                    self.latent.setdefault(name)
            return
        bidir_attr = bool(_flag(attrs, "bidirected")) or attrs.get("dir", "").lower() == "both"
        src = left
        for kind, dst in ops:
            for name in dst:
                self.nodes.setdefault(name)
            for a in src:
                for b in dst:
                    if kind == "<->" or bidir_attr:
                        pair = (a, b) if (b, a) not in self.bidirected else (b, a)
                        self.bidirected.setdefault(pair)
                    elif kind == "<-":
                        self.edges.setdefault((b, a))
                    else:
                        self.edges.setdefault((a, b))
            src = dst

    def group(self) -> list[str]:
        tok = self.take()
        if tok.kind == "id":
            return [tok.text]
        if tok.kind == "{":
            names: list[str] = []
            while (t := self.take()).kind != "}":
                if t.kind in (";", ","):
                    continue
                if t.kind != "id":
                    raise self.error(t, "expected a node name inside `{ }`")
                names.append(t.text)
            if not names:
                raise self.error(tok, "empty `{ }` group")
            return names
        raise self.error(tok, "expected a node name")

    def attributes(self) -> dict[str, str]:
        self.take("[")
        attrs: dict[str, str] = {}
        while (t := self.take()).kind != "]":
            if t.kind in (";", ","):
                continue
            if t.kind != "id":
                raise self.error(t, "expected an attribute name")
            if (p := self.peek()) is not None and p.kind == "=":
                self.take()
                attrs[t.text.lower()] = self.take("id").text
            else:
                attrs[t.text.lower()] = "true"
        return attrs


def _flag(attrs: dict[str, str], key: str) -> bool | None:
    if key not in attrs:
        return None
    value = attrs[key].lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise IdentificationError(f"graph attribute {key}={attrs[key]!r} is not true or false")


def parse_dot(text: str) -> ParsedGraph:
    """Parse DOT text (the subset described in the module docstring).

    Raises:
        IdentificationError: naming the line of the first thing it cannot read.

    Example:
        >>> parse_dot("digraph { a -> b -> c }").edges
        (('a', 'b'), ('b', 'c'))
        >>> parse_dot("digraph { a -- b }")
        Traceback (most recent call last):
        ...
        causalkit.errors.IdentificationError: graph line 1: undirected edges `--` are not allowed; use `->` or `<->` (at '--')
    """
    return _Parser(_tokenize(text)).parse()
