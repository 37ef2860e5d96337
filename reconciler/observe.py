"""observe(): one snapshot of the host. With the host/ adapters it is the only code that
reads the host; it never changes anything.

Cost: no subprocess at all unless a user manager could answer and something of ours
may live there; then exactly one `systemctl --user show` for all our units. Everything
else comes from files and /proc.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Protocol

from reconciler.desired import (
    ALL_UNIT_FILES,
    RENDERED_UNITS,
    SERVICE,
    SOCKET,
    Desired,
    listen_address,
)
from reconciler.host import proc as procfs
from reconciler.host.daemon import pid_file_state
from reconciler.host.files import inspect_unit_file, path_kind
from reconciler.host.run import Runner, run
from reconciler.host.systemctl import SHOW_TIMEOUT, manager_reachable, show_units
from reconciler.observed import (
    ManagerState,
    Observed,
    PathState,
    PidFileState,
    PortState,
    ProcessInfo,
    UnitOnDisk,
    UnitStatus,
    is_gate_with_pid_file,
    runs_from_ours,
    service_process,
)


def observe(
    desired: Desired,
    *,
    runner: Runner | None = None,
    env: Mapping[str, str] | None = None,
    proc: Path = procfs.PROC,
    thorough: bool = False,
    timeout: float = SHOW_TIMEOUT,
) -> Observed:
    """Look at the host once. `thorough` asks the manager even when nothing of ours is there;
    `timeout` bounds the wait for its answer."""
    env = os.environ if env is None else env
    files = tuple(inspect_unit_file(n, desired.unit_dir / n) for n in ALL_UNIT_FILES)
    manager, units = _ask_manager(desired, files, env, runner, thorough, timeout)
    pid_file = pid_file_state(desired.pid_file, proc)
    port = _port(desired, files, units, pid_file, proc)
    if unplaced(manager, port):
        manager, units = _ask_manager(desired, files, env, runner, True, timeout)
        port = _port(desired, files, units, pid_file, proc)
    return Observed(
        manager=manager,
        files=files,
        units=units,
        service_process=service_process(units, SERVICE, lambda pid: procfs.process_info(pid, proc)),
        pid_file=pid_file,
        port=port,
        base_path=PathState(desired.base_path, path_kind(desired.base_path)),
        token_file=PathState(desired.token_file, path_kind(desired.token_file)),
    )


def _ask_manager(
    desired: Desired,
    files: tuple[UnitOnDisk, ...],
    env: Mapping[str, str],
    runner: Runner | None,
    thorough: bool,
    timeout: float,
) -> tuple[ManagerState, tuple[UnitStatus, ...]]:
    reachable, why_not = manager_reachable(env)
    if not reachable:
        return ManagerState("absent", why_not), ()
    if not (thorough or manager_wanted(desired, files)):
        return ManagerState("not_asked", "nothing of ours needs the user manager"), ()
    return show_units(runner or run, RENDERED_UNITS, env, timeout)


def manager_wanted(desired: Desired, files: tuple[UnitOnDisk, ...]) -> bool:
    """Whether to ask the manager at all: a mode that may use it, or a unit file of ours."""
    return desired.mode in ("auto", "systemd") or any(f.present for f in files)


def unplaced(manager: ManagerState, port: PortState) -> bool:
    """Something we could not place holds the port, and the manager was not asked: it may
    be a unit of ours still running after its file went away, so ask after all."""
    return manager.presence == "not_asked" and port.status == "foreign"


def _runs_ours(
    name: str, files: tuple[UnitOnDisk, ...], units: tuple[UnitStatus, ...]
) -> UnitStatus | None:
    """The unit `name` when the manager runs it from a file of ours (see runs_from_ours)."""
    found = next(f for f in files if f.name == name)
    status = next((u for u in units if u.name == name), None)
    if status is None or not status.running:
        return None
    return status if runs_from_ours(found, status) else None


def _socket_listens(
    desired: Desired, files: tuple[UnitOnDisk, ...], units: tuple[UnitStatus, ...]
) -> bool:
    """Our own socket unit is active on a conflicting address of the port."""
    status = _runs_ours(SOCKET, files, units)
    return status is not None and any(_listen_conflicts(e, desired) for e in status.listen)


def _listen_conflicts(entry: str, desired: Desired) -> bool:
    address = entry.split(" ")[0]
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    try:
        return int(port) == desired.port and procfs.conflicts(host, desired.bind)
    except ValueError:
        return address == listen_address(desired.bind, desired.port)


class Listeners(Protocol):
    """What /proc shows of the sockets listening where the gate must bind (one at least)."""

    @property
    def uid(self) -> int:
        """The owner of the first of them."""
        ...

    def holds(self, pid: int) -> bool:
        """Whether process `pid` holds one of them."""
        ...

    def holder(self) -> int | None:
        """The lowest pid holding one of them, when it is visible."""
        ...

    def process(self, pid: int) -> ProcessInfo | None:
        """The process `pid`, or None when there is none."""
        ...


@dataclass(frozen=True)
class _ProcListeners:
    """Listeners as /proc shows them."""

    uid: int
    inodes: frozenset[int]
    proc: Path

    def holds(self, pid: int) -> bool:
        return procfs.holds_socket(pid, set(self.inodes), self.proc)

    def holder(self) -> int | None:
        return self._lowest_holder

    @cached_property  # one walk of /proc per observation, however often it is asked
    def _lowest_holder(self) -> int | None:
        return procfs.socket_holder(set(self.inodes), self.proc)

    def process(self, pid: int) -> ProcessInfo | None:
        return procfs.process_info(pid, self.proc)


def _port(
    desired: Desired,
    files: tuple[UnitOnDisk, ...],
    units: tuple[UnitStatus, ...],
    pid_file: PidFileState,
    proc: Path,
) -> PortState:
    found = procfs.listeners_on(desired.port, desired.bind, proc)
    if not found:
        return PortState(desired.port, desired.bind, "free")
    listeners = _ProcListeners(found[0].uid, frozenset(f.inode for f in found), proc)
    return attribute_port(desired, files, units, pid_file, listeners)


def attribute_port(
    desired: Desired,
    files: tuple[UnitOnDisk, ...],
    units: tuple[UnitStatus, ...],
    pid_file: PidFileState,
    listeners: Listeners,
) -> PortState:
    """Who holds the port something listens on: our socket, our daemon, our gate service
    after its socket stopped, a gate of ours without its PID file, or someone else.
    (Separate from reading /proc, so that the model-based tests run this very code.)"""
    port = PortState(desired.port, desired.bind, "free")
    if _socket_listens(desired, files, units) and _may_hold_our_socket(listeners):
        return replace(port, status="ours", via="socket", holder=SOCKET)
    if pid_file.ours and pid_file.pid and listeners.holds(pid_file.pid):
        holder = f"daemon pid {pid_file.pid}"
        return replace(port, status="ours", via="daemon", holder=holder, process=pid_file.process)
    service = _runs_ours(SERVICE, files, units)
    if service and service.main_pid > 0 and listeners.holds(service.main_pid):
        holder = f"{SERVICE} pid {service.main_pid} (its socket stopped)"
        process = listeners.process(service.main_pid)
        return replace(port, status="ours", via="socket", holder=holder, process=process)
    return _holder(port, desired.pid_file, listeners)


def _may_hold_our_socket(listeners: Listeners) -> bool:
    """The port's holder can be our socket's: the user manager or a gate it started. (A
    socket unit still looks active on its address after a reload closed its fd, while
    another program may have taken the port since.)"""
    pid = listeners.holder()
    process = listeners.process(pid) if pid else None
    if process is None or not process.argv:
        return True  # not visible here: the unit's word is all there is
    manager = Path(process.argv[0]).name == "systemd" and "--user" in process.argv
    return manager or any(Path(arg).name == "terok-gate" for arg in process.argv[:2])


def _holder(port: PortState, pid_file: Path, listeners: Listeners) -> PortState:
    """Who else holds the port: a gate of ours without its pid file, or a foreign process."""
    pid, uid = listeners.holder(), listeners.uid
    process = listeners.process(pid) if pid else None
    if process is None:
        return replace(
            port, status="foreign", holder=f"a process of uid {uid} (not visible here)", uid=uid
        )
    if is_gate_with_pid_file(process.argv, pid_file):
        holder = f"terok-gate pid {process.pid} without its pid file"
        return replace(
            port, status="ours", via="stray_gate", holder=holder, process=process, uid=uid
        )
    return replace(port, status="foreign", holder=process.describe(), process=process, uid=uid)
