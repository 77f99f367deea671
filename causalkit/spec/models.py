"""The union of every spec kind, discriminated by ``kind``.

Example:
    >>> from causalkit.spec.models import SPEC_ADAPTER
    >>> spec = SPEC_ADAPTER.validate_python({"name": "x", "kind": "observational",
    ...     "graph": "digraph {t -> y}", "treatment": "t", "outcome": "y",
    ...     "data": {"simulate": "scm"}})
    >>> type(spec).__name__
    'ObservationalSpec'
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, TypeAdapter

from causalkit.spec.ab import ABSpec
from causalkit.spec.aha import AhaSpec
from causalkit.spec.observational import ObservationalSpec
from causalkit.spec.switchback import SwitchbackSpec


class Kind(StrEnum):
    """The shapes of experiment causalkit serves."""

    AB = "ab"
    SWITCHBACK = "switchback"
    OBSERVATIONAL = "observational"
    AHA = "aha"


Spec = Annotated[
    ABSpec | SwitchbackSpec | ObservationalSpec | AhaSpec,
    Field(discriminator="kind"),
]
"""Any experiment spec."""

SPEC_TYPES: dict[str, type] = {
    "ab": ABSpec,
    "switchback": SwitchbackSpec,
    "observational": ObservationalSpec,
    "aha": AhaSpec,
}

SPEC_ADAPTER: TypeAdapter[ABSpec | SwitchbackSpec | ObservationalSpec | AhaSpec] = TypeAdapter(
    Spec
)


def json_schema() -> dict[str, object]:
    """The JSON Schema of the spec format (what ``causalkit schema`` prints).

    Example:
        >>> sorted(json_schema()["discriminator"]["mapping"])
        ['ab', 'aha', 'observational', 'switchback']
    """
    schema = SPEC_ADAPTER.json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "causalkit experiment spec"
    return schema
