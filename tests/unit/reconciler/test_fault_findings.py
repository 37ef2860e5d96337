"""Bugs the fault matrix (tests/faults/matrix) found, pinned down without a user manager:
a unit cut to zero bytes blocked the run, a hung manager held an apply past its deadline,
and enable/disable left the manager reporting the old state where systemctl does not reload."""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler.actions import DisableUnit, EnableUnit, RemoveUnit, WriteUnit
from reconciler.apply import show_timeout
from reconciler.desired import SERVICE, SOCKET
from reconciler.execute import Executor
from reconciler.host.run import CommandError, CommandResult
from reconciler.observe import observe
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
