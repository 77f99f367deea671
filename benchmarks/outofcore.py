"""Out-of-core A/B on one machine: 100M rows of Parquet with bounded memory (DuckDB).

Generates an A/B data set with the columns of the ``ab`` simulator in 1M-row Parquet
files (``benchmarks/_data/ab_rows/part-0000.parquet`` ...; about 3.4 GB for 100M rows,
kept between runs; smaller sizes are folders of links to the first files), then measures, each in a fresh subprocess whose peak resident
memory is read with ``os.wait4``:

* ``grouped``: the A/B sufficient statistics (per-arm moments of the seven metric
  columns) through ``DuckDBEngine.grouped_moments`` with a 1 GB DuckDB memory limit;
* ``analysis``: the whole A/B analysis (``causalkit run`` on a spec whose data is
  the Parquet folder, JSON report), when the ``ab`` analysis is registered;
* peer ``pyarrow``: a hand-written streaming baseline (pyarrow batches, numpy
  moments per batch, merged exactly), on the same files.

Usage::

    python benchmarks/outofcore.py            # 100M rows
    python benchmarks/outofcore.py --quick    # 10M rows
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import Result

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data" / "ab_rows"
FILE_ROWS = 1_000_000
ROW_GROUP = 250_000
COLUMNS = ["chat_minutes", "pre_chat_minutes", "matches", "sessions", "pre_matches",
           "pre_sessions", "reported"]
MEMORY_LIMIT = "1GB"
GOAL_MB = 2048.0


# -- data -------------------------------------------------------------------------------
def _part(i: int) -> Path:
    return DATA / f"part-{i:04d}.parquet"


def _write_part(i: int, seed: int = 2026) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng([seed, i])
    n = FILE_ROWS
    ids = np.arange(i * n, (i + 1) * n, dtype=np.int64) + 1
    treat = rng.random(n) < 0.5
    pre = np.maximum(rng.normal(12.0, 4.0, n), 0.0)
    minutes = np.maximum(12.0 + 0.7 * (pre - 12.0) + rng.normal(0.0, 4.0 * 0.714, n)
                         + 0.3 * treat, 0.0)
    sessions = (1 + rng.poisson(2.0, n)).astype(np.int32)
    pre_sessions = (1 + rng.poisson(2.0, n)).astype(np.int32)
    matches = rng.binomial(sessions, 0.35 + 0.01 * treat).astype(np.int32)
    pre_matches = rng.binomial(pre_sessions, 0.35).astype(np.int32)
    reported = (rng.random(n) < 0.02).astype(np.int8)
    start = np.datetime64("2026-11-01T00:00:00", "us")
    exposed = start + (rng.random(n) * 14 * 86_400e6).astype("timedelta64[us]")
    variant = pa.DictionaryArray.from_arrays(pa.array(treat.astype(np.int8)),
                                             pa.array(["control", "treatment"]))
    table = pa.table({
        "user_id": ids, "variant": variant, "chat_minutes": minutes,
        "pre_chat_minutes": pre, "sessions": sessions, "matches": matches,
        "pre_sessions": pre_sessions, "pre_matches": pre_matches, "reported": reported,
        "exposed_at": exposed,
    })
    tmp = _part(i).with_suffix(".tmp")
    pq.write_table(table, tmp, row_group_size=ROW_GROUP, compression="snappy")
    tmp.rename(_part(i))


def ensure_data(rows: int) -> tuple[str, int]:
    """Write the Parquet files for ``rows`` (1, 3, 10, 30 or 100 M) if missing.

    Returns:
        (a folder holding exactly those files, their total size in bytes).
    """
    files = rows // FILE_ROWS
    DATA.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        if not _part(i).exists():
            _write_part(i)
    return dir_for(rows), sum(_part(i).stat().st_size for i in range(files))


def dir_for(rows: int) -> str:
    """A folder holding exactly the first ``rows // 1M`` files (symbolic links)."""
    files = rows // FILE_ROWS
    if files == 100:
        return str(DATA)
    folder = HERE / "_data" / f"ab_{files}M"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        link = folder / _part(i).name
        if not link.exists():
            link.symlink_to(_part(i))
    return str(folder)


# -- measured work (runs in a child process) --------------------------------------------
def child_grouped(path: str, engine: str) -> dict[str, Any]:
    from causalkit.data import DuckDBEngine, Source
    from causalkit.spec.common import Engine

    if engine == "spark":
        from causalkit.data.spark_engine import SparkEngine

        eng: Any = SparkEngine(config={"spark.driver.memory": "1g"})
        _ = eng.spark  # start the session outside the timing
        src = Source.from_path(path, engine=Engine.SPARK)
    else:
        eng = DuckDBEngine(memory_limit=MEMORY_LIMIT, threads=2,
                           temp_directory=str(HERE / "_data" / "tmp"))
        src = Source.from_path(path)
    t0 = time.perf_counter()
    out = eng.grouped_moments(src, by=["variant"], columns=COLUMNS)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "moments": _plain(out), "descendants_mb": descendants_peak_mb()}


def self_peak_mb() -> float:
    """This program's peak RSS (VmHWM; ru_maxrss of a child may include its parent's pages)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")  # pragma: no cover - not Linux


def descendants_peak_mb() -> float:
    """Sum of the peak RSS (VmHWM) of this process's live descendants, e.g. Spark's JVM."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    stat = fh.read()
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    mine, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - mine
        mine |= frontier
    total = 0.0
    for pid in mine:
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) / 1024
        except (OSError, ValueError):
            continue
    return total


def child_peer(path: str) -> dict[str, Any]:
    import glob

    import numpy as np
    import pyarrow.parquet as pq

    from causalkit.data import Moments

    t0 = time.perf_counter()
    acc: dict[str, Moments] = {}
    files = sorted(glob.glob(os.path.join(path, "*.parquet"))) if os.path.isdir(path) \
        else sorted(glob.glob(path))
    for f in files:
        pf = pq.ParquetFile(f)
        for batch in pf.iter_batches(batch_size=1_000_000, columns=["variant", *COLUMNS]):
            labels = batch.column(0).dictionary.to_pylist()
            codes = batch.column(0).indices.to_numpy()
            x = np.column_stack([batch.column(j + 1).to_numpy().astype(np.float64)
                                 for j in range(len(COLUMNS))])
            for code, label in enumerate(labels):
                part = Moments.from_array(COLUMNS, x[codes == code])
                acc[label] = acc[label] + part if label in acc else part
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "moments": _plain({(k,): m for k, m in acc.items()})}


def child_analysis(path: str) -> dict[str, Any]:
    import tempfile

    spec = HERE / "_data" / "outofcore_ab.yaml"
    spec.write_text(
        "name: outofcore-ab\nkind: ab\nunit: user_id\nvariant_column: variant\n"
        "metrics:\n"
        "  - {name: chat_minutes, type: mean, column: chat_minutes, covariate: pre_chat_minutes,"
        " role: primary, direction: increase}\n"
        "  - {name: matches_per_session, type: ratio, numerator: matches, denominator: sessions,"
        " covariate_numerator: pre_matches, covariate_denominator: pre_sessions}\n"
        "  - {name: report_rate, type: proportion, column: reported, role: guardrail,"
        " direction: decrease, margin: 0.008}\n"
        f"data: {{path: {json.dumps(path)}}}\n")
    from click.testing import CliRunner

    from causalkit.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        t0 = time.perf_counter()
        res = CliRunner().invoke(main, ["run", str(spec), "--format", "json", "--out", str(out)])
        seconds = time.perf_counter() - t0
        if not out.exists():
            raise RuntimeError(f"causalkit run failed ({res.exit_code}): {res.output[-500:]}"
                               f" {res.exception!r}")
        report = json.loads(out.read_text())
    return {"seconds": seconds, "estimates": [
        {k: e.get(k) for k in ("metric", "estimate", "ci_low", "ci_high", "p_value")}
        for e in report["estimates"]]}


def _plain(moments: dict[tuple[object, ...], Any]) -> dict[str, Any]:
    return {str(k[0]): {"n": m.n, "mean": m.mean.tolist(), "comoment": m.comoment.tolist()}
            for k, m in moments.items()}


def measure(kind: str, path: str, engine: str = "duckdb",
            env: dict[str, str] | None = None) -> tuple[dict[str, Any], float]:
    """Run one measurement in a fresh Python process; return (its JSON, its peak RSS in MB)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, path, engine]
    full_env = {**os.environ, **(env or {}), "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env)
    assert proc.stdout is not None
    assert proc.stderr is not None
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} failed: {err.decode(errors='replace')[-800:]}")
    last = json.loads(out.decode().strip().splitlines()[-1])
    # own peak (VmHWM, else ru_maxrss) + live descendants (Spark's JVM is not reaped yet)
    own = float(last.get("self_mb") or usage.ru_maxrss / 1024)
    return last, own + float(last.get("descendants_mb", 0.0))


def same_moments(a: dict[str, Any], b: dict[str, Any], rtol: float = 1e-9) -> bool:
    """Whether two moment dumps agree: counts exactly; means to ``rtol`` of max(|mean|, sd);
    comoments to ``rtol`` of sqrt(C_ii C_jj) (each entry on its natural scale)."""
    import numpy as np

    if set(a) != set(b):
        return False
    for k in a:
        if a[k]["n"] != b[k]["n"]:
            return False
        ma, mb = np.asarray(a[k]["mean"]), np.asarray(b[k]["mean"])
        ca, cb = np.asarray(a[k]["comoment"]), np.asarray(b[k]["comoment"])
        diag = np.maximum(np.diag(ca), np.diag(cb))
        sd = np.sqrt(diag / max(a[k]["n"], 1))
        mscale = np.maximum(np.maximum(np.abs(ma), np.abs(mb)), sd)
        cscale = np.sqrt(np.outer(diag, diag))
        if np.any(np.abs(ma - mb) > rtol * mscale) or np.any(np.abs(ca - cb) > rtol * cscale):
            return False
    return True


def _analysis_available() -> bool:
    try:
        from causalkit.registry import analyzer

        analyzer("ab")
    except Exception:
        return False
    return True


# -- the benchmark ----------------------------------------------------------------------
def run(quick: bool = False) -> list[Result]:
    """Out-of-core rows: grouped A/B moments (and the whole analysis) over 10M/100M rows."""
    rows = 10_000_000 if quick else 100_000_000
    path, size = ensure_data(rows)
    label = f"{rows // 1_000_000}M rows Parquet ({size / 1e9:.1f} GB), DuckDB limit {MEMORY_LIMIT}"
    ours, ours_mb = measure("grouped", path)
    peer, peer_mb = measure("peer", path)
    results = [Result(
        benchmark="outofcore", case=f"A/B grouped moments, {label}",
        causalkit_seconds=ours["seconds"], peer="pyarrow batches + numpy",
        peer_seconds=peer["seconds"], goal="peak < 2 GB",
        agree=same_moments(ours["moments"], peer["moments"]), peak_memory_mb=ours_mb,
        note=f"peer peak {peer_mb:.0f} MB; goal {'met' if ours_mb < GOAL_MB else 'MISSED'}")]
    if _analysis_available():
        env = {"CAUSALKIT_DUCKDB_MEMORY_LIMIT": MEMORY_LIMIT, "CAUSALKIT_DUCKDB_THREADS": "2",
               "CAUSALKIT_DUCKDB_TEMP_DIRECTORY": str(HERE / "_data" / "tmp")}
        try:
            ana, ana_mb = measure("analysis", path, env=env)
            results.append(Result(
                benchmark="outofcore", case=f"A/B analysis (causalkit run), {label}",
                causalkit_seconds=ana["seconds"], peer="-", peer_seconds=None,
                goal="peak < 2 GB", agree=None, peak_memory_mb=ana_mb,
                note=f"goal {'met' if ana_mb < GOAL_MB else 'MISSED'}"))
        except RuntimeError as exc:
            results.append(Result(
                benchmark="outofcore", case=f"A/B analysis (causalkit run), {label}",
                causalkit_seconds=float("nan"), peer="-", peer_seconds=None,
                goal="peak < 2 GB", note=f"failed: {str(exc).strip().splitlines()[-1][:200]}"))
    if not quick:
        update_doc(results, rows)
    return results


def update_doc(results: list[Result], rows: int) -> None:
    """Write the measured rows between the ``outofcore:begin``/``end`` markers of docs/scale.md."""
    import datetime as dt

    import duckdb

    doc = HERE.parent / "docs" / "scale.md"
    begin, end = "<!-- outofcore:begin -->", "<!-- outofcore:end -->"
    if not doc.exists():
        return
    text = doc.read_text(encoding="utf-8")
    if begin not in text or end not in text:
        return
    lines = [f"Measured {dt.date.today().isoformat()} with `python benchmarks/outofcore.py` "
             f"({rows // 1_000_000}M rows, DuckDB {duckdb.__version__}, memory limit "
             f"{MEMORY_LIMIT}, 2 threads, {os.cpu_count()} CPUs); each case in a fresh process.",
             "", "| case | seconds | peak memory (MB) | goal (< 2048 MB) |",
             "|---|---:|---:|---|"]
    for r in results:
        peak = "-" if r.peak_memory_mb is None else f"{r.peak_memory_mb:.0f}"
        met = "-" if r.peak_memory_mb is None else \
            ("met" if r.peak_memory_mb < GOAL_MB else "missed")
        lines.append(f"| {r.case} | {r.causalkit_seconds:.1f} | {peak} | {met} |")
        if r.peer_seconds is not None:
            lines.append(f"| same statistics, {r.peer} (peer) | {r.peer_seconds:.1f} | "
                         f"{r.note.split(';')[0].replace('peer peak ', '').replace(' MB', '')} "
                         "| - |")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    doc.write_text(head + begin + "\n" + "\n".join(lines) + "\n" + end + tail,
                   encoding="utf-8")


def _child_main(argv: list[str]) -> None:
    kind, path, engine = argv
    if kind == "grouped":
        out = child_grouped(path, engine)
    elif kind == "peer":
        out = child_peer(path)
    elif kind == "analysis":
        out = child_analysis(path)
    else:
        raise SystemExit(f"unknown child kind {kind}")
    out["self_mb"] = self_peak_mb()
    print(json.dumps(out))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child_main(sys.argv[2:])
    else:
        for r in run(quick="--quick" in sys.argv):
            print(r)
