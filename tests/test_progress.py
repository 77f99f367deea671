"""Progress on long work (``causalkit.progress``): where it goes, when it is silent, and
that it never changes a report or standard output.

The unit tests use a step that sleeps a few tenths of a second with ``min_seconds``
lowered; the CLI tests share one fixture that runs the switch-back example design
twice in-process (about 8 s), with ``CAUSALKIT_PROGRESS_MIN_SECONDS=0`` and with
``CAUSALKIT_PROGRESS=off``.
"""

from __future__ import annotations

import io
import json
import re
import time
from datetime import datetime, tzinfo
from pathlib import Path

import pytest
from click.testing import CliRunner

import causalkit
from causalkit import progress
from causalkit.progress import ENV_MIN_SECONDS, ENV_MODE, configure, enable, iterate, track

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-12-10T00:00Z"


class FrozenClock(datetime):
    """``datetime`` whose ``now`` is fixed: reports of two runs get the same ``created_at``."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> FrozenClock:
        return cls(2026, 12, 10, tzinfo=tz)


class FakeTTY(io.StringIO):
    """A text stream that says it is a terminal (rich then draws a live bar)."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_MODE, raising=False)
    monkeypatch.delenv(ENV_MIN_SECONDS, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


def _slow_step(seconds: float = 0.4, n: int = 4, description: str = "scan") -> None:
    with track(description, total=n, unit="draws") as step:
        for _ in range(n):
            time.sleep(seconds / n)
            step.advance()


def test_lines_go_to_the_stream_and_nothing_to_stdout(capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    buf = io.StringIO()
    with configure("lines", stream=buf, min_seconds=0.0, interval=0.1):
        assert progress.mode() == "lines"
        _slow_step(0.6)
    lines = buf.getvalue().splitlines()
    assert re.fullmatch(r"scan 4/4 draws: done in \d+\.\d s", lines[-1]), lines
    # the monitor wrote at least one line while it ran (it looks every 0.25 s)
    assert any(re.fullmatch(r"scan \d/4 draws( \(\d+%\))?, \d+ s", ln) for ln in lines[:-1]), lines
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == ""


def test_lines_default_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    with configure("lines", min_seconds=0.0):
        _slow_step(0.05)
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.splitlines()[-1].startswith("scan 4/4 draws: done in ")


def test_short_steps_stay_silent() -> None:
    buf = io.StringIO()
    with configure("lines", stream=buf):  # default min_seconds: 2 s
        _slow_step(0.05)
        with track("spinner only"):
            pass
    assert buf.getvalue() == ""


def test_off_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    buf = io.StringIO()
    with configure("off", stream=buf, min_seconds=0.0):
        _slow_step(0.05)
    _slow_step(0.05)  # the library default: off
    assert progress.mode() == "off"
    assert not progress.configured()
    assert buf.getvalue() == ""
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == ""


def test_bar_on_a_fake_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    tty = FakeTTY()
    with configure("auto", stream=tty, min_seconds=0.0):
        assert progress.mode() == "bar"
        with track("outer", total=2, unit="parts") as outer:
            for _ in iterate(range(2), "inner"):
                _slow_step(0.3, description="innermost")
                outer.advance()
    text = tty.getvalue()
    assert "\x1b[" in text  # a live, redrawn display
    assert "innermost" in text
    assert "━" in text
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\r", "\n")
    assert re.search(r"^outer 2/2 parts: done in \d+\.\d s$", plain, re.M), plain
    assert re.search(r"^    innermost 4/4 draws: done in", plain, re.M), plain  # nested
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == ""


def test_a_failed_step_says_so_and_raises() -> None:
    buf = io.StringIO()

    def doomed() -> None:
        with track("doomed", total=3) as step:
            step.advance()
            raise KeyError("x")

    with configure("lines", stream=buf, min_seconds=0.0), pytest.raises(KeyError):
        doomed()
    assert re.fullmatch(r"doomed 1/3 \(33%\): stopped after \d+\.\d s\n", buf.getvalue())


def test_enable_respects_a_configured_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    with configure("off"), enable():
        assert progress.mode() == "off"
    with enable(False):
        assert not progress.configured()
    with enable(), configure("lines"):  # the innermost block wins
        assert progress.mode() == "lines"
    monkeypatch.setenv(ENV_MODE, "off")
    with enable():
        assert progress.mode() == "off"
    monkeypatch.setenv(ENV_MODE, "lines")
    with configure("auto", stream=FakeTTY()):
        assert progress.mode() == "lines"
    monkeypatch.setenv(ENV_MODE, "bar")
    with configure("lines", stream=io.StringIO()):  # only "auto" is overridden
        assert progress.mode() == "lines"


@pytest.mark.parametrize(("raw", "expected"), [("0", 0.0), ("0.5", 0.5), ("", 2.0),
                                                ("soon", 2.0), ("-1", 2.0)])
def test_min_seconds_from_the_environment(monkeypatch: pytest.MonkeyPatch, raw: str,
                                          expected: float) -> None:
    monkeypatch.setenv(ENV_MIN_SECONDS, raw)
    buf = io.StringIO()
    with configure("lines", stream=buf):
        _slow_step(0.01)
    assert (buf.getvalue() != "") == (expected == 0.0)


AB_SPEC = {"name": "tiny", "kind": "ab", "unit": "user_id",
           "metrics": [{"name": "chat_minutes", "type": "mean", "column": "chat_minutes",
                        "role": "primary", "direction": "increase"}],
           "data": {"simulate": "ab", "seed": 1, "params": {"n": 2000}}}


def test_analyze_progress_changes_no_report(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from causalkit.report.render import render
    from causalkit.spec.types import parse_timestamp

    now = parse_timestamp(NOW)
    monkeypatch.setenv(ENV_MIN_SECONDS, "0")
    monkeypatch.setattr("causalkit.report.model.datetime", FrozenClock)
    on = causalkit.analyze(AB_SPEC, seed=5, now=now, progress=True)
    err = capsys.readouterr()
    assert err.out == ""
    assert "simulating ab 2,000/2,000 rows: done in" in err.err
    assert "ab analysis of tiny: done in" in err.err
    with configure("off"):  # a configured mode wins over progress=True
        off = causalkit.analyze(AB_SPEC, seed=5, now=now, progress=True)
    assert capsys.readouterr() == ("", "")
    assert render(on, "json") == render(off, "json")


@pytest.fixture(scope="module")
def cli_runs() -> dict[str, tuple[str, str]]:
    """``causalkit run`` of the switch-back design, with progress lines and without."""
    mp = pytest.MonkeyPatch()
    from causalkit.cli import main

    out = {}
    mp.setattr("causalkit.report.model.datetime", FrozenClock)
    try:
        for name, env in (("on", {ENV_MIN_SECONDS: "0"}), ("off", {ENV_MODE: "off"})):
            for key in (ENV_MODE, ENV_MIN_SECONDS):
                mp.delenv(key, raising=False)
            for key, value in env.items():
                mp.setenv(key, value)
            res = CliRunner().invoke(main, ["run", str(ROOT / "designs/switchback_matching_algo.yaml"),
                                            "--format", "json", "--now", NOW, "--seed", "3"])
            assert res.exit_code == 0, res.output
            out[name] = (res.stdout, res.stderr)
    finally:
        mp.undo()
    return out


def test_cli_prints_plain_lines_on_stderr(cli_runs: dict[str, tuple[str, str]]) -> None:
    _, err = cli_runs["on"]
    lines = err.splitlines()
    assert "\x1b[" not in err  # stderr is not a terminal: plain lines, no bar
    assert any(re.fullmatch(r"simulating matching_market [\d,]+/[\d,]+ rows: done in [\d.]+ s",
                            ln) for ln in lines), err
    assert any(re.fullmatch(r" +randomization test 10,000/10,000 draws: done in [\d.]+ s", ln)
               for ln in lines), err
    assert re.search(r"^switchback analysis of matching-algo-v3: done in [\d.]+ s$", err,
                     re.M), err
    assert cli_runs["off"][1] == ""


def test_cli_stdout_is_the_same_with_and_without_progress(
        cli_runs: dict[str, tuple[str, str]]) -> None:
    on, off = cli_runs["on"][0], cli_runs["off"][0]
    assert on == off  # byte-identical stdout: the JSON report
    assert json.loads(on)["experiment"]["name"] == "matching-algo-v3"
