"""A throwaway terok site and spec for `gate-reconcile apply`, on the session's real user
manager, with the real gate and real git; everything a test installs is removed after it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.desired import ALL_UNIT_FILES, RECONCILE_SERVICE, SERVICE, SOCKET, TIMER
from reconciler.host.daemon import our_gate, port_holder
from reconciler.places import status_path
from tests.gate_support.gate import Site, alive, free_port, wait_for
from tests.gate_support.git import git
from tests.harness.running_manager import SystemdUserManager

RECONCILE = Path(sys.executable).parent / "gate-reconcile"
TOKEN = "tok-apply-3b9d2e"  # a task token of project alpha


@dataclass(frozen=True)
class Ran:
    """One finished gate-reconcile process."""

    code: int
    out: str
    err: str


@dataclass
class GateHost:
    """The manager, a site (base path, token file, repositories) and a spec at `root`."""

    manager: SystemdUserManager
    root: Path
    port: int

    @property
    def site(self) -> Site:
        """The base path and token file the spec names."""
        return Site(self.root)

    @property
    def spec(self) -> Path:
        """The spec file every apply of this test reads."""
        return self.root / "gate.toml"

    @property
    def pid_file(self) -> Path:
        """The daemon's PID file (daemon mode)."""
        return self.root / "run" / "gate.pid"

    def write_spec(
        self, mode: str, timer: bool = False, deadline: str = "60s", **extra: Any
    ) -> Path:
        """A spec for `mode` on this test's port and paths; the timer off unless asked."""
        lines = [
            f'mode = "{mode}"',
            f"port = {self.port}",
            f"base_path = {json.dumps(str(self.site.base))}",
            f"pid_file = {json.dumps(str(self.pid_file))}",
            *(f"{key} = {json.dumps(value)}" for key, value in extra.items()),
            f"[timer]\nenabled = {json.dumps(timer)}\ninterval = 2",
            f'[apply]\ndeadline = "{deadline}"',
        ]
        self.spec.write_text("\n".join(lines) + "\n")
        return self.spec

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Ran:
        """Run the installed gate-reconcile as its own process."""
        done = subprocess.run(
            [str(RECONCILE), *args, "--spec", str(self.spec)],
            env=env or dict(os.environ),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Ran(done.returncode, done.stdout, done.stderr)

    def apply(self, *args: str, expect: int = 0) -> Ran:
        """`gate-reconcile apply`; the exit code must be `expect`."""
        ran = self.run("apply", *args)
        assert ran.code == expect, f"apply exited {ran.code}:\n{ran.out}\n{ran.err}"
        return ran

    def status(self) -> dict[str, Any]:
        """status.json as the last apply wrote it."""
        document: dict[str, Any] = json.loads(status_path(os.environ).read_text())
        return document

    def populate(self) -> bytes:
        """What terok does: a repository and a task token; returns the token file's bytes."""
        self.site.base.mkdir(parents=True, exist_ok=True)
        if not (self.site.base / "alpha.git").exists():
            self.site.repo("alpha", {"README": b"alpha\n"})
        self.site.write_tokens({TOKEN: {"project": "alpha", "task": "task-1"}})
        return self.site.token_file.read_bytes()

    def clone_works(self) -> None:
        """A task clones its repository through the gate with its token."""
        target = self.root / f"clone-{len(list(self.root.glob('clone-*')))}"
        url = f"http://{TOKEN}:x@127.0.0.1:{self.port}/alpha.git"
        git("clone", "-q", url, str(target))
        assert (target / "README").read_bytes() == b"alpha\n"

    def prop(self, unit: str, name: str) -> str:
        """One property of a loaded unit."""
        return self.manager.systemctl("show", unit, "-p", name, "--value").stdout.strip()

    def our_unit_files(self) -> list[str]:
        """Which of our unit file names exist in the unit directory."""
        return [n for n in ALL_UNIT_FILES if os.path.lexists(self.manager.unit_dir / n)]

    def wait_port_free(self) -> None:
        """Until nothing listens on the port any more."""
        wait_for(lambda: port_holder("127.0.0.1", self.port) is None, 15, f"port {self.port} free")


def stop_daemon(pid_file: Path) -> None:
    """Stop a daemon a test left behind (only a terok-gate naming this PID file)."""
    if gate := our_gate(pid_file):
        os.kill(gate.pid, signal.SIGTERM)
        wait_for(lambda: not alive(gate.pid), 15, f"pid {gate.pid} to exit")


def clean_units(manager: SystemdUserManager) -> None:
    """Stop, disable and remove every unit of ours, then reload."""
    manager.systemctl("unmask", *ALL_UNIT_FILES, check=False)
    # stop on its own: `disable --now` stops nothing when a unit has no file left to disable
    manager.systemctl("stop", SOCKET, SERVICE, TIMER, RECONCILE_SERVICE, check=False)
    manager.systemctl("stop", "terok-gate@*.service", check=False)
    manager.systemctl("disable", SOCKET, SERVICE, TIMER, check=False)
    for name in ALL_UNIT_FILES:
        path = manager.unit_dir / name
        if os.path.lexists(path):
            path.unlink()
    manager.systemctl("daemon-reload")
    manager.systemctl("reset-failed", check=False)


@contextlib.contextmanager
def hosting(
    manager: SystemdUserManager, root: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GateHost]:
    """A clean unit directory and a free port; status.json and the spec cache under `root`;
    all removed after."""
    assert not [n for n in ALL_UNIT_FILES if (manager.unit_dir / n).exists()]
    monkeypatch.setenv("XDG_STATE_HOME", str(root / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(root / "cache"))
    host = GateHost(manager, root, free_port())
    try:
        yield host
    finally:
        clean_units(manager)
        stop_daemon(host.pid_file)
        host.wait_port_free()


@pytest.fixture
def gate_host(
    user_manager: SystemdUserManager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GateHost]:
    """A clean unit directory and a free port; status.json under this test's folder."""
    with hosting(user_manager, tmp_path, monkeypatch) as host:
        yield host
