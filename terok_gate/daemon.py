"""--detach: fork into the background, announce the PID, and clean up after ourselves."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from terok_gate.errors import GateError

_READY = b"ready"


def detach(pid_file: Path) -> bool:
    """Fork; return True in the daemon, False in the parent once the daemon is ready.

    The parent waits until the daemon has written its PID file, so whoever started
    `terok-gate --detach` can read the file as soon as the command returns.
    """
    ready_read, ready_write = os.pipe()
    if os.fork():
        os.close(ready_write)
        _wait_ready(ready_read, pid_file)
        return False
    os.close(ready_read)
    os.setsid()
    os.chdir("/")
    _stdio_to_devnull()
    with os.fdopen(ready_write, "wb") as ready:
        try:
            write_pid_file(pid_file, os.getpid())
        except OSError as error:
            reason = f"cannot write PID file {pid_file}: {error.strerror}"
            ready.write(reason.encode())
            raise GateError(reason) from None  # the parent reports it; our stderr is gone
        ready.write(_READY)
    return True


def _wait_ready(ready_read: int, pid_file: Path) -> None:
    with os.fdopen(ready_read, "rb") as pipe:
        answer = pipe.read()
    if answer != _READY:
        reason = answer.decode(errors="replace") or "the daemon exited before it was ready"
        raise GateError(f"--detach failed: {reason}", f"check that {pid_file.parent} is writable")


def _stdio_to_devnull() -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def write_pid_file(pid_file: Path, pid: int) -> None:
    """Write the PID file atomically: a temporary file renamed over the old one."""
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    temporary = pid_file.with_name(f".{pid_file.name}.{pid}.tmp")
    try:
        temporary.write_text(f"{pid}\n")
        temporary.replace(pid_file)
    finally:
        temporary.unlink(missing_ok=True)


def remove_pid_file(pid_file: Path, pid: int) -> None:
    """Remove the PID file, but only while it still names `pid` (not a successor's)."""
    with contextlib.suppress(OSError, ValueError):
        if int(pid_file.read_text().strip()) == pid:
            pid_file.unlink()
