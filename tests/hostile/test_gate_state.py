"""Class 6 of issue 12: the gate's state file can be neither forged nor lost.

The promise: a state file that breaks its invariants (docs/gate.md, "The state file") is
refused with ``error:`` and exit 2 — never ``ship`` — and left byte for byte as it was; two
gate runs at once on one state file take turns (a lock), so they cannot both record look 1;
and the history is append-only: a terminal decision stays, and re-running an earlier look
after later ones is refused.

Generated cases: ``test_forged_looks_are_refused`` 200 (unit level: the state loader);
the subprocess tests reproduce the issue's examples through the installed command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalkit.errors import GateError
from causalkit.gate.looks import Look
from causalkit.gate.state import GateState, load_state, lock_path, locked, save_state
from tests.hostile.conftest import CAUSALKIT, assert_clean_error, assert_never_ships, cli

SPEC = """\
name: state-check
kind: ab
unit: user_id
start: 2026-11-01T00:00Z
metrics:
  - {{name: chat_minutes, type: mean, column: chat_minutes, role: primary, direction: increase}}
analysis: {{alpha: 0.05, sequential: {sequential}}}
decision: {{horizon_sample_per_arm: 8000}}
data: {{path: full.csv}}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Snapshots of one experiment by exposure day (8,000 units per arm in the end)."""
    from causalkit.simulate.ab import simulate_ab

    d = tmp_path_factory.mktemp("gate_state")
    df = simulate_ab(seed=11, n=16_000, effects={"treatment": {"chat_minutes": 0.4}}
                     ).tables["main"]
    df.to_csv(d / "full.csv", index=False)
    for day in (3, 6):
        cut = pd.Timestamp("2026-11-01") + pd.Timedelta(days=day)
        df[df["exposed_at"] < cut].to_csv(d / f"day{day}.csv", index=False)
    (d / "gst.yaml").write_text(SPEC.format(sequential="gst"))
    (d / "msprt.yaml").write_text(SPEC.format(sequential="msprt"))
    return d


def _gate(folder: Path, state: Path, data: str, now: str, spec: str = "gst.yaml"):
    return cli("gate", spec, "--data", data, "--now", now, "--state", state, cwd=folder)


@pytest.fixture(scope="module")
def first_look(folder: Path) -> dict[str, Any]:
    """The state after the first look (day 3)."""
    state = folder / "first.json"
    ran = _gate(folder, state, "day3.csv", "2026-11-04T00:00Z")
    assert ran.code in (0, 10), ran
    return json.loads(state.read_text())


def _forged(folder: Path, base: dict[str, Any], name: str, **changes: Any) -> Path:
    data = json.loads(json.dumps(base))
    data["looks"][0].update(changes)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


def test_the_issues_forged_information_fraction_is_refused(folder, first_look) -> None:
    look = first_look["looks"][0]
    assert look["information_fraction"] == pytest.approx(look["n_per_arm"] / 8_000)
    path = _forged(folder, first_look, "forged", information_fraction=5.0)
    before = path.read_bytes()
    ran = _gate(folder, path, "day6.csv", "2026-11-07T00:00Z")
    assert_clean_error(ran, "information fraction 5", "is corrupt")
    assert_never_ships(ran)
    assert path.read_bytes() == before


@pytest.mark.parametrize(("changes", "words"), [
    ({"decision": "shipp"}, "unknown decision 'shipp'"),
    ({"spent_alpha": -0.01}, "alpha spent"),
    ({"spent_alpha": 0.5}, "alpha spent"),
    ({"time": "2026-12-01T00:00:00Z"}, "after the analysis time"),
    ({"tested": False}, "testing nothing"),
    ({"boundary_z": -1.0}, "boundary"),
])
def test_forged_states_are_refused_by_the_command(folder, first_look, changes, words) -> None:
    path = _forged(folder, first_look, "f" + str(abs(hash(words))), **changes)
    before = path.read_bytes()
    ran = _gate(folder, path, "day6.csv", "2026-11-07T00:00Z")
    assert_clean_error(ran, words)
    assert path.read_bytes() == before


def test_nan_in_a_state_file_is_refused(folder, first_look) -> None:
    path = folder / "nan.json"
    path.write_text(json.dumps(first_look).replace(
        f'"spent_alpha": {first_look["looks"][0]["spent_alpha"]}', '"spent_alpha": NaN'))
    ran = _gate(folder, path, "day6.csv", "2026-11-07T00:00Z")
    assert_clean_error(ran, "not a finite number")


@pytest.mark.parametrize("kind", ["symlink", "fifo", "folder"])
def test_a_state_path_that_is_not_a_file_is_refused_fast(folder, tmp_path, kind) -> None:
    path = tmp_path / "state.json"
    target = tmp_path / "real.json"
    if kind == "symlink":
        target.write_text("{}")
        path.symlink_to(target)
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    start = time.monotonic()
    ran = _gate(folder, path, "day3.csv", "2026-11-04T00:00Z")
    assert_clean_error(ran, "state file")
    assert time.monotonic() - start < 60
    if kind == "symlink":
        assert path.is_symlink()
        assert target.read_text() == "{}"


# -- append-only -------------------------------------------------------------------------------


def test_history_is_append_only(folder, tmp_path) -> None:
    state = tmp_path / "state.json"
    assert _gate(folder, state, "day3.csv", "2026-11-04T00:00Z").code == 10
    ran = _gate(folder, state, "full.csv", "2026-11-15T00:00Z")
    assert ran.code == 0, ran  # a 0.4-minute effect on 8,000 per arm: shipped
    after_ship = state.read_bytes()
    looks = json.loads(after_ship)["looks"]
    assert [lk["decision"] for lk in looks] == ["hold", "ship"]
    # re-running the first look's data after the ship: refused, history unchanged
    ran = _gate(folder, state, "day3.csv", "2026-11-16T00:00Z")
    assert_clean_error(ran, "append-only", "look 1")
    assert state.read_bytes() == after_ship
    # an analysis time before the last look: refused
    ran = _gate(folder, state, "full.csv", "2026-11-10T00:00Z")
    assert_clean_error(ran, "after the analysis time")
    assert state.read_bytes() == after_ship
    # the same data again: ship, not a byte changes
    assert _gate(folder, state, "full.csv", "2026-11-15T00:00Z").code == 0
    assert state.read_bytes() == after_ship


# -- locking -----------------------------------------------------------------------------------


def _start(folder: Path, state: Path, data: str) -> subprocess.Popen[str]:
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(folder),
           "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.Popen([str(CAUSALKIT), "gate", "msprt.yaml", "--data", data, "--now",
                             "2026-11-15T00:00Z", "--state", str(state)], cwd=folder, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_runs_at_once_take_turns(folder, tmp_path) -> None:
    state = tmp_path / "state.json"
    procs = [_start(folder, state, "day3.csv"), _start(folder, state, "day6.csv")]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode in (0, 10) for p in procs), outs
    looks = json.loads(state.read_text())["looks"]
    assert [lk["index"] for lk in looks] == [1, 2], looks  # not two "look 1"
    assert len({lk["key"] for lk in looks}) == 2
    # the same data twice at once: one look
    state2 = tmp_path / "state2.json"
    procs = [_start(folder, state2, "day6.csv"), _start(folder, state2, "day6.csv")]
    for p in procs:
        p.communicate(timeout=300)
    assert len(json.loads(state2.read_text())["looks"]) == 1
    assert lock_path(state2).is_file()


def test_a_held_lock_makes_the_other_run_wait_then_fail(tmp_path) -> None:
    state = tmp_path / "state.json"
    code = ("import sys, time; from pathlib import Path; from causalkit.gate.state import locked\n"
            f"with locked(Path({str(state)!r})):\n"
            "    print('held', flush=True); time.sleep(30)\n")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        start = time.monotonic()
        with pytest.raises(GateError, match="another causalkit gate run holds"), \
                locked(state, timeout=0.5):
            pass
        assert 0.4 < time.monotonic() - start < 10
    finally:
        child.kill()
        child.wait()
    with locked(state, timeout=5):  # released when its holder dies
        pass


# -- the invariants, generated ---------------------------------------------------------------

NOW = datetime(2026, 12, 20, tzinfo=UTC)
T0 = datetime(2026, 12, 1, tzinfo=UTC)


def _valid() -> list[Look]:
    out = []
    for i, (n, decision) in enumerate(((5000, "hold"), (10000, "hold"), (15000, "ship")),
                                      start=1):
        out.append(Look(index=i, time=T0 + timedelta(days=i), key=f"sha256:{i}", n_per_arm=n,
                        decision=decision, information_fraction=n / 20_000,
                        spent_alpha=0.001 * i ** 2, boundary_z=4.0 / i, reasons=("r",)))
    out.append(Look(index=4, time=T0 + timedelta(days=5), key="sha256:4", n_per_arm=17000,
                    decision="ship", information_fraction=0.75, tested=False))
    return out


def _load(path: Path) -> GateState:
    return load_state(path, spec_sha256="spec", experiment="x", sequential="gst", alpha=0.05,
                      horizon_sample_per_arm=20_000, now=NOW)


def _write(path: Path, looks: list[dict[str, Any]], **top: Any) -> None:
    data = {"format": "causalkit-gate-state", "version": 1, "spec_sha256": "spec",
            "experiment": "x", "sequential": "gst", "looks": looks, **top}
    path.write_text(json.dumps(data, allow_nan=True))


def test_the_valid_history_loads(tmp_path) -> None:
    path = tmp_path / "s.json"
    save_state(path, GateState("spec", "x", "gst", tuple(_valid())))
    assert _load(path).looks == tuple(_valid())


numbers = st.floats(allow_nan=True, allow_infinity=True)
junk = st.one_of(st.none(), st.booleans(), st.text(max_size=5), st.lists(st.integers(),
                 max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))
FORGERIES = {
    "decision": st.text(max_size=8).filter(
        lambda s: s not in {"ship", "hold", "inconclusive", "rollback", "invalid", "error"}),
    "spent_alpha": numbers.filter(lambda x: not 0 <= x <= 0.0501),
    "information_fraction": numbers.filter(lambda x: not (0.24 < x < 0.26)),
    "boundary_z": numbers.filter(lambda x: not x > 0),
    "time": st.datetimes(min_value=datetime(2026, 12, 20, 0, 0, 1),
                         max_value=datetime(2100, 1, 1)).map(
        lambda t: t.isoformat() + "Z"),
    "index": st.integers().filter(lambda i: i != 1),
    "n_per_arm": st.integers(min_value=0, max_value=10**6).filter(lambda n: n != 5000),
    "tested": st.just(False),
    "key": st.just("sha256:2"),
}


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(sorted(FORGERIES)), data=st.data(),
       typo=st.booleans(), value=junk)
def test_forged_looks_are_refused(tmp_path_factory, field, data, typo, value) -> None:
    looks = [lk.to_dict() for lk in _valid()]
    if typo and field not in ("tested", "key"):
        looks[0][field] = value  # a value of the wrong type
        if field in ("decision", "time") and isinstance(value, str):
            looks[0][field] = value + "\x00"
    else:
        looks[0][field] = data.draw(FORGERIES[field], label=field)
    path = tmp_path_factory.mktemp("forged") / "s.json"
    _write(path, looks)
    with pytest.raises(GateError) as info:
        _load(path)
    assert "state file" in str(info.value)


@pytest.mark.parametrize("mutate", [
    lambda looks: looks.__setitem__(2, {**looks[2], "time": looks[0]["time"]}),  # time goes back
    lambda looks: looks.__setitem__(3, {**looks[3], "decision": "hold"}),  # terminal lost
    lambda looks: looks.__setitem__(3, {**looks[3], "decision": "rollback"}),
    lambda looks: looks.__setitem__(3, {**looks[3], "tested": True,
                                        "information_fraction": 0.85}),
    lambda looks: looks.__setitem__(1, {**looks[1], "spent_alpha": 0.0005}),  # spent shrinks
    lambda looks: looks.__setitem__(3, {**looks[3], "information_fraction": 0.9}),
    lambda looks: looks.reverse(),
    lambda looks: looks.append(looks[0]),
])
def test_inconsistent_histories_are_refused(tmp_path, mutate) -> None:
    looks = [lk.to_dict() for lk in _valid()]
    mutate(looks)
    path = tmp_path / "s.json"
    _write(path, looks)
    with pytest.raises(GateError, match="state file"):
        _load(path)


@pytest.mark.parametrize(("top", "words"), [
    ({"sequential": "msprt"}, "sequential"),
    ({"sequential": "bogus"}, "sequential"),
    ({"version": True}, "format version"),
    ({"experiment": ["x"]}, "experiment"),
])
def test_forged_headers_are_refused(tmp_path, top, words) -> None:
    path = tmp_path / "s.json"
    _write(path, [lk.to_dict() for lk in _valid()], **top)
    with pytest.raises(GateError, match=words):
        _load(path)


def test_terminal_looks_never_change_and_the_past_is_not_rewritten() -> None:
    state = GateState("spec", "x", "gst", tuple(_valid()))
    ship = state.looks[3]
    # the latest (terminal) look read again with another decision: nothing changes
    again, changed = state.with_look(replace(ship, decision="hold", reasons=("later",)))
    assert (again, changed) == (state, False)
    # the statistics of look 1 again: refused
    with pytest.raises(GateError, match="append-only"):
        state.with_look(replace(state.looks[0], time=NOW))
    # a latest look that is not terminal takes the new decision (same number)
    hold = GateState("spec", "x", "gst", tuple(_valid()[:2]))
    new, changed = hold.with_look(replace(hold.looks[1], decision="ship", index=3))
    assert changed
    assert new.looks[1].decision == "ship"
    assert new.looks[1].index == 2
