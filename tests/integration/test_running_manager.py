"""The harness borrows an already-running user manager only when asked, when it answers and
when its unit directory is empty; giving it back stops and removes what the tests left."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.running_manager import (
    NO_SECOND_MANAGER,
    RUNNING,
    SELECT_VARIABLE,
    RunningUserManager,
    SystemdUserManager,
    select_running_manager,
)
from tests.harness.systemd_user import UserManager

pytestmark = pytest.mark.integration

_SLEEPER = "[Service]\nExecStart=/bin/sleep infinity\n\n[Install]\nWantedBy=default.target\n"


@pytest.fixture
def other_manager(user_manager: SystemdUserManager, tmp_path: Path) -> Iterator[UserManager]:
    """A second real manager of our own, standing in for one that someone else started."""
    if isinstance(user_manager, RunningUserManager):
        pytest.skip(NO_SECOND_MANAGER)
    manager = UserManager(tmp_path / "other")
    manager.start()
    yield manager
    manager.stop()


def _asking_for(manager: UserManager) -> dict[str, str]:
    """An environment that asks for the running manager under `manager`'s runtime dir."""
    return {SELECT_VARIABLE: RUNNING, "XDG_RUNTIME_DIR": str(manager.runtime_dir)}


def _borrow(manager: UserManager) -> RunningUserManager:
    borrowed, refusal = select_running_manager(_asking_for(manager))
    assert refusal is None
    assert borrowed is not None
    return borrowed


def test_nothing_is_borrowed_without_the_variable(other_manager: UserManager) -> None:
    """Without GATE_RECONCILE_TEST_MANAGER=running even an answering manager is left alone."""
    environ = {"XDG_RUNTIME_DIR": str(other_manager.runtime_dir)}
    assert select_running_manager(environ) == (None, None)


def test_borrowed_manager_has_its_real_directories(other_manager: UserManager) -> None:
    """A borrowed manager is described by the runtime dir, home and unit dir it really uses."""
    borrowed = _borrow(other_manager)
    assert borrowed.runtime_dir == other_manager.runtime_dir
    assert borrowed.home == other_manager.home
    assert borrowed.unit_dir == other_manager.unit_dir
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
        assert borrowed.env[name] == other_manager.env[name], name
    borrowed.systemctl("set-environment", "BORROW_PROBE=same-manager")
    shown = other_manager.systemctl("show-environment").stdout.splitlines()
    assert "BORROW_PROBE=same-manager" in shown


def test_manager_with_unit_files_is_refused(other_manager: UserManager) -> None:
    """A manager whose unit dir already holds a unit file is refused, and the file is named."""
    foreign = other_manager.unit_dir / "someone-elses.service"
    foreign.write_text("[Service]\nExecStart=/bin/true\n")
    borrowed, refusal = select_running_manager(_asking_for(other_manager))
    assert borrowed is None
    assert refusal is not None
    assert str(foreign) in refusal
    assert foreign.read_text() == "[Service]\nExecStart=/bin/true\n"


def test_absent_manager_is_refused(tmp_path: Path) -> None:
    """With the variable set but no manager listening, nothing is borrowed and the reason says so."""
    environ = {SELECT_VARIABLE: RUNNING, "XDG_RUNTIME_DIR": str(tmp_path)}
    borrowed, refusal = select_running_manager(environ)
    assert borrowed is None
    assert refusal == (
        f"{SELECT_VARIABLE}={RUNNING} is set, but no user manager listens on "
        f"{tmp_path}/systemd/private"
    )


def test_giving_back_removes_units_and_keeps_manager(other_manager: UserManager) -> None:
    """Giving a borrowed manager back stops and removes left units; the manager keeps running."""
    borrowed = _borrow(other_manager)
    (borrowed.unit_dir / "left-behind.service").write_text(_SLEEPER)
    borrowed.systemctl("daemon-reload")
    borrowed.systemctl("enable", "--now", "left-behind.service")
    sleeper = int(
        borrowed.systemctl("show", "left-behind.service", "-p", "MainPID", "--value").stdout
    )
    assert sleeper > 0
    borrowed.clean_up()
    assert borrowed.leftovers() == []
    assert list(borrowed.unit_dir.iterdir()) == []
    load = borrowed.systemctl("show", "left-behind.service", "-p", "LoadState", "--value")
    assert load.stdout.strip() == "not-found"
    assert not Path(f"/proc/{sleeper}").exists(), "the left unit's process was stopped"
    assert other_manager.pid is not None
    os.kill(other_manager.pid, 0)  # the borrowed manager still runs
