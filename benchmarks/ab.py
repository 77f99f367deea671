"""A/B analysis at scale: 10M users, 2 arms, a mean, a ratio and a CUPED metric from one Parquet file.

Compares, on the same file in the same run:

* causalkit (``analyze_source`` on the Parquet file: one grouped scan, the
  duplicate-unit check, SRM, tests, Holm; no figures) -- with and without the
  duplicate-unit check;
* tea-tasting on the same file, read into pandas (``pd.read_parquet``, its usual
  input) and through Ibis on DuckDB (aggregation pushed into the engine); the
  faster of the two is the peer time;
* a bare DuckDB aggregate query over the same columns (count, means, variances and
  the covariances the metrics need, grouped by arm): the floor of one scan.

It checks that causalkit's estimates, intervals and p-values agree with
tea-tasting's (absolute effects; tea-tasting's relative intervals are log-ratio
intervals, causalkit's are delta-method intervals) to 1e-6 relative.

Run ``python benchmarks/ab.py`` (10M rows) or ``python benchmarks/ab.py --quick`` (1M).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Result, best_of, peak_rss_mb

METRICS = [
    {"name": "revenue", "type": "mean", "column": "revenue", "role": "primary"},
    {"name": "matches_per_session", "type": "ratio", "numerator": "matches",
     "denominator": "sessions", "role": "primary"},
    {"name": "minutes", "type": "mean", "column": "minutes", "covariate": "pre_minutes",
     "role": "primary"},
]

BARE_SQL = """
SELECT variant, COUNT(*), AVG(revenue), VAR_SAMP(revenue),
       AVG(matches), AVG(sessions), VAR_SAMP(matches), VAR_SAMP(sessions),
       COVAR_SAMP(matches, sessions),
       AVG(minutes), AVG(pre_minutes), VAR_SAMP(minutes), VAR_SAMP(pre_minutes),
       COVAR_SAMP(minutes, pre_minutes)
FROM read_parquet('{path}') GROUP BY variant
"""


def make_file(path: Path, n: int, seed: int = 1) -> None:
    """Write the benchmark Parquet file (n users, 50/50, small true effects)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, n)
    pre = rng.gamma(2.0, 5.0, n)
    minutes = 0.6 * pre + rng.gamma(2.0, 3.0, n) + 0.05 * arm
    sessions = rng.poisson(3.0, n) + 1
    rate = rng.beta(3.5, 6.5, n) + 0.003 * arm
    matches = rng.binomial(sessions, np.clip(rate, 0, 1))
    revenue = rng.exponential(2.0, n) * (1 + 0.01 * arm)
    table = pa.table({
        "user_id": np.arange(n, dtype=np.int64),
        "variant": np.where(arm == 1, "treatment", "control"),
        "minutes": minutes, "pre_minutes": pre, "sessions": sessions.astype(np.int64),
        "matches": matches.astype(np.int64), "revenue": revenue,
    })
    pq.write_table(table, path, row_group_size=1 << 20)


def run_causalkit(path: Path, check_duplicates: bool = True) -> dict[str, tuple[float, ...]]:
    """causalkit's estimate, interval and p-value per metric."""
    from causalkit.ab.analysis import analyze_source
    from causalkit.data import Source, get_engine
    from causalkit.spec.ab import ABSpec

    spec = ABSpec.model_validate({
        "name": "bench", "kind": "ab", "unit": "user_id", "metrics": METRICS,
        "data": {"path": str(path)}, "check_duplicates": check_duplicates,
        "analysis": {"correction": "none"}})
    source = Source.from_path(path)
    get_engine(source)
    rep = analyze_source(spec, source, figures=False)
    return {e.metric: (e.estimate, e.ci_low, e.ci_high, e.p_value) for e in rep.estimates}


def _tea_experiment() -> Any:
    import tea_tasting as tt

    return tt.Experiment(
        revenue=tt.Mean("revenue"),
        matches_per_session=tt.RatioOfMeans("matches", "sessions"),
        minutes=tt.Mean("minutes", "pre_minutes"),
    )


def _tea_result(res: Any) -> dict[str, tuple[float, ...]]:
    return {name: (r.effect_size, r.effect_size_ci_lower, r.effect_size_ci_upper, r.pvalue)
            for name, r in res.items()}


def run_tea_pandas(path: Path) -> dict[str, tuple[float, ...]]:
    """tea-tasting on a pandas frame read from the file."""
    import pandas as pd

    data = pd.read_parquet(path, columns=["variant", "revenue", "matches", "sessions",
                                          "minutes", "pre_minutes"])
    return _tea_result(_tea_experiment().analyze(data, control="control"))


def run_tea_ibis(path: Path) -> dict[str, tuple[float, ...]]:
    """tea-tasting on an Ibis table over DuckDB (aggregation in the engine)."""
    import ibis

    con = ibis.duckdb.connect()
    data = con.read_parquet(str(path))
    return _tea_result(_tea_experiment().analyze(data, control="control"))


def run_bare(con: Any, path: Path) -> list[tuple[Any, ...]]:
    """The bare DuckDB aggregate query on an open connection."""
    return con.execute(BARE_SQL.format(path=str(path).replace("'", "''"))).fetchall()


def bare_results(rows: list[tuple[Any, ...]]) -> dict[str, tuple[float, ...]]:
    """Welch tests of the mean metric (revenue) from the bare aggregate's rows."""
    from causalkit.stats.effects import welch_test

    by = {r[0]: r for r in rows}
    c, t = by["control"], by["treatment"]
    r = welch_test(c[2], c[3], c[1], t[2], t[3], t[1])
    return {"revenue": (float(r.estimate), float(r.ci_low), float(r.ci_high),
                        float(r.p_value))}


def agree(a: dict[str, tuple[float, ...]], b: dict[str, tuple[float, ...]],
          rel: float = 1e-6) -> bool:
    """Whether two result dicts agree to ``rel`` (p-values below 1e-300 count as equal)."""
    for name, xs in a.items():
        for x, y in zip(xs, b[name]):
            if abs(x) < 1e-300 and abs(y) < 1e-300:
                continue
            if abs(x - y) > rel * max(abs(x), abs(y)):
                return False
    return True


def run(quick: bool = False) -> list[Result]:
    """Time causalkit, tea-tasting and bare DuckDB on one generated Parquet file."""
    n = 1_000_000 if quick else 10_000_000
    case = f"{n // 1_000_000}M users, 2 arms, mean + ratio + CUPED, Parquet"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ab.parquet"
        make_file(path, n)
        run_causalkit(path)  # warm up imports and the file cache
        t_ck, ours = best_of(lambda: run_causalkit(path), repeat=3)
        t_ck_nodup, _ = best_of(lambda: run_causalkit(path, check_duplicates=False), repeat=3)
        mem = peak_rss_mb()
        import duckdb

        con = duckdb.connect()
        run_bare(con, path)
        t_bare, rows = best_of(lambda: run_bare(con, path), repeat=3)
        con.close()
        bare = bare_results(rows)
        same = agree({"revenue": ours["revenue"]}, bare, rel=1e-9)
        results = [
            Result("ab", case, t_ck, "duckdb (bare aggregate)", t_bare, "<= 1.5", agree=same,
                   peak_memory_mb=mem, note="includes the duplicate-unit check"),
            Result("ab", case + ", no duplicate check", t_ck_nodup, "duckdb (bare aggregate)",
                   t_bare, "<= 1.5", agree=same),
        ]
        try:
            import tea_tasting  # noqa: F401
        except ImportError:
            results.append(Result("ab", case, t_ck, "tea-tasting", None, "<= 0.25",
                                  note="tea-tasting not installed"))
            return results
        t_pd, theirs_pd = best_of(lambda: run_tea_pandas(path), repeat=2)
        results.append(Result("ab", case, t_ck, "tea-tasting (pandas from the file)", t_pd,
                              "<= 0.25", agree=agree(ours, theirs_pd)))
        try:
            t_ibis, theirs_ibis = best_of(lambda: run_tea_ibis(path), repeat=2)
        except Exception as exc:  # ibis is optional for tea-tasting, and version-sensitive
            results.append(Result("ab", case, t_ck, "tea-tasting (Ibis on DuckDB)", None,
                                  "<= 0.25", note=f"not run: {type(exc).__name__}: {exc}"[:120]))
        else:
            results.append(Result("ab", case, t_ck, "tea-tasting (Ibis on DuckDB)", t_ibis,
                                  "<= 0.25", agree=agree(ours, theirs_ibis)))
        return results


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        ratio = f"{r.ratio:.3f}" if r.ratio is not None else "n/a"
        peer = f"{r.peer_seconds:.3f}s" if r.peer_seconds is not None else "n/a"
        print(f"{r.case} | causalkit {r.causalkit_seconds:.3f}s | {r.peer} {peer} | "
              f"ratio {ratio} (goal {r.goal}) | agree {r.agree} | {r.note}")
