"""Segments and targeting cost: the same A/B analysis with and without a 50-segment breakdown.

One Parquet file of ``N`` users (10M; ``--quick``: 1M) with a mean, a proportion, a
ratio and a CUPED metric and a ``segment`` column of 50 values, written once by DuckDB.
On the same file in the same run (best of 3, DuckDB, figures off):

* ``plain``: :func:`causalkit.ab.analysis.analyze_source` without segments;
* ``segments``: the same with ``segments: [segment]`` (one grouped scan by arm x
  segment; goal: within 1.5x of ``plain``);
* ``targeting``: the same with a targeting rule over ``segment`` (the analysis reads a
  filtered relation and runs one light count query; reported against ``plain``).

Usage::

    python benchmarks/segments.py [--quick] [--rows N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import Result, best_of, peak_rss_mb

SEGMENTS = 50
GOAL = 1.5
METRICS = [
    {"name": "revenue", "type": "mean", "column": "revenue", "role": "primary"},
    {"name": "converted", "type": "proportion", "column": "converted"},
    {"name": "matches_per_session", "type": "ratio", "numerator": "matches",
     "denominator": "sessions"},
    {"name": "minutes", "type": "mean", "column": "minutes", "covariate": "pre_minutes"},
]


def write_data(rows: int, folder: Path) -> Path:
    """``rows`` users with 50 segments, written to Parquet by DuckDB (seeded)."""
    import duckdb

    path = folder / f"segments_{rows}.parquet"
    if path.exists():
        return path
    con = duckdb.connect()
    con.execute("SELECT setseed(0.15)")
    con.execute(f"""
        COPY (
          SELECT i AS user_id,
                 CASE WHEN random() < 0.5 THEN 'control' ELSE 'treatment' END AS variant,
                 'seg' || LPAD(CAST(CAST(floor(random() * random() * {SEGMENTS}) AS INT)
                                    AS VARCHAR), 2, '0') AS segment,
                 random() * 10 AS revenue,
                 CAST(random() < 0.3 AS INT) AS converted,
                 CAST(floor(random() * 5) AS DOUBLE) AS matches,
                 CAST(1 + floor(random() * 4) AS DOUBLE) AS sessions,
                 random() * 30 AS pre_minutes,
                 random() * 30 AS minutes
          FROM range({rows}) t(i)
        ) TO '{path}' (FORMAT PARQUET)""")
    return path


def analyse(path: Path, **extra: Any) -> Any:
    from causalkit.ab.analysis import analyze_source
    from causalkit.data import Source
    from causalkit.spec.ab import ABSpec

    spec = ABSpec.model_validate({"name": "bench", "kind": "ab", "unit": "user_id",
                                  "metrics": METRICS, **extra})
    return analyze_source(spec, Source.from_path(path), figures=False)


def run(quick: bool = False, rows: int | None = None) -> list[Result]:
    """Time the three cases on one file; ratios against the plain analysis."""
    n = rows or (1_000_000 if quick else 10_000_000)
    folder = Path(tempfile.gettempdir()) / "causalkit-bench"
    folder.mkdir(exist_ok=True)
    path = write_data(n, folder)
    analyse(path)  # warm the engine and the file cache
    plain, rep0 = best_of(lambda: analyse(path))
    seg, rep1 = best_of(lambda: analyse(path, segments=["segment"]))
    rule = 'segment != "none" and revenue >= 0'  # everyone: no leak, full cost
    tgt, rep2 = best_of(lambda: analyse(path, targeting=rule))
    segs = len({e.segment for e in rep1.estimates if e.segment})
    agree = all(abs(a.estimate - b.estimate) <= 1e-9 * max(1.0, abs(b.estimate))
                for a, b in zip(rep1.estimates, rep0.estimates))
    mem = peak_rss_mb()
    label = f"{n:,} users"
    return [
        Result("segments", f"{label}, {segs} segments x 4 metrics", seg, "same analysis "
               "without segments", plain, f"<= {GOAL}x", agree, mem),
        Result("segments", f"{label}, targeting rule", tgt, "same analysis without targeting",
               plain, "reported", {c.name: c.status.value for c in rep2.checks}.get(
                   "targeting_leak") == "pass", mem),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1M users instead of 10M")
    parser.add_argument("--rows", type=int, default=None, help="users (overrides --quick)")
    args = parser.parse_args()
    for r in run(args.quick, args.rows):
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
        print(f"{r.case}: {r.causalkit_seconds:.2f} s vs {r.peer} {r.peer_seconds:.2f} s "
              f"= {ratio} (goal {r.goal}; agree {r.agree}; peak {r.peak_memory_mb:.0f} MB)")


if __name__ == "__main__":
    main()
