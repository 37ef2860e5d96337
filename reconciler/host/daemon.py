"""Starting and stopping the detached gate, and waiting for its port.

A process is signalled only after /proc showed, right before, that it is our gate:
the pid is pinned with a pidfd first, so a pid reused in between is never signalled.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
from collections.abc import Iterator
from pathlib import Path

from reconciler import observed
from reconciler.actions import StartDaemon, StopDaemon
from reconciler.failures import NotReadyError
from reconciler.host import proc as procfs
from reconciler.host.files import read_pid_file
from reconciler.host.run import Runner
from reconciler.host.write import make_dirs
from reconciler.observed import PidFileState, ProcessInfo, is_gate_with_pid_file

GRACE_SECONDS = 10.0
KILL_WAIT_SECONDS = 5.0


def port_holder(bind: str, port: int, proc: Path = procfs.PROC) -> str | None:
    """Who listens where the gate must bind (in words), or None when the port is free."""
    found = procfs.listeners_on(port, bind, proc)
    if not found:
        return None
    pid = procfs.socket_holder({listener.inode for listener in found}, proc)
    process = procfs.process_info(pid, proc) if pid else None
    return process.describe() if process else f"a process of uid {found[0].uid}"


def require_port_free(bind: str, port: int, proc: Path = procfs.PROC) -> None:
    """Raise NotReadyError while something still listens on the port (an old way letting go)."""
    if holder := port_holder(bind, port, proc):
        raise NotReadyError(f"port {port} on {bind} is still held by {holder}")


def pid_file_state(path: Path, proc: Path = procfs.PROC) -> PidFileState:
    """The PID file as it is, and the process it names."""
    kind, line = read_pid_file(path)
    return observed.pid_file_state(path, kind, line, lambda pid: procfs.process_info(pid, proc))


def our_gate(pid_file: Path, proc: Path = procfs.PROC) -> ProcessInfo | None:
    """The live gate the PID file names, when it is ours (this exact --pid-file)."""
    state = pid_file_state(pid_file, proc)
    return state.process if state.ours else None


def _listens(pid: int, bind: str, port: int, proc: Path) -> bool:
    inodes = {listener.inode for listener in procfs.listeners_on(port, bind, proc)}
    return bool(inodes) and procfs.holds_socket(pid, inodes, proc)


def start_daemon(
    action: StartDaemon,
    runner: Runner,
    bind: str,
    port: int,
    timeout: float,
    proc: Path = procfs.PROC,
) -> str:
    """Run `terok-gate --detach` unless our gate already runs; then insist that it listens."""
    running = our_gate(action.pid_file, proc)
    if running is None:
        require_port_free(bind, port, proc)
        make_dirs(action.pid_file.parent, 0o700)
        runner(action.argv, timeout=timeout)
        running = our_gate(action.pid_file, proc)
    if running is None:
        raise NotReadyError(f"terok-gate returned but {action.pid_file} names no running gate")
    if not _listens(running.pid, bind, port, proc):
        raise NotReadyError(f"daemon pid {running.pid} does not listen on port {port} yet")
    return f"daemon pid {running.pid} listens on {bind}:{port}"


@contextlib.contextmanager
def _pinned(pid: int) -> Iterator[int | None]:
    """A pidfd for `pid` (None when the process is gone)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        yield None
        return
    try:
        yield fd
    finally:
        os.close(fd)


def _still_ours(action: StopDaemon, proc: Path) -> str | None:
    """Why the process must not be signalled, or None when it is still the gate we planned to stop."""
    process = procfs.process_info(action.pid, proc)
    if process is None or not process.argv:
        return f"pid {action.pid} is gone"
    if process.argv != action.argv or not is_gate_with_pid_file(process.argv, action.pid_file):
        return f"pid {action.pid} is no longer our gate; it was not signalled"
    if process.uid != os.getuid():
        return f"pid {action.pid} belongs to uid {process.uid}; it was not signalled"
    return None


def _exited(pidfd: int, timeout: float) -> bool:
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    return bool(poller.poll(max(0.0, timeout) * 1000))


def stop_daemon(
    action: StopDaemon, grace: float = GRACE_SECONDS, proc: Path = procfs.PROC
) -> tuple[bool, str]:
    """SIGTERM our gate, wait up to `grace`, then SIGKILL. (False, why) when nothing was signalled."""
    with _pinned(action.pid) as pidfd:
        why_not = f"pid {action.pid} is gone" if pidfd is None else _still_ours(action, proc)
        if pidfd is None or why_not:
            return False, str(why_not)
        started = time.monotonic()
        signal.pidfd_send_signal(pidfd, signal.SIGTERM)
        if _exited(pidfd, grace):
            return (
                True,
                f"pid {action.pid} exited after SIGTERM in {time.monotonic() - started:.2f} s",
            )
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        if not _exited(pidfd, KILL_WAIT_SECONDS):
            raise NotReadyError(f"pid {action.pid} survived SIGKILL for {KILL_WAIT_SECONDS:g} s")
        return True, f"pid {action.pid} ignored SIGTERM for {grace:g} s and was killed with SIGKILL"
