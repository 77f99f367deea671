"""A killed render leaves no partial output file.

A child process renders a large report and writes it with
``causalkit.report.write.write_atomic`` through a deliberately slowed file
object; the parent waits until the temporary file is half written, sends
SIGKILL, and checks that the destination still holds the complete old report.
The same harness pointed at a naive in-place writer does leave a partial file,
which shows the check can fail.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from causalkit.report import Report
from causalkit.report.render import render
from causalkit.report.write import write_atomic

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from causalkit.report import Check, Estimate, Experiment, Report, Status
    from causalkit.report.render import render
    import causalkit.report.write as w

    dest, marker, mode, version = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    rep = Report(
        experiment=Experiment(name=f"version-{version}", kind="ab"),
        estimates=tuple(Estimate(metric=f"metric_{i}", arm="treatment", reference="control",
                                 method="welch", estimate=i * 0.001, ci_low=-1.0, ci_high=1.0,
                                 p_value=0.5, n=1001, n_reference=1000,
                                 extra={"note": "x" * 40}) for i in range(8000)),
        checks=(Check("sample_ratio_mismatch", Status.PASS, "p = 0.43"),),
    )
    text = render(rep, "json")

    class Slow:
        # a file object whose writes trickle out in small chunks
        def __init__(self, fh):
            self.fh = fh
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return self.fh.__exit__(*exc)
        def write(self, data):
            view = memoryview(data)
            for i in range(0, len(view), 1 << 16):
                self.fh.write(view[i:i + (1 << 16)])
                self.fh.flush()
                if i == 1 << 17:
                    Path(marker).write_text("mid-write")
                time.sleep(0.02)
        def flush(self):
            self.fh.flush()
        def fileno(self):
            return self.fh.fileno()

    if mode == "atomic-slow":
        real = os.fdopen
        w.os.fdopen = lambda fd, *a, **k: Slow(real(fd, *a, **k))
        w.write_atomic(dest, text)
    elif mode == "naive-slow":
        with Slow(open(dest, "wb")) as fh:
            fh.write(text.encode())
    elif mode == "atomic-loop":
        Path(marker).write_text("started")
        while True:
            w.write_atomic(dest, text)
    """
)


def _start(dest: Path, marker: Path, mode: str, version: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(dest), str(marker), mode, version])


def _wait_for(marker: Path, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        assert proc.poll() is None, "child exited before the marker"
        assert time.monotonic() < deadline, "child never reached the marker"
        time.sleep(0.005)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _old_report(dest: Path) -> str:
    from causalkit.report import Experiment

    text = render(Report(experiment=Experiment(name="old", kind="ab")), "json")
    write_atomic(dest, text)
    return text


def _leftovers(folder: Path, dest: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p != dest and p.name != "marker")


def test_killed_atomic_write_keeps_the_complete_old_report(tmp_path):
    dest, marker = tmp_path / "report.json", tmp_path / "marker"
    old = _old_report(dest)
    proc = _start(dest, marker, "atomic-slow", "new")
    _wait_for(marker, proc)
    temps = [p for p in tmp_path.iterdir() if p.name.startswith(".report.json.")]
    assert len(temps) == 1
    assert temps[0].stat().st_size > 0
    _kill(proc)
    assert dest.read_text() == old
    assert Report.from_json(dest.read_text()).experiment.name == "old"
    # the only other file is the dot-named temporary one, never the destination's name
    for name in _leftovers(tmp_path, dest):
        assert name.startswith(".report.json."), name
        assert name.endswith(".tmp"), name


def test_killed_naive_write_does_leave_a_partial_file(tmp_path):
    """Control: the same kill against an in-place writer corrupts the destination."""
    dest, marker = tmp_path / "report.json", tmp_path / "marker"
    _old_report(dest)
    proc = _start(dest, marker, "naive-slow", "new")
    _wait_for(marker, proc)
    _kill(proc)
    with pytest.raises(ValueError):
        Report.from_json(dest.read_text())


def test_killing_a_write_loop_at_random_moments_never_leaves_a_partial_file(tmp_path):
    delays = [0.0, 0.07, 0.19, 0.41]
    for i, delay in enumerate(delays):
        dest, marker = tmp_path / f"r{i}.json", tmp_path / "marker"
        marker.unlink(missing_ok=True)
        proc = _start(dest, marker, "atomic-loop", str(i))
        _wait_for(marker, proc)
        time.sleep(delay)
        _kill(proc)
        if dest.exists():  # absent only if killed before the first rename
            rep = Report.from_json(dest.read_text())
            assert rep.experiment.name == f"version-{i}"
            assert len(rep.estimates) == 8000
        for name in _leftovers(tmp_path, dest):
            assert name.startswith((".", "r")), name
    assert any((tmp_path / f"r{i}.json").exists() for i in range(len(delays)))
