"""The state file: round trip, atomic writes, and loud errors instead of silent resets."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from causalkit.errors import GateError
from causalkit.gate.looks import Look
from causalkit.gate.state import STATE_VERSION, GateState, load_state, save_state

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def look(i, key=None, fraction=None, decision="hold", **kw):
    return Look(index=i, time=T0 + timedelta(days=i), key=key or f"k{i}", n_per_arm=100 * i,
                decision=decision, information_fraction=fraction, reasons=("r",), **kw)


def load(path, sha="spec1"):
    return load_state(path, spec_sha256=sha, experiment="x", sequential="gst")


def test_missing_file_starts_empty(tmp_path):
    assert load(tmp_path / "s.json").looks == ()


def test_round_trip_keeps_every_field(tmp_path):
    path = tmp_path / "s.json"
    state = GateState("spec1", "x", "gst")
    for i in (1, 2):
        state, changed = state.with_look(look(i, fraction=0.2 * i, spent_alpha=0.001 * i,
                                              boundary_z=4.0 / i, data_fingerprint="fp"))
        assert changed
    save_state(path, state)
    assert load(path) == state
    data = json.loads(path.read_text())
    assert data["format"] == "causalkit-gate-state"
    assert data["version"] == STATE_VERSION
    assert data["looks"][0]["time"] == "2026-12-02T00:00:00Z"


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path):
    path = tmp_path / "s.json"
    save_state(path, GateState("spec1", "x", "gst", (look(1),)))
    assert sorted(os.listdir(tmp_path)) == ["s.json"]


def test_same_key_is_not_a_new_look():
    state, _ = GateState("spec1", "x", "gst").with_look(look(1, key="a"))
    again, changed = state.with_look(replace(look(1, key="a"), time=T0 + timedelta(days=9)))
    assert not changed
    assert again == state
    updated, changed = state.with_look(replace(look(2, key="a"), decision="ship"))
    assert changed
    assert len(updated.looks) == 1
    assert updated.looks[0].index == 1
    assert updated.looks[0].decision == "ship"


@pytest.mark.parametrize(("content", "message"), [
    ("", "not JSON"),
    ("{not json", "not JSON"),
    ("[]", "not a causalkit gate state"),
    ('{"format": "other"}', "not a causalkit gate state"),
    ('{"format": "causalkit-gate-state", "version": 1, "spec_sha256": "spec1", "looks": {}}',
     '"looks" is not a list'),
    ('{"format": "causalkit-gate-state", "version": 1, "spec_sha256": "spec1", "looks": [1]}',
     "look 1 is not an object"),
    ('{"format": "causalkit-gate-state", "version": 1, "spec_sha256": "spec1", '
     '"looks": [{"index": 1}]}', "look 1: missing field 'n_per_arm'"),
])
def test_corrupt_files_are_errors(tmp_path, content, message):
    path = tmp_path / "s.json"
    path.write_text(content)
    with pytest.raises(GateError, match="is corrupt") as info:
        load(path)
    assert message in str(info.value)
    assert "never resets" in str(info.value)
    assert path.read_text() == content  # untouched


def _write(path, looks, **top):
    data = {"format": "causalkit-gate-state", "version": 1, "spec_sha256": "spec1",
            "looks": [lk.to_dict() for lk in looks], **top}
    path.write_text(json.dumps(data))


def test_bad_look_records_are_errors(tmp_path):
    path = tmp_path / "s.json"
    _write(path, [look(1), look(3)])
    with pytest.raises(GateError, match="numbered"):
        load(path)
    _write(path, [look(1, key="a"), look(2, key="a")])
    with pytest.raises(GateError, match="same statistics key"):
        load(path)
    _write(path, [look(1, fraction=0.5), look(2, fraction=0.4)])
    with pytest.raises(GateError, match="do not increase"):
        load(path)
    bad = look(1).to_dict() | {"n_per_arm": -1}
    path.write_text(json.dumps({"format": "causalkit-gate-state", "version": 1,
                                "spec_sha256": "spec1", "looks": [bad]}))
    with pytest.raises(GateError, match="n_per_arm"):
        load(path)


def test_another_spec_is_an_error(tmp_path):
    path = tmp_path / "s.json"
    save_state(path, GateState("spec1", "x", "gst", (look(1),)))
    with pytest.raises(GateError, match="belongs to another spec"):
        load(path, sha="spec2")


def test_another_version_is_an_error(tmp_path):
    path = tmp_path / "s.json"
    _write(path, [], version=99)
    with pytest.raises(GateError, match="format version 99"):
        load(path)


def test_unwritable_state_is_an_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(GateError, match="cannot write state file"):
        save_state(blocker / "s.json", GateState("spec1", "x", "gst"))
