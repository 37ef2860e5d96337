"""Retry classification: only what waiting can fix is transient; permanent failures get a hint."""

from __future__ import annotations

import errno

import pytest

from reconciler.errors import ReconcileError, SpecError
from reconciler.failures import HostChangedError, NotReadyError, describe, hint_for, is_transient
from reconciler.host.lock import LockHeldError
from reconciler.host.run import CommandError


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (NotReadyError("port 9418 is still held by pid 7"), True),
        (HostChangedError("unit changed since observed"), True),
        (CommandError(["systemctl"], None, "", "no answer within 30 s"), True),
        (
            CommandError(["systemctl"], 1, "", "Failed to connect to bus: Connection timed out"),
            True,
        ),
        (CommandError(["systemctl"], 1, "", "Unit terok-gate.socket not found."), False),
        (CommandError(["systemctl"], 1, "", "Job for terok-gate.socket failed."), False),
        (OSError(errno.EAGAIN, "Resource temporarily unavailable"), True),
        (OSError(errno.EBUSY, "busy"), True),
        (OSError(errno.ENOSPC, "No space left on device"), False),
        (OSError(errno.EACCES, "Permission denied"), False),
        (ReconcileError("plain"), False),
        (SpecError(("gate.toml: port: bad",)), False),
        (LockHeldError("another gate-reconcile (pid 7) holds the lock"), False),
        (ValueError("a bug"), False),
    ],
)
def test_transient_or_permanent(error: BaseException, transient: bool) -> None:
    """Timeouts, busy resources, things not ready yet and host changes are retried; the rest is not."""
    assert is_transient(error) is transient


def test_hints_name_what_to_do() -> None:
    """A full disk, a refused permission and an error's own hint each give a concrete next step."""
    full = OSError(errno.ENOSPC, "No space left on device", "/u/terok-gate.socket")
    assert hint_for(full, "terok-gate.socket").startswith("free some space on the file system of")
    denied = OSError(errno.EACCES, "Permission denied")
    assert "permissions" in hint_for(denied, "/srv/gate")
    assert hint_for(ReconcileError("x", "do this"), "t") == "do this"
    assert describe(full) == "No space left on device: /u/terok-gate.socket"
