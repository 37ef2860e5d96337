"""Planning the systemd side: unit files, daemon-reload, enabling and (re)starting (pure)."""

from __future__ import annotations

from reconciler.actions import (
    Action,
    DaemonReload,
    DisableUnit,
    EnableUnit,
    RemoveUnit,
    ResetFailed,
    RestartUnit,
    StartUnit,
    StopUnit,
    WriteUnit,
)
from reconciler.desired import (
    ALL_UNIT_FILES,
    LEGACY_TEMPLATE,
    SERVICE,
    SOCKET,
    TIMER,
    TIMER_UNITS,
    Desired,
    listen_address,
)
from reconciler.modes import EffectiveMode
from reconciler.observed import Observed, UnitStatus, runs_command, runs_from_ours
from reconciler.reasons import argv_changes, unit_change

FileAction = WriteUnit | RemoveUnit


def ours(observed: Observed, name: str) -> bool:
    """Our file is there (or ours cut to nothing), or the manager still runs the unit from
    our now-missing file."""
    return runs_from_ours(observed.file(name), observed.unit(name))


def unwanted_because(name: str, mode: EffectiveMode) -> str:
    """Why a unit of ours goes away."""
    if name == LEGACY_TEMPLATE:
        return f"{name} is the old gate manager's per-connection template"
    if name in TIMER_UNITS and mode == "systemd":
        return "the spec disables the timer ([timer] enabled = false)"
    return f"mode {mode} does not use {name}"


def stop_unwanted_units(
    observed: Observed, wanted: tuple[str, ...], mode: EffectiveMode
) -> list[Action]:
    """Stop and disable our units that this mode does not want (never gate-reconcile.service:
    it may be the very run that executes the plan)."""
    if not observed.manager.answers:
        return []
    actions: list[Action] = []
    for name in (SOCKET, SERVICE, TIMER):
        if name in wanted or not ours(observed, name):
            continue
        status, why = observed.unit(name), unwanted_because(name, mode)
        if status.running:
            actions.append(StopUnit(name=name, reason=why))
        if status.enabled:
            actions.append(DisableUnit(name=name, reason=why))
    return actions


def unit_file_actions(
    desired: Desired, observed: Observed, wanted: tuple[str, ...], mode: EffectiveMode
) -> tuple[FileAction, ...]:
    """Write every wanted unit whose file differs in any byte; remove our unwanted ones."""
    found = (_file_action(desired, observed, name, wanted, mode) for name in ALL_UNIT_FILES)
    return tuple(action for action in found if action is not None)


def _file_action(
    desired: Desired, observed: Observed, name: str, wanted: tuple[str, ...], mode: EffectiveMode
) -> FileAction | None:
    found = observed.file(name)
    if name not in wanted:
        if found.present and found.ours:
            return RemoveUnit(name=name, path=found.path, reason=unwanted_because(name, mode))
        return None
    unit = desired.unit(name)
    if found.kind == "file" and found.text == unit.text:
        return None
    reason = unit_change(found, unit.text)
    return WriteUnit(name=name, path=unit.path, text=unit.text, previous=found.text, reason=reason)


def daemon_reload(observed: Observed, files: tuple[FileAction, ...]) -> list[Action]:
    """Reload when a unit file changed now, or changed before without a reload."""
    if not observed.manager.answers:
        return []
    if files:
        return [DaemonReload(reason=f"unit files changed: {', '.join(a.name for a in files)}")]
    stale = [u.name for u in observed.units if u.need_daemon_reload and ours(observed, u.name)]
    if stale:
        return [
            DaemonReload(reason=f"{', '.join(stale)} changed on disk since the manager loaded it")
        ]
    return []


def _change(status: UnitStatus, written: dict[str, str]) -> str | None:
    """Why a loaded unit runs outdated settings, or None when it does not."""
    if status.name in written:
        return f"apply the new unit: {written[status.name]}"
    if status.need_daemon_reload:
        return f"apply the new unit: {status.name} changed on disk since it was loaded"
    return None


def activate_gate(
    desired: Desired, observed: Observed, files: tuple[FileAction, ...]
) -> list[Action]:
    """Socket enabled and listening; socket restarted only when its unit changed."""
    written = {a.name: a.reason for a in files if isinstance(a, WriteUnit)}
    sock, service = observed.unit(SOCKET), observed.unit(SERVICE)
    actions: list[Action] = []
    if not sock.enabled:
        actions.append(EnableUnit(name=SOCKET, reason=f"{SOCKET} is not enabled"))
    if service.failed:
        actions.append(ResetFailed(name=SERVICE, reason=f"{SERVICE} failed ({service.result})"))
    if sock.running and (why := _change(sock, written) or _lost_listener(observed)):
        actions += _restart_socket(service, why)
    elif sock.running:
        actions += _refresh_service(desired, observed, service, written)
    else:
        actions += _start_socket(sock, service)
    return actions


def _lost_listener(observed: Observed) -> str | None:
    """Why a running socket must restart although its unit is current: nothing listens.
    A daemon-reload closes a socket's fd when its address changed (say an apply was killed
    between writing the unit and restarting the socket), yet the socket stays active."""
    if observed.port.status != "free":
        return None
    where = listen_address(observed.port.bind, observed.port.port)
    return f"{SOCKET} is active but nothing listens on {where}"


def _restart_socket(service: UnitStatus, why: str) -> list[Action]:
    """A socket only restarts with its gate stopped (systemd refuses a socket beside it)."""
    stop = StopUnit(name=SERVICE, reason=f"{SOCKET} restarts; the gate starts again on demand")
    return [*([stop] if service.running else []), RestartUnit(name=SOCKET, reason=why)]


def _refresh_service(
    desired: Desired, observed: Observed, service: UnitStatus, written: dict[str, str]
) -> list[Action]:
    """Restart a running gate whose unit or command line is outdated."""
    if not service.running:
        return []
    why = _change(service, written)
    process = observed.service_process
    if why is None and process is not None and not runs_command(process.argv, desired.service_argv):
        why = "the running gate has other settings: " + "; ".join(
            argv_changes(process.argv, desired.service_argv)
        )
    return [RestartUnit(name=SERVICE, reason=why)] if why else []


def _start_socket(sock: UnitStatus, service: UnitStatus) -> list[Action]:
    actions: list[Action] = []
    if service.running:
        actions.append(
            StopUnit(
                name=SERVICE,
                reason=f"{SERVICE} runs without its socket; the socket cannot start beside it",
            )
        )
    if sock.failed:
        actions.append(ResetFailed(name=SOCKET, reason=f"{SOCKET} failed ({sock.result})"))
    actions.append(
        StartUnit(name=SOCKET, reason=f"{SOCKET} is not listening ({sock.active_state})")
    )
    return actions


def activate_timer(
    observed: Observed, wanted: tuple[str, ...], files: tuple[FileAction, ...]
) -> list[Action]:
    """The reconciler's own timer: enabled, running, restarted when its unit changed."""
    if TIMER not in wanted:
        return []
    written = {a.name: a.reason for a in files if isinstance(a, WriteUnit)}
    timer = observed.unit(TIMER)
    actions: list[Action] = []
    if not timer.enabled:
        actions.append(EnableUnit(name=TIMER, reason=f"{TIMER} is not enabled"))
    if timer.running and (why := _change(timer, written)):
        actions.append(RestartUnit(name=TIMER, reason=why))
    elif not timer.running:
        if timer.failed:
            actions.append(ResetFailed(name=TIMER, reason=f"{TIMER} failed ({timer.result})"))
        actions.append(
            StartUnit(name=TIMER, reason=f"{TIMER} is not running ({timer.active_state})")
        )
    return actions
