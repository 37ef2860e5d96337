"""Plain-data builders for the pure tests: a fixed spec, its Desired, and observed hosts."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from reconciler.desired import (
    ALL_UNIT_FILES,
    RECONCILE_SERVICE,
    SERVICE,
    SOCKET,
    TIMER,
    Desired,
    RenderContext,
    render,
)
from reconciler.observed import (
    ManagerState,
    Observed,
    PathState,
    PidFileState,
    PortState,
    ProcessInfo,
    UnitOnDisk,
    UnitStatus,
)
from reconciler.spec import GateSpec, parse_spec

HOME = Path("/home/u")
ENV = {"HOME": str(HOME), "XDG_RUNTIME_DIR": "/run/user/1000"}
UNIT_DIR = HOME / ".config/systemd/user"
GATE = Path("/opt/terok/bin/terok-gate")
RECONCILE = Path("/opt/terok/bin/gate-reconcile")
PYTHON = "/usr/bin/python3"
DAEMON_PID = 4242


def make_spec(**fields: Any) -> GateSpec:
    """A valid spec at fixed paths (validated with a real executable, then relocated)."""
    data = {"base_path": "/srv/gate", **fields}
    spec = parse_spec(data, ENV, gate_command=Path(sys.executable))
    return spec.model_copy(update={"gate_command": GATE}) if "gate_command" not in fields else spec


def make_desired(**fields: Any) -> Desired:
    """The rendered fixed spec."""
    return render(make_spec(**fields), RenderContext(UNIT_DIR, RECONCILE, None))


def _missing(name: str) -> UnitOnDisk:
    return UnitOnDisk(name, UNIT_DIR / name, "missing")


def unit_file(desired: Desired, name: str, text: str | None = None) -> UnitOnDisk:
    """A regular unit file holding `text` (default: exactly the rendered unit)."""
    return UnitOnDisk(
        name, UNIT_DIR / name, "file", text if text is not None else desired.unit(name).text
    )


def fresh(desired: Desired, manager: str = "absent") -> Observed:
    """Nothing of ours anywhere; base path and token file missing; the port free."""
    return Observed(
        manager=ManagerState(manager),  # type: ignore[arg-type]
        files=tuple(_missing(n) for n in ALL_UNIT_FILES),
        units=tuple(UnitStatus(n) for n in (SOCKET, SERVICE, RECONCILE_SERVICE, TIMER))
        if manager == "running"
        else (),
        service_process=None,
        pid_file=PidFileState(desired.pid_file, "missing"),
        port=PortState(desired.port, desired.bind, "free"),
        base_path=PathState(desired.base_path, "missing"),
        token_file=PathState(desired.token_file, "missing"),
    )


def _paths_ready(observed: Observed) -> Observed:
    return replace(
        observed,
        base_path=replace(observed.base_path, kind="directory"),
        token_file=replace(observed.token_file, kind="file"),
    )


def converged_systemd(desired: Desired) -> Observed:
    """Socket listening and enabled, gate idle, timer waiting; files exactly as rendered."""
    observed = _paths_ready(fresh(desired, "running"))
    files = tuple(
        unit_file(desired, n) if n in (SOCKET, SERVICE, RECONCILE_SERVICE, TIMER) else _missing(n)
        for n in ALL_UNIT_FILES
    )
    loaded: dict[str, Any] = {"load_state": "loaded", "fragment_path": ""}
    units: tuple[UnitStatus, ...] = (
        UnitStatus(
            SOCKET,
            **loaded,
            active_state="active",
            sub_state="listening",
            unit_file_state="enabled",
            listen=(f"{desired.listen} (Stream)",),
            accept=False,
        ),
        UnitStatus(SERVICE, **loaded, unit_file_state="static"),
        UnitStatus(RECONCILE_SERVICE, **loaded, unit_file_state="static"),
        UnitStatus(
            TIMER, **loaded, active_state="active", sub_state="waiting", unit_file_state="enabled"
        ),
    )
    units = tuple(replace(u, fragment_path=str(UNIT_DIR / u.name)) for u in units)
    port = PortState(desired.port, desired.bind, "ours", "socket", SOCKET)
    return replace(observed, files=files, units=units, port=port)


def gate_process(argv: tuple[str, ...], pid: int = DAEMON_PID) -> ProcessInfo:
    """Our gate as /proc shows it: run through its interpreter (the script's shebang)."""
    return ProcessInfo(pid, (PYTHON, *argv), 1000)


def converged_daemon(desired: Desired, manager: str = "absent") -> Observed:
    """Our daemon alive with the desired argv, holding the port; no unit files."""
    observed = _paths_ready(fresh(desired, manager))
    process = gate_process(desired.daemon_argv)
    pid_file = PidFileState(desired.pid_file, "file", pid=DAEMON_PID, process=process, ours=True)
    port = PortState(
        desired.port, desired.bind, "ours", "daemon", f"daemon pid {DAEMON_PID}", process
    )
    return replace(observed, pid_file=pid_file, port=port)


def converged_none(desired: Desired, manager: str = "running") -> Observed:
    """Nothing of ours, the base path and token file left as they are."""
    return _paths_ready(fresh(desired, manager))


def with_file(observed: Observed, name: str, **changes: Any) -> Observed:
    """The same host with one unit file changed."""
    files = tuple(replace(f, **changes) if f.name == name else f for f in observed.files)
    return replace(observed, files=files)


def with_unit(observed: Observed, name: str, **changes: Any) -> Observed:
    """The same host with one loaded unit's properties changed."""
    units = tuple(replace(u, **changes) if u.name == name else u for u in observed.units)
    return replace(observed, units=units)
