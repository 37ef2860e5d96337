"""The systemd --user harness is a real manager: sockets activate, timers fire, teardown is clean."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.harness.running_manager import (
    NO_SECOND_MANAGER,
    RunningUserManager,
    SystemdUserManager,
)
from tests.harness.systemd_user import UserManager, host_snapshot

pytestmark = pytest.mark.integration

# A service for an Accept=no socket: serve every connection on the inherited fd 3.
_ECHO_SERVICE = """\
import os, socket
listener = socket.socket(fileno=3)
while True:
    conn, _ = listener.accept()
    conn.sendall(f"hello from {os.getpid()}\\n".encode())
    conn.close()
"""


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _prop(manager: SystemdUserManager, unit: str, name: str) -> str:
    return manager.systemctl("show", unit, "-p", name, "--value").stdout.strip()


@pytest.fixture
def units(user_manager: SystemdUserManager) -> Iterator[Callable[[str, str], Path]]:
    """Write unit files into the harness's unit directory; remove them after the test."""
    written: list[Path] = []

    def write(name: str, text: str) -> Path:
        path = user_manager.unit_dir / name
        path.write_text(text)
        written.append(path)
        return path

    yield write
    names = [p.name for p in written]
    user_manager.systemctl("disable", "--now", *names, check=False)
    for path in written:
        path.unlink(missing_ok=True)
    user_manager.systemctl("daemon-reload")
    user_manager.systemctl("reset-failed", check=False)


def test_manager_is_isolated(user_manager: SystemdUserManager) -> None:
    """The manager runs with exactly the runtime dir, home and unit dir the fixture names."""
    assert (
        user_manager.systemctl("show", "-p", "SystemState", "--value").stdout.strip() == "running"
    )
    paths = user_manager.systemctl("show", "-p", "UnitPath", "--value").stdout
    assert str(user_manager.unit_dir) in paths.split()
    environment = user_manager.systemctl("show-environment").stdout.splitlines()
    assert f"XDG_RUNTIME_DIR={user_manager.runtime_dir}" in environment
    assert f"HOME={user_manager.home}" in environment


def test_socket_activation_starts_service(
    user_manager: SystemdUserManager, units: Callable[[str, str], Path], tmp_path: Path
) -> None:
    """An Accept=no socket enabled with --now starts its service on the first connection."""
    port = _free_port()
    script = tmp_path / "echo.py"
    script.write_text(_ECHO_SERVICE)
    units(
        "harness-echo.socket",
        f"[Socket]\nListenStream=127.0.0.1:{port}\nAccept=no\n\n[Install]\nWantedBy=sockets.target\n",
    )
    units("harness-echo.service", f"[Service]\nExecStart={sys.executable} {script}\n")
    user_manager.systemctl("daemon-reload")
    user_manager.systemctl("enable", "--now", "harness-echo.socket")
    assert _prop(user_manager, "harness-echo.socket", "ActiveState") == "active"
    assert _prop(user_manager, "harness-echo.service", "ActiveState") == "inactive"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        answer = conn.makefile().readline()
    main_pid = _prop(user_manager, "harness-echo.service", "MainPID")
    assert answer == f"hello from {main_pid}\n"
    assert _prop(user_manager, "harness-echo.service", "ActiveState") == "active"


def test_timer_fires_service_repeatedly(
    user_manager: SystemdUserManager, units: Callable[[str, str], Path], tmp_path: Path
) -> None:
    """A timer with a one-second interval runs its service at least twice."""
    ticks = tmp_path / "ticks"
    units(
        "harness-tick.service",
        f"[Service]\nType=oneshot\nExecStart=/bin/sh -c 'date +%%s.%%N >> {ticks}'\n",
    )
    units(
        "harness-tick.timer",
        "[Timer]\nOnActiveSec=0.2\nOnUnitActiveSec=1\nAccuracySec=10ms\n\n[Install]\nWantedBy=timers.target\n",
    )
    user_manager.systemctl("daemon-reload")
    user_manager.systemctl("enable", "--now", "harness-tick.timer")
    _wait_for(lambda: ticks.exists() and len(ticks.read_text().split()) >= 2, 15, "two timer runs")
    assert _prop(user_manager, "harness-tick.service", "Result") == "success"


def test_disable_now_leaves_nothing_active(
    user_manager: SystemdUserManager, units: Callable[[str, str], Path], tmp_path: Path
) -> None:
    """`disable --now` stops and disables a socket, its running service and a timer."""
    port = _free_port()
    script = tmp_path / "echo.py"
    script.write_text(_ECHO_SERVICE)
    units(
        "harness-gone.socket",
        f"[Socket]\nListenStream=127.0.0.1:{port}\n\n[Install]\nWantedBy=sockets.target\n",
    )
    units("harness-gone.service", f"[Service]\nExecStart={sys.executable} {script}\n")
    units(
        "harness-gone.timer",
        "[Timer]\nOnUnitActiveSec=1h\nOnActiveSec=1h\n\n[Install]\nWantedBy=timers.target\n",
    )
    user_manager.systemctl("daemon-reload")
    user_manager.systemctl("enable", "--now", "harness-gone.socket", "harness-gone.timer")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.makefile().readline()
    user_manager.systemctl(
        "disable", "--now", "harness-gone.socket", "harness-gone.service", "harness-gone.timer"
    )
    for unit in ("harness-gone.socket", "harness-gone.service", "harness-gone.timer"):
        assert _prop(user_manager, unit, "ActiveState") == "inactive", unit
        assert _prop(user_manager, unit, "UnitFileState") in ("disabled", "static", ""), unit
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_teardown_leaves_nothing(user_manager: SystemdUserManager, tmp_path: Path) -> None:
    """A second manager started and stopped leaves no process, cgroup or /run/systemd change."""
    if isinstance(user_manager, RunningUserManager):
        pytest.skip(NO_SECOND_MANAGER)
    before = host_snapshot()
    manager = UserManager(tmp_path / "second")
    manager.start()
    pid = manager.pid
    assert pid is not None
    assert manager.member_pids(), "a running manager has processes in its cgroup"
    manager.stop()
    assert manager.leftovers() == []
    assert not Path(f"/proc/{pid}").exists(), "the manager process is gone"
    assert host_snapshot() == before
