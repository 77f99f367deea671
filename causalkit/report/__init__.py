"""One result-reporting layer for every shape: the report types, renderers and plots.

Example:
    >>> from causalkit.report import Report, Experiment
    >>> Report(experiment=Experiment(name="x", kind="ab")).schema_version
    2
"""

from causalkit.report.assessment import Assessment, IntervalKind, assess, contrast_text, is_harm
from causalkit.report.model import (
    SCHEMA_VERSION,
    Check,
    Decision,
    DecisionBasis,
    Estimate,
    Experiment,
    Figure,
    Meta,
    Report,
    Status,
    Table,
)

__all__ = [
    "SCHEMA_VERSION",
    "Assessment",
    "Check",
    "Decision",
    "DecisionBasis",
    "Estimate",
    "Experiment",
    "Figure",
    "IntervalKind",
    "Meta",
    "Report",
    "Status",
    "Table",
    "assess",
    "contrast_text",
    "is_harm",
]
