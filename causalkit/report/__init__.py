"""One result-reporting layer for every shape: the report types, renderers and plots.

Example:
    >>> from causalkit.report import Report, Experiment
    >>> Report(experiment=Experiment(name="x", kind="ab")).schema_version
    1
"""

from causalkit.report.model import (
    SCHEMA_VERSION,
    Check,
    Decision,
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
    "Check",
    "Decision",
    "Estimate",
    "Experiment",
    "Figure",
    "Meta",
    "Report",
    "Status",
    "Table",
]
