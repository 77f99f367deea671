"""Loading rules: YAML 1.2 booleans, timestamps, path resolution, hashing, schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from causalkit.spec import json_schema, load_spec, load_spec_file, load_spec_text
from causalkit.spec.loader import parse_yaml
from causalkit.spec.types import format_duration, parse_duration, parse_timestamp

DESIGNS = sorted((Path(__file__).parents[2] / "designs").glob("*.yaml"))


def test_norway_stays_a_region() -> None:
    spec = load_spec_text(
        "name: sb\nkind: switchback\nregions: [NO, KR, on]\n"
        "schedule: {start: 2026-12-01T00:00Z, end: 2026-12-02T00:00Z, period: 1h}\n"
        "metrics: [{name: m, type: mean, column: m, role: primary}]\n"
        "data: {simulate: matching_market}\n"
    ).spec
    assert [r.name for r in spec.regions] == ["NO", "KR", "on"]
    assert spec.schedule.start == datetime(2026, 12, 1, tzinfo=UTC)


def test_relative_path_resolves_against_spec_folder(tmp_path: Path) -> None:
    sub = tmp_path / "designs"
    sub.mkdir()
    (sub / "x.yaml").write_text(
        "name: x\nkind: ab\nunit: u\nmetrics: [{name: m, type: mean, column: m, role: primary}]\n"
        "data: {path: ../data/d.parquet}\n")
    spec = load_spec(sub / "x.yaml")
    assert Path(spec.data.path).resolve() == (tmp_path / "data" / "d.parquet").resolve()


def test_sha256_is_of_file_bytes(tmp_path: Path) -> None:
    import hashlib

    p = tmp_path / "x.yaml"
    p.write_text("name: x\nkind: aha\ndata: {simulate: event_log}\n")
    assert load_spec_file(p).sha256 == hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize(("text", "expected"), [("30m", 1800), ("1h", 3600), ("7d", 604800),
                                           ("1h30m", 5400), ("2w", 1209600), ("90s", 90),
                                           ("0.5h", 1800)])
def test_durations(text: str, expected: int) -> None:
    assert parse_duration(text).total_seconds() == expected


@pytest.mark.parametrize("text", ["1 hour", "h", "10", "-1h", "0m", "", "1y"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@given(st.integers(min_value=1, max_value=10**7))
def test_duration_round_trip(seconds: int) -> None:
    td = timedelta(seconds=seconds)
    assert parse_duration(format_duration(td)) == td


def test_timestamps_are_utc() -> None:
    assert parse_timestamp("2026-12-01T09:00+09:00") == datetime(2026, 12, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="no time zone"):
        parse_timestamp("2026-12-01T09:00")


def test_parse_yaml_positions() -> None:
    _, pos, keys = parse_yaml("a: 1\nb:\n  - x\n  - {c: 2}\n")
    assert pos[("b", 1, "c")] == (4, 9)
    assert keys[("b",)] == (2, 1)


def test_designs_exist() -> None:
    assert DESIGNS, "designs/ holds at least one example spec"


@pytest.mark.parametrize("path", DESIGNS, ids=lambda p: p.stem)
def test_every_design_validates_and_matches_json_schema(path: Path) -> None:
    load_spec(path)  # raises on error
    data, _, _ = parse_yaml(path.read_text(), str(path))
    schema = json_schema()
    jsonschema.validate(json.loads(json.dumps(data, default=str)), schema)


def test_schema_rejects_unknown_key() -> None:
    schema = json_schema()
    bad = {"name": "x", "kind": "aha", "data": {"simulate": "event_log"}, "oops": 1}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
