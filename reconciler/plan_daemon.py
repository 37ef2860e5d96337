"""Planning the daemon side and the gate's paths: PID file, our process, base path (pure)."""

from __future__ import annotations

from reconciler.actions import (
    Action,
    CreateDirectory,
    CreateTokenFile,
    RemovePidFile,
    StartDaemon,
    StopDaemon,
)
from reconciler.desired import Desired
from reconciler.modes import EffectiveMode
from reconciler.observed import Observed, PidFileState, runs_command
from reconciler.reasons import argv_changes


def daemon_healthy(desired: Desired, observed: Observed) -> bool:
    """Our daemon runs the desired command line and holds the port."""
    pid_file = observed.pid_file
    process = pid_file.process
    return (
        pid_file.ours
        and process is not None
        and runs_command(process.argv, desired.daemon_argv)
        and observed.port.via == "daemon"
    )


def _why_stop(desired: Desired, observed: Observed, mode: EffectiveMode) -> str:
    if mode != "daemon":
        return f"mode {mode} does not run the daemon"
    process = observed.pid_file.process
    if process is not None and not runs_command(process.argv, desired.daemon_argv):
        return "daemon runs with other settings: " + "; ".join(
            argv_changes(process.argv, desired.daemon_argv)
        )
    return f"daemon pid {observed.pid_file.pid} does not listen on {desired.listen}"


def stale_reason(pid_file: PidFileState) -> str | None:
    """Why a PID file that names no gate of ours must go, or None."""
    if pid_file.kind == "symlink":
        return "pid file is a symlink, which is never trusted"
    if pid_file.kind != "file" or pid_file.ours:
        return None
    if pid_file.pid is None:
        return f"pid file holds no pid ({pid_file.raw!r})"
    if pid_file.process is None:
        return f"pid file stale: pid {pid_file.pid} is not running"
    return f"pid file stale: pid {pid_file.pid} is not a gate"


def stop_unwanted_daemon(desired: Desired, observed: Observed, mode: EffectiveMode) -> list[Action]:
    """Stop our daemon unless this mode wants it as it runs; clear stale PID files."""
    pid_file = observed.pid_file
    actions: list[Action] = []
    keep = mode == "daemon" and daemon_healthy(desired, observed)
    if pid_file.ours and pid_file.pid and pid_file.process and not keep:
        why = _why_stop(desired, observed, mode)
        actions.append(
            StopDaemon(
                pid=pid_file.pid, pid_file=pid_file.path, argv=pid_file.process.argv, reason=why
            )
        )
        actions.append(
            RemovePidFile(path=pid_file.path, reason="the daemon it names is being stopped")
        )
    elif reason := stale_reason(pid_file):
        actions.append(RemovePidFile(path=pid_file.path, reason=reason))
    return actions + _stop_stray(desired, observed)


def _stop_stray(desired: Desired, observed: Observed) -> list[Action]:
    """A gate of ours serving the port without its PID file cannot be managed; stop it."""
    port = observed.port
    if port.via != "stray_gate" or port.process is None:
        return []
    reason = f"terok-gate pid {port.process.pid} serves the port without its pid file"
    return [
        StopDaemon(
            pid=port.process.pid, pid_file=desired.pid_file, argv=port.process.argv, reason=reason
        )
    ]


def prepare_paths(observed: Observed, mode: EffectiveMode) -> list[Action]:
    """The base path (0700) and an empty token file (0600), when missing; never overwritten."""
    if mode not in ("systemd", "daemon"):
        return []
    actions: list[Action] = []
    if observed.base_path.kind == "missing":
        actions.append(CreateDirectory(path=observed.base_path.path, reason="base path is missing"))
    if observed.token_file.kind == "missing":
        actions.append(
            CreateTokenFile(path=observed.token_file.path, reason="token file is missing")
        )
    return actions


def start_daemon(desired: Desired, observed: Observed, mode: EffectiveMode) -> list[Action]:
    """Start the daemon in daemon mode unless it already runs as wanted."""
    if mode != "daemon" or daemon_healthy(desired, observed):
        return []
    reason = "restart with the spec's settings" if observed.pid_file.ours else "daemon not running"
    return [StartDaemon(argv=desired.daemon_argv, pid_file=desired.pid_file, reason=reason)]
