"""The gate's state file: the looks of one experiment, kept between CI runs.

A JSON document with a format version, the sha256 of the spec it belongs to and
the list of looks. It is written atomically (temporary file, fsync, rename), so
a killed job leaves the old state or the new one, never half of one. A file that
cannot be read, has another format version or belongs to another spec is a
:class:`~causalkit.errors.GateError`: the gate never resets a state silently,
because forgetting earlier looks would spend the alpha again.

Example:
    >>> import pathlib, tempfile
    >>> from datetime import datetime, UTC
    >>> from causalkit.gate.looks import Look
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "state.json"
    >>> state = load_state(path, spec_sha256="abc", experiment="x", sequential="gst")
    >>> isinstance(state, GateState), state.looks
    (True, ())
    >>> lk = Look(index=1, time=datetime(2026, 1, 1, tzinfo=UTC), key="k", n_per_arm=9,
    ...           decision="hold")
    >>> new, changed = state.with_look(lk)
    >>> save_state(path, new)
    >>> load_state(path, spec_sha256="abc", experiment="x", sequential="gst").looks == (lk,)
    True
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from causalkit.errors import GateError
from causalkit.gate.looks import Look
from causalkit.report.write import write_atomic

STATE_FORMAT = "causalkit-gate-state"
STATE_VERSION = 1


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
        """Add ``look``, or update the look with the same key; say whether anything changed.

        A look on the same statistics keeps its number. When only its time differs
        (the job re-ran on the same data) nothing changes; when its decision differs
        (time passed the minimum runtime) it is replaced, time included.

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
        same = (old.decision == look.decision and old.reasons == look.reasons
                and old.tested == look.tested)
        if same:
            return self, False
        new = replace(look, index=old.index)
        looks = tuple(new if lk.key == look.key else lk for lk in self.looks)
        return replace(self, looks=looks), True

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


def load_state(path: Path, *, spec_sha256: str, experiment: str, sequential: str) -> GateState:
    """Read the state file, or start an empty state when the file does not exist.

    Raises:
        GateError: when the file is unreadable, is not a gate state, has another
            format version, belongs to another spec, or records inconsistent looks.

    Example:
        >>> import pathlib, tempfile
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.json"
        >>> _ = p.write_text("{not json")
        >>> load_state(p, spec_sha256="a", experiment="x", sequential="gst")
        Traceback (most recent call last):
        ...
        causalkit.errors.GateError: state file .../s.json is corrupt: not JSON (...)
    """
    if not path.exists():
        return GateState(spec_sha256, experiment, sequential)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _corrupt(path, f"cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _corrupt(path, f"not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
        raise _corrupt(path, f"not a causalkit gate state (no \"format\": \"{STATE_FORMAT}\")")
    if data.get("version") != STATE_VERSION:
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
    looks = []
    for i, raw in enumerate(looks_raw):
        if not isinstance(raw, dict):
            raise _corrupt(path, f"look {i + 1} is not an object")
        try:
            looks.append(Look.from_dict(raw))
        except KeyError as exc:
            raise _corrupt(path, f"look {i + 1}: missing field {exc}") from None
        except (TypeError, ValueError) as exc:
            raise _corrupt(path, f"look {i + 1}: {exc}") from None
    if [lk.index for lk in looks] != list(range(1, len(looks) + 1)):
        raise _corrupt(path, "looks are not numbered 1, 2, 3, ...")
    if len({lk.key for lk in looks}) != len(looks):
        raise _corrupt(path, "two looks have the same statistics key")
    fractions = [lk.information_fraction for lk in looks
                 if lk.tested and lk.information_fraction is not None]
    if any(b <= a for a, b in itertools.pairwise(fractions)):
        raise _corrupt(path, "information fractions do not increase from look to look")
    return GateState(spec_sha256, str(data.get("experiment", experiment)),
                     str(data.get("sequential", sequential)), tuple(looks))


def save_state(path: Path, state: GateState) -> None:
    """Write the state atomically.

    Raises:
        GateError: when the file cannot be written.

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
        raise GateError(f"cannot write state file {path}: {exc}") from None
