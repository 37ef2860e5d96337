"""Plans are plain frozen values: whole plans compare with ==, and actions carry what executing needs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from reconciler.actions import (
    CreateDirectory,
    CreateTokenFile,
    DaemonReload,
    StartDaemon,
    StartUnit,
    StopDaemon,
    WriteUnit,
)
from reconciler.desired import SOCKET
from reconciler.plan import Plan, plan
from tests.unit.reconciler.builders import (
    DAEMON_PID,
    converged_daemon,
    converged_systemd,
    fresh,
    make_desired,
    with_file,
)


def test_fresh_daemon_plan_is_an_exact_value() -> None:
    """A fresh host in daemon mode plans exactly these three actions, compared as values."""
    desired = make_desired(mode="daemon")
    assert plan(desired, fresh(desired)) == Plan(
        "daemon",
        (
            CreateDirectory(path=Path("/srv/gate"), reason="base path is missing"),
            CreateTokenFile(path=Path("/srv/gate/tokens.json"), reason="token file is missing"),
            StartDaemon(
                argv=desired.daemon_argv, pid_file=desired.pid_file, reason="daemon not running"
            ),
        ),
    )


def test_write_unit_carries_rendered_text_and_what_it_replaces() -> None:
    """A hand-edited socket is rewritten with the rendered text; the edited text travels along for the diff."""
    desired = make_desired(mode="systemd")
    edited = desired.unit(SOCKET).text.replace("Accept=no", "Accept=no\nBacklog=5")
    write, reload, restart = plan(
        desired, with_file(converged_systemd(desired), SOCKET, text=edited)
    ).actions
    assert write == WriteUnit(
        name=SOCKET,
        path=desired.unit(SOCKET).path,
        text=desired.unit(SOCKET).text,
        previous=edited,
        reason="terok-gate.socket edited by hand",
    )
    assert isinstance(reload, DaemonReload)
    assert restart.kind == "restart_unit"


def test_stop_daemon_carries_the_verified_identity() -> None:
    """Stopping our daemon names its pid, its pid file and the argv that proved it is ours."""
    desired = make_desired(mode="none")
    observed = converged_daemon(desired)
    stop = plan(desired, observed).actions[0]
    assert stop == StopDaemon(
        pid=DAEMON_PID,
        pid_file=desired.pid_file,
        argv=observed.pid_file.process.argv,  # type: ignore[union-attr]
        reason="mode none does not run the daemon",
    )


def test_actions_are_frozen_and_hashable() -> None:
    """An action cannot be changed after planning and can live in a set."""
    action = StartUnit(name=SOCKET, reason="r")
    with pytest.raises(dataclasses.FrozenInstanceError):
        action.name = "other"  # type: ignore[misc]
    assert {action, StartUnit(name=SOCKET, reason="r")} == {action}


def test_every_action_kind_has_target_and_reason() -> None:
    """Every action in a big plan answers kind, target and reason with non-empty text."""
    desired = make_desired(mode="systemd")
    actions = plan(desired, converged_daemon(desired, "running")).actions
    assert len(actions) > 5
    for action in actions:
        assert action.kind and action.target and action.reason
