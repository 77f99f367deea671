"""causalkit: decide whether a product change works.

One experiment-spec format (:mod:`causalkit.spec`), one report layer
(:mod:`causalkit.report`), and four shapes of analysis: user-randomized A/B
tests, switch-back tests, DAG-based estimation on observational data and
Aha-moment discovery.

Example:
    >>> import causalkit
    >>> causalkit.__version__
    '0.1.0'
"""

from causalkit.errors import (
    CausalkitError,
    DataError,
    GateError,
    IdentificationError,
    SpecError,
)

__version__ = "0.1.0"

__all__ = [
    "CausalkitError",
    "DataError",
    "GateError",
    "IdentificationError",
    "SpecError",
    "__version__",
]
