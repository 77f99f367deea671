"""Guards: immortal-time windows are refused; bad inputs end in clear errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from causalkit.aha.inputs import plan_scan
from causalkit.cli import main
from causalkit.data import Source
from causalkit.errors import DataError, SpecError
from causalkit.spec import load_spec

OVERLAP = """name: bad
kind: aha
data: {simulate: event_log}
retention: {start_day: 28, end_day: 35}
windows: [7, 30]
"""


def test_overlapping_window_is_refused_by_load_spec(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(OVERLAP)
    with pytest.raises(SpecError) as err:
        load_spec(path)
    msg = str(err.value)
    assert "bad.yaml:5:" in msg  # the line of `windows`
    assert "windows" in msg
    assert "immortal-time bias" in msg
    assert "30 days overlaps the retention window" in msg


def test_overlapping_window_exits_2_in_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(OVERLAP)
    for cmd in (["validate", str(path)], ["run", str(path)]):
        result = CliRunner().invoke(main, cmd)
        assert result.exit_code == 2, result.output
        assert "immortal-time bias" in result.output
        assert "Traceback" not in result.output


def test_window_ending_where_retention_starts_is_allowed(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(OVERLAP.replace("[7, 30]", "[7, 28]"))
    assert load_spec(path).windows == [7, 28]


@pytest.mark.parametrize(("text", "message"), [
    ("retention: {start_day: 30, end_day: 30}", "end_day (30) must be after start_day (30)"),
    ("thresholds: [0, 2]", "must be positive"),
    ("holdout: 1.0", "less than 1"),
    ("actions: {top: 0}", "greater than or equal to 1"),
    ("windows: []", "at least 1 item"),
])
def test_spec_field_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nkind: aha\ndata: {simulate: event_log}\n" + text + "\n")
    with pytest.raises(SpecError, match=re.escape(message)):
        load_spec(path)


def test_event_log_without_users_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nkind: aha\nevents: {path: e.csv}\n")
    with pytest.raises(SpecError, match="users table"):
        load_spec(path)
    path.write_text("name: x\nkind: aha\ndata: {path: e.csv}\n")
    with pytest.raises(SpecError, match="give users"):
        load_spec(path)


def _frames(small_log: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    return small_log.tables["events"].copy(), small_log.tables["users"].copy()


def test_missing_column(small_log: Any) -> None:
    ev, us = _frames(small_log)
    with pytest.raises(DataError, match=r"'signup_at'.*missing"):
        plan_scan(Source.from_frame(ev), Source.from_frame(us.drop(columns="signup_at")))


def test_duplicated_users(small_log: Any) -> None:
    ev, us = _frames(small_log)
    us = pd.concat([us, us.iloc[:3]])
    with pytest.raises(DataError, match="3 user id"):
        plan_scan(Source.from_frame(ev), Source.from_frame(us))


def test_naive_and_zoned_times_do_not_mix(small_log: Any) -> None:
    ev, us = _frames(small_log)
    ev["timestamp"] = ev["timestamp"].dt.tz_localize(None)
    with pytest.raises(DataError, match="zone"):
        plan_scan(Source.from_frame(ev), Source.from_frame(us))


def test_text_times_are_refused(small_log: Any) -> None:
    ev, us = _frames(small_log)
    ev["timestamp"] = ev["timestamp"].astype(str)
    with pytest.raises(DataError, match="not times"):
        plan_scan(Source.from_frame(ev), Source.from_frame(us))


def test_no_fully_observed_user(small_log: Any) -> None:
    ev, us = _frames(small_log)
    with pytest.raises(DataError, match="no user's retention window is fully observed"):
        plan_scan(Source.from_frame(ev), Source.from_frame(us), retention=(28, 400))


def test_missing_signups_and_orphan_events_are_counted(small_log: Any) -> None:
    ev, us = _frames(small_log)
    us.loc[us.index[:10], "signup_at"] = pd.NaT
    extra = pd.DataFrame({"user_id": [10**9] * 4, "event": ev["event"].iloc[:4].to_numpy(),
                          "timestamp": ev["timestamp"].iloc[:4].to_numpy()})
    ev = pd.concat([ev, extra], ignore_index=True)
    plan = plan_scan(Source.from_frame(ev), Source.from_frame(us))
    s = plan.summary
    assert s.missing_signup == 10
    assert s.events_unknown_user == 4
    assert s.excluded_users == 10 + s.not_observed
    assert s.eligible_users + s.excluded_users == s.users


def test_nan_covariate(small_log: Any) -> None:
    ev, us = _frames(small_log)
    us["age"] = us["age"].astype(float)
    us.loc[us.index[0], "age"] = float("nan")
    with pytest.raises(DataError, match=r"'age'.*missing or NaN"):
        plan_scan(Source.from_frame(ev), Source.from_frame(us), covariates=["age"])


def test_checked_condition_overlapping_retention_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nkind: aha\ndata: {simulate: event_log}\n"
                    "check: {conditions: [{action: add_friend, window: 30, threshold: 1}]}\n")
    with pytest.raises(SpecError, match="immortal-time"):
        load_spec(path)
