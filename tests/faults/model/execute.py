"""Carrying out gate-reconcile's Actions on the model host, with the re-checks the real
executor (reconciler/execute.py and host/daemon.py) makes before it changes anything, and
the health probe: who answers on the port, and with which configuration digest."""

from __future__ import annotations

import errno
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler.actions import (
    Action,
    CreateDirectory,
    CreateTokenFile,
    DaemonReload,
    DisableUnit,
    EnableUnit,
    RemovePidFile,
    RemoveUnit,
    ResetFailed,
    RestartUnit,
    StartDaemon,
    StartUnit,
    StopDaemon,
    StopUnit,
    WriteUnit,
)
from reconciler.desired import SOCKET, Desired
from reconciler.execute import Done
from reconciler.failures import HostChangedError, NotReadyError
from reconciler.health import HealthReply, judge
from reconciler.host.run import CommandError
from reconciler.observed import is_gate_with_pid_file
from reconciler.outcome import HealthVerdict
from reconciler.unittext import stamp
from terok_gate.digest import config_digest
from tests.faults.model import manager
from tests.faults.model.host import Entry, ModelHost
from tests.faults.model.layout import MANAGER_PID


class Executor:
    """Executes actions on `host` for `desired`; `spend` advances the model's clock."""

    def __init__(self, host: ModelHost, desired: Desired, spend: Callable[[float], None]) -> None:
        self.host, self.desired, self.spend = host, desired, spend

    def __call__(self, action: Action) -> Done:
        """Carry out `action` as the real executor would; raises what it would raise."""
        self.spend(0.01)
        handler: Callable[[Any, Executor], Done] = _HANDLERS[type(action)]
        return handler(action, self)

    def systemctl(self, verb: str) -> None:
        """What any `systemctl --user` call meets before the manager acts."""
        if self.host.hung:
            self.spend(30.0)
            raise CommandError(["systemctl", "--user", verb], None, "", "no answer within 30 s")
        if not self.host.manager_up:
            raise manager.failure(verb, "Failed to connect to bus: No such file or directory")

    def require_port_free(self) -> None:
        """daemon.require_port_free: a port still held is a transient failure."""
        if self.host.holders(self.desired.port):
            raise NotReadyError(f"port {self.desired.port} is still held")


def _write_unit(action: WriteUnit, run: Executor) -> Done:
    entry = run.host.disk.get(action.name)
    if entry is not None and entry.kind == "file" and entry.text == action.text:
        return "skipped", "already as rendered"
    if (entry.text if entry else None) != action.previous:
        raise HostChangedError(f"{action.path} changed since it was observed")
    if run.host.disk_full:
        raise OSError(errno.ENOSPC, "No space left on device", str(action.path))
    run.host.write(action.name, Entry("file", action.text))
    return "done", "written"


def _remove_unit(action: RemoveUnit, run: Executor) -> Done:
    entry = run.host.disk.get(action.name)
    if entry is None:
        return "skipped", "already gone"
    if entry.text is None or stamp(entry.text) is None:
        return "skipped", "no longer ours"
    run.host.write(action.name, None)
    return "done", "removed"


def _daemon_reload(action: DaemonReload, run: Executor) -> Done:
    run.systemctl("daemon-reload")
    manager.reload(run.host)
    return "done", "reloaded"


def _install(action: EnableUnit | DisableUnit, run: Executor) -> Done:
    run.systemctl(action.verb)
    verb = manager.enable if isinstance(action, EnableUnit) else manager.disable
    verb(run.host, action.name)
    run.systemctl("daemon-reload")
    manager.reload(run.host)
    return "done", action.verb


_VERBS: dict[type, Callable[[ModelHost, str], None]] = {
    StartUnit: manager.start,
    StopUnit: manager.stop,
    RestartUnit: manager.restart,
    ResetFailed: manager.reset_failed,
}


def _unit_verb(action: StartUnit | StopUnit | RestartUnit | ResetFailed, run: Executor) -> Done:
    if isinstance(action, StartUnit) and action.name == SOCKET:
        run.require_port_free()
    run.systemctl(action.verb)
    _VERBS[type(action)](run.host, action.name)
    return "done", action.verb


def _our_gate(run: Executor, pid_file: Path) -> int | None:
    """daemon.our_gate: the live gate the PID file names, when it is ours."""
    state = run.host.pid_state(pid_file)
    return state.pid if state.ours else None


def _start_daemon(action: StartDaemon, run: Executor) -> Done:
    pid = _our_gate(run, action.pid_file)
    if pid is None:
        run.require_port_free()
        pid = _spawn_gate(run, action)
    if run.desired.port not in _ports_of(run.host, pid):
        raise NotReadyError(f"daemon pid {pid} does not listen on port {run.desired.port}")
    return "done", f"daemon pid {pid}"


def _spawn_gate(run: Executor, action: StartDaemon) -> int:
    """`terok-gate --detach`: refuses a missing base path; binds, writes its PID file."""
    if Path(manager.gate_option(action.argv, "--base-path")) not in run.host.directories:
        raise CommandError(list(action.argv), 2, "", "base path is not a directory")
    pid = run.host.spawn(action.argv)
    run.host.listen(int(manager.gate_option(action.argv, "--port")), pid)
    run.host.pid_file = Entry("file", f"{pid}\n")  # written by rename: a symlink is replaced
    return pid


def _ports_of(host: ModelHost, pid: int) -> set[int]:
    return {port for port, holders in host.listening.items() if pid in holders}


def _stop_daemon(action: StopDaemon, run: Executor) -> Done:
    process = run.host.processes.get(action.pid)
    if process is not None and process.foreign:
        run.host.violations.append(f"a plan stopped pid {action.pid}, which is not ours")
    if process is None:
        return "skipped", "gone"
    if process.argv != action.argv or not is_gate_with_pid_file(process.argv, action.pid_file):
        return "skipped", "no longer our gate; not signalled"
    run.host.kill(action.pid)
    if _pid_file_names(run.host, action.pid):
        run.host.pid_file = None  # the gate removes its own PID file on exit
    return "done", f"pid {action.pid} stopped"


def _pid_file_names(host: ModelHost, pid: int) -> bool:
    entry = host.pid_file
    return entry is not None and entry.kind == "file" and (entry.text or "").strip() == str(pid)


def _remove_pid_file(action: RemovePidFile, run: Executor) -> Done:
    entry = run.host.pid_file
    if entry is None:
        return "skipped", "already gone"
    if entry.kind == "file" and _our_gate(run, action.path) is not None:
        return "skipped", "names our running gate"
    run.host.pid_file = None
    return "done", "removed"


def _create_directory(action: CreateDirectory, run: Executor) -> Done:
    if action.path in run.host.directories:
        return "skipped", "already there"
    run.host.directories.add(action.path)
    return "done", "created"


def _create_token_file(action: CreateTokenFile, run: Executor) -> Done:
    if action.path in run.host.tokens:
        return "skipped", "never overwritten"
    run.host.tokens[action.path] = "{}\n"
    return "done", "created empty"


_HANDLERS: dict[type, Callable[[Any, Executor], Done]] = {
    WriteUnit: _write_unit,
    RemoveUnit: _remove_unit,
    DaemonReload: _daemon_reload,
    EnableUnit: _install,
    DisableUnit: _install,
    StartUnit: _unit_verb,
    StopUnit: _unit_verb,
    RestartUnit: _unit_verb,
    ResetFailed: _unit_verb,
    StartDaemon: _start_daemon,
    StopDaemon: _stop_daemon,
    RemovePidFile: _remove_pid_file,
    CreateDirectory: _create_directory,
    CreateTokenFile: _create_token_file,
}


def probe(host: ModelHost, desired: Desired) -> HealthVerdict:
    """GET /-/health on the port: a socket activates its gate; a gate answers its digest."""
    holders = host.holders(desired.port)
    if holders == {MANAGER_PID} and manager.unit(host, SOCKET).port == desired.port:
        manager.activate(host)  # the connection starts the gate service, or it fails
        holders = host.holders(desired.port)
    gates = [pid for pid in sorted(holders) if pid != MANAGER_PID]
    if not gates:
        return judge(HealthReply(None, error="connection refused or reset"), desired)
    process = host.processes[gates[0]]
    if process.foreign:
        return judge(HealthReply(404, b"not found"), desired)
    base, tokens = (manager.gate_option(process.argv, o) for o in ("--base-path", "--token-file"))
    digest = config_digest(Path(base), Path(tokens))
    body = {"service": "terok-gate", "version": "model", "config_digest": digest}
    return judge(HealthReply(200, json.dumps(body).encode()), desired)
