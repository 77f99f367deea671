"""Aha-moment discovery: which "do Y at least Z times within X days" predicts retention, and does it cause it.

The search reads the event log once (bucket by bucket), scores every condition
(precision, recall, specificity, NPV, coverage, lift, phi, Fisher exact p and
false-discovery q-values), re-checks the winners and their AND/OR combinations
on holdout users, and carries the chosen conditions into a causal check.

Example:
    >>> from causalkit.registry import analyzer
    >>> analyzer("aha").__name__
    'analyze'
"""

from causalkit.aha.analysis import AhaResult, analyze, discover
from causalkit.aha.causal import default_graph
from causalkit.aha.search import Key
from causalkit.registry import register

register("aha", analyze=analyze, main_table="events")

__all__ = ["AhaResult", "Key", "analyze", "default_graph", "discover"]
