"""Run every benchmark and write one Markdown table: ``python benchmarks/run_all.py``.

Every ``benchmarks/<name>.py`` that defines ``run(quick: bool) -> list[Result]`` is a
benchmark (``common.py``, ``run_all.py`` and ``_*.py`` are not). Each module runs in its
own Python process, so a failure or a crash is reported in the table without stopping the
others, and peak memory is not carried over from one module to the next. The interpreter
is the peers environment ``benchmarks/.env`` when it exists (see benchmarks/README.md),
else the current one.

Usage::

    python benchmarks/run_all.py [--quick] [--out docs/benchmarks.md] [--only ab,scale]
                                 [--python PATH] [--timeout SECONDS]
    python benchmarks/run_all.py --render benchmarks/_data/last_run.json --out docs/benchmarks.md

Every run also saves its raw rows to ``benchmarks/_data/last_run.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.util
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from common import Result

SKIP = {"common", "run_all"}
SAVED = HERE / "_data" / "last_run.json"


def discover() -> list[str]:
    """Names of the benchmark modules (files that define a top-level ``def run(``)."""
    names = []
    for path in sorted(HERE.glob("*.py")):
        if path.stem in SKIP or path.stem.startswith("_"):
            continue
        text = path.read_text(encoding="utf-8")
        if "\ndef run(" in text:
            names.append(path.stem)
    return names


def _child(name: str, quick: bool) -> None:
    """Run one module in this process; print its results as JSON on the last line."""
    sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", HERE / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.run(quick=quick)
    rows = [dataclasses.asdict(r) if dataclasses.is_dataclass(r) else dict(r) for r in results]
    print("\n" + json.dumps(rows, default=str))


def run_module(name: str, *, quick: bool, python: str, timeout: float | None
               ) -> tuple[list[Result], str | None, float]:
    """Run one module in a subprocess; return (results, error or None, wall seconds)."""
    cmd = [python, str(Path(__file__).resolve()), "--child", name] + (["--quick"] if quick else [])
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                              cwd=ROOT)
    except subprocess.TimeoutExpired:
        return [], f"timed out after {timeout:.0f} s", time.perf_counter() - t0
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        return [], (tail[-1] if tail else f"exit code {proc.returncode}")[:300], wall
    try:
        rows = json.loads(proc.stdout.strip().splitlines()[-1])
        fields = {f.name for f in dataclasses.fields(Result)}
        return [Result(**{k: v for k, v in row.items() if k in fields}) for row in rows], None, wall
    except (ValueError, IndexError, TypeError) as exc:
        return [], f"could not read the results: {exc}", wall


def _num(x: float | None, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if x == 0:
        return "0"
    if abs(x) < 1e-3:
        return f"{x:.{digits - 1}e}"
    mag = math.floor(math.log10(abs(x)))
    decimals = max(digits - 1 - mag, 0)
    return f"{x:.{decimals}f}"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(results: list[Result]) -> str:
    """The Markdown table of results."""
    head = ("| benchmark | case | causalkit s | peer | peer s | ratio | goal | agree | peak MB "
            "| note |\n|---|---|---:|---|---:|---:|---|:---:|---:|---|\n")
    lines = []
    for r in results:
        agree = "-" if r.agree is None else ("yes" if r.agree else "**NO**")
        ratio = r.ratio
        lines.append("| " + " | ".join(_cell(c) for c in (
            r.benchmark, r.case, _num(r.causalkit_seconds), r.peer, _num(r.peer_seconds),
            "-" if ratio is None else (f"{ratio:.2f}" if ratio >= 0.01 else f"{ratio:.1e}"),
            r.goal, agree,
            _num(r.peak_memory_mb, 3) if r.peak_memory_mb is not None else "-", r.note)) + " |")
    return head + "\n".join(lines) + "\n"


def _versions(python: str) -> str:
    code = ("import platform, importlib.metadata as m\n"
            "out = ['Python ' + platform.python_version()]\n"
            "for p in ('causalkit', 'numpy', 'duckdb', 'pyarrow', 'pyspark', 'tea-tasting',"
            " 'dowhy', 'econml'):\n"
            "    try: out.append(p + ' ' + m.version(p))\n"
            "    except Exception: pass\n"
            "print(', '.join(out))")
    try:
        return subprocess.run([python, "-c", code], capture_output=True, text=True,
                              timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _machine() -> str:
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            kb = int(fh.readline().split()[1])
        mem = f", {kb / 1024**2:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs{mem}"


def markdown(results: list[Result], failures: dict[str, str], walls: dict[str, float],
             *, quick: bool, python: str, when: str) -> str:
    """The whole page: how it was made, the table, failures."""
    mode = "quick" if quick else "full"
    parts = [
        "# Benchmarks\n",
        "Generated by `python benchmarks/run_all.py"
        + (" --quick" if quick else "") + " --out docs/benchmarks.md`; see "
        "`benchmarks/README.md` for the peers environment and "
        "[scale.md](scale.md) for the scaling curves and the 100M-row figures.\n",
        "Each row times causalkit and the named peer on the same data in the same run "
        "(best of a few repeats unless the case says otherwise). **ratio** is causalkit "
        "time / peer time: below 1 means causalkit is faster. **agree** says whether the two "
        "gave the same answer within the module's tolerance. **peak MB** is the peak resident "
        "memory of the process that ran causalkit's case.\n",
        f"- run: {when}, {mode} mode\n- machine: {_machine()}\n- versions: {_versions(python)}\n"
        f"- modules: " + ", ".join(f"`{m}` ({walls[m]:.0f} s)" for m in walls) + "\n",
        table(results),
    ]
    if failures:
        parts.append("\n## Modules that failed\n\n" + "".join(
            f"- `{name}`: {_cell(err)}\n" for name, err in failures.items()))
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code (1 when a module failed)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (minutes, not an hour)")
    ap.add_argument("--out", type=Path, help="write the Markdown page here (default: stdout)")
    ap.add_argument("--only", help="comma-separated module names")
    env_python = HERE / ".env" / "bin" / "python"
    ap.add_argument("--python", default=str(env_python) if env_python.exists() else sys.executable,
                    help="interpreter of the peers environment")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per module")
    ap.add_argument("--render", type=Path,
                    help="re-render a saved run (benchmarks/_data/last_run.json) without running")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(args.child, args.quick)
        return 0
    if args.render:
        saved = json.loads(args.render.read_text(encoding="utf-8"))
        fields = {f.name for f in dataclasses.fields(Result)}
        page = markdown([Result(**{k: v for k, v in r.items() if k in fields})
                         for r in saved["results"]], saved["failures"], saved["walls"],
                        quick=saved["quick"], python=args.python, when=saved["when"])
        _emit(page, args.out)
        return 0
    names = discover()
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            ap.error(f"unknown benchmark(s): {', '.join(unknown)} (known: {', '.join(names)})")
        names = [n for n in names if n in wanted]
    results: list[Result] = []
    failures: dict[str, str] = {}
    walls: dict[str, float] = {}
    for name in names:
        print(f"[run_all] {name} ...", file=sys.stderr, flush=True)
        got, err, wall = run_module(name, quick=args.quick, python=args.python,
                                    timeout=args.timeout)
        walls[name] = wall
        results.extend(got)
        if err is not None:
            failures[name] = err
        print(f"[run_all] {name}: {len(got)} row(s), {wall:.0f} s"
              + (f", FAILED: {err}" if err else ""), file=sys.stderr, flush=True)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    SAVED.parent.mkdir(parents=True, exist_ok=True)
    SAVED.write_text(json.dumps({"when": when, "quick": args.quick, "walls": walls,
                                 "failures": failures,
                                 "results": [dataclasses.asdict(r) for r in results]},
                                default=str, indent=1), encoding="utf-8")
    page = markdown(results, failures, walls, quick=args.quick, python=args.python, when=when)
    _emit(page, args.out)
    return 1 if failures else 0


def _emit(page: str, out: Path | None) -> None:
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
        print(f"[run_all] wrote {out}", file=sys.stderr)
    else:
        print(page)


if __name__ == "__main__":
    raise SystemExit(main())
