"""Engine settings read from the environment (for runs at scale without code changes).

=================================  ===================================================
``CAUSALKIT_DUCKDB_MEMORY_LIMIT``  DuckDB memory limit, e.g. ``1GB``; beyond it DuckDB
                                   spills to disk (out-of-core aggregation)
``CAUSALKIT_DUCKDB_TEMP_DIRECTORY`` where DuckDB spills
``CAUSALKIT_DUCKDB_THREADS``       DuckDB worker threads
``CAUSALKIT_SPARK_MASTER``         master of the local session the Spark engine starts
                                   when none is active (default ``local[2]``)
=================================  ===================================================

Arguments passed in Python win over the environment.

Example:
    >>> duckdb_settings({"CAUSALKIT_DUCKDB_MEMORY_LIMIT": "1GB"})
    DuckDBSettings(memory_limit='1GB', temp_directory=None, threads=None)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from causalkit.errors import DataError

MEMORY_LIMIT = "CAUSALKIT_DUCKDB_MEMORY_LIMIT"
TEMP_DIRECTORY = "CAUSALKIT_DUCKDB_TEMP_DIRECTORY"
THREADS = "CAUSALKIT_DUCKDB_THREADS"
SPARK_MASTER = "CAUSALKIT_SPARK_MASTER"


@dataclass(frozen=True)
class DuckDBSettings:
    """DuckDB connection settings; ``None`` leaves DuckDB's own default."""

    memory_limit: str | None = None
    temp_directory: str | None = None
    threads: int | None = None


def duckdb_settings(environ: Mapping[str, str] | None = None) -> DuckDBSettings:
    """Settings from ``CAUSALKIT_DUCKDB_*`` variables (``os.environ`` by default).

    Raises:
        DataError: when ``CAUSALKIT_DUCKDB_THREADS`` is not a positive integer.

    Example:
        >>> duckdb_settings({"CAUSALKIT_DUCKDB_THREADS": "two"})
        Traceback (most recent call last):
        ...
        causalkit.errors.DataError: CAUSALKIT_DUCKDB_THREADS='two' is not a positive integer (...)
    """
    env = os.environ if environ is None else environ
    threads_text = env.get(THREADS) or None
    threads: int | None = None
    if threads_text is not None:
        try:
            threads = int(threads_text)
        except ValueError:
            threads = 0
        if threads < 1:
            raise DataError(f"{THREADS}={threads_text!r} is not a positive integer",
                            hint="set it to a thread count such as 2, or unset it")
    return DuckDBSettings(
        memory_limit=env.get(MEMORY_LIMIT) or None,
        temp_directory=env.get(TEMP_DIRECTORY) or None,
        threads=threads,
    )


def spark_master(environ: Mapping[str, str] | None = None) -> str:
    """The master URL for a locally started Spark session.

    Example:
        >>> spark_master({}), spark_master({"CAUSALKIT_SPARK_MASTER": "local[4]"})
        ('local[2]', 'local[4]')
    """
    env = os.environ if environ is None else environ
    return env.get(SPARK_MASTER) or "local[2]"
