"""Writing a file so that no one ever reads half of it, and a failed write leaves the old one.

Every write goes to a new hidden file beside the target (``.NAME.XXXXXXXX.tmp``: the same folder,
so the same file system), is flushed to the disk (``fsync``), and only then takes the target's
name with `os.replace`, which is atomic: a reader sees the old file or the new one, whole. On any
error, Ctrl-C included, the temporary file is removed and the target is as it was. A process
killed in the middle of a write can leave its temporary file behind; `remove_leftovers` clears
them where a lock says that no writer is at work.

The course data, the workshop command and the site build all write their files through here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "copy_atomic", "remove_leftovers", "temporary", "write_atomic", "write_durable"]

_SUFFIX = ".tmp"


@contextlib.contextmanager
def temporary(path) -> Iterator[Path]:
    """A new, empty, hidden file beside ``path`` (readable by all, like the files it becomes).

    It is removed when the ``with`` block ends, unless it was moved to another name by then.
    """
    path = Path(path)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=_SUFFIX)
    os.close(handle)
    tmp = Path(name)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes it private; what it becomes is not
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_write(path, *, replace: bool = True) -> Iterator[BinaryIO]:
    """Write ``path`` through the binary stream this yields; it takes ``path``'s name only when complete.

    When the ``with`` block ends without an error, the data is flushed to the disk and moved into
    place; on an error nothing is moved and ``path`` stays as it was. With ``replace=False`` an
    existing ``path`` is never replaced: `FileExistsError`, even when it appeared meanwhile.
    """
    path = Path(path)
    with temporary(path) as tmp:
        with open(tmp, "wb") as stream:
            yield stream
            _sync(stream)
        if replace:
            os.replace(tmp, path)
            return
        try:
            os.link(tmp, path)  # fails if path exists, however recently it appeared
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links
            if path.exists():
                raise FileExistsError(f"{path} exists") from None
            os.replace(tmp, path)


def write_atomic(path, data: bytes | str, *, replace: bool = True) -> None:
    """Write ``data`` (a ``str`` as UTF-8) to ``path`` all at once, as `atomic_write` does."""
    with atomic_write(path, replace=replace) as stream:
        stream.write(data.encode("utf-8") if isinstance(data, str) else data)


def write_durable(path, data: bytes) -> None:
    """Write ``data`` to ``path`` and flush it to the disk: for a file that `temporary` made.

    For several files that must all be complete before any takes its name (a data set), write
    each into a `temporary` file with this, then move them into place with `os.replace`.
    """
    with open(path, "wb") as stream:
        stream.write(data)
        _sync(stream)


def copy_atomic(source, path) -> None:
    """Copy the file ``source`` to ``path`` all at once, as `atomic_write` does."""
    with open(source, "rb") as original, atomic_write(path) as stream:
        shutil.copyfileobj(original, stream)


def remove_leftovers(folder) -> None:
    """Remove the temporary files that killed writers left in ``folder``; only while none can be writing."""
    for leftover in Path(folder).glob(f".*{_SUFFIX}"):
        leftover.unlink(missing_ok=True)


def _sync(stream: BinaryIO) -> None:
    stream.flush()
    os.fsync(stream.fileno())
