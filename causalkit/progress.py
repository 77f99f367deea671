"""Progress for long work: a rich bar on a terminal, plain lines in CI logs, nothing by default.

Library code announces long steps with :func:`track` (or :func:`iterate`); whether
anything is shown is decided once, by the caller, with :func:`configure` (or
:func:`enable`, which turns on ``"auto"`` unless a mode is set already):

* ``"off"`` (the default for library use): nothing is printed;
* ``"bar"``: a rich progress bar on standard error (the CLI on a terminal);
* ``"lines"``: plain lines on standard error: once a step has run ``min_seconds``,
  one line then at most one every ``interval`` seconds while it runs, and one when
  it ends (CI logs);
* ``"auto"``: ``"bar"`` when standard error is a terminal, else ``"lines"``; the
  environment variable ``CAUSALKIT_PROGRESS`` (``off``, ``lines``, ``bar``) overrides
  the choice.

A step that ends within ``min_seconds`` (two seconds; ``CAUSALKIT_PROGRESS_MIN_SECONDS``
changes the default) prints nothing, so short runs stay quiet. Progress never goes to
standard output. :meth:`Step.advance` only adds to a counter: the bar and the lines
are drawn by a background thread (a few times a second), so a hot loop pays nothing
for them; still, advance once per chunk of work, not per row.

This module imports nothing of causalkit; anyone may import it.

Example:
    >>> with configure("off"), track("permutations", total=3) as step:
    ...     for _ in range(3):
    ...         step.advance()
    >>> step.completed
    3
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Literal, TypeVar

Mode = Literal["auto", "bar", "lines", "off"]
T = TypeVar("T")

MIN_SECONDS = 2.0
"""Steps shorter than this print nothing (``lines``) and never show a bar (``bar``)."""

ENV_MODE = "CAUSALKIT_PROGRESS"
"""Environment variable that overrides what ``"auto"`` picks: ``off``, ``lines`` or ``bar``."""

ENV_MIN_SECONDS = "CAUSALKIT_PROGRESS_MIN_SECONDS"
"""Environment variable with the default ``min_seconds`` (a number of seconds)."""

_TICK = 0.25  # seconds between two looks of the lines-mode monitor


def _env_min_seconds() -> float:
    raw = os.environ.get(ENV_MIN_SECONDS, "").strip()
    if not raw:
        return MIN_SECONDS
    try:
        value = float(raw)
    except ValueError:
        return MIN_SECONDS
    return value if value >= 0 else MIN_SECONDS


class _Display:
    """What one :func:`configure` block shows: the active steps, and the thread or bar
    that draws them (started with the first step, stopped after the last)."""

    def __init__(self, mode: Mode, stream: IO[str], interval: float, min_seconds: float
                 ) -> None:
        self.mode = mode
        self.stream = stream
        self.interval = interval
        self.min_seconds = min_seconds
        self.steps: list[Step] = []
        self.lock = threading.RLock()
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self._bar: Any = None

    # -- steps come and go ---------------------------------------------------------
    def start(self, step: Step) -> None:
        with self.lock:
            step._depth = len(self.steps)
            self.steps.append(step)
            if len(self.steps) == 1:
                self._open()
            if self._bar is not None:
                step._task = self._bar.add_task(step._label(), total=step.total,
                                                visible=False, unit=step.unit)

    def finish(self, step: Step, failed: bool) -> None:
        with self.lock:
            step._done = True
            if step in self.steps:
                self.steps.remove(step)
            long_enough = step.elapsed >= self.min_seconds
            verb = "stopped after" if failed else "done in"
            line = f"{step._label()}{step._count()}: {verb} {step.elapsed:.1f} s"
            if self._bar is not None:
                if step._task is not None:
                    self._bar.remove_task(step._task)
                    self._bar.refresh()  # redraw without it before printing above it
                if long_enough:
                    from rich.text import Text

                    self._bar.console.print(Text(line))
            elif long_enough:
                self.write(line)
            if not self.steps:
                self._close()

    # -- drawing -------------------------------------------------------------------
    def write(self, line: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.stream.write(line + "\n")
            self.stream.flush()

    def _open(self) -> None:
        if self.mode == "bar":
            bar = _make_bar(self)
            try:
                bar.start()
            except Exception:  # another live display holds the terminal: no bar here
                return
            self._bar = bar
        elif self.mode == "lines":
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._watch, args=(self._stop,),
                                            name="causalkit-progress", daemon=True)
            self._thread.start()

    def _close(self) -> None:
        if self._bar is not None:
            bar, self._bar = self._bar, None
            bar.stop()
        if self._stop is not None:
            self._stop.set()
            self._stop = None
            self._thread = None  # a daemon; it ends at its next look

    def _watch(self, stop: threading.Event) -> None:
        while not stop.wait(_TICK):
            now = time.monotonic()
            with self.lock:
                if stop.is_set():
                    return
                for step in self.steps:
                    if step._done or step.elapsed < self.min_seconds:
                        continue
                    if step._last_line and now - step._last_line < self.interval:
                        continue
                    step._last_line = now
                    count = step._count() or ": running"
                    self.write(f"{step._label()}{count}, {int(step.elapsed)} s")

    def sync(self, bar: Any) -> None:
        """Copy the steps' counters to the bar's tasks (called by the bar before drawing)."""
        if not self.lock.acquire(blocking=False):  # a step is starting or ending: next frame
            return
        try:
            for step in self.steps:
                if step._task is not None:
                    bar.update(step._task, completed=step.completed, total=step.total,
                               visible=step.elapsed >= self.min_seconds)
        finally:
            self.lock.release()


def _make_bar(display: _Display) -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        ProgressColumn,
        SpinnerColumn,
        Task,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class _Bar(Progress):
        def get_renderables(self) -> Any:
            display.sync(self)
            yield from super().get_renderables()

    class _Count(ProgressColumn):
        """``done/total unit``; ``done unit`` without a total; nothing before any work."""

        def render(self, task: Task) -> Text:
            unit = f" {task.fields['unit']}" if task.fields.get("unit") else ""
            done = int(task.completed)
            if task.total:
                return Text(f"{done:,}/{int(task.total):,}{unit}", style="progress.download")
            return Text(f"{done:,}{unit}" if done else "", style="progress.download")

    console = Console(file=display.stream, highlight=False)
    return _Bar(SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(),
                _Count(), TimeElapsedColumn(), TimeRemainingColumn(),
                console=console, transient=True, refresh_per_second=2,
                redirect_stdout=False, redirect_stderr=False)


@dataclass(frozen=True)
class _Settings:
    mode: Mode = "off"
    display: _Display | None = None
    configured: bool = False


_OFF = _Settings()
_SETTINGS: contextvars.ContextVar[_Settings] = contextvars.ContextVar(
    "causalkit_progress", default=_OFF)


def _resolve(mode: Mode, out: IO[str]) -> Mode:
    if mode != "auto":
        return mode
    forced = os.environ.get(ENV_MODE, "").strip().lower()
    if forced in ("off", "lines", "bar"):
        return forced  # type: ignore[return-value]
    isatty = getattr(out, "isatty", None)
    try:
        tty = bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):
        tty = False
    return "bar" if tty and os.environ.get("TERM") != "dumb" else "lines"


@contextlib.contextmanager
def configure(mode: Mode = "auto", *, stream: IO[str] | None = None, interval: float = 10.0,
              min_seconds: float | None = None) -> Iterator[None]:
    """Show progress in ``mode`` inside the ``with`` block (see the module docstring).

    Args:
        mode: ``"auto"``, ``"bar"``, ``"lines"`` or ``"off"``.
        stream: where to write (standard error by default; never standard output).
        interval: seconds between two lines of a running step (``"lines"``).
        min_seconds: steps shorter than this stay silent (default :data:`MIN_SECONDS`,
            or ``CAUSALKIT_PROGRESS_MIN_SECONDS``).

    Example:
        >>> import io
        >>> buf = io.StringIO()
        >>> with configure("lines", stream=buf, min_seconds=0), track("scan", total=2) as s:
        ...     s.advance(2)
        >>> buf.getvalue().splitlines()[-1]
        'scan 2/2: done in 0.0 s'
    """
    if mode not in ("auto", "bar", "lines", "off"):
        raise ValueError(f"unknown progress mode {mode!r}")
    out = stream if stream is not None else sys.stderr
    chosen = _resolve(mode, out)
    wait = _env_min_seconds() if min_seconds is None else float(min_seconds)
    display = None if chosen == "off" else _Display(chosen, out, interval, wait)
    token = _SETTINGS.set(_Settings(chosen, display, configured=True))
    try:
        yield
    finally:
        _SETTINGS.reset(token)


def configured() -> bool:
    """Whether a :func:`configure` block (any mode, ``"off"`` included) is in effect here.

    Example:
        >>> configured(), mode()
        (False, 'off')
        >>> with configure("off"):
        ...     configured()
        True
    """
    return _SETTINGS.get().configured


@contextlib.contextmanager
def enable(requested: bool = True) -> Iterator[None]:
    """``configure("auto")`` inside the block when ``requested`` and no mode is set yet.

    What ``causalkit.analyze(..., progress=True)`` does: the caller's own
    :func:`configure` (even ``"off"``) wins.

    Example:
        >>> with configure("off"), enable():
        ...     mode()
        'off'
        >>> with enable(False):
        ...     configured()
        False
    """
    if requested and not configured():
        with configure("auto"):
            yield
    else:
        yield


def mode() -> Mode:
    """The progress mode in effect here (``"off"`` unless :func:`configure` set one).

    Example:
        >>> mode()
        'off'
    """
    return _SETTINGS.get().mode


@dataclass(eq=False)
class Step:
    """One announced step: call :meth:`advance` as work is done (cheap: a counter).

    Example:
        >>> s = Step("x", total=4)
        >>> s.advance(3); s.completed
        3
    """

    description: str
    total: int | None = None
    completed: int = 0
    unit: str = ""
    started: float = field(default_factory=time.monotonic)
    _task: Any = None
    _last_line: float = 0.0
    _depth: int = 0
    _done: bool = False

    def advance(self, n: int = 1) -> None:
        """Record ``n`` more units of work done."""
        self.completed += n

    def update(self, completed: int, total: int | None = None) -> None:
        """Set the work done (and the total, when it becomes known)."""
        self.completed = completed
        if total is not None:
            self.total = total

    def callback(self, done: int, total: int) -> None:
        """A ``(done, total)`` callback for code that takes one (the statistics core)."""
        self.update(done, total)

    @property
    def elapsed(self) -> float:
        """Seconds since the step started."""
        return time.monotonic() - self.started

    def _label(self) -> str:
        text = "".join(ch if ch.isprintable() else " " for ch in self.description)
        return "  " * self._depth + text

    def _count(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.total:
            pct = 100.0 * self.completed / self.total
            if self.completed >= self.total:
                return f" {self.completed:,}/{self.total:,}{unit}"
            return f" {self.completed:,}/{self.total:,}{unit} ({pct:.0f}%)"
        if self.completed:
            return f" {self.completed:,}{unit}"
        return ""


@contextlib.contextmanager
def track(description: str, total: int | None = None, *, unit: str = "") -> Iterator[Step]:
    """Announce a step that may take more than a couple of seconds.

    Args:
        description: what is being done, in a few words ("permutation test").
        total: units of work, when known (``None``: a spinner / a count).
        unit: what a unit is ("rows", "draws"), shown after the count.

    Example:
        >>> with track("refuters", total=2) as step:
        ...     step.advance(); step.advance()
        >>> (step.completed, step.total)
        (2, 2)
    """
    s = _SETTINGS.get()
    step = Step(description, total, unit=unit)
    display = s.display
    if display is None:
        yield step
        return
    display.start(step)
    failed = True
    try:
        yield step
        failed = False
    finally:
        display.finish(step, failed)


def iterate(items: Iterable[T], description: str, total: int | None = None, *,
            unit: str = "") -> Iterator[T]:
    """Yield ``items``, advancing a :func:`track` step by one per item.

    Example:
        >>> list(iterate([1, 2, 3], "replays"))
        [1, 2, 3]
    """
    if total is None:
        total = len(items) if hasattr(items, "__len__") else None  # type: ignore[arg-type]
    with track(description, total, unit=unit) as step:
        for item in items:
            yield item
            step.advance()


__all__ = ["ENV_MIN_SECONDS", "ENV_MODE", "MIN_SECONDS", "Mode", "Step", "configure",
           "configured", "enable", "iterate", "mode", "track"]
