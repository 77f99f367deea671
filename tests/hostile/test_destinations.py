"""Class 8 of issue 12: destinations are not replaced, and written files respect the umask.

The promise (docs/report.md, "Atomic writes"): every file causalkit writes goes to a regular
file or a new path; a symbolic link, a FIFO, a device or a folder is refused with ``error:``
and exit 2 before any work, and nothing in the folder changes — the link and its target, the
FIFO, the device node stay as they were. A new file gets ``0o666 & ~umask``; an existing one
keeps its mode. Commands that write several files check them all first.

Generated cases: ``test_write_atomic_refuses_what_is_not_a_regular_file`` 60 and
``test_modes_follow_the_umask`` 40 (the writer itself); every writing command is run through
the installed command against each kind of destination.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalkit.errors import DestinationError
from causalkit.report.write import atomic_target, check_destination, write_atomic
from tests.hostile.conftest import DESIGNS, Ran, assert_clean_error, cli

AB = DESIGNS / "ab_match_filter.yaml"
SB = DESIGNS / "switchback_matching_algo.yaml"


def snapshot(folder: Path) -> dict[str, tuple[object, ...]]:
    """Every entry under ``folder``: kind, mode, link target or content digest."""
    out: dict[str, tuple[object, ...]] = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = Path(root) / name
            st_ = os.lstat(p)
            if stat.S_ISLNK(st_.st_mode):
                out[str(p.relative_to(folder))] = ("link", os.readlink(p))
            elif stat.S_ISREG(st_.st_mode):
                digest = hashlib.sha256(p.read_bytes()).hexdigest()
                out[str(p.relative_to(folder))] = ("file", stat.S_IMODE(st_.st_mode), digest)
            else:
                out[str(p.relative_to(folder))] = (stat.S_IFMT(st_.st_mode),
                                                   stat.S_IMODE(st_.st_mode))
    return out


def _null_device(path: Path) -> None:
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a private /dev/null
    except (PermissionError, OSError):
        pytest.skip("cannot create a device node here")


def make(kind: str, path: Path) -> None:
    """Put a destination of ``kind`` at ``path`` (next to a file ``target.txt``)."""
    target = path.parent / "target.txt"
    target.write_text("keep me\n")
    if kind == "symlink":
        path.symlink_to(target)
    elif kind == "dangling symlink":
        path.symlink_to(path.parent / "nowhere.txt")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "device":
        _null_device(path)
    elif kind == "under a file":
        pass  # the destination is target.txt/<name>
    else:
        raise AssertionError(kind)


KINDS = ["symlink", "dangling symlink", "fifo", "folder", "device", "under a file"]


def _dest(folder: Path, kind: str, name: str) -> Path:
    if kind == "under a file":
        make(kind, folder / name)
        return folder / "target.txt" / name
    make(kind, folder / name)
    return folder / name


COMMANDS: dict[str, Callable[[Path, Path], list[object]]] = {
    "run --out": lambda d, out: ["run", AB, "--format", "json", "--out", out],
    "schema --out": lambda d, out: ["schema", "--out", out],
    "power --out": lambda d, out: ["power", AB, "--out", out],
    "schedule --out": lambda d, out: ["schedule", SB, "--out", out],
    "schedule --heatmap": lambda d, out: ["schedule", SB, "--out", d / "s.csv", "--heatmap", out],
    "assign --out": lambda d, out: ["assign", AB, "--units", d / "units.csv", "--out", out],
    "gate --junit": lambda d, out: ["gate", AB, "--junit", out, "--json", d / "r.json"],
    "gate --state": lambda d, out: ["gate", AB, "--state", out],
}
SUFFIX = {"schedule --out": ".csv", "schedule --heatmap": ".svg", "assign --out": ".csv",
          "gate --junit": ".xml"}


def _matrix() -> list[object]:
    """Every writer against a FIFO and every kind against ``run --out`` by default; the whole
    matrix under ``-m slow``."""
    out: list[object] = []
    for command in sorted(COMMANDS):
        for kind in KINDS:
            quick = kind == "fifo" or command == "run --out"
            out.append(pytest.param(command, kind, id=f"{command}-{kind}",
                                    marks=() if quick else pytest.mark.slow))
    return out


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The working folder (and HOME: libraries may keep caches there), apart from ``work``."""
    path = tmp_path.parent / f"{tmp_path.name}-home"
    path.mkdir()
    return path


@pytest.mark.parametrize(("command", "kind"), _matrix())
def test_every_writer_refuses_what_is_not_a_regular_file(work: Path, home: Path, command: str,
                                                         kind: str) -> None:
    (work / "units.csv").write_text("user_id\n1\n2\n")
    dest = _dest(work, kind, "out" + SUFFIX.get(command, ".json"))
    before = snapshot(work)
    ran: Ran = cli(*map(str, COMMANDS[command](work, dest)), cwd=home, timeout=120)
    assert_clean_error(ran)
    after = snapshot(work)
    if command == "gate --junit":  # the error report still goes to the good destination
        after.pop("r.json", None)
    if command == "gate --state":  # its lock file, when the folder could hold one
        after = {k: v for k, v in after.items() if not k.endswith(".lock")}
    assert after == before, ran
    assert (work / "target.txt").read_text() == "keep me\n"


def test_the_gate_still_writes_the_error_report_next_to_a_bad_destination(work: Path,
                                                                         home: Path) -> None:
    os.mkfifo(work / "j.xml")
    ran = cli("gate", AB, "--junit", work / "j.xml", "--json", work / "r.json", cwd=home)
    assert_clean_error(ran, "FIFO")
    assert '"state": "error"' in (work / "r.json").read_text()
    assert stat.S_ISFIFO(os.lstat(work / "j.xml").st_mode)


def test_a_good_run_changes_only_its_destination(work: Path, home: Path) -> None:
    make("symlink", work / "link.json")
    os.mkfifo(work / "pipe")
    (work / "old.json").write_text("old")
    os.chmod(work / "old.json", 0o640)
    before = snapshot(work)
    ran = cli("run", AB, "--format", "json", "--out", work / "old.json", cwd=home)
    assert ran.code == 0, ran
    after = snapshot(work)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {"old.json"}
    assert after["old.json"][1] == 0o640  # the destination keeps its mode


def _with_umask(umask: int, args: tuple[object, ...], cwd: Path) -> Ran:
    old = os.umask(umask)  # inherited by the child process
    try:
        return cli(*map(str, args), cwd=cwd)
    finally:
        os.umask(old)


@pytest.mark.parametrize("umask", [0o027, pytest.param(0o022, marks=pytest.mark.slow),
                                   pytest.param(0o077, marks=pytest.mark.slow)])
def test_new_files_from_the_command_line_follow_the_umask(work: Path, home: Path,
                                                          umask: int) -> None:
    (work / "units.csv").write_text("user_id\n1\n2\n3\n")
    outs = {"r.html": ["run", AB, "--format", "html", "--out", work / "r.html"],
            "a.csv": ["assign", AB, "--units", work / "units.csv", "--out", work / "a.csv"],
            "s.csv": ["schedule", SB, "--out", work / "s.csv", "--heatmap", work / "h.svg"],
            "j.xml": ["gate", AB, "--junit", work / "j.xml", "--state", work / "st.json"]}
    for args in outs.values():
        ran = _with_umask(umask, tuple(args), home)
        assert ran.code in (0, 10, 11, 20, 30), ran
    for name in (*outs, "h.svg", "st.json", "st.json.lock"):
        assert stat.S_IMODE(os.stat(work / name).st_mode) == 0o666 & ~umask, name


# -- the writer itself, generated --------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(KINDS), data=st.binary(max_size=64), append=st.booleans(),
       name=st.text(alphabet="abcxyz._-", min_size=1, max_size=12).filter(
           lambda s: s not in (".", "..", "target.txt")))
def test_write_atomic_refuses_what_is_not_a_regular_file(tmp_path_factory, kind, data, append,
                                                         name) -> None:
    folder = tmp_path_factory.mktemp("dest")
    dest = _dest(folder, kind, name)
    before = snapshot(folder)
    with pytest.raises(DestinationError):
        write_atomic(dest, data, append=append)
    with pytest.raises(DestinationError), atomic_target(dest) as tmp:
        tmp.write_bytes(data)
    assert snapshot(folder) == before


@settings(max_examples=40, deadline=None)
@given(umask=st.integers(min_value=0, max_value=0o777), old_mode=st.none() | st.integers(
    min_value=0o400, max_value=0o777), via_target=st.booleans())
def test_modes_follow_the_umask(tmp_path_factory, umask, old_mode, via_target) -> None:
    folder = tmp_path_factory.mktemp("mode")
    dest = folder / "out.csv"
    if old_mode is not None:
        dest.write_text("old")
        os.chmod(dest, old_mode)
    previous = os.umask(umask)
    try:
        if via_target:
            with atomic_target(dest) as tmp:
                tmp.write_text("new")
                os.chmod(tmp, 0o600)  # a writer that makes private files (mkstemp)
        else:
            write_atomic(dest, "new")
    finally:
        os.umask(previous)
    expected = (0o666 & ~umask) if old_mode is None else old_mode
    assert stat.S_IMODE(os.stat(dest).st_mode) == expected
    assert dest.read_text() == "new"
    assert sorted(p.name for p in folder.iterdir()) == ["out.csv"]


def test_check_destination_names_the_problem(tmp_path) -> None:
    assert check_destination(tmp_path / "new.json") is None
    (tmp_path / "f").write_text("x")
    assert check_destination(tmp_path / "f") is not None
    os.mkfifo(tmp_path / "p")
    with pytest.raises(DestinationError, match="FIFO"):
        check_destination(tmp_path / "p")
    with pytest.raises(DestinationError, match="folder"):
        check_destination(tmp_path)
