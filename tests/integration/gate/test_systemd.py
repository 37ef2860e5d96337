"""The installed terok-gate under a real systemd --user manager: an Accept=no socket that
starts one gate process for many connections and lets it exit when idle, and the
historical Accept=yes socket with a template service running `--inetd`."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.gate_support.gate import GATE, Site, free_port, wait_for
from tests.gate_support.git import git
from tests.harness.systemd_user import UserManager
from tests.integration.gate.conftest import ALPHA, BETA

pytestmark = pytest.mark.integration

UnitWriter = Callable[[str, str], Path]


@pytest.fixture
def units(user_manager: UserManager) -> Iterator[UnitWriter]:
    """Write unit files into the manager's unit directory; stop and remove them afterwards."""
    written: list[Path] = []

    def write(name: str, text: str) -> Path:
        path = user_manager.unit_dir / name
        path.write_text(text)
        written.append(path)
        return path

    yield write
    sockets = [p.name for p in written if p.suffix == ".socket"]
    user_manager.systemctl("disable", "--now", *sockets, check=False)
    user_manager.systemctl("stop", "gate-test-*", check=False)
    for path in written:
        path.unlink(missing_ok=True)
    user_manager.systemctl("daemon-reload")
    user_manager.systemctl("reset-failed", check=False)


def _prop(manager: UserManager, unit: str, name: str) -> str:
    return manager.systemctl("show", unit, "-p", name, "--value").stdout.strip()


def _socket_unit(port: int, accept: bool) -> str:
    flag = "yes" if accept else "no"
    return f"[Socket]\nListenStream=127.0.0.1:{port}\nAccept={flag}\n\n[Install]\nWantedBy=sockets.target\n"


def _log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def _clone_in_parallel(port: int, target: Path, count: int) -> None:
    errors: list[BaseException] = []

    def clone(number: int) -> None:
        try:
            token, project = (ALPHA, "alpha") if number % 2 == 0 else (BETA, "beta")
            url = f"http://{token}:x@127.0.0.1:{port}/{project}.git"
            git("clone", "-q", url, str(target / f"clone-{number}"))
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=clone, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert all((target / f"clone-{n}" / "README").is_file() for n in range(count))


def test_accept_no_socket_starts_one_gate_that_exits_when_idle(
    user_manager: UserManager, units: UnitWriter, site: Site, tmp_path: Path
) -> None:
    """First connection starts the gate; parallel clones share its process; idle ends it."""
    port, log = free_port(), tmp_path / "gate.log"
    units("gate-test-activation.socket", _socket_unit(port, accept=False))
    units(
        "gate-test-activation.service",
        f"[Service]\nExecStart={GATE} --base-path {site.base} --token-file {site.token_file} "
        f"--idle-timeout 2\nStandardError=append:{log}\n",
    )
    user_manager.systemctl("daemon-reload")
    user_manager.systemctl("enable", "--now", "gate-test-activation.socket")
    service = "gate-test-activation.service"
    assert _prop(user_manager, service, "ActiveState") == "inactive"

    _clone_in_parallel(port, tmp_path / "first", count=4)
    first_pid = int(_prop(user_manager, service, "MainPID"))
    served = [line for line in _log(log) if line["event"] == "request"]
    assert len(served) >= 4 * 2  # every clone needs at least info/refs and upload-pack
    assert {line["pid"] for line in served} == {first_pid}

    wait_for(lambda: _prop(user_manager, service, "ActiveState") == "inactive", 30, "idle exit")
    assert _prop(user_manager, service, "Result") == "success"
    assert _log(log)[-1]["event"] == "terok-gate stopped"
    assert _log(log)[-1]["reason"] == "idle"

    _clone_in_parallel(port, tmp_path / "second", count=2)
    second_pid = int(_prop(user_manager, service, "MainPID"))
    assert second_pid not in (0, first_pid)
    assert _prop(user_manager, "gate-test-activation.socket", "ActiveState") == "active"


@pytest.mark.parametrize(
    "stderr_to_file", [True, False], ids=["stderr-to-file", "stderr-inherited"]
)
def test_accept_yes_socket_runs_the_gate_with_inetd(
    user_manager: UserManager, units: UnitWriter, site: Site, tmp_path: Path, stderr_to_file: bool
) -> None:
    """An Accept=yes socket + template service running `--inetd` serves real clones.

    Without StandardError= systemd points stderr at the connection itself; the gate must
    keep its log lines out of the HTTP stream then.
    """
    port, log = free_port(), tmp_path / "gate.log"
    units("gate-test-inetd.socket", _socket_unit(port, accept=True))
    stderr = f"StandardError=append:{log}\n" if stderr_to_file else ""
    units(
        "gate-test-inetd@.service",
        f"[Service]\nExecStart={GATE} --base-path {site.base} --token-file {site.token_file} "
        f"--inetd\nStandardInput=socket\n{stderr}",
    )
    user_manager.systemctl("daemon-reload")
    user_manager.systemctl("enable", "--now", "gate-test-inetd.socket")
    _clone_in_parallel(port, tmp_path / "clones", count=2)
    if stderr_to_file:
        wait_for(lambda: len({e["pid"] for e in _log(log)}) >= 2, 15, "one process per connection")
        assert {e["mode"] for e in _log(log) if "mode" in e} == {"inetd"}
