"""One `systemctl --user show` call, parsed from recorded output; manager presence without systemctl."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler.host.run import CommandError, CommandResult
from reconciler.host.systemctl import manager_reachable, parse_show, show_argv, show_units

RECORDED = (Path(__file__).parent / "recorded" / "show-converged.txt").read_text()
NAMES = [
    "terok-gate.socket",
    "terok-gate.service",
    "gate-reconcile.service",
    "gate-reconcile.timer",
]


def test_parse_recorded_converged_output() -> None:
    """Real output of a converged host parses into the four units with the properties the planner reads."""
    socket, service, reconcile, timer = parse_show(RECORDED)
    assert [u.name for u in (socket, service, reconcile, timer)] == NAMES
    assert (socket.active_state, socket.sub_state, socket.enabled, socket.accept) == (
        "active",
        "listening",
        True,
        False,
    )
    assert socket.listen == ("127.0.0.1:9418 (Stream)",)
    assert socket.fragment_path == "/home/u/.config/systemd/user/terok-gate.socket"
    assert (service.unit_file_state, service.running, service.main_pid) == ("static", False, 0)
    assert service.exec_start.startswith("{ path=/opt/terok/bin/terok-gate ;")
    assert (reconcile.failed, reconcile.result) == (True, "exit-code")
    assert (timer.sub_state, timer.need_daemon_reload, timer.drop_in_paths) == (
        "waiting",
        False,
        (),
    )


def test_parse_flags_and_lists() -> None:
    """NeedDaemonReload, masked units, several Listen lines and drop-ins are read as values."""
    text = (
        "Id=a.socket\nLoadState=masked\nUnitFileState=masked-runtime\nNeedDaemonReload=yes\n"
        "Listen=127.0.0.1:1 (Stream)\nListen=[::1]:1 (Stream)\nDropInPaths=/x/a.conf /y/b.conf\n"
    )
    (unit,) = parse_show(text)
    assert unit.masked and unit.need_daemon_reload
    assert unit.listen == ("127.0.0.1:1 (Stream)", "[::1]:1 (Stream)")
    assert unit.drop_in_paths == ("/x/a.conf", "/y/b.conf")


class Recorder:
    """An injected runner that answers from a recording and counts its calls."""

    def __init__(self, stdout: str = "", error: CommandError | None = None) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.stdout, self.error = stdout, error

    def __call__(
        self, argv: Sequence[str], *, timeout: float = 30.0, env: Mapping[str, str] | None = None
    ) -> CommandResult:
        self.calls.append(tuple(argv))
        if self.error:
            raise self.error
        return CommandResult(tuple(argv), 0, self.stdout, "")


def test_show_is_one_call_for_all_units() -> None:
    """All units and properties are asked for in a single systemctl invocation."""
    runner = Recorder(RECORDED)
    manager, units = show_units(runner, NAMES, {})
    assert manager.answers and len(units) == 4
    assert runner.calls == [tuple(show_argv(NAMES))]
    assert runner.calls[0][:3] == ("systemctl", "--user", "show")


def test_failed_show_means_no_manager_answers() -> None:
    """A systemctl that cannot reach the bus is a value (unreachable, with the reason), not an exception."""
    error = CommandError(["systemctl"], 1, "", "Failed to connect to bus: No medium found\n")
    manager, units = show_units(Recorder(error=error), NAMES, {})
    assert (manager.presence, manager.detail, units) == (
        "unreachable",
        "Failed to connect to bus: No medium found",
        (),
    )


def test_manager_presence_without_running_anything(tmp_path: Path) -> None:
    """No $XDG_RUNTIME_DIR or no manager socket means absent; no command is run to find out."""
    assert manager_reachable({}) == (False, "$XDG_RUNTIME_DIR is not set")
    reachable, why = manager_reachable({"XDG_RUNTIME_DIR": str(tmp_path)})
    assert not reachable and str(tmp_path) in why
    import socket

    (tmp_path / "systemd").mkdir()
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(tmp_path / "systemd" / "private"))
        assert manager_reachable({"XDG_RUNTIME_DIR": str(tmp_path)}) == (True, "")
