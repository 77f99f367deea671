"""Out-of-core DuckDB: settings from the environment, results under a tight memory limit,
and (slow) a bounded peak memory of a fresh process that aggregates more data than it holds.

The 100M-row figure is measured by benchmarks/outofcore.py, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from causalkit.data import DuckDBEngine, Moments, Source
from causalkit.data.settings import duckdb_settings
from causalkit.errors import DataError


def setting(engine: DuckDBEngine, name: str) -> str:
    src = Source.from_frame(pd.DataFrame({"a": [1]}))
    return str(engine.query(src, f"SELECT current_setting('{name}') AS v").to_pylist()[0]["v"])


def test_environment_sets_memory_limit_threads_and_temp_directory(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CAUSALKIT_DUCKDB_MEMORY_LIMIT", "100MB")
    monkeypatch.setenv("CAUSALKIT_DUCKDB_THREADS", "1")
    monkeypatch.setenv("CAUSALKIT_DUCKDB_TEMP_DIRECTORY", str(tmp_path))
    eng = DuckDBEngine()
    assert setting(eng, "memory_limit") == "95.3 MiB"  # 100 MB in DuckDB's units
    assert setting(eng, "threads") == "1"
    assert setting(eng, "temp_directory") == str(tmp_path)
    # arguments win over the environment
    assert setting(DuckDBEngine(memory_limit="200MB", threads=2), "threads") == "2"


def test_bad_thread_count_is_a_data_error() -> None:
    with pytest.raises(DataError, match="CAUSALKIT_DUCKDB_THREADS='0' is not a positive"):
        duckdb_settings({"CAUSALKIT_DUCKDB_THREADS": "0"})
    assert duckdb_settings({}).memory_limit is None


def natural_rel(a: Moments, b: Moments) -> float:
    diag = np.maximum(np.diag(a.comoment), np.diag(b.comoment))
    sd = np.sqrt(diag / max(a.n, 1))
    ms = np.maximum(np.maximum(np.abs(a.mean), np.abs(b.mean)), np.maximum(sd, 1e-300))
    cs = np.maximum(np.sqrt(np.outer(diag, diag)), 1e-300)
    return float(max(np.max(np.abs(a.mean - b.mean) / ms),
                     np.max(np.abs(a.comoment - b.comoment) / cs)))


def test_many_groups_under_a_small_memory_limit_match_an_unbounded_run(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n = 1_500_000
    frame = pd.DataFrame({"g": rng.integers(0, 200_000, n), "x": rng.normal(5.0, 2.0, n),
                          "y": rng.poisson(3.0, n)})
    path = tmp_path / "many.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path,
                   row_group_size=100_000)
    src = Source.from_path(path)
    small = DuckDBEngine(memory_limit="200MB", threads=1,
                         temp_directory=str(tmp_path / "spill")).grouped_moments(
        src, by=["g"], columns=["x", "y"])
    big = DuckDBEngine(memory_limit="4GB").grouped_moments(src, by=["g"], columns=["x", "y"])
    assert small.keys() == big.keys()
    assert sum(m.n for m in small.values()) == n
    assert max(natural_rel(small[k], big[k]) for k in big) <= 1e-12
    # and one group against numpy
    part = frame.loc[frame["g"] == 7, ["x", "y"]].to_numpy(dtype=float)
    ref = Moments.from_array(["x", "y"], part)
    assert natural_rel(small[(7,)], ref) <= 1e-12


CHILD = textwrap.dedent("""
    import json, sys
    from causalkit.data import DuckDBEngine, Source
    eng = DuckDBEngine(memory_limit="256MB", threads=2, temp_directory=sys.argv[2])
    out = eng.grouped_moments(Source.from_path(sys.argv[1]), by=["arm"], columns=["x", "y", "z"])
    with open("/proc/self/status") as fh:  # VmHWM: this program's peak (ru_maxrss may carry
        hwm = next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:"))  # the parent's)
    print(json.dumps({"n": {str(k[0]): m.n for k, m in out.items()}, "peak_kb": hwm}))
""")


@pytest.mark.slow
def test_peak_memory_stays_bounded_on_data_larger_than_it(tmp_path: Path) -> None:
    """30M rows x 3 doubles (720 MB of values) aggregated by a process that peaks far lower."""
    rng = np.random.default_rng(9)
    files = 6
    rows = 5_000_000
    folder = tmp_path / "rows"
    folder.mkdir()
    for i in range(files):
        arm = pa.DictionaryArray.from_arrays(
            pa.array(rng.integers(0, 2, rows).astype(np.int8)), pa.array(["c", "t"]))
        table = pa.table({"arm": arm, "x": rng.normal(size=rows), "y": rng.normal(size=rows),
                          "z": rng.normal(size=rows)})
        pq.write_table(table, folder / f"part-{i}.parquet", row_group_size=250_000)
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(tmp_path / "spill")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert sum(result["n"].values()) == files * rows
    peak_mb = result["peak_kb"] / 1024
    values_mb = files * rows * 3 * 8 / 2**20
    assert peak_mb < 600 < values_mb, (peak_mb, values_mb)
