"""The gate's state file: the looks of one experiment, kept between CI runs.

A JSON document with a format version, the sha256 of the spec it belongs to and
the list of looks. It is written atomically (temporary file, fsync, rename), so
a killed job leaves the old state or the new one, never half of one. A file that
cannot be read, has another format version or belongs to another spec is a
:class:`~causalkit.errors.GateError`: the gate never resets a state silently,
because forgetting earlier looks would spend the alpha again.

**Invariants** (:func:`check_looks`; a file that breaks one is refused, exit 2,
and never changed):

* ``format`` is ``causalkit-gate-state``, ``version`` is 1, ``spec_sha256`` is the
  spec's, ``sequential`` is the spec's sequential method;
* every look has the fields of a :class:`~causalkit.gate.looks.Look` with finite
  numbers (JSON's ``NaN``/``Infinity`` are refused), a decision of the
  :class:`~causalkit.spec.common.DecisionState` set, and looks are numbered 1, 2,
  3, ... with distinct statistics keys;
* look times never decrease, and no look is later than the analysis time
  (``--now``, or the analysis' own time);
* information fractions are >= 0 and grow from tested look to tested look; with
  ``decision.horizon_sample_per_arm`` a tested look's fraction is its
  ``n_per_arm`` over that plan (relative tolerance :data:`FRACTION_TOLERANCE`);
  with a time horizon it is at most the time elapsed since the start over the
  horizon; a look that tested nothing carries no fraction or an earlier tested
  look's; under ``msprt``/``none`` no look carries group-sequential numbers, under
  ``gst`` every tested look has a fraction, an alpha spent and a boundary;
* alpha spent is within ``[0, alpha]`` and never decreases; boundaries are > 0;
* only ``invalid`` looks and the repetitions of a terminal decision are untested;
  after the first terminal decision (``ship``, ``rollback``, ``inconclusive``)
  every look repeats it or is ``invalid``.

**Append-only.** A new look is appended. Re-reading the statistics of the
latest look changes nothing, except that a latest look that is not terminal takes
the new decision (the same data read later, when the minimum runtime has passed).
A terminal look never changes; re-reading the statistics of an earlier look
(after later looks were recorded) is refused with a :class:`GateError`: the
gate does not go back in history.

**Locking.** :func:`locked` takes an exclusive ``flock`` on ``<state>.lock`` (a
file created next to the state and left there) for the whole read-analyse-write
of one gate run, so two runs at once on one state file take turns (the second
waits up to :data:`LOCK_TIMEOUT` seconds, then fails with exit 2).

Example:
    >>> import pathlib, tempfile
    >>> from datetime import datetime, UTC
    >>> from causalkit.gate.looks import Look
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "state.json"
    >>> state = load_state(path, spec_sha256="abc", experiment="x", sequential="gst")
    >>> isinstance(state, GateState), state.looks
    (True, ())
    >>> lk = Look(index=1, time=datetime(2026, 1, 1, tzinfo=UTC), key="k", n_per_arm=9,
    ...           decision="hold", information_fraction=0.1, spent_alpha=1e-9, boundary_z=6.1)
    >>> new, changed = state.with_look(lk)
    >>> save_state(path, new)
    >>> load_state(path, spec_sha256="abc", experiment="x", sequential="gst").looks == (lk,)
    True
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import stat
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from causalkit.errors import DestinationError, GateError
from causalkit.gate.looks import TERMINAL, Look
from causalkit.report.write import check_destination, write_atomic
from causalkit.spec.common import DecisionState, Sequential

STATE_FORMAT = "causalkit-gate-state"
STATE_VERSION = 1
MAX_STATE_BYTES = 64 * 1024 * 1024
"""The largest state file read (a year of hourly looks is well under 10 MB)."""
LOCK_TIMEOUT = 600.0
"""Seconds a gate run waits for another run holding the same state file."""
FRACTION_TOLERANCE = 1e-6
"""Relative tolerance of an information fraction against ``n_per_arm`` over the plan."""
_DECISIONS = frozenset(s.value for s in DecisionState)
_SEQUENTIAL = frozenset(s.value for s in Sequential)


def _when(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class GateState:
    """The looks of one experiment under one spec (identified by its sha256)."""

    spec_sha256: str
    experiment: str
    sequential: str
    looks: tuple[Look, ...] = ()

    def find(self, key: str) -> Look | None:
        """The look with statistics key ``key``, if any.

        Example:
            >>> GateState("s", "x", "gst").find("k") is None
            True
        """
        return next((lk for lk in self.looks if lk.key == key), None)

    def with_look(self, look: Look) -> tuple[GateState, bool]:
        """Append ``look`` (append-only; see the module docstring); say whether anything changed.

        A look on the statistics of the latest look keeps its number: when only its
        time differs (the job re-ran on the same data) nothing changes; when its
        decision differs (time passed the minimum runtime) the latest look takes it,
        time included, unless the latest look is terminal (then nothing changes).

        Raises:
            GateError: when ``look`` has the statistics of an earlier look than the
                latest (the gate does not go back in history).

        Example:
            >>> from datetime import datetime, UTC
            >>> t = datetime(2026, 1, 1, tzinfo=UTC)
            >>> lk = Look(index=1, time=t, key="k", n_per_arm=9, decision="hold")
            >>> s, changed = GateState("s", "x", "gst").with_look(lk)
            >>> s.with_look(replace(lk, time=t.replace(day=2)))[1]
            False
        """
        old = self.find(look.key)
        if old is None:
            return replace(self, looks=(*self.looks, look)), True
        latest = self.looks[-1]
        if old.index != latest.index:
            raise GateError(
                f"these data are those of look {old.index} ({_when(old.time)}), but the state "
                f"file has recorded {len(self.looks)} looks since: the gate's history is "
                "append-only and does not go back to an earlier look",
                hint="run the gate on the current data; analyse old data without the "
                     "state file (causalkit run)")
        if old.decision in TERMINAL:
            return self, False
        same = (old.decision == look.decision and old.reasons == look.reasons
                and old.tested == look.tested)
        if same:
            return self, False
        return replace(self, looks=(*self.looks[:-1], replace(look, index=old.index))), True

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form."""
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "spec_sha256": self.spec_sha256,
            "experiment": self.experiment,
            "sequential": self.sequential,
            "looks": [_finite(lk.to_dict()) for lk in self.looks],
        }


def _finite(record: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in record.items()}


def _corrupt(path: Path, what: str) -> GateError:
    return GateError(
        f"state file {path} is corrupt: {what}",
        hint="restore it from the last CI artifact; the gate never resets a state silently "
             "because earlier looks have spent alpha",
    )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a finite number")


def _read(path: Path) -> Any:
    try:
        st = check_destination(path)
    except DestinationError as exc:
        raise GateError(f"state file: {exc.message}", hint=exc.hint) from None
    if st is None:
        return None
    if st.st_size > MAX_STATE_BYTES:
        raise _corrupt(path, f"{st.st_size} bytes, more than the {MAX_STATE_BYTES} a state "
                             "file may have")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _corrupt(path, f"cannot be read ({exc})") from None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise _corrupt(path, f"not JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise _corrupt(path, "not JSON (nested too deeply)") from None
    except ValueError as exc:
        raise _corrupt(path, f"not JSON ({exc})") from None


def check_looks(looks: Sequence[Look], *, path: Path, sequential: str = "",
                alpha: float | None = None, horizon_sample_per_arm: int | None = None,
                horizon: float | None = None, start: datetime | None = None,
                now: datetime | None = None) -> None:
    """Check the looks against the state file's invariants (the module docstring).

    The spec's settings (``sequential``, ``alpha``, ``horizon_sample_per_arm``,
    ``horizon`` in seconds with the ``start``) and the analysis time ``now`` are
    checked when given.

    Raises:
        GateError: naming the first look that breaks an invariant.

    Example:
        >>> from datetime import datetime, UTC
        >>> lk = Look(index=1, time=datetime(2026, 1, 1, tzinfo=UTC), key="k", n_per_arm=2500,
        ...           decision="hold", information_fraction=5.0, spent_alpha=0.01, boundary_z=2.0)
        >>> check_looks([lk], path=Path("s.json"), sequential="gst",
        ...             horizon_sample_per_arm=10_000)
        Traceback (most recent call last):
        ...
        causalkit.errors.GateError: state file s.json is corrupt: look 1 claims information \
fraction 5 but 2500 units per arm of a planned 10000 make 0.25 (...)
    """
    if [lk.index for lk in looks] != list(range(1, len(looks) + 1)):
        raise _corrupt(path, "looks are not numbered 1, 2, 3, ...")
    if len({lk.key for lk in looks}) != len(looks):
        raise _corrupt(path, "two looks have the same statistics key")
    fractions = [lk.information_fraction for lk in looks
                 if lk.tested and lk.information_fraction is not None]
    if any(b <= a for a, b in itertools.pairwise(fractions)):
        raise _corrupt(path, "information fractions do not increase from look to look")
    gst = sequential == Sequential.GST.value
    terminal: Look | None = None
    seen_fractions: list[float] = []
    spent_before = 0.0
    for i, lk in enumerate(looks):
        where = f"look {lk.index}"
        if lk.decision not in _DECISIONS:
            raise _corrupt(path, f"{where} has the unknown decision {lk.decision!r}")
        if i and lk.time < looks[i - 1].time:
            raise _corrupt(path, f"{where} ({_when(lk.time)}) is earlier than look "
                                 f"{looks[i - 1].index} ({_when(looks[i - 1].time)})")
        if now is not None and lk.time > now:
            raise GateError(
                f"state file {path}: {where} was taken at {_when(lk.time)}, after the "
                f"analysis time {_when(now)}; looks are recorded in time order",
                hint="pass a --now after the last look (the gate does not go back in "
                     "time), or restore the state file if it was changed")
        numbers = {"information_fraction": lk.information_fraction,
                   "spent_alpha": lk.spent_alpha, "boundary_z": lk.boundary_z}
        for name, value in numbers.items():
            if value is not None and not math.isfinite(value):
                raise _corrupt(path, f"{where}: {name} is not a finite number")
        if sequential and not gst and any(v is not None for v in numbers.values()):
            raise _corrupt(path, f"{where} carries group-sequential numbers but the plan is "
                                 f"sequential: {sequential}")
        if gst and lk.tested and any(v is None for v in numbers.values()):
            missing = ", ".join(k for k, v in numbers.items() if v is None)
            raise _corrupt(path, f"{where} tested a group-sequential plan but has no {missing}")
        if terminal is not None:
            if lk.tested or lk.decision not in (terminal.decision, DecisionState.INVALID.value):
                raise _corrupt(path, f"{where} says {lk.decision} after the final decision "
                                     f"{terminal.decision} at look {terminal.index}; a "
                                     "terminal decision stays")
        elif not lk.tested and lk.decision != DecisionState.INVALID.value:
            raise _corrupt(path, f"{where} decided {lk.decision} but is marked as testing "
                                 "nothing; only invalid looks and repeated final decisions "
                                 "test nothing")
        _check_fraction(lk, path, where, gst=gst, seen=seen_fractions,
                        horizon_sample_per_arm=horizon_sample_per_arm, horizon=horizon,
                        start=start)
        if lk.spent_alpha is not None:
            limit = 1.0 if alpha is None else alpha
            if not 0.0 <= lk.spent_alpha <= limit * (1 + 1e-9):
                raise _corrupt(path, f"{where} claims alpha spent {lk.spent_alpha:g}, "
                                     f"outside [0, {limit:g}]")
            if lk.tested:
                if lk.spent_alpha < spent_before * (1 - 1e-9):
                    raise _corrupt(path, f"{where} claims alpha spent {lk.spent_alpha:g}, less "
                                         f"than the {spent_before:g} spent before it")
                spent_before = lk.spent_alpha
        if lk.boundary_z is not None and lk.boundary_z <= 0:
            raise _corrupt(path, f"{where} claims the boundary |z| >= {lk.boundary_z:g}")
        if lk.tested and lk.information_fraction is not None:
            seen_fractions.append(lk.information_fraction)
        if terminal is None and lk.decision in TERMINAL:
            terminal = lk


def _check_fraction(lk: Look, path: Path, where: str, *, gst: bool, seen: list[float],
                    horizon_sample_per_arm: int | None, horizon: float | None,
                    start: datetime | None) -> None:
    t = lk.information_fraction
    if t is None:
        if gst and lk.tested:
            raise _corrupt(path, f"{where} tested a group-sequential plan but has no "
                                 "information fraction")
        return
    if t < 0:
        raise _corrupt(path, f"{where} claims the information fraction {t:g}")
    if not lk.tested:
        if not any(math.isclose(t, s, rel_tol=FRACTION_TOLERANCE) for s in seen):
            raise _corrupt(path, f"{where} tested nothing but claims the information "
                                 f"fraction {t:g}, which no earlier tested look had")
        return
    if horizon_sample_per_arm:
        expected = lk.n_per_arm / horizon_sample_per_arm
        if not math.isclose(t, expected, rel_tol=FRACTION_TOLERANCE, abs_tol=1e-12):
            raise _corrupt(path, f"{where} claims information fraction {t:g} but "
                                 f"{lk.n_per_arm} units per arm of a planned "
                                 f"{horizon_sample_per_arm} make {expected:g}")
    elif horizon and start is not None:
        elapsed = max((lk.time - start) / timedelta(seconds=horizon), 0.0)
        if t > elapsed * (1 + FRACTION_TOLERANCE) + 1e-9:
            raise _corrupt(path, f"{where} claims information fraction {t:g} but only "
                                 f"{elapsed:.4g} of the planned horizon had passed at "
                                 f"{_when(lk.time)}")


def load_state(path: Path, *, spec_sha256: str, experiment: str, sequential: str,
               alpha: float | None = None, horizon_sample_per_arm: int | None = None,
               now: datetime | None = None) -> GateState:
    """Read and check the state file, or start an empty state when the file does not exist.

    Args:
        path: the state file.
        spec_sha256: the spec's sha256 (a state belongs to one spec).
        experiment: the experiment's name (for a new state).
        sequential: the spec's sequential method (``""`` when not known yet).
        alpha: the spec's alpha (bounds the alpha spent), when known.
        horizon_sample_per_arm: the spec's planned units per arm, when set.
        now: the analysis time (``--now``), when given: no look may be later.

    Raises:
        GateError: when the file is not a regular file, is unreadable, is not a gate
            state, has another format version, belongs to another spec, or breaks an
            invariant (:func:`check_looks`).

    Example:
        >>> import pathlib, tempfile
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.json"
        >>> _ = p.write_text("{not json")
        >>> load_state(p, spec_sha256="a", experiment="x", sequential="gst")
        Traceback (most recent call last):
        ...
        causalkit.errors.GateError: state file .../s.json is corrupt: not JSON (...)
    """
    data = _read(path)
    if data is None:
        return GateState(spec_sha256, experiment, sequential)
    if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
        raise _corrupt(path, f"not a causalkit gate state (no \"format\": \"{STATE_FORMAT}\")")
    if data.get("version") != STATE_VERSION or isinstance(data.get("version"), bool):
        raise GateError(
            f"state file {path} has format version {data.get('version')!r}; this causalkit "
            f"reads version {STATE_VERSION}",
            hint="use the causalkit version that wrote it",
        )
    if data.get("spec_sha256") != spec_sha256:
        raise GateError(
            f"state file {path} belongs to another spec (sha256 "
            f"{str(data.get('spec_sha256'))[:12]}..., this spec {spec_sha256[:12]}...)",
            hint="a changed spec changes the plan: restore the spec, or start a new state "
                 "file for a new experiment",
        )
    looks_raw = data.get("looks")
    if not isinstance(looks_raw, list):
        raise _corrupt(path, "\"looks\" is not a list")
    file_sequential = data.get("sequential", sequential)
    name = data.get("experiment", experiment)
    if not isinstance(file_sequential, str) or file_sequential not in (_SEQUENTIAL | {""}):
        raise _corrupt(path, f"\"sequential\" is {file_sequential!r}")
    if not isinstance(name, str):
        raise _corrupt(path, "\"experiment\" is not text")
    if looks_raw and sequential and file_sequential != sequential:
        raise _corrupt(path, f"it records a sequential: {file_sequential} plan, but the spec "
                             f"says sequential: {sequential}")
    looks = []
    for i, raw in enumerate(looks_raw):
        if not isinstance(raw, dict):
            raise _corrupt(path, f"look {i + 1} is not an object")
        try:
            looks.append(Look.from_dict(raw))
        except KeyError as exc:
            raise _corrupt(path, f"look {i + 1}: missing field {exc}") from None
        except (TypeError, ValueError, OverflowError) as exc:
            raise _corrupt(path, f"look {i + 1}: {exc}") from None
    check_looks(looks, path=path, sequential=file_sequential or sequential, alpha=alpha,
                horizon_sample_per_arm=horizon_sample_per_arm, now=now)
    return GateState(spec_sha256, name, file_sequential or sequential, tuple(looks))


def save_state(path: Path, state: GateState) -> None:
    """Write the state atomically.

    Raises:
        GateError: when the file cannot be written (or is not a regular file).

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "state.json"
        >>> save_state(path, GateState("abc", "x", "msprt"))
        >>> path.read_text().splitlines()[1]
        '  "format": "causalkit-gate-state",'
    """
    text = json.dumps(state.to_dict(), indent=2, allow_nan=False, ensure_ascii=False) + "\n"
    try:
        write_atomic(path, text)
    except OSError as exc:
        message = exc.message if isinstance(exc, DestinationError) else str(exc)
        raise GateError(f"cannot write state file {path}: {message}") from None


def lock_path(path: Path) -> Path:
    """The lock file of a state file: ``<state>.lock`` next to it.

    Example:
        >>> lock_path(Path("ci/state.json")).as_posix()
        'ci/state.json.lock'
    """
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def locked(path: Path, *, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive lock on the state file ``path`` (through ``<state>.lock``).

    The lock file is created (mode from the umask) when missing and left in place;
    it must be a regular file. Where ``fcntl`` does not exist (Windows) no lock is
    taken.

    Raises:
        GateError: when the lock file cannot be opened or is not a regular file, or
            another run holds the lock for more than ``timeout`` seconds.

    Example:
        >>> import pathlib, tempfile
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "state.json"
        >>> with locked(p):
        ...     lock_path(p).exists()
        True
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    lock = lock_path(path)
    try:
        check_destination(path)
    except DestinationError as exc:
        raise GateError(f"state file: {exc.message}", hint=exc.hint) from None
    try:
        check_destination(lock)
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK
                     | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0), 0o666)
    except DestinationError as exc:
        raise GateError(f"lock file of the state: {exc.message}", hint=exc.hint) from None
    except OSError as exc:
        raise GateError(f"cannot open the state's lock file {lock}: {exc.strerror or exc}",
                        hint="the folder of the state file must be writable") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise GateError(f"the state's lock file {lock} is not a regular file")
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise GateError(
                        f"another causalkit gate run holds the state file {path} (lock "
                        f"{lock}) for more than {timeout:g} s",
                        hint="let it finish; two runs on one state take turns") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
