"""Observed: one frozen snapshot of what the host shows (pure types and pure helpers).

Expected states ("unit missing", "pid file stale", "port foreign") are values here,
never exceptions. Only observe.py fills these in.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reconciler.unittext import is_legacy_socket, stamp

FileKind = Literal["missing", "file", "symlink", "directory", "other"]
Presence = Literal["running", "absent", "unreachable", "not_asked"]
PortStatus = Literal["free", "ours", "foreign"]
PortVia = Literal["", "socket", "daemon", "stray_gate"]
RUNNING_STATES = ("active", "activating", "reloading")
ENABLED_STATES = ("enabled", "enabled-runtime")


@dataclass(frozen=True)
class ManagerState:
    """Whether a systemd user manager answers, and why not when it does not."""

    presence: Presence
    detail: str = ""

    @property
    def answers(self) -> bool:
        """True when `systemctl --user` talked to a manager in this snapshot."""
        return self.presence == "running"


@dataclass(frozen=True)
class UnitOnDisk:
    """A unit file in the user unit directory, read without writing anything."""

    name: str
    path: Path
    kind: FileKind
    text: str | None = None  # content of the file, or of a symlink's regular target
    link_target: str | None = None

    @property
    def present(self) -> bool:
        """Something exists at the path (a dangling symlink too)."""
        return self.kind != "missing"

    @property
    def version(self) -> int | None:
        """N of the first line `# terok-gate-version: N`, None when not stamped."""
        return stamp(self.text) if self.text is not None else None

    @property
    def ours(self) -> bool:
        """Written by gate-reconcile or the historical gate manager (stamped)."""
        return self.version is not None

    @property
    def emptied(self) -> bool:
        """A regular file of zero bytes: a unit cut to nothing (a full disk, a `>` redirect).
        Nothing in it can be lost; systemd reads it as a mask only after its next reload."""
        return self.kind == "file" and self.text == ""

    @property
    def replaceable(self) -> bool:
        """gate-reconcile may put its rendering here: the file is ours, or emptied."""
        return self.ours or self.emptied

    @property
    def masked(self) -> bool:
        """A symlink to /dev/null: the operator masked the unit."""
        return self.kind == "symlink" and self.link_target == "/dev/null"

    @property
    def legacy(self) -> bool:
        """A file of the historical manager: its Accept=yes socket or its template service."""
        if not self.ours or self.text is None:
            return False
        return self.name == "terok-gate@.service" or is_legacy_socket(self.text)


@dataclass(frozen=True)
class UnitStatus:
    """One unit as `systemctl --user show` reports it."""

    name: str
    load_state: str = "not-found"
    active_state: str = "inactive"
    sub_state: str = "dead"
    unit_file_state: str = ""
    need_daemon_reload: bool = False
    fragment_path: str = ""
    drop_in_paths: tuple[str, ...] = ()
    listen: tuple[str, ...] = ()  # e.g. "127.0.0.1:9418 (Stream)"
    accept: bool | None = None  # sockets only
    exec_start: str = ""  # as systemd prints it (lossy; /proc shows the real argv)
    main_pid: int = 0
    result: str = ""

    @property
    def running(self) -> bool:
        """Active or on its way there."""
        return self.active_state in RUNNING_STATES

    @property
    def failed(self) -> bool:
        """The last run failed and systemd remembers it."""
        return self.active_state == "failed"

    @property
    def enabled(self) -> bool:
        """Enabled through its [Install] section."""
        return self.unit_file_state in ENABLED_STATES

    @property
    def masked(self) -> bool:
        """Masked, in any unit directory."""
        return self.load_state == "masked" or self.unit_file_state.startswith("masked")


@dataclass(frozen=True)
class ProcessInfo:
    """A live process as /proc shows it (argv empty when it cannot be read)."""

    pid: int
    argv: tuple[str, ...]
    uid: int | None = None

    def describe(self) -> str:
        """`pid 42 (argv...)`, short enough for a message."""
        command = " ".join(self.argv)
        command = command if len(command) <= 120 else command[:117] + "..."
        return f"pid {self.pid} ({command})" if command else f"pid {self.pid}"


@dataclass(frozen=True)
class PidFileState:
    """The daemon's PID file and the process it names."""

    path: Path
    kind: FileKind
    raw: str = ""  # the first line, when it is not a pid
    pid: int | None = None
    process: ProcessInfo | None = None  # None: no such process
    ours: bool = False  # the process is a terok-gate with exactly this --pid-file


@dataclass(frozen=True)
class PortState:
    """Who listens on bind:port."""

    port: int
    bind: str
    status: PortStatus
    via: PortVia = ""  # ours through our socket unit, the daemon of the pid file, or a stray gate
    holder: str = ""  # who, in words: "terok-gate.socket", "daemon pid 42", "pid 7 (nginx)"
    process: ProcessInfo | None = None  # the holding process when /proc shows it
    uid: int | None = None


@dataclass(frozen=True)
class PathState:
    """A path the gate needs (base path, token file): what kind of thing is there."""

    path: Path
    kind: FileKind


@dataclass(frozen=True)
class Observed:
    """Everything the planner needs to know about the host, taken at one moment."""

    manager: ManagerState
    files: tuple[UnitOnDisk, ...]
    units: tuple[UnitStatus, ...]  # empty when the manager was not asked
    service_process: ProcessInfo | None  # terok-gate.service's main process, when running
    pid_file: PidFileState
    port: PortState
    base_path: PathState
    token_file: PathState

    def file(self, name: str) -> UnitOnDisk:
        """The unit file `name` (kind "missing" when it was not looked at)."""
        found = [f for f in self.files if f.name == name]
        return found[0] if found else UnitOnDisk(name, Path(name), "missing")

    def unit(self, name: str) -> UnitStatus:
        """The manager's view of `name` (not-found when the manager was not asked)."""
        found = [u for u in self.units if u.name == name]
        return found[0] if found else UnitStatus(name)

    @property
    def legacy(self) -> bool:
        """Files of the historical gate manager are present."""
        return any(f.legacy for f in self.files)


def runs_from_ours(found: UnitOnDisk, status: UnitStatus) -> bool:
    """The manager's unit `status` comes from a file of ours: one on disk (or ours cut to
    nothing); else, the file gone, one it loaded from our path, or from no file at all any
    more (deleted and reloaded: the unit lives on, not-found, while it runs)."""
    if found.present:
        return found.replaceable
    return status.fragment_path in ("", str(found.path))


ProcessOf = Callable[[int], "ProcessInfo | None"]  # /proc's view of a pid (None: no such)


def pid_file_state(path: Path, kind: FileKind, line: str, process_of: ProcessOf) -> PidFileState:
    """What a PID file (its kind and first line) says: the process it names, and whether
    that is our gate (started with this exact --pid-file)."""
    if kind != "file":
        return PidFileState(path, kind)
    if not (line.isdigit() and int(line) > 0):
        return PidFileState(path, kind, raw=line[:40])
    pid = int(line)
    process = process_of(pid)
    ours = process is not None and is_gate_with_pid_file(process.argv, path)
    return PidFileState(path, kind, pid=pid, process=process, ours=ours)


def service_process(
    units: Sequence[UnitStatus], service: str, process_of: ProcessOf
) -> ProcessInfo | None:
    """The running main process of the unit `service`, when the manager names one."""
    status = next((u for u in units if u.name == service), None)
    if status is None or not status.running or status.main_pid <= 0:
        return None
    return process_of(status.main_pid)


def is_gate_with_pid_file(argv: Sequence[str], pid_file: Path) -> bool:
    """A terok-gate command line with `--pid-file <exactly pid_file>` (a reused pid is not)."""
    is_gate = any(Path(arg).name == "terok-gate" for arg in argv[:2])
    pairs = itertools.pairwise(argv)
    return is_gate and any(a == "--pid-file" and b == str(pid_file) for a, b in pairs)


def runs_command(argv: Sequence[str], wanted: Sequence[str]) -> bool:
    """The process runs `wanted`, directly or as a script through its interpreter."""
    return tuple(argv) == tuple(wanted) or tuple(argv[1:]) == tuple(wanted)
