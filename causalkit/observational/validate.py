"""What ``causalkit validate`` checks in an observational spec, with no data: the graph and its roles.

:func:`validate_spec` is registered as the kind's ``validate`` hook
(:func:`causalkit.registry.register`). It parses the graph (DOT text or an edge
list), checks it is acyclic, that the treatment and the outcome are observed
nodes, that the effect is identifiable (and an explicit ``adjustment:`` list
valid), that every ``terms:`` key is an observed node and every
``outcome_interactions`` entry is in the adjustment set. Each problem is a
:class:`GraphSpecError` — a :class:`~causalkit.errors.SpecError` with the file,
line and column of the spec field at fault (``graph``, ``treatment``, ...), and
also an :class:`~causalkit.errors.IdentificationError`, which the analysis raises
for the same graph.

Example:
    >>> from causalkit.spec.loader import load_spec_text
    >>> loaded = load_spec_text(
    ...     "name: x\\nkind: observational\\n"
    ...     "graph: 'digraph { t -> y -> z -> t }'\\ntreatment: t\\noutcome: y\\n")
    >>> validate_spec(loaded)
    Traceback (most recent call last):
    ...
    causalkit.observational.validate.GraphSpecError: <string>:3:8: graph: the graph has a cycle: t -> y -> z -> t (...)
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

from causalkit.errors import IdentificationError, SpecError
from causalkit.observational.graph import CausalGraph, build_graph
from causalkit.observational.identify import Identification, Strategy, identify

if TYPE_CHECKING:
    from causalkit.spec.loader import LoadedSpec
    from causalkit.spec.observational import ObservationalSpec

Where = tuple[str | int, ...]


class GraphSpecError(SpecError, IdentificationError):
    """A graph (or a role in it) that cannot work, found in the spec before any data are read.

    Example:
        >>> err = GraphSpecError("the graph has a cycle: a -> b -> a", file="x.yaml", line=4,
        ...                      column=8, field="graph")
        >>> str(err), isinstance(err, IdentificationError)
        ('x.yaml:4:8: graph: the graph has a cycle: a -> b -> a', True)
    """


_DOT_LINE = re.compile(r"^graph line (\d+): ")


def _dot_line(loaded: LoadedSpec, line: int, column: int, message: str) -> tuple[int, int | None]:
    """The file line of an error the DOT parser placed at ``graph line N``, when the graph is a
    block scalar (``graph: |``) of a spec file; else the graph field's own position."""
    m = _DOT_LINE.match(message)
    if m is None or loaded.path is None:
        return line, column
    try:
        text = loaded.path.read_text(encoding="utf-8").splitlines()
        indicator = text[line - 1][column - 1]
    except (OSError, UnicodeDecodeError, IndexError):
        return line, column
    if indicator not in "|>":
        return line, column
    return line + int(m.group(1)), None


def _raise(loaded: LoadedSpec, where: Where, exc: IdentificationError | str,
           hint: str | None = None) -> None:
    message = exc if isinstance(exc, str) else exc.message
    hint = hint if isinstance(exc, str) else exc.hint
    line, column = loaded.positions.get(where, loaded.positions.get(where[:1], (None, None)))
    if where == ("graph",) and line is not None and column is not None:
        line, column = _dot_line(loaded, line, column, message)
    file = str(loaded.path) if loaded.path is not None else (
        "<string>" if loaded.positions else None)
    field = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in where).replace(".[", "[")
    raise GraphSpecError(message, file=file, line=line, column=column, field=field,
                         hint=hint) from None


def _graph(loaded: LoadedSpec, spec: ObservationalSpec) -> CausalGraph:
    try:
        g = build_graph(spec.graph, spec.latent)
        g.check_acyclic()
    except IdentificationError as exc:
        _raise(loaded, ("graph",), exc)
    for role, name in (("treatment", spec.treatment), ("outcome", spec.outcome)):
        if name not in g.nodes or name in g.latent:
            try:
                g.validate(spec.treatment, spec.outcome)
            except IdentificationError as exc:
                _raise(loaded, (role,), exc)
    return g


def _identification(loaded: LoadedSpec, spec: ObservationalSpec,
                    g: CausalGraph) -> Identification:
    explicit = isinstance(spec.adjustment, list)
    adjustment = spec.adjustment if isinstance(spec.adjustment, list) else spec.adjustment.value
    try:
        return identify(g, spec.treatment, spec.outcome, adjustment=adjustment,
                        att=spec.estimand.value == "att")
    except IdentificationError as exc:
        _raise(loaded, ("adjustment",) if explicit else ("graph",), exc)
        raise  # pragma: no cover - _raise always raises


def _names(loaded: LoadedSpec, spec: ObservationalSpec, g: CausalGraph,
           ident: Identification) -> None:
    observed = list(g.observed)
    for key in spec.terms:
        if key not in observed:
            close = difflib.get_close_matches(key, observed, n=1)
            _raise(loaded, ("terms", key), f"{key!r} is not an observed node of the graph",
                   hint=f"did you mean {close[0]!r}?" if close else
                   f"observed nodes: {', '.join(observed[:30])}")
    if spec.outcome_interactions is None or ident.strategy is not Strategy.BACKDOOR:
        return
    adjustment = list(ident.adjustment_set or ())
    for i, name in enumerate(spec.outcome_interactions):
        if name not in adjustment:
            _raise(loaded, ("outcome_interactions", i),
                   f"{name!r} is not in the adjustment set",
                   hint=f"the adjustment set is {{{', '.join(adjustment)}}}")


def validate_spec(loaded: LoadedSpec) -> None:
    """Check an observational spec's graph and roles; raise :class:`GraphSpecError` naming the field.

    Example:
        >>> from causalkit.spec.loader import load_spec_text
        >>> validate_spec(load_spec_text("name: x\\nkind: observational\\n"
        ...     "graph: 'digraph { z -> t -> y; z -> y }'\\ntreatment: t\\noutcome: y\\n"))
        >>> validate_spec(load_spec_text("name: x\\nkind: observational\\n"
        ...     "graph: 'digraph { z -> t -> y }'\\ntreatment: t\\noutcome: revenue\\n"))
        Traceback (most recent call last):
        ...
        causalkit.observational.validate.GraphSpecError: <string>:5:10: outcome: the outcome 'revenue' is not a node of the graph (...)
    """
    spec: ObservationalSpec = loaded.spec
    g = _graph(loaded, spec)
    ident = _identification(loaded, spec, g)
    _names(loaded, spec, g, ident)
