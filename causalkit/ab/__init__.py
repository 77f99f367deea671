"""User-randomized A/B tests: assignment, per-metric analysis, sequential tests and power.

Importing this package registers the ``ab`` analysis and power planner.

Example:
    >>> from causalkit.registry import analyzer, planner
    >>> analyzer("ab").__name__, planner("ab").__name__
    ('analyze', 'plan')
"""

from causalkit.ab.analysis import analyze, analyze_source
from causalkit.ab.assignment import assign, assign_file, variant_of
from causalkit.ab.power import plan
from causalkit.registry import register

register("ab", analyze=analyze, power=plan)

__all__ = ["analyze", "analyze_source", "assign", "assign_file", "plan", "variant_of"]
