"""Atomic file writes: a temporary file in the same folder, fsync, then rename.

An interrupted run never leaves a half-written report: the destination holds
either the old content or the whole new content.

Example:
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.json"
    >>> write_atomic(p, "{}")
    >>> p.read_text()
    '{}'
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, content: str | bytes, *, append: bool = False) -> None:
    """Write ``content`` to ``path`` atomically (``append`` rewrites old + new atomically).

    Raises:
        OSError: when the folder cannot be written; the destination is untouched.

    Example:
        >>> import pathlib, tempfile
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "summary.md"
        >>> write_atomic(p, "a\\n")
        >>> write_atomic(p, "b\\n", append=True)
        >>> p.read_text()
        'a\\nb\\n'
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    if append and dest.exists():
        data = dest.read_bytes() + data
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
