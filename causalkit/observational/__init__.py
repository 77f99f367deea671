"""DAG-based causal estimation on observational data.

Draw the causal diagram, name the treatment and the outcome, and causalkit
identifies the effect (backdoor with the optimal adjustment set, front-door,
instrumental variables, or the ID algorithm), estimates it (regression
adjustment, IPW, cross-fitted AIPW, the partially linear model, EconML's DML and
causal forests), checks overlap, balance and the graph's testable implications,
and refutes the estimate (placebo treatment, random common cause, data subsets,
dummy outcome, E-value, Cinelli-Hazlett robustness value) — vectorized, so a
million rows take seconds.

The Python door is :func:`causalkit.analyze` (``causalkit.analyze(spec, data=df)``);
this package registers the analysis of ``kind: observational`` and offers the
graph tools (:func:`build_graph`, :func:`to_dot` for a networkx graph, :func:`identify`).

Example:
    >>> from causalkit.observational import build_graph, identify
    >>> ident = identify(build_graph("digraph { z -> t -> y; z -> y }"), "t", "y")
    >>> ident.adjustment_set
    ('z',)
"""

from __future__ import annotations

from causalkit.observational.graph import CausalGraph, build_graph, to_dot
from causalkit.observational.identify import Identification, Strategy, identify
from causalkit.observational.pipeline import analyze_spec
from causalkit.observational.validate import validate_spec
from causalkit.registry import register

register("observational", analyze=analyze_spec, validate=validate_spec)

__all__ = [
    "CausalGraph",
    "Identification",
    "Strategy",
    "analyze_spec",
    "build_graph",
    "identify",
    "to_dot",
    "validate_spec",
]
