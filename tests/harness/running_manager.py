"""Use a `systemd --user` manager that already runs, as in the test container (Dockerfile.test).

Inside that container PID 1 is systemd and root's user manager runs through lingering,
but the container may not create cgroups or mount namespaces, so the harness in
systemd_user.py cannot start a manager of its own there. The image sets
GATE_RECONCILE_TEST_MANAGER=running; the session then lends the tests the running manager,
but only when it really answers and its unit directory holds no unit file yet, so that no
test can overwrite or delete a unit it did not write. Everywhere else nothing changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

SELECT_VARIABLE = "GATE_RECONCILE_TEST_MANAGER"
RUNNING = "running"
NO_SECOND_MANAGER = (
    f"{SELECT_VARIABLE}={RUNNING}: the session borrowed the running user manager (as in "
    "Dockerfile.test); a second manager of our own needs writable cgroups and a mount "
    "namespace, which an unprivileged container does not grant"
)


class SystemdUserManager(Protocol):
    """What tests may rely on, whichever manager the session gave them."""

    @property
    def runtime_dir(self) -> Path: ...
    @property
    def home(self) -> Path: ...
    @property
    def unit_dir(self) -> Path: ...
    @property
    def env(self) -> dict[str, str]: ...

    def systemctl(
        self, *args: str, check: bool = True, timeout: float = 30
    ) -> subprocess.CompletedProcess[str]: ...


def running_manager_requested(environ: Mapping[str, str] = os.environ) -> bool:
    """True when the environment asks the tests to use the already-running manager."""
    return environ.get(SELECT_VARIABLE) == RUNNING


@dataclass
class RunningUserManager:
    """A user manager someone else started; the tests borrow it and never stop it."""

    runtime_dir: Path
    manager_env: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        """The manager's HOME."""
        return Path(self.manager_env["HOME"])

    def _xdg(self, name: str, default: str) -> Path:
        return Path(self.manager_env.get(name) or self.home / default)

    @property
    def unit_dir(self) -> Path:
        """Where user unit files go: the manager's $XDG_CONFIG_HOME/systemd/user."""
        return self._xdg("XDG_CONFIG_HOME", ".config") / "systemd" / "user"

    @property
    def env(self) -> dict[str, str]:
        """The environment under which `systemctl --user` talks to this manager only."""
        env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
        env.update(
            XDG_RUNTIME_DIR=str(self.runtime_dir),
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self._xdg("XDG_CONFIG_HOME", ".config")),
            XDG_STATE_HOME=str(self._xdg("XDG_STATE_HOME", ".local/state")),
            XDG_DATA_HOME=str(self._xdg("XDG_DATA_HOME", ".local/share")),
        )
        return env

    def systemctl(
        self, *args: str, check: bool = True, timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        """Run `systemctl --user ARGS` against this manager."""
        return subprocess.run(
            ["systemctl", "--user", *args],
            env=self.env if self.manager_env else self._bare_env(),
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
        )

    def _bare_env(self) -> dict[str, str]:
        """Enough to reach the manager before its environment is known."""
        env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
        env["XDG_RUNTIME_DIR"] = str(self.runtime_dir)
        return env

    def attach(self) -> str | None:
        """Check the manager can be lent to the tests; say why not, or None when it can."""
        if not (self.runtime_dir / "systemd" / "private").is_socket():
            return f"no user manager listens on {self.runtime_dir}/systemd/private"
        state = self.systemctl("show", "-p", "SystemState", "--value", check=False)
        if state.stdout.strip() != "running":
            answer = state.stdout.strip() or state.stderr.strip()
            return f"the user manager under {self.runtime_dir} is not running: {answer}"
        shown = self.systemctl("show-environment", check=False)
        if shown.returncode != 0:
            return f"systemctl --user show-environment failed: {shown.stderr.strip()}"
        self.manager_env = _parse_environment(shown.stdout)
        problem = self._environment_problem() or self._unit_dir_problem()
        if problem:
            self.manager_env = {}
            return problem
        self.unit_dir.mkdir(parents=True, exist_ok=True)
        return None

    def _environment_problem(self) -> str | None:
        if "HOME" not in self.manager_env:
            return "the user manager's environment has no HOME"
        if self.manager_env.get("XDG_RUNTIME_DIR", str(self.runtime_dir)) != str(self.runtime_dir):
            return f"the user manager's XDG_RUNTIME_DIR is {self.manager_env['XDG_RUNTIME_DIR']}, not {self.runtime_dir}"
        return None

    def _unit_dir_problem(self) -> str | None:
        unit_path = self.systemctl("show", "-p", "UnitPath", "--value").stdout.split()
        if str(self.unit_dir) not in unit_path:
            return f"{self.unit_dir} is not in the user manager's UnitPath"
        if self.unit_files():
            names = ", ".join(str(p) for p in self.unit_files())
            return f"{self.unit_dir} already holds unit files the tests must not touch: {names}"
        return None

    def unit_files(self) -> list[Path]:
        """Every file or link under the unit directory (empty before the tests start)."""
        if not self.unit_dir.is_dir():
            return []
        return sorted(p for p in self.unit_dir.rglob("*") if p.is_file() or p.is_symlink())

    def clean_up(self) -> None:
        """Stop and remove whatever units the tests left; the manager itself keeps running."""
        left = [p.name for p in self.unit_files() if p.parent == self.unit_dir]
        if left:
            self.systemctl("disable", "--now", *left, check=False)
        for entry in self.unit_dir.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        self.systemctl("daemon-reload")
        self.systemctl("reset-failed", check=False)

    def leftovers(self) -> list[str]:
        """Describe what the tests left in the borrowed manager; empty after clean_up()."""
        found = [f"unit file {p}" for p in self.unit_files()]
        state = self.systemctl("show", "-p", "SystemState", "--value", check=False).stdout.strip()
        if state != "running":
            found.append(f"the borrowed manager is {state or 'gone'}, not running")
        return found


def _parse_environment(text: str) -> dict[str, str]:
    """Read `systemctl show-environment` output (plain NAME=value lines)."""
    pairs = (line.partition("=") for line in text.splitlines() if "=" in line)
    return {name: value for name, _, value in pairs}


def select_running_manager(
    environ: Mapping[str, str] = os.environ,
) -> tuple[RunningUserManager | None, str | None]:
    """The running manager to lend the tests and None, or None and why it was refused.

    Without GATE_RECONCILE_TEST_MANAGER=running both are None: the session starts its own.
    """
    if not running_manager_requested(environ):
        return None, None
    runtime_dir = environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    manager = RunningUserManager(Path(runtime_dir))
    refusal = manager.attach()
    if refusal:
        return None, f"{SELECT_VARIABLE}={RUNNING} is set, but {refusal}"
    return manager, None
