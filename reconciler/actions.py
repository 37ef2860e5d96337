"""The Action values a plan is made of: frozen, comparable, pure data.

Each action names its `kind`, its `target` and the `reason` a person reads, plus every
parameter needed to carry it out later (executing them lives in another module, so that
a plan can be printed, compared and tested without touching the host). All actions are
idempotent by design: doing one twice leaves the host as doing it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

MANAGER = "systemd --user"


@dataclass(frozen=True, kw_only=True)
class CreateDirectory:
    """Create the base path (and missing parents); the leaf gets `mode`."""

    kind: ClassVar[str] = "create_directory"
    path: Path
    mode: int = 0o700
    reason: str

    @property
    def target(self) -> str:
        """What the action changes."""
        return str(self.path)


@dataclass(frozen=True, kw_only=True)
class CreateTokenFile:
    """Create an empty token file (`{}`) with `mode`; never overwrite an existing one."""

    kind: ClassVar[str] = "create_token_file"
    path: Path
    mode: int = 0o600
    reason: str

    @property
    def target(self) -> str:
        """What the action changes."""
        return str(self.path)


@dataclass(frozen=True, kw_only=True)
class WriteUnit:
    """Write a unit file atomically; `previous` is what is there now (None: nothing)."""

    kind: ClassVar[str] = "write_unit"
    name: str
    path: Path
    text: str
    previous: str | None
    reason: str

    @property
    def target(self) -> str:
        """What the action changes."""
        return self.name


@dataclass(frozen=True, kw_only=True)
class RemoveUnit:
    """Remove one of our unit files (only one that carries our stamp)."""

    kind: ClassVar[str] = "remove_unit"
    name: str
    path: Path
    reason: str

    @property
    def target(self) -> str:
        """What the action changes."""
        return self.name


@dataclass(frozen=True, kw_only=True)
class DaemonReload:
    """`systemctl --user daemon-reload`: make the manager load the files on disk."""

    kind: ClassVar[str] = "daemon_reload"
    reason: str

    @property
    def target(self) -> str:
        """What the action changes."""
        return MANAGER


@dataclass(frozen=True, kw_only=True)
class _UnitAction:
    """An action on one loaded unit through `systemctl --user <verb> <name>`."""

    verb: ClassVar[str]
    name: str
    reason: str

    @property
    def target(self) -> str:
        """What the action changes."""
        return self.name


@dataclass(frozen=True, kw_only=True)
class EnableUnit(_UnitAction):
    """Enable a unit through its [Install] section."""

    kind: ClassVar[str] = "enable_unit"
    verb: ClassVar[str] = "enable"


@dataclass(frozen=True, kw_only=True)
class DisableUnit(_UnitAction):
    """Disable a unit."""

    kind: ClassVar[str] = "disable_unit"
    verb: ClassVar[str] = "disable"


@dataclass(frozen=True, kw_only=True)
class StartUnit(_UnitAction):
    """Start a unit."""

    kind: ClassVar[str] = "start_unit"
    verb: ClassVar[str] = "start"


@dataclass(frozen=True, kw_only=True)
class StopUnit(_UnitAction):
    """Stop a unit."""

    kind: ClassVar[str] = "stop_unit"
    verb: ClassVar[str] = "stop"


@dataclass(frozen=True, kw_only=True)
class RestartUnit(_UnitAction):
    """Restart a unit (a socket only when its own unit changed)."""

    kind: ClassVar[str] = "restart_unit"
    verb: ClassVar[str] = "restart"


@dataclass(frozen=True, kw_only=True)
class ResetFailed(_UnitAction):
    """Forget a unit's failed state so that it may start again."""

    kind: ClassVar[str] = "reset_failed"
    verb: ClassVar[str] = "reset-failed"


@dataclass(frozen=True, kw_only=True)
class StartDaemon:
    """Run `argv` (terok-gate --detach --pid-file ...) and wait for it to listen."""

    kind: ClassVar[str] = "start_daemon"
    argv: tuple[str, ...]
    pid_file: Path
    reason: str

    @property
    def target(self) -> str:
        """What the action changes."""
        return str(self.pid_file)


@dataclass(frozen=True, kw_only=True)
class StopDaemon:
    """Stop our gate `pid`: SIGTERM, wait, SIGKILL after a grace period.

    `pid_file` and `argv` are the identity the planner verified; re-check them right
    before signalling, so that a pid reused in the meantime is never signalled.
    """

    kind: ClassVar[str] = "stop_daemon"
    pid: int
    pid_file: Path
    argv: tuple[str, ...]
    reason: str

    @property
    def target(self) -> str:
        """What the action changes."""
        return f"pid {self.pid}"


@dataclass(frozen=True, kw_only=True)
class RemovePidFile:
    """Remove a PID file that names no gate of ours (never following a symlink)."""

    kind: ClassVar[str] = "remove_pid_file"
    path: Path
    reason: str

    @property
    def target(self) -> str:
        """What the action changes."""
        return str(self.path)


Action = (
    CreateDirectory
    | CreateTokenFile
    | WriteUnit
    | RemoveUnit
    | DaemonReload
    | EnableUnit
    | DisableUnit
    | StartUnit
    | StopUnit
    | RestartUnit
    | ResetFailed
    | StartDaemon
    | StopDaemon
    | RemovePidFile
)
UnitAction = EnableUnit | DisableUnit | StartUnit | StopUnit | RestartUnit | ResetFailed
