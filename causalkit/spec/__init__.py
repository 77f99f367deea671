"""The experiment-spec format: typed models, YAML loading with positions, JSON Schema.

Example:
    >>> from causalkit.spec import load_spec_text
    >>> load_spec_text("name: x\\nkind: aha\\ndata: {simulate: event_log}\\n").spec.kind
    'aha'
"""

from causalkit.spec.ab import ABSpec, Assignment
from causalkit.spec.aha import AhaSpec
from causalkit.spec.common import (
    Analysis,
    Correction,
    DataSource,
    DecisionRules,
    DecisionState,
    Direction,
    Engine,
    FileFormat,
    MarginKind,
    Metric,
    MetricType,
    Role,
    Sequential,
    Simulator,
)
from causalkit.spec.loader import LoadedSpec, load_spec, load_spec_file, load_spec_text
from causalkit.spec.models import SPEC_TYPES, Kind, Spec, json_schema
from causalkit.spec.observational import ObservationalSpec
from causalkit.spec.switchback import SwitchbackSpec
from causalkit.spec.types import Duration, Timestamp, parse_duration, parse_timestamp

__all__ = [
    "SPEC_TYPES",
    "ABSpec",
    "AhaSpec",
    "Analysis",
    "Assignment",
    "Correction",
    "DataSource",
    "DecisionRules",
    "DecisionState",
    "Direction",
    "Duration",
    "Engine",
    "FileFormat",
    "Kind",
    "LoadedSpec",
    "MarginKind",
    "Metric",
    "MetricType",
    "ObservationalSpec",
    "Role",
    "Sequential",
    "Simulator",
    "Spec",
    "SwitchbackSpec",
    "Timestamp",
    "json_schema",
    "load_spec",
    "load_spec_file",
    "load_spec_text",
    "parse_duration",
    "parse_timestamp",
]
