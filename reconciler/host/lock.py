"""One gate-reconcile at a time: flock on a lock file that names its holder."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from reconciler.errors import EXIT_LOCKED, ReconcileError
from reconciler.host.write import make_dirs


class LockHeldError(ReconcileError):
    """Another run holds the lock."""

    exit_code = EXIT_LOCKED


def _holder(fd: int) -> str:
    """The pid the holder wrote into the lock file, when it did."""
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 32).decode(errors="replace").strip()
    return text if text.isdigit() else "unknown"


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _acquire(fd: int, path: Path, wait: float) -> None:
    until = time.monotonic() + wait
    while not _try_lock(fd):
        if time.monotonic() >= until:
            waited = f" for {wait:g} s" if wait else ""
            raise LockHeldError(
                f"another gate-reconcile (pid {_holder(fd)}) holds the lock {path}{waited}",
                "let it finish, or run again with --wait SECONDS",
            )
        time.sleep(0.05)


@contextlib.contextmanager
def holding_lock(path: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the lock for the block; raise LockHeldError when another run keeps it longer than `wait`."""
    make_dirs(path.parent, 0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        _acquire(fd, path, wait)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock; the file stays for the next run
