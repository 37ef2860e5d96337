"""The drifts a host is converged from: each starts from a converged host (untimed), breaks
it one way (untimed, and proven visible to `--dry-run`), then one `apply` is timed."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.errors import BenchmarkError
from bench.gate.gate import detached_pid, wait_healthy
from bench.reconcile.hosts import Host
from bench.servers import wait_until
from reconciler.desired import SERVICE, SOCKET
from tests.harness.systemd_user import UserManager


@dataclass(frozen=True)
class Scene:
    """One host under a real user manager, and the specs the scenarios move between."""

    host: Host
    manager: UserManager
    specs: dict[str, Path]  # "systemd", "systemd-moved" (another port), "daemon"
    ports: dict[str, int]

    def state(self, unit: str, prop: str) -> str:
        """One property of a unit, as the manager reports it."""
        return self.manager.systemctl("show", unit, "-p", prop, "--value").stdout.strip()


Inject = Callable[[Scene], None]


@dataclass(frozen=True)
class Scenario:
    """A drift: which spec the host starts converged to, how it breaks, which spec fixes it."""

    name: str
    label: str
    base: str
    inject: Inject
    target: str
    drift: bool = True  # False: the baseline, a converged host with nothing to do


def nothing(_: Scene) -> None:
    """The drift is the spec itself (a changed port, another mode)."""


def kill_daemon(scene: Scene) -> None:
    """SIGKILL the detached gate (only the one naming this host's PID file)."""
    pid = detached_pid(scene.host.pid_file)
    if pid is None:
        raise BenchmarkError("the daemon-mode host has no running gate to kill")
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not Path(f"/proc/{pid}").exists(), 15, f"gate {pid} to die")


def kill_service(scene: Scene) -> None:
    """Start the socket-activated gate with a request, then SIGKILL its main process."""
    wait_healthy(scene.ports["systemd"])
    pid = int(scene.state(SERVICE, "MainPID") or 0)
    if pid <= 0:
        raise BenchmarkError(f"{SERVICE} did not start on a request")
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: scene.state(SERVICE, "ActiveState") != "active", 15, f"{SERVICE} to die")


def stop_socket(scene: Scene) -> None:
    """`systemctl --user stop terok-gate.socket`."""
    scene.manager.systemctl("stop", SOCKET)


def edit_unit(scene: Scene) -> None:
    """A person adds a line to the service's unit file (and reloads nothing)."""
    with (scene.manager.unit_dir / SERVICE).open("a") as unit:
        unit.write("Environment=EDITED_BY_HAND=1\n")


SCENARIOS = (
    Scenario(
        "none", "no drift (a converged host, for comparison)", "systemd", nothing, "systemd", False
    ),
    Scenario(
        "gate-killed-daemon",
        "gate killed: SIGKILL to the detached gate (daemon mode)",
        "daemon",
        kill_daemon,
        "daemon",
    ),
    Scenario(
        "gate-killed-socket",
        "gate killed: SIGKILL to the socket-activated gate (systemd mode)",
        "systemd",
        kill_service,
        "systemd",
    ),
    Scenario("socket-stopped", "`terok-gate.socket` stopped", "systemd", stop_socket, "systemd"),
    Scenario("unit-edited", "`terok-gate.service` edited by hand", "systemd", edit_unit, "systemd"),
    Scenario("port-changed", "port changed in the spec", "systemd", nothing, "systemd-moved"),
    Scenario("mode-switched", "mode switched from daemon to systemd", "daemon", nothing, "systemd"),
)
