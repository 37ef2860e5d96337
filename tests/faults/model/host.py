"""An in-memory host for the model-based tests: unit files, a systemd user manager's view of
them, processes, listening ports, the PID file, the base path and token files.

It stands in for the two edges of gate-reconcile: `observe` (ModelHost.observe returns the
Observed snapshot the real observe() would build from files, `systemctl show` and /proc;
who holds the port and when to ask the manager are decided by observe's own functions) and
`execute` (tests/faults/model/execute.py). The planner, the converge loop and the health
verdict are the real ones. The manager's behaviour follows what the real `systemd --user`
of the test harness was seen to do (see manager.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from reconciler.desired import ALL_UNIT_FILES, SERVICE, Desired
from reconciler.observe import attribute_port, manager_wanted, unplaced
from reconciler.observed import (
    ManagerState,
    Observed,
    PathState,
    PidFileState,
    PortState,
    ProcessInfo,
    UnitOnDisk,
    UnitStatus,
    pid_file_state,
    service_process,
)
from tests.faults.model import manager
from tests.faults.model.layout import MANAGER_PID, UID, UNIT_DIR


@dataclass(frozen=True)
class Entry:
    """A file at a path: a regular file, or a symlink (text: what reading through it gives)."""

    kind: Literal["file", "symlink"]
    text: str | None
    target: str = ""


@dataclass(frozen=True)
class Process:
    """A live process; foreign ones are not ours and must never be signalled."""

    argv: tuple[str, ...]
    foreign: bool = False


SYSTEMD = Process(("/usr/lib/systemd/systemd", "--user"))


@dataclass
class ModelHost:
    """The whole simulated host. Faults change it directly; apply only through execute."""

    manager_up: bool = True
    hung: bool = False  # every systemctl call times out
    disk_full: bool = False  # writes into the unit directory fail with ENOSPC
    disk: dict[str, Entry] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)  # bumped on every change on disk
    units: dict[str, manager.Unit] = field(default_factory=dict)  # the manager's view
    enabled: set[str] = field(default_factory=set)  # [Install] symlinks on disk
    processes: dict[int, Process] = field(default_factory=lambda: {MANAGER_PID: SYSTEMD})
    listening: dict[int, set[int]] = field(default_factory=dict)  # port -> pids holding it
    pid_file: Entry | None = None
    directories: set[Path] = field(default_factory=set)
    tokens: dict[Path, str] = field(default_factory=dict)
    next_pid: int = 100
    violations: list[str] = field(default_factory=list)

    # --- changing the host (used by faults, the manager model and execute) -------------

    def write(self, name: str, entry: Entry | None) -> None:
        """Put `entry` at the unit path `name` (None: delete it)."""
        if entry is None:
            self.disk.pop(name, None)
        else:
            self.disk[name] = entry
        self.versions[name] = self.versions.get(name, 0) + 1

    def spawn(self, argv: tuple[str, ...], foreign: bool = False) -> int:
        """A new process; its pid."""
        self.next_pid += 1
        self.processes[self.next_pid] = Process(argv, foreign)
        return self.next_pid

    def kill(self, pid: int) -> None:
        """The process ends; the sockets it held close unless another process shares them."""
        self.processes.pop(pid, None)
        for holders in self.listening.values():
            holders.discard(pid)

    def listen(self, port: int, pid: int) -> None:
        """`pid` holds a listening socket on `port`."""
        self.listening.setdefault(port, set()).add(pid)

    def holders(self, port: int) -> set[int]:
        """Who holds `port`."""
        return self.listening.get(port, set())

    def foreign_pids(self) -> set[int]:
        """Every live process that is not ours."""
        return {pid for pid, process in self.processes.items() if process.foreign}

    # --- observing (what the real observe() reports) ----------------------------------

    def observe(self, desired: Desired) -> Observed:
        """One snapshot, as the real observe() would build it."""
        files = tuple(self._on_disk(name) for name in ALL_UNIT_FILES)
        state, units = self._ask_manager(desired, files, thorough=False)
        pid_file = self.pid_state(desired.pid_file)
        port = self._port(desired, files, units, pid_file)
        if unplaced(state, port):
            state, units = self._ask_manager(desired, files, thorough=True)
            port = self._port(desired, files, units, pid_file)
        return Observed(
            manager=state,
            files=files,
            units=units,
            service_process=service_process(units, SERVICE, self.process_info),
            pid_file=pid_file,
            port=port,
            base_path=PathState(desired.base_path, self._dir_kind(desired.base_path)),
            token_file=PathState(desired.token_file, self._token_kind(desired.token_file)),
        )

    def _dir_kind(self, path: Path) -> Literal["directory", "missing"]:
        return "directory" if path in self.directories else "missing"

    def _token_kind(self, path: Path) -> Literal["file", "missing"]:
        return "file" if path in self.tokens else "missing"

    def _on_disk(self, name: str) -> UnitOnDisk:
        entry, path = self.disk.get(name), UNIT_DIR / name
        if entry is None:
            return UnitOnDisk(name, path, "missing")
        return UnitOnDisk(name, path, entry.kind, entry.text, entry.target or None)

    def _ask_manager(
        self, desired: Desired, files: tuple[UnitOnDisk, ...], thorough: bool
    ) -> tuple[ManagerState, tuple[UnitStatus, ...]]:
        """observe's policy (manager_wanted, unplaced), the manager answered by the model."""
        if not self.manager_up:
            return ManagerState("absent", "no systemd user manager socket"), ()
        if not (thorough or manager_wanted(desired, files)):
            return ManagerState("not_asked", "nothing of ours needs the user manager"), ()
        if self.hung:
            return ManagerState("unreachable", "no answer within 10.0 s"), ()
        return ManagerState("running"), manager.show(self)

    def process_info(self, pid: int) -> ProcessInfo | None:
        """/proc's view of `pid`."""
        process = self.processes.get(pid)
        return None if process is None else ProcessInfo(pid, process.argv, UID)

    def pid_state(self, path: Path) -> PidFileState:
        """The PID file as observe() reads it (host/daemon.pid_file_state)."""
        entry = self.pid_file
        kind = "missing" if entry is None else entry.kind
        line = (entry.text or "").split("\n", 1)[0].strip() if entry else ""
        return pid_file_state(path, kind, line, self.process_info)

    def _port(
        self,
        desired: Desired,
        files: tuple[UnitOnDisk, ...],
        units: tuple[UnitStatus, ...],
        pid_file: PidFileState,
    ) -> PortState:
        """Who holds the port, attributed by observe's own code."""
        if not self.holders(desired.port):
            return PortState(desired.port, desired.bind, "free")
        listeners = _Listeners(self, desired.port)
        return attribute_port(desired, files, units, pid_file, listeners)


@dataclass(frozen=True)
class _Listeners:
    """The model's answer to what observe asks /proc about the port's listeners."""

    host: ModelHost
    port: int
    uid: int = UID

    def holds(self, pid: int) -> bool:
        return pid in self.host.holders(self.port)

    def holder(self) -> int | None:
        return min(self.host.holders(self.port), default=None)

    def process(self, pid: int) -> ProcessInfo | None:
        return self.host.process_info(pid)
