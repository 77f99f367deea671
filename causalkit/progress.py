"""Progress for long work: a rich bar on a terminal, plain lines in CI logs, nothing by default.

Library code announces long steps with :func:`track` (or :func:`iterate`); whether
anything is shown is decided once, by the caller, with :func:`configure`:

* ``"off"`` (the default for library use): nothing is printed;
* ``"bar"``: a rich progress bar on standard error (the CLI on a terminal);
* ``"lines"``: plain lines on standard error: once a step has run ``min_seconds``,
  at most one every ``interval`` seconds while it runs, and one when it ends (CI logs);
* ``"auto"``: ``"bar"`` when standard error is a terminal, else ``"lines"``.

A step that ends within ``min_seconds`` (about two seconds) prints nothing in
``"lines"`` mode and its bar disappears, so short runs stay quiet. This module
imports nothing of causalkit; the statistics core takes plain callbacks instead.

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
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Literal, TypeVar

Mode = Literal["auto", "bar", "lines", "off"]
T = TypeVar("T")

MIN_SECONDS = 2.0
"""Steps shorter than this print nothing (``lines``) or vanish (``bar``)."""


@dataclass(frozen=True)
class _Settings:
    mode: Mode = "off"
    stream: IO[str] | None = None
    interval: float = 10.0
    min_seconds: float = MIN_SECONDS


_OFF = _Settings()
_SETTINGS: contextvars.ContextVar[_Settings] = contextvars.ContextVar(
    "causalkit_progress", default=_OFF)


@contextlib.contextmanager
def configure(mode: Mode = "auto", *, stream: IO[str] | None = None, interval: float = 10.0,
              min_seconds: float = MIN_SECONDS) -> Iterator[None]:
    """Show progress in ``mode`` inside the ``with`` block (see the module docstring).

    Example:
        >>> import io
        >>> buf = io.StringIO()
        >>> with configure("lines", stream=buf, min_seconds=0), track("scan", total=2) as s:
        ...     s.advance(2)
        >>> buf.getvalue().splitlines()[0]
        'scan ...'
    """
    if mode not in ("auto", "bar", "lines", "off"):
        raise ValueError(f"unknown progress mode {mode!r}")
    out = stream if stream is not None else sys.stderr
    if mode == "auto":
        mode = "bar" if getattr(out, "isatty", lambda: False)() else "lines"
    token = _SETTINGS.set(_Settings(mode, out, interval, min_seconds))
    try:
        yield
    finally:
        _SETTINGS.reset(token)


def mode() -> Mode:
    """The progress mode in effect here (``"off"`` unless :func:`configure` set one).

    Example:
        >>> mode()
        'off'
    """
    return _SETTINGS.get().mode


@dataclass
class Step:
    """One announced step: call :meth:`advance` as work is done.

    Example:
        >>> s = Step("x", total=4)
        >>> s.advance(3); s.completed
        3
    """

    description: str
    total: int | None = None
    completed: int = 0
    started: float = field(default_factory=time.monotonic)
    _bar: Any = None
    _task: Any = None
    _last_line: float = 0.0
    _settings: _Settings | None = None

    def advance(self, n: int = 1) -> None:
        """Record ``n`` more units of work done."""
        self.completed += n
        self._show()

    def update(self, completed: int, total: int | None = None) -> None:
        """Set the work done (and the total, when it becomes known)."""
        self.completed = completed
        if total is not None:
            self.total = total
        self._show()

    def callback(self, done: int, total: int) -> None:
        """A ``(done, total)`` callback for code that takes one (the statistics core)."""
        self.update(done, total)

    @property
    def elapsed(self) -> float:
        """Seconds since the step started."""
        return time.monotonic() - self.started

    def _text(self) -> str:
        if self.total:
            pct = 100.0 * self.completed / self.total
            return f"{self.description} {self.completed:,}/{self.total:,} ({pct:.0f}%)"
        return f"{self.description} {self.completed:,}"

    def _show(self) -> None:
        s = self._settings
        if s is None or s.mode == "off":
            return
        if s.mode == "bar" and self._bar is not None:
            self._bar.update(self._task, completed=self.completed, total=self.total)
            return
        now = time.monotonic()
        if s.mode == "lines" and self.elapsed >= s.min_seconds \
                and (not self._last_line or now - self._last_line >= s.interval):
            self._last_line = now
            _write(s, f"{self._text()}, {self.elapsed:.0f} s")


def _write(s: _Settings, line: str) -> None:
    if s.stream is not None:
        with contextlib.suppress(OSError, ValueError):
            s.stream.write(line + "\n")
            s.stream.flush()


@contextlib.contextmanager
def track(description: str, total: int | None = None) -> Iterator[Step]:
    """Announce a step that may take more than a couple of seconds.

    Args:
        description: what is being done, in a few words ("permutation test").
        total: units of work, when known (``None``: a spinner / a count).

    Example:
        >>> with track("refuters", total=2) as step:
        ...     step.advance(); step.advance()
        >>> (step.completed, step.total)
        (2, 2)
    """
    s = _SETTINGS.get()
    step = Step(description, total, _settings=s)
    if s.mode == "bar":
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                       MofNCompleteColumn(), TimeElapsedColumn(),
                       console=Console(file=s.stream, stderr=s.stream is None),
                       transient=True)
        step._bar, step._task = bar, bar.add_task(description, total=total)
        with bar:
            yield step
        if step.elapsed >= s.min_seconds:
            _write(s, f"{description}: done in {step.elapsed:.1f} s")
        return
    if s.mode == "lines":
        try:
            yield step
        finally:
            if step.elapsed >= s.min_seconds:
                _write(s, f"{step._text()}: done in {step.elapsed:.1f} s")
        return
    yield step


def iterate(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Yield ``items``, advancing a :func:`track` step by one per item.

    Example:
        >>> list(iterate([1, 2, 3], "replays"))
        [1, 2, 3]
    """
    if total is None:
        total = len(items) if hasattr(items, "__len__") else None  # type: ignore[arg-type]
    with track(description, total) as step:
        for item in items:
            yield item
            step.advance()


__all__ = ["MIN_SECONDS", "Mode", "Step", "configure", "iterate", "mode", "track"]
