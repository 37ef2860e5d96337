"""observe(): one snapshot of the host. With the host/ adapters it is the only code that
reads the host; it never changes anything.

Cost: no subprocess at all unless a user manager could answer and something of ours
may live there; then exactly one `systemctl --user show` for all our units. Everything
else comes from files and /proc.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from reconciler.desired import (
    ALL_UNIT_FILES,
    RENDERED_UNITS,
    SERVICE,
    SOCKET,
    Desired,
    listen_address,
)
from reconciler.host import proc as procfs
from reconciler.host.files import inspect_unit_file, path_kind, read_pid_file
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
    pid_file = _pid_file(desired.pid_file, proc)
    return Observed(
        manager=manager,
        files=files,
        units=units,
        service_process=_service_process(units, proc),
        pid_file=pid_file,
        port=_port(desired, files, units, pid_file, proc),
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
    wants_systemd = desired.mode in ("auto", "systemd")
    if not (thorough or wants_systemd or any(f.present for f in files)):
        return ManagerState("not_asked", "nothing of ours needs the user manager"), ()
    return show_units(runner or run, RENDERED_UNITS, env, timeout)


def _service_process(units: tuple[UnitStatus, ...], proc: Path) -> ProcessInfo | None:
    service = next((u for u in units if u.name == SERVICE), None)
    if service is None or not service.running or service.main_pid <= 0:
        return None
    return procfs.process_info(service.main_pid, proc)


def _pid_file(path: Path, proc: Path) -> PidFileState:
    kind, line = read_pid_file(path)
    if kind != "file":
        return PidFileState(path, kind)
    if not (line.isdigit() and int(line) > 0):
        return PidFileState(path, kind, raw=line[:40])
    pid = int(line)
    process = procfs.process_info(pid, proc)
    ours = process is not None and is_gate_with_pid_file(process.argv, path)
    return PidFileState(path, kind, pid=pid, process=process, ours=ours)


def _socket_listens(
    desired: Desired, files: tuple[UnitOnDisk, ...], units: tuple[UnitStatus, ...]
) -> bool:
    """Our own socket unit is active on a conflicting address of the port."""
    socket_file = next(f for f in files if f.name == SOCKET)
    status = next((u for u in units if u.name == SOCKET), None)
    if status is None or not status.running or not socket_file.replaceable:
        return False
    return any(_listen_conflicts(entry, desired) for entry in status.listen)


def _listen_conflicts(entry: str, desired: Desired) -> bool:
    address = entry.split(" ")[0]
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    try:
        return int(port) == desired.port and procfs.conflicts(host, desired.bind)
    except ValueError:
        return address == listen_address(desired.bind, desired.port)


def _port(
    desired: Desired,
    files: tuple[UnitOnDisk, ...],
    units: tuple[UnitStatus, ...],
    pid_file: PidFileState,
    proc: Path,
) -> PortState:
    found = [
        listener
        for listener in procfs.listeners(proc)
        if listener.port == desired.port and procfs.conflicts(listener.address, desired.bind)
    ]
    port = PortState(desired.port, desired.bind, "free")
    if not found:
        return port
    if _socket_listens(desired, files, units):
        return replace(port, status="ours", via="socket", holder=SOCKET)
    inodes = {listener.inode for listener in found}
    if pid_file.ours and pid_file.pid and procfs.holds_socket(pid_file.pid, inodes, proc):
        holder = f"daemon pid {pid_file.pid}"
        return replace(port, status="ours", via="daemon", holder=holder, process=pid_file.process)
    if service_pid := _service_holding(files, units, inodes, proc):
        process = procfs.process_info(service_pid, proc)
        holder = f"{SERVICE} pid {service_pid} (its socket stopped)"
        return replace(port, status="ours", via="socket", holder=holder, process=process)
    return _holder(port, desired.pid_file, inodes, found[0].uid, proc)


def _service_holding(
    files: tuple[UnitOnDisk, ...], units: tuple[UnitStatus, ...], inodes: set[int], proc: Path
) -> int | None:
    """The main pid of our gate service when it still serves the port its socket passed it."""
    service_file = next(f for f in files if f.name == SERVICE)
    status = next((u for u in units if u.name == SERVICE), None)
    if status is None or not status.running or status.main_pid <= 0:
        return None
    if not service_file.replaceable:  # ours, or ours cut to nothing
        return None
    return status.main_pid if procfs.holds_socket(status.main_pid, inodes, proc) else None


def _holder(port: PortState, pid_file: Path, inodes: set[int], uid: int, proc: Path) -> PortState:
    """Who else holds the port: a gate of ours without its pid file, or a foreign process."""
    pid = procfs.socket_holder(inodes, proc)
    process = procfs.process_info(pid, proc) if pid else None
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
