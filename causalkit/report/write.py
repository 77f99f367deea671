"""Every file causalkit writes: atomic, mode-respecting, and only to a regular file or a new path.

**Atomic.** The content goes to a temporary file in the destination's folder
(``.<name>.<random>.tmp``), is flushed and fsynced, then renamed onto the
destination: an interrupted run leaves the old content or the whole new content,
never half of it.

**Destinations.** A destination must be a regular file or a path that does not
exist yet (:func:`check_destination`). A symbolic link, a folder, a FIFO, a
device or a socket is refused with a :class:`~causalkit.errors.DestinationError`
(exit code 2 on the command line), and nothing is written: causalkit never
writes through a link and never replaces one. A folder that cannot be written is
the same error. Missing parent folders are created.

**Modes.** A new file gets the mode the umask allows (``0o666 & ~umask``, as
``open`` would give it); an existing file keeps its mode (and, when the process
may, its owner and group). Reports, JUnit files and schedules are CI artifacts
and web pages: they are not made private.

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
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

from causalkit.errors import DestinationError

_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"),
          (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _kind(mode: int) -> str | None:
    return next((words for test, words in _KINDS if test(mode)), None)


def check_destination(path: str | Path) -> os.stat_result | None:
    """Refuse a destination that is not a regular file or a new path; its status if it exists.

    Only the last component is checked: a link among the parent folders is
    followed as usual.

    Raises:
        DestinationError: for a symbolic link, a folder, a FIFO, a device or a
            socket, or a path whose folder cannot be examined.

    Example:
        >>> import os, pathlib, tempfile
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> check_destination(d / "new.json") is None
        True
        >>> os.symlink(d / "elsewhere", d / "link.json")
        >>> check_destination(d / "link.json")
        Traceback (most recent call last):
        ...
        causalkit.errors.DestinationError: .../link.json is a symbolic link; causalkit ...
    """
    dest = Path(path)
    try:
        st = os.lstat(dest)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DestinationError(f"cannot write {dest}: {exc.strerror or exc}",
                               hint="check the path and its folders") from None
    kind = _kind(st.st_mode)
    if kind is None:
        return st
    if kind == "a symbolic link":
        raise DestinationError(
            f"{dest} is a symbolic link; causalkit does not write through links or replace them",
            hint="remove the link, or name the file it points to")
    if kind == "a folder":
        raise DestinationError(f"{dest} is a folder, not a file",
                               hint="name a file, for example one inside that folder")
    raise DestinationError(f"{dest} is {kind}, not a regular file; causalkit writes only "
                           "regular files", hint="name a regular file or a new path")


def _new_temp(dest: Path, suffix: str = ".tmp") -> tuple[int, Path]:
    """Create ``.<name>.<random><suffix>`` next to ``dest`` (mode ``0o666 & ~umask``)."""
    flags = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_CLOEXEC", 0))
    for _ in range(100):
        tmp = dest.parent / f".{dest.name}.{secrets.token_hex(4)}{suffix}"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name next to {dest}")  # pragma: no cover


def _keep_owner_and_mode(fd: int, old: os.stat_result | None, mode: int) -> None:
    os.fchmod(fd, mode)
    if old is not None and hasattr(os, "fchown"):
        with contextlib.suppress(OSError):  # only a privileged process may give files away
            if (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
                os.fchown(fd, old.st_uid, old.st_gid)
                os.fchmod(fd, mode)  # chown may clear set-id bits


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _cannot(dest: Path, exc: OSError) -> DestinationError:
    if isinstance(exc, DestinationError):
        return exc
    reason = exc.strerror or str(exc)
    return DestinationError(f"cannot write {dest}: {reason}",
                            hint="check that the folder exists and may be written")


def _make_parent(dest: Path) -> None:
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot(dest, exc) from None


def write_atomic(path: str | Path, content: str | bytes, *, append: bool = False) -> None:
    """Write ``content`` to ``path`` atomically (``append`` rewrites old + new atomically).

    Raises:
        DestinationError: (an ``OSError``) when ``path`` is not a regular file or a
            new path, or its folder cannot be written; the destination is untouched.

    Example:
        >>> import pathlib, tempfile
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "summary.md"
        >>> write_atomic(p, "a\\n")
        >>> write_atomic(p, "b\\n", append=True)
        >>> p.read_text()
        'a\\nb\\n'
    """
    dest = Path(path)
    old = check_destination(dest)
    _make_parent(dest)
    data = content.encode("utf-8") if isinstance(content, str) else content
    tmp: Path | None = None
    try:
        if append and old is not None:
            data = dest.read_bytes() + data
        fd, tmp = _new_temp(dest)
        try:
            mode = stat.S_IMODE(old.st_mode) if old is not None else stat.S_IMODE(
                os.fstat(fd).st_mode)
            _keep_owner_and_mode(fd, old, mode)
        except BaseException:
            os.close(fd)
            raise
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
        tmp = None
        _fsync_folder(dest.parent)
    except OSError as exc:
        raise _cannot(dest, exc) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


@contextlib.contextmanager
def atomic_target(path: str | Path) -> Iterator[Path]:
    """A temporary path to write to; on success it replaces ``path`` (mode rules as above).

    For writers that need a file name (DuckDB's ``COPY ... TO``, pyarrow): write
    the temporary path (it ends with the destination's suffix, so formats chosen
    by suffix still work); on leaving the block without an error it is renamed
    onto ``path`` with the mode a new file gets from the umask (or the existing
    destination's mode). On an error the temporary file is removed and ``path``
    is untouched.

    Raises:
        DestinationError: as :func:`write_atomic`.

    Example:
        >>> import pathlib, tempfile
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "units.csv"
        >>> with atomic_target(p) as tmp:
        ...     _ = tmp.write_text("user_id\\n1\\n")
        ...     tmp.name.endswith(".csv"), tmp.parent == p.parent
        (True, True)
        >>> p.read_text()
        'user_id\\n1\\n'
    """
    dest = Path(path)
    old = check_destination(dest)
    _make_parent(dest)
    try:
        fd, tmp = _new_temp(dest, suffix=".tmp" + dest.suffix)
        try:
            new_mode = stat.S_IMODE(os.fstat(fd).st_mode)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _cannot(dest, exc) from None
    done = False
    try:
        yield tmp
        try:
            # the writer may have replaced the file: settle the mode of what is there now
            fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                         | getattr(os, "O_CLOEXEC", 0))
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise DestinationError(f"the temporary file {tmp} is not a regular file")
                mode = stat.S_IMODE(old.st_mode) if old is not None else new_mode
                _keep_owner_and_mode(fd, old, mode)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, dest)
            done = True
            _fsync_folder(dest.parent)
        except OSError as exc:
            raise _cannot(dest, exc) from None
    finally:
        if not done:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


__all__ = ["atomic_target", "check_destination", "write_atomic"]
