"""Scaling curves: time and peak memory against rows for the A/B sufficient statistics.

DuckDB (1 GB memory limit, 2 threads) from 1M to 100M rows of Parquet, and Spark in
local mode (``local[2]``, 1 GB driver) up to 10M rows (30M in full mode); every point
runs in a fresh process (see ``outofcore.measure``). The full run writes
``docs/img/scale_time.svg``, ``docs/img/scale_memory.svg``, ``docs/img/scale.json`` and
the table between the ``scale:begin``/``scale:end`` markers of ``docs/scale.md``; a quick
run only prints its rows.

Usage::

    python benchmarks/scale.py [--quick] [--no-spark]
    python benchmarks/scale.py --replot     # redraw the SVGs from docs/img/scale.json
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import Result
from outofcore import ensure_data, measure

ROOT = Path(__file__).resolve().parent.parent
IMG = ROOT / "docs" / "img"
DOC = ROOT / "docs" / "scale.md"
BEGIN, END = "<!-- scale:begin -->", "<!-- scale:end -->"


def _spark_available() -> bool:
    import importlib.util
    import os

    if importlib.util.find_spec("pyspark") is None:
        return False
    home = os.environ.get("JAVA_HOME")
    return bool(shutil.which("java") or (home and Path(home, "bin", "java").exists()))


def curves(quick: bool, spark: bool) -> dict[str, list[tuple[int, float, float]]]:
    """Engine -> [(rows, seconds, peak MB)]."""
    duck_sizes = [1, 3, 10] if quick else [1, 3, 10, 30, 100]
    spark_sizes = [1, 3, 10] if quick else [1, 3, 10, 30]
    out: dict[str, list[tuple[int, float, float]]] = {"duckdb": []}
    ensure_data(max(duck_sizes) * 1_000_000)
    for m in duck_sizes:
        path, _ = ensure_data(m * 1_000_000)
        res, mb = measure("grouped", path, "duckdb")
        out["duckdb"].append((m * 1_000_000, res["seconds"], mb))
        print(f"[scale] duckdb {m}M: {res['seconds']:.2f} s, {mb:.0f} MB", file=sys.stderr)
    if spark:
        out["spark"] = []
        for m in spark_sizes:
            path, _ = ensure_data(m * 1_000_000)
            res, mb = measure("grouped", path, "spark")
            out["spark"].append((m * 1_000_000, res["seconds"], mb))
            print(f"[scale] spark {m}M: {res['seconds']:.2f} s, {mb:.0f} MB", file=sys.stderr)
    return out


def plots(data: dict[str, list[tuple[int, float, float]]]) -> list[Path]:
    """Write the two SVG plots; return their paths."""
    from causalkit.report.svg import figure_to_svg, new_figure

    IMG.mkdir(parents=True, exist_ok=True)
    written = []
    for what, idx, ylabel in (("time", 1, "seconds (grouped moments, 7 columns, 2 arms)"),
                              ("memory", 2, "peak resident memory (MB)")):
        fig, ax = new_figure(6.0, 3.8)
        for engine, points in data.items():
            rows = [p[0] for p in points]
            ax.plot(rows, [p[idx] for p in points], marker="o",
                    label={"duckdb": "DuckDB (memory_limit 1GB, 2 threads)",
                           "spark": "Spark local[2] (cold JVM, 1 GB driver)"}[engine])
        if what == "memory":
            ax.axhline(2048, color="grey", linestyle="--", linewidth=1)
            ax.text(1.1e6, 2048, "goal: 2 GB", va="bottom", color="grey")
            ax.set_ylim(0, 2400)
        ax.set_xscale("log")
        ax.set_yscale("log" if what == "time" else "linear")
        ax.set_xlabel("rows (Parquet)")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="center right" if what == "memory" else "upper left")
        path = IMG / f"scale_{what}.svg"
        path.write_text(figure_to_svg(fig), encoding="utf-8")
        written.append(path)
    return written


def table(data: dict[str, list[tuple[int, float, float]]]) -> str:
    """Markdown table of the measured points."""
    lines = ["| engine | rows | seconds | rows / s | peak MB |", "|---|---:|---:|---:|---:|"]
    for engine, points in data.items():
        for rows, sec, mb in points:
            lines.append(f"| {engine} | {rows / 1e6:.0f}M | {sec:.2f} | "
                         f"{rows / sec / 1e6:.2g}M | {mb:.0f} |")
    return "\n".join(lines) + "\n"


def update_doc(data: dict[str, list[tuple[int, float, float]]], quick: bool) -> None:
    """Replace the measured table between the markers of docs/scale.md (if present)."""
    if not DOC.exists():
        return
    text = DOC.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        return
    import datetime as dt

    import duckdb

    stamp = (f"Measured {dt.date.today().isoformat()} with `python benchmarks/scale.py"
             f"{' --quick' if quick else ''}` (DuckDB {duckdb.__version__}).\n\n")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{stamp}{table(data)}{END}{tail}", encoding="utf-8")


def run(quick: bool = False, spark: bool = True) -> list[Result]:
    """Measure the curves, write the plots and the docs table; one Result per point."""
    import json

    data = curves(quick, spark and _spark_available())
    if not quick:  # the docs show the full curves; a quick run leaves them alone
        IMG.mkdir(parents=True, exist_ok=True)
        (IMG / "scale.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
        plots(data)
        update_doc(data, quick)
    return [Result(benchmark="scale", case=f"{engine} grouped moments, {rows / 1e6:.0f}M rows",
                   causalkit_seconds=sec, peer="-", peer_seconds=None,
                   goal="linear time, flat memory", peak_memory_mb=mb,
                   note=f"{rows / sec / 1e6:.2g}M rows/s")
            for engine, points in data.items() for rows, sec, mb in points]


if __name__ == "__main__":
    if "--replot" in sys.argv:  # redraw the SVGs from docs/img/scale.json
        import json

        plots({k: [tuple(p) for p in v] for k, v in
               json.loads((IMG / "scale.json").read_text(encoding="utf-8")).items()})
        raise SystemExit(0)
    for r in run(quick="--quick" in sys.argv, spark="--no-spark" not in sys.argv):
        print(r)
