"""Bugs the fault matrix (tests/faults/matrix) and the model-based tests (tests/faults/model)
found, pinned down without a user manager. Each test fails on the code before its fix."""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from reconciler.actions import DisableUnit, EnableUnit, RemoveUnit, WriteUnit
from reconciler.apply import show_timeout
from reconciler.desired import SERVICE, SOCKET, Desired
from reconciler.execute import Executor
from reconciler.host.run import CommandError, CommandResult
from reconciler.observe import attribute_port, observe, unplaced
from reconciler.observed import ManagerState, Observed, PortState, ProcessInfo
from reconciler.plan import plan
from tests.unit.reconciler.builders import (
    converged_daemon,
    converged_systemd,
    make_desired,
    with_file,
    with_unit,
)


class Recorder:
    """A runner that records each command and its timeout; `silent` makes every call time out."""

    def __init__(self, silent: bool = False) -> None:
        self.calls: list[tuple[tuple[str, ...], float]] = []
        self.silent = silent

    def __call__(
        self, argv: Sequence[str], *, timeout: float = 30.0, env: Mapping[str, str] | None = None
    ) -> CommandResult:
        self.calls.append((tuple(argv), timeout))
        if self.silent:
            raise CommandError(argv, None, "", f"no answer within {timeout:.1f} s")
        return CommandResult(tuple(argv), 0, "", "")


def test_a_unit_cut_to_zero_bytes_is_rewritten_not_blocked() -> None:
    """An empty socket unit (not yet reloaded) is ours to rewrite: written, reloaded, restarted."""
    desired = make_desired(mode="systemd")
    observed = with_file(converged_systemd(desired), SOCKET, text="")
    observed = with_unit(observed, SOCKET, need_daemon_reload=True)
    result = plan(desired, observed)
    assert result.outcome == "changes", result.blocked
    write = result.actions[0]
    assert isinstance(write, WriteUnit) and (write.name, write.previous) == (SOCKET, "")
    assert write.reason == f"{SOCKET} is empty (cut to zero bytes)"
    assert [(a.kind, a.target) for a in result.actions[1:]] == [
        ("daemon_reload", "systemd --user"),
        ("restart_unit", SOCKET),
    ]


def test_an_empty_unit_loaded_as_a_mask_blocks() -> None:
    """Once the manager has reloaded the empty file, systemd treats it as a mask: blocked."""
    desired = make_desired(mode="systemd")
    observed = with_file(converged_systemd(desired), SOCKET, text="")
    observed = with_unit(observed, SOCKET, load_state="masked", unit_file_state="masked")
    (reason,) = plan(desired, observed).blocked
    assert reason.startswith(f"{SOCKET} is masked; run `systemctl --user unmask {SOCKET}`")


def test_an_empty_unit_a_mode_does_not_want_is_left_alone() -> None:
    """Only stamped files are removed: an empty one may be an operator's mask."""
    desired = make_desired(mode="daemon")
    observed = with_file(converged_daemon(desired), SERVICE, kind="file", text="")
    assert not [a for a in plan(desired, observed).actions if isinstance(a, RemoveUnit)]


def test_a_silent_manager_holds_observe_only_as_long_as_it_is_told(tmp_path: Path) -> None:
    """observe passes its timeout to `systemctl show`; no answer in time means the manager
    does not answer, and the reason says how long it waited."""
    desired = make_desired(mode="systemd")
    (tmp_path / "systemd").mkdir()
    runner = Recorder(silent=True)
    with socket.socket(socket.AF_UNIX) as manager_socket:
        manager_socket.bind(str(tmp_path / "systemd" / "private"))
        observed = observe(
            desired, runner=runner, env={"XDG_RUNTIME_DIR": str(tmp_path)}, timeout=2.5
        )
    assert [timeout for _, timeout in runner.calls] == [2.5]
    assert (observed.manager.presence, observed.manager.detail) == (
        "unreachable",
        "no answer within 2.5 s",
    )
    (reason,) = plan(desired, observed).blocked
    assert reason == (
        "mode = systemd but no systemd user manager answers (no answer within 2.5 s); "
        "see `systemctl --user status`, then run `gate-reconcile apply` again"
    )


def test_apply_observes_within_what_is_left_of_its_deadline() -> None:
    """The wait for the manager is what is left of the deadline, 10 s at most, 1 s at least."""
    assert [show_timeout(left) for left in (3.25, 60.0, 0.2, -5.0)] == [3.25, 10.0, 1.0, 1.0]


def test_enable_and_disable_reload_the_manager_themselves() -> None:
    """enable/disable run without systemctl's own reload, then one daemon-reload of ours, so the
    next observation sees the new state wherever systemctl runs."""
    runner = Recorder()
    execute = Executor(make_desired(), runner, {}, lambda: 30.0)
    for action in (EnableUnit(name=SOCKET, reason="r"), DisableUnit(name=SOCKET, reason="r")):
        assert execute(action)[0] == "done"
    assert [argv for argv, _ in runner.calls] == [
        ("systemctl", "--user", "enable", "--no-reload", SOCKET),
        ("systemctl", "--user", "daemon-reload"),
        ("systemctl", "--user", "disable", "--no-reload", SOCKET),
        ("systemctl", "--user", "daemon-reload"),
    ]


# --- found by the model-based tests (tests/faults/model), each confirmed on the real host --

MANAGER = ProcessInfo(2, ("/usr/lib/systemd/systemd", "--user"), 1000)
NGINX = ProcessInfo(7, ("nginx: master process",), 1000)


@dataclass(frozen=True)
class Holding:
    """Listeners held by one process (what observe would read from /proc)."""

    by: ProcessInfo
    uid: int = 1000

    def holds(self, pid: int) -> bool:
        return pid == self.by.pid

    def holder(self) -> int | None:
        return self.by.pid

    def process(self, pid: int) -> ProcessInfo | None:
        return self.by if pid == self.by.pid else None


def _attribute(observed: Observed, desired: Desired, holding: Holding) -> PortState:
    return attribute_port(desired, observed.files, observed.units, observed.pid_file, holding)


def test_a_socket_running_from_its_deleted_file_still_holds_the_port_for_us() -> None:
    """The socket unit's file deleted while the gate is idle: the manager still listens for
    our socket (loaded from our path), so the port is ours, not held by 'systemd --user'."""
    desired = make_desired(mode="systemd")
    observed = with_file(converged_systemd(desired), SOCKET, kind="missing", text=None)
    observed = with_unit(observed, SOCKET, need_daemon_reload=True)
    port = _attribute(observed, desired, Holding(MANAGER))
    assert (port.status, port.via) == ("ours", "socket")
    result = plan(desired, replace(observed, port=port))
    assert [(a.kind, a.target) for a in result.actions] == [
        ("write_unit", SOCKET),
        ("daemon_reload", "systemd --user"),
        ("restart_unit", SOCKET),
    ]


def test_a_port_taken_by_another_program_is_foreign_whatever_our_socket_says() -> None:
    """A socket unit still shows its address after a reload closed its fd; when another
    program took the port since, the port is that program's (blocked), not ours."""
    desired = make_desired(mode="systemd")
    port = _attribute(converged_systemd(desired), desired, Holding(NGINX))
    assert (port.status, port.holder) == ("foreign", NGINX.describe())


def test_an_active_socket_that_listens_nowhere_is_restarted() -> None:
    """A daemon-reload closed the socket's fd (its address changed, and the apply that would
    have restarted it was killed): active, current, but nothing listens. Restart it."""
    desired = make_desired(mode="systemd")
    observed = replace(
        converged_systemd(desired), port=PortState(desired.port, desired.bind, "free")
    )
    (restart,) = plan(desired, observed).actions
    assert (restart.kind, restart.target) == ("restart_unit", SOCKET)
    assert restart.reason == f"{SOCKET} is active but nothing listens on {desired.listen}"


def test_a_gate_service_running_from_an_emptied_unit_is_stopped_in_daemon_mode() -> None:
    """The service unit cut to zero bytes while its gate runs, then mode daemon: the running
    gate is ours and is stopped (the empty file, maybe a mask, is left alone)."""
    systemd = make_desired(mode="systemd")
    observed = with_file(converged_systemd(systemd), SERVICE, text="")
    observed = with_unit(observed, SERVICE, active_state="active", main_pid=77)
    actions = plan(make_desired(mode="daemon"), observed).actions
    assert ("stop_unit", SERVICE) in [(a.kind, a.target) for a in actions]
    assert ("remove_unit", SERVICE) not in [(a.kind, a.target) for a in actions]


def test_daemon_mode_asks_the_manager_when_it_cannot_place_the_ports_holder(
    tmp_path: Path,
) -> None:
    """Daemon mode with none of our unit files skips the manager, unless something it cannot
    place holds the port: then it asks after all (a unit of ours may still run there)."""
    desired = make_desired(mode="daemon", port=_free_port())
    (tmp_path / "systemd").mkdir()
    runner = Recorder()
    env = {"XDG_RUNTIME_DIR": str(tmp_path)}
    with socket.socket(socket.AF_UNIX) as manager_socket, socket.socket() as listener:
        manager_socket.bind(str(tmp_path / "systemd" / "private"))
        assert observe(desired, runner=runner, env=env).manager.presence == "not_asked"
        listener.bind(("127.0.0.1", desired.port))
        listener.listen()
        observed = observe(desired, runner=runner, env=env)
    assert observed.manager.presence == "running" and len(runner.calls) == 1
    assert unplaced(ManagerState("not_asked"), observed.port)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_a_gate_whose_unit_files_were_deleted_and_reloaded_is_still_ours() -> None:
    """Both unit files deleted and the manager reloaded while the gate serves: its units are
    not-found (no fragment) but the gate runs on; the port is ours and apply reinstalls."""
    desired = make_desired(mode="systemd")
    gate = ProcessInfo(77, ("/usr/bin/python3", *desired.service_argv), 1000)
    observed = converged_systemd(desired)
    for name in (SOCKET, SERVICE):
        observed = with_file(observed, name, kind="missing", text=None)
        observed = with_unit(observed, name, load_state="not-found", fragment_path="", listen=())
    observed = with_unit(observed, SERVICE, active_state="active", main_pid=77)
    port = _attribute(observed, desired, Holding(gate))
    assert (port.status, port.via, port.process) == ("ours", "socket", gate)
    kinds = [(a.kind, a.target) for a in plan(desired, replace(observed, port=port)).actions]
    assert kinds[:3] == [
        ("write_unit", SOCKET),
        ("write_unit", SERVICE),
        ("daemon_reload", "systemd --user"),
    ]
    assert kinds[-2:] == [("stop_unit", SERVICE), ("restart_unit", SOCKET)]
