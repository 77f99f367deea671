"""Shared fixtures of the data tests: one local Spark session for the whole run.

Spark tests are marked ``spark``; they skip cleanly when pyspark or Java is missing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest


def _java_available() -> bool:
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return True
    return shutil.which("java") is not None


@pytest.fixture(scope="session")
def spark_engine() -> Iterator[Any]:
    """A SparkEngine on a local[2] session started by the engine itself (stopped at the end)."""
    pytest.importorskip("pyspark")
    if not _java_available():
        pytest.skip("Spark needs a Java runtime (java on PATH or JAVA_HOME)")
    from causalkit.data.spark_engine import SparkEngine

    engine = SparkEngine()
    session = engine.spark
    yield engine
    engine.close()
    session.stop()


@pytest.fixture(scope="session")
def spark(spark_engine: Any) -> Any:
    """The shared SparkSession."""
    return spark_engine.spark
