"""One Python door for every kind: ``causalkit.analyze(spec, data=...)``.

For each example design: the data its simulator makes are written to Parquet; the
CLI runs a spec that points at those files, and ``causalkit.analyze`` runs the same
spec *without* a ``data:`` key on the frames. The estimates agree to 1e-12.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import causalkit
from causalkit.entry import load_spec, resolve_sources
from causalkit.report import Report

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("causalkit")
DESIGNS = sorted((ROOT / "designs").glob("*.yaml"))
FLOATS = ("estimate", "ci_low", "ci_high", "p_value", "se", "relative", "relative_ci_low",
          "relative_ci_high", "level", "level_reference", "decision_ci_low", "decision_ci_high")


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


def assert_same_estimates(left: Report, right: Report) -> None:
    assert [e.label for e in left.estimates] == [e.label for e in right.estimates]
    for a, b in zip(left.estimates, right.estimates):
        for name in FLOATS:
            assert _close(getattr(a, name), getattr(b, name)), (a.label, name,
                                                                 getattr(a, name),
                                                                 getattr(b, name))
        assert (a.n, a.n_reference, a.assessment) == (b.n, b.n_reference, b.assessment)


def _raw(design: Path) -> dict[str, Any]:
    from causalkit.spec.loader import parse_yaml

    data: dict[str, Any] = parse_yaml(design.read_text(), str(design))[0]
    return data


def _frames(design: Path) -> dict[str, Any]:
    loaded = load_spec(design)
    sources = resolve_sources(loaded)
    return {table: src.frame for table, src in sources["data"].items()}


@pytest.mark.parametrize("design", DESIGNS, ids=lambda p: p.stem)
def test_analyze_on_frames_equals_cli_on_parquet(design: Path, tmp_path: Path) -> None:
    raw = _raw(design)
    frames = _frames(design)
    raw.pop("data")
    raw.pop("pre_data", None)
    file_spec = dict(raw)
    if raw["kind"] == "aha":
        for table in ("events", "users"):
            frames[table].to_parquet(tmp_path / f"{table}.parquet")
            file_spec[table] = {"path": str(tmp_path / f"{table}.parquet")}
        data: Any = (frames["events"], frames["users"])
    else:
        frames["main"].to_parquet(tmp_path / "main.parquet")
        file_spec["data"] = {"path": str(tmp_path / "main.parquet")}
        data = frames["main"]
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(yaml.safe_dump(file_spec, sort_keys=False))
    now = "2026-12-31T00:00:00Z"
    proc = subprocess.run([str(CLI), "run", str(spec_file), "--format", "json", "--now", now],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    from_cli = Report.from_json(proc.stdout)
    assert "data" not in raw
    from_python = causalkit.analyze(raw, data=data,
                                    now=causalkit_time(now))
    assert_same_estimates(from_python, from_cli)
    assert (from_python.decision is None) == (from_cli.decision is None)
    if from_cli.decision is not None and from_python.decision is not None:
        assert from_python.decision.state == from_cli.decision.state
    assert json.loads(from_python.to_json())["schema_version"] == 2


def causalkit_time(text: str) -> Any:
    from causalkit.report.basis import parse_time

    return parse_time(text)


def test_spec_without_data_and_no_data_is_a_clear_error() -> None:
    spec = {"name": "x", "kind": "ab", "unit": "u",
            "metrics": [{"name": "m", "type": "mean", "column": "m", "role": "primary"}]}
    with pytest.raises(causalkit.CausalkitError, match="no data: and no data were passed"):
        causalkit.analyze(spec)


def test_load_spec_takes_every_form(tmp_path: Path) -> None:
    text = (ROOT / "designs" / "ab_match_filter.yaml").read_text()
    path = tmp_path / "s.yaml"
    path.write_text(text)
    from_path = causalkit.load_spec(path)
    from_text = causalkit.load_spec(text)
    from_dict = causalkit.load_spec(_raw(path))
    from_model = causalkit.load_spec(from_path.spec)
    assert from_path.spec == from_text.spec == from_dict.spec == from_model.spec
    assert from_path.sha256 == from_text.sha256


def test_analyze_takes_arrow_duckdb_and_paths(tmp_path: Path) -> None:
    import duckdb
    import pyarrow as pa

    frame = _frames(ROOT / "designs" / "ab_match_filter.yaml")["main"]
    raw = _raw(ROOT / "designs" / "ab_match_filter.yaml")
    raw.pop("data")
    now = causalkit_time("2026-12-31T00:00:00Z")
    base = causalkit.analyze(raw, data=frame, now=now)
    frame.to_parquet(tmp_path / "d.parquet")
    con = duckdb.connect()
    rel = con.sql(f"select * from '{tmp_path / 'd.parquet'}'")
    for data in (pa.Table.from_pandas(frame), tmp_path / "d.parquet",
                 str(tmp_path / "d.parquet"), rel):
        assert_same_estimates(causalkit.analyze(raw, data=data, now=now), base)
