"""Test-wide fixtures: the real systemd --user harness and the guard that keeps
every other test away from the real host's systemd."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness.running_manager import (
    RunningUserManager,
    SystemdUserManager,
    select_running_manager,
)
from tests.harness.systemd_user import (
    HarnessError,
    UserManager,
    cannot_start_reason,
    host_snapshot,
)

_GUARD_SCRIPT = """#!/bin/sh
echo "real $(basename "$0") called from a non-integration test: $*" >> "{log}"
echo "$(basename "$0") is forbidden in non-integration tests (mark the test 'integration')" >&2
exit 99
"""


def _skip_or_fail(reason: str) -> None:
    """Skip integration tests that cannot run here, but never when CI is set."""
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and the systemd --user harness cannot run: {reason}", pytrace=False)
    pytest.skip(f"systemd --user harness unavailable: {reason}")


@pytest.fixture(scope="session")
def user_manager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SystemdUserManager]:
    """A real systemd --user manager shared by the whole test session: the running one
    that the test container offers (GATE_RECONCILE_TEST_MANAGER=running), else our own."""
    running, refusal = select_running_manager()
    if running is not None:
        yield from _borrowed_manager(running)
    else:
        yield from _isolated_manager(tmp_path_factory, refusal)


def _isolated_manager(
    tmp_path_factory: pytest.TempPathFactory, refusal: str | None
) -> Iterator[UserManager]:
    """A real, isolated systemd --user manager started and stopped by this session."""
    reason = cannot_start_reason()
    if reason:
        _skip_or_fail(_and_refusal(reason, refusal))
    before = host_snapshot()
    manager = UserManager(tmp_path_factory.mktemp("user-manager"))
    try:
        manager.start()
    except HarnessError as error:
        _skip_or_fail(_and_refusal(str(error), refusal))
    _BOOT_TIMES.append(manager.boot_seconds)
    yield manager
    manager.stop()
    assert manager.leftovers() == [], "the user manager left things behind"
    assert host_snapshot() == before, "the harness changed the host's /run/systemd or cgroups"


def _and_refusal(reason: str, refusal: str | None) -> str:
    """Say also why the running manager was not used, when one was asked for."""
    return reason if refusal is None else f"{reason} (and {refusal})"


def _borrowed_manager(manager: RunningUserManager) -> Iterator[RunningUserManager]:
    """The already-running manager: never stopped, but left as the tests found it."""
    _BORROWED.append(str(manager.runtime_dir))
    yield manager
    manager.clean_up()
    assert manager.leftovers() == [], "the tests left things in the borrowed user manager"


_BOOT_TIMES: list[float] = []
_BORROWED: list[str] = []


@dataclass
class SystemctlGuard:
    """Stand-ins for systemctl first on PATH; they record every call they refuse."""

    log: Path

    def calls(self) -> list[str]:
        """Every refused call so far."""
        return self.log.read_text().splitlines() if self.log.exists() else []

    def forget(self) -> None:
        """Drop the record (for the test that proves the guard works)."""
        self.log.unlink(missing_ok=True)


def _isolate_home(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Point HOME and every XDG directory into a throwaway folder."""
    monkeypatch.setenv("HOME", str(home))
    for name, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_RUNTIME_DIR", "run"),
    ):
        (home / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(home / sub))
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)


@pytest.fixture(autouse=True)
def host_isolation(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[SystemctlGuard | SystemdUserManager]:
    """Integration tests talk to the harness manager; all others cannot reach any systemctl."""
    if request.node.get_closest_marker("integration"):
        manager: SystemdUserManager = request.getfixturevalue("user_manager")
        for key, value in manager.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
        yield manager
        return
    sandbox = tmp_path_factory.mktemp("isolated")
    _isolate_home(monkeypatch, sandbox / "home")
    guard = SystemctlGuard(sandbox / "guard.log")
    bin_dir = sandbox / "bin"
    bin_dir.mkdir()
    for tool in ("systemctl", "systemd-run", "loginctl", "busctl"):
        stub = bin_dir / tool
        stub.write_text(_GUARD_SCRIPT.format(log=guard.log))
        stub.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    yield guard
    if guard.calls():
        pytest.fail(
            f"non-integration test called the real systemd tools: {guard.calls()}", pytrace=False
        )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Report how long the harness took to boot, or which running manager the tests used."""
    for seconds in _BOOT_TIMES:
        terminalreporter.write_line(f"systemd --user harness booted in {seconds:.3f} s")
    for runtime_dir in _BORROWED:
        terminalreporter.write_line(f"systemd --user: used the running manager at {runtime_dir}")
