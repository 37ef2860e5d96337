"""Classifying failures before retrying them (pure): only what waiting can fix is retried.

A manager that is busy, a `systemctl` that timed out, a port that a stopping process has
not let go of yet, a daemon that does not listen yet: these pass by themselves. A full
disk, a refused permission or a command that exits with an error do not; they stop the
run at once with a hint.
"""

from __future__ import annotations

import errno

from reconciler.errors import ReconcileError

# errno values that mean "try again later".
_TRANSIENT_ERRNOS = frozenset({errno.EAGAIN, errno.EBUSY, errno.EINTR, errno.ETIMEDOUT})


class NotReadyError(ReconcileError):
    """Something is on its way but not there yet (a port still held, a daemon not listening)."""

    transient = True


class HostChangedError(ReconcileError):
    """The host changed between observing and acting; observe again instead of acting blind."""

    transient = True


def is_transient(error: BaseException) -> bool:
    """Whether waiting and trying again can help."""
    if isinstance(error, ReconcileError):
        return bool(getattr(error, "transient", False))
    if isinstance(error, OSError):
        return error.errno in _TRANSIENT_ERRNOS
    return False


def hint_for(error: BaseException, target: str) -> str:
    """What a person can do about a permanent failure."""
    if isinstance(error, ReconcileError) and error.hint:
        return error.hint
    if isinstance(error, OSError):
        return _os_hint(error, target)
    return "see the message above, fix it, then run `gate-reconcile apply` again"


def _os_hint(error: OSError, target: str) -> str:
    if error.errno == errno.ENOSPC:
        return (
            f"free some space on the file system of {target}, then run `gate-reconcile apply` again"
        )
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"gate-reconcile may not change {target}; check its owner and permissions"
    return f"check {target}, then run `gate-reconcile apply` again"


def describe(error: BaseException) -> str:
    """One line naming what failed."""
    if isinstance(error, ReconcileError):
        return error.message
    if isinstance(error, OSError):
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror or error}{where}"
    return str(error) or type(error).__name__
