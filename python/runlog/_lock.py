"""An exclusive lock between processes on one file: ``fcntl.flock``, or ``msvcrt.locking`` on Windows.

The lock belongs to the open file, so two threads of one process exclude each other too, and a
process that dies releases it.
"""

import contextlib
import os
import time
from typing import Iterator

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt


def _acquire(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    while True:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            # LK_LOCK itself retries for about ten seconds before giving up: keep waiting after that.
            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
            return
        except OSError:
            time.sleep(0.05)


def _release(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    else:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


@contextlib.contextmanager
def exclusive(path: str) -> Iterator[None]:
    """Holds an exclusive lock on ``path`` (created if missing) for the ``with`` block."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        _acquire(fd)
        try:
            yield
        finally:
            _release(fd)
    finally:
        os.close(fd)
