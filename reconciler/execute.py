"""Carrying out one Action on the host. Each step re-checks what it is about to change,
so an action planned a moment ago never clobbers something that changed since."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
    StartDaemon,
    StartUnit,
    StopDaemon,
    WriteUnit,
)
from reconciler.desired import SOCKET, Desired
from reconciler.failures import HostChangedError
from reconciler.host import daemon, write
from reconciler.host.files import inspect_unit_file, path_kind
from reconciler.host.proc import PROC
from reconciler.host.run import Runner
from reconciler.outcome import Result

Done = tuple[Result, str]  # ("done" | "skipped", what happened)
COMMAND_TIMEOUT = 30.0


@dataclass(frozen=True)
class Executor:
    """Everything execution needs from outside: the runner, the environment, /proc, the spec."""

    desired: Desired
    runner: Runner
    env: Mapping[str, str]
    remaining: Callable[[], float]  # seconds left before the apply's deadline
    proc: Path = PROC

    def timeout(self) -> float:
        """A command may take at most this long."""
        return max(1.0, min(COMMAND_TIMEOUT, self.remaining()))

    def systemctl(self, *args: str) -> None:
        """`systemctl --user ARGS` through the one runner."""
        self.runner(["systemctl", "--user", *args], timeout=self.timeout(), env=self.env)

    def __call__(self, action: Action) -> Done:
        """Carry out `action`; raises on failure (see failures.is_transient)."""
        handler: Callable[[Any, Executor], Done] = _HANDLERS.get(type(action), _unit_verb)
        return handler(action, self)


def _write_unit(action: WriteUnit, host: Executor) -> Done:
    found = inspect_unit_file(action.name, action.path)
    if found.kind == "file" and found.text == action.text:
        return "skipped", "already as rendered"
    if found.text != action.previous:
        raise HostChangedError(f"{action.path} changed since it was observed; observing again")
    write.write_atomically(action.path, action.text.encode("utf-8", "surrogateescape"))
    return "done", f"wrote {action.path}"


def _remove_unit(action: RemoveUnit, host: Executor) -> Done:
    found = inspect_unit_file(action.name, action.path)
    if not found.present:
        return "skipped", "already gone"
    if not found.ours:
        return "skipped", f"{action.path} no longer carries our stamp; left alone"
    write.remove_entry(action.path)
    return "done", f"removed {action.path}"


def _daemon_reload(action: DaemonReload, host: Executor) -> Done:
    host.systemctl("daemon-reload")
    return "done", "manager reloaded its unit files"


def _unit_verb(action: Any, host: Executor) -> Done:
    host.systemctl(action.verb, action.name)
    return "done", f"systemctl --user {action.verb} {action.name}"


def _start_unit(action: StartUnit, host: Executor) -> Done:
    """Start a unit; the socket only once the port is free (an old way may still let go)."""
    if action.name == SOCKET:
        daemon.require_port_free(host.desired.bind, host.desired.port, host.proc)
    return _unit_verb(action, host)


def _install_verb(action: EnableUnit | DisableUnit, host: Executor) -> Done:
    """enable/disable, then a reload of our own. systemctl reloads by itself only on a booted
    host (/run/systemd/system there); elsewhere (a container, another mount namespace) it
    just edits the symlinks, and the manager keeps reporting the old UnitFileState until a
    reload, so the next observation would ask for the same action again."""
    host.systemctl(action.verb, "--no-reload", action.name)
    host.systemctl("daemon-reload")
    return "done", f"systemctl --user {action.verb} {action.name}; manager reloaded"


def _start_daemon(action: StartDaemon, host: Executor) -> Done:
    desired = host.desired
    detail = daemon.start_daemon(
        action, host.runner, desired.bind, desired.port, host.timeout(), host.proc
    )
    return "done", detail


def _stop_daemon(action: StopDaemon, host: Executor) -> Done:
    grace = min(daemon.GRACE_SECONDS, max(0.5, host.remaining()))
    signalled, detail = daemon.stop_daemon(action, grace, host.proc)
    return ("done" if signalled else "skipped"), detail


def _remove_pid_file(action: RemovePidFile, host: Executor) -> Done:
    kind = path_kind(action.path, follow=False)
    if kind == "missing":
        return "skipped", "already gone"
    if kind == "file" and (running := daemon.our_gate(action.path, host.proc)):
        return "skipped", f"it names our running gate pid {running.pid}; left in place"
    if kind not in ("file", "symlink"):
        raise HostChangedError(f"{action.path} became a {kind}; observing again")
    write.remove_entry(action.path)
    return "done", f"removed {action.path}" + (
        " (the link, not its target)" if kind == "symlink" else ""
    )


def _create_directory(action: CreateDirectory, host: Executor) -> Done:
    if not write.make_dirs(action.path, action.mode):
        return "skipped", "already there"
    return "done", f"created {action.path} (mode {action.mode:04o})"


def _create_token_file(action: CreateTokenFile, host: Executor) -> Done:
    if not write.create_exclusive(action.path, write.EMPTY_TOKENS, action.mode):
        return "skipped", "a token file is there already; never overwritten"
    return (
        "done",
        f"created an empty token file (mode {action.mode:04o}); the gate denies every request until terok adds tokens",
    )


_HANDLERS: dict[type, Callable[[Any, Executor], Done]] = {
    WriteUnit: _write_unit,
    RemoveUnit: _remove_unit,
    DaemonReload: _daemon_reload,
    StartUnit: _start_unit,
    EnableUnit: _install_verb,
    DisableUnit: _install_verb,
    StartDaemon: _start_daemon,
    StopDaemon: _stop_daemon,
    RemovePidFile: _remove_pid_file,
    CreateDirectory: _create_directory,
    CreateTokenFile: _create_token_file,
}
