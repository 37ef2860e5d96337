"""The model's systemd user manager: what it loaded, what runs, what `systemctl` does.

Each behaviour here was seen on the real `systemd --user` of the test harness:
- a unit is loaded from its file; a /dev/null symlink or an empty file loads as masked;
  NeedDaemonReload says the file changed since (any change, even back to the same text);
- a unit whose file is gone stays loaded until a reload; after the reload it is not-found
  (or masked, for a /dev/null link or an empty file) but keeps its active state; a not-found
  unit is loaded again as soon as it is asked for, when its file is back;
- a reload closes a running socket's listening fd when its file is gone, masked, or names
  another address now; the socket stays "active (listening)" and shows the new address,
  but nothing listens until it restarts;
- a socket will not start, nor restart, while its service runs (a failed restart leaves it
  stopped); a service SIGKILLed is failed with Result=signal;
- the socket-activated gate gets the listening fd from the socket and keeps it while it
  runs, also after the socket stopped; it exits at once when its base path is missing.
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.desired import RENDERED_UNITS, SERVICE, SOCKET, TIMER
from reconciler.escape import split_exec_line
from reconciler.host.run import CommandError
from reconciler.observed import UnitStatus
from reconciler.unittext import settings
from tests.faults.model.layout import DEV_NULL, MANAGER_PID, UNIT_DIR

if TYPE_CHECKING:
    from tests.faults.model.host import ModelHost

INSTALLABLE = (SOCKET, TIMER)  # units with an [Install] section


@dataclass(frozen=True)
class Unit:
    """One unit as the manager holds it."""

    load: str = "not-found"  # loaded | not-found | masked
    text: str = ""  # the unit text it loaded
    version: int = 0  # the version of the file it loaded
    active: str = "inactive"  # active | inactive | failed
    result: str = "success"
    main_pid: int = 0  # a running service's process
    port: int = 0  # the port a running socket holds


def failure(argv: str, message: str) -> CommandError:
    """A `systemctl --user` call that exited 1 (a permanent failure)."""
    return CommandError(["systemctl", "--user", *argv.split()], 1, "", message)


def _from_disk(host: ModelHost, name: str, unit: Unit) -> Unit:
    """The unit as a (re)load from its file finds it, keeping what runs."""
    entry, version = host.disk.get(name), host.versions.get(name, 0)
    if entry is None:
        return replace(unit, load="not-found", text="", version=version)
    if (entry.kind == "symlink" and entry.target == DEV_NULL) or entry.text == "":
        return replace(unit, load="masked", text="", version=version)
    return replace(unit, load="loaded", text=entry.text or "", version=version)


def reload(host: ModelHost) -> None:
    """daemon-reload: every unit from its file; a running socket keeps its fd only while its
    file still asks for that port."""
    for name in RENDERED_UNITS:
        unit = host.units.get(name, Unit())
        new = _from_disk(host, name, unit)
        kept = new.load == "loaded" and listen_port(new.text) == unit.port
        if name == SOCKET and unit.port and not kept:
            host.listening.get(unit.port, set()).discard(MANAGER_PID)
            new = replace(new, port=0)
        host.units[name] = new


def unit(host: ModelHost, name: str) -> Unit:
    """The unit, loaded again on demand when it was not found before and its file is back."""
    current = host.units.get(name, Unit())
    if current.load == "not-found" and name in host.disk:
        current = _from_disk(host, name, current)
        host.units[name] = current
    return current


def listen_port(text: str) -> int:
    """The port of a socket unit's ListenStream= (0 when it has none)."""
    values = settings(text).get(("Socket", "ListenStream"), ())
    return int(values[0].rpartition(":")[2]) if values else 0


def show(host: ModelHost) -> tuple[UnitStatus, ...]:
    """`systemctl --user show` for every unit we render."""
    return tuple(_status(host, name, unit(host, name)) for name in RENDERED_UNITS)


def _file_state(host: ModelHost, name: str, current: Unit) -> str:
    if current.load == "not-found":
        return ""
    if current.load == "masked":
        return "masked"
    if name not in INSTALLABLE:
        return "static"
    return "enabled" if name in host.enabled else "disabled"


def _status(host: ModelHost, name: str, current: Unit) -> UnitStatus:
    found = current.load != "not-found"
    listen: tuple[str, ...] = ()
    if name == SOCKET and current.load == "loaded":
        listen = tuple(
            f"{v} (Stream)" for v in settings(current.text).get(("Socket", "ListenStream"), ())
        )
    accept = settings(current.text).get(("Socket", "Accept"), ("no",))[-1] == "yes"
    return UnitStatus(
        name=name,
        load_state=current.load,
        active_state=current.active,
        sub_state="running" if current.active == "active" else "dead",
        unit_file_state=_file_state(host, name, current),
        need_daemon_reload=found and host.versions.get(name, 0) != current.version,
        fragment_path=str(UNIT_DIR / name) if found else "",
        listen=listen,
        accept=accept if name == SOCKET and found else None,
        main_pid=current.main_pid if current.active == "active" else 0,
        result=current.result,
    )


# --- verbs --------------------------------------------------------------------------------


def start(host: ModelHost, name: str) -> None:
    """`systemctl --user start NAME`."""
    current = unit(host, name)
    if current.load != "loaded":
        raise failure(f"start {name}", f"Unit {name} is {current.load}.")
    if current.active == "active":
        return
    if name == SOCKET:
        _start_socket(host, current)
    elif name == SERVICE:
        activate(host)
    else:
        host.units[name] = replace(current, active="active", result="success")


def _start_socket(host: ModelHost, current: Unit) -> None:
    if unit(host, SERVICE).active == "active":
        raise failure(f"start {SOCKET}", "Job failed: the socket's service is already active.")
    port = listen_port(current.text)
    if host.holders(port):
        host.units[SOCKET] = replace(current, active="failed", result="resources")
        raise failure(f"start {SOCKET}", f"Job failed: cannot bind port {port}.")
    host.units[SOCKET] = replace(current, active="active", result="success", port=port)
    host.listen(port, MANAGER_PID)


def activate(host: ModelHost) -> bool:
    """Start the gate service with the socket's fd (a connection came, or a start was asked);
    whether it runs afterwards."""
    socket, service = unit(host, SOCKET), unit(host, SERVICE)
    if service.active == "active":
        return True
    argv = split_exec_line(settings(service.text).get(("Service", "ExecStart"), ("",))[-1])
    if (
        socket.active != "active"
        or service.load != "loaded"
        or not argv
        or not _base_exists(host, argv)
    ):
        host.units[SERVICE] = replace(service, active="failed", result="exit-code", main_pid=0)
        return False
    pid = host.spawn(argv)
    host.listen(socket.port, pid)
    host.units[SERVICE] = replace(service, active="active", result="success", main_pid=pid)
    return True


def gate_option(argv: tuple[str, ...], name: str) -> str:
    """The value of a gate option in its command line ("" when absent)."""
    return dict(itertools.pairwise(argv)).get(name, "")


def _base_exists(host: ModelHost, argv: tuple[str, ...]) -> bool:
    return Path(gate_option(argv, "--base-path")) in host.directories


def stop(host: ModelHost, name: str) -> None:
    """`systemctl --user stop NAME`."""
    current = unit(host, name)
    if current.active != "active":
        return
    if name == SOCKET:
        host.listening.get(current.port, set()).discard(MANAGER_PID)
    if name == SERVICE and current.main_pid:
        host.kill(current.main_pid)
    host.units[name] = replace(current, active="inactive", main_pid=0, port=0)


def restart(host: ModelHost, name: str) -> None:
    """`systemctl --user restart NAME`."""
    if name == SOCKET and unit(host, SERVICE).active == "active":
        stop(host, SOCKET)
        raise failure(f"restart {SOCKET}", "Job failed: the socket's service is active.")
    stop(host, name)
    start(host, name)


def reset_failed(host: ModelHost, name: str) -> None:
    """`systemctl --user reset-failed NAME`."""
    current = unit(host, name)
    if current.active == "failed":
        host.units[name] = replace(current, active="inactive", result="success")


def enable(host: ModelHost, name: str) -> None:
    """`systemctl --user enable NAME`: the [Install] symlink (the file must be there)."""
    current = unit(host, name)
    if current.load == "masked":
        raise failure(f"enable {name}", f"Unit file {name} is masked.")
    if name not in host.disk:
        raise failure(f"enable {name}", f"Unit file {name} does not exist.")
    host.enabled.add(name)


def disable(host: ModelHost, name: str) -> None:
    """`systemctl --user disable NAME`."""
    host.enabled.discard(name)


def kill_service(host: ModelHost) -> bool:
    """SIGKILL to the running gate service; whether one ran."""
    current = unit(host, SERVICE)
    if current.active != "active":
        return False
    host.kill(current.main_pid)
    host.units[SERVICE] = replace(current, active="failed", result="signal", main_pid=0)
    return True


def exit_manager(host: ModelHost) -> None:
    """The manager goes away: every unit stops, its processes die, it forgets everything."""
    for name in RENDERED_UNITS:
        stop(host, name)
    host.units.clear()
    host.manager_up = False


def boot_manager(host: ModelHost) -> None:
    """The manager starts: loads every unit, starts the enabled socket and timer."""
    host.manager_up = True
    reload(host)
    for name in INSTALLABLE:
        if name in host.enabled and unit(host, name).load == "loaded":
            with contextlib.suppress(CommandError):  # one that cannot bind stays failed
                start(host, name)
