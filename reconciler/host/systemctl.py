"""systemd user manager: is one there, and one `systemctl --user show` for all our units."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler.host.run import CommandError, Runner
from reconciler.observed import ManagerState, UnitStatus

SHOW_TIMEOUT = 10.0  # seconds a manager may take to answer `show`
SHOW_PROPERTIES = (
    "Id",
    "LoadState",
    "ActiveState",
    "SubState",
    "UnitFileState",
    "NeedDaemonReload",
    "FragmentPath",
    "DropInPaths",
    "Listen",
    "Accept",
    "ExecStart",
    "MainPID",
    "Result",
)


def manager_sockets(env: Mapping[str, str]) -> tuple[Path, ...]:
    """Where systemctl --user would connect: the manager's private socket, or the user bus."""
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if not runtime.startswith("/"):
        return ()
    return (Path(runtime) / "systemd" / "private", Path(runtime) / "bus")


def manager_reachable(env: Mapping[str, str]) -> tuple[bool, str]:
    """Whether a manager could answer at all, without running anything; and why not."""
    sockets = manager_sockets(env)
    if not sockets:
        return False, "$XDG_RUNTIME_DIR is not set"
    if any(s.is_socket() for s in sockets):
        return True, ""
    return False, f"no systemd user manager socket under {sockets[0].parent.parent}"


def show_argv(names: Sequence[str]) -> list[str]:
    """One `systemctl --user show` for every unit name, with just the properties we read."""
    return ["systemctl", "--user", "show", "-p", ",".join(SHOW_PROPERTIES), "--", *names]


def show_units(
    runner: Runner, names: Sequence[str], env: Mapping[str, str], timeout: float = SHOW_TIMEOUT
) -> tuple[ManagerState, tuple[UnitStatus, ...]]:
    """Ask the manager once; a failure to connect (or no answer in time) means it does not answer."""
    try:
        result = runner(show_argv(names), timeout=timeout, env=env)
    except CommandError as error:
        detail = error.stderr.strip().splitlines()[-1] if error.stderr.strip() else str(error)
        return ManagerState("unreachable", detail), ()
    return ManagerState("running"), parse_show(result.stdout)


def parse_show(text: str) -> tuple[UnitStatus, ...]:
    """Parse `systemctl show` output: one block of Key=value lines per unit."""
    blocks = [block for block in text.split("\n\n") if block.strip()]
    return tuple(_unit(_properties(block)) for block in blocks)


def _properties(block: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in block.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            found.setdefault(key, []).append(value)
    return found


def _unit(props: dict[str, list[str]]) -> UnitStatus:
    def one(key: str, default: str = "") -> str:
        return props.get(key, [default])[-1]

    accept = one("Accept")
    return UnitStatus(
        name=one("Id"),
        load_state=one("LoadState", "not-found"),
        active_state=one("ActiveState", "inactive"),
        sub_state=one("SubState", "dead"),
        unit_file_state=one("UnitFileState"),
        need_daemon_reload=one("NeedDaemonReload") == "yes",
        fragment_path=one("FragmentPath"),
        drop_in_paths=tuple(one("DropInPaths").split()),
        listen=tuple(v for v in props.get("Listen", []) if v),
        accept=None if not accept else accept == "yes",
        exec_start=one("ExecStart"),
        main_pid=int(one("MainPID", "0") or 0),
        result=one("Result"),
    )
