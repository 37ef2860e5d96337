"""A real, isolated `systemd --user` manager for the tests (DESIGN.md section 5).

The manager runs as root on a host whose PID 1 is not systemd. Its launcher moves
itself alone into a fresh cgroup in every hierarchy (systemd moves every process of
its own cgroup into init.scope, so it must never start from the root cgroup), enters a
private mount namespace, mounts a tmpfs on /run/systemd with /run/systemd/system in
it (so sd_booted() is true) and execs `systemd --user` with its own XDG_RUNTIME_DIR,
HOME and XDG_* directories under a throwaway folder. The host's /run/systemd is never
written: the tmpfs exists only inside the namespace.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

SYSTEMD_BINARY = Path("/usr/lib/systemd/systemd")
CGROUP_ROOT = Path("/sys/fs/cgroup")
V1_HIERARCHIES = ("systemd", "unified", "pids", "memory", "cpu")

# The launcher: runs alone in its fresh cgroup, then becomes the manager by exec.
_LAUNCHER = r"""
set -e
for h in $HARNESS_HIERARCHIES; do
  mkdir -p "$h/$HARNESS_CGROUP"
  echo $$ > "$h/$HARNESS_CGROUP/cgroup.procs"
done
exec unshare --mount --propagation private -- /bin/bash -c '
  set -e
  mount -t tmpfs -o mode=755 tmpfs /run/systemd
  mkdir /run/systemd/system
  if [ -e /dev/console ]; then mount --bind "$HARNESS_LOG" /dev/console; fi
  exec "$HARNESS_SYSTEMD" --user --log-target=console --log-level=info'
"""


class HarnessError(RuntimeError):
    """The user manager could not be started or stopped cleanly."""


def cgroup_hierarchies() -> list[Path]:
    """Return the cgroup hierarchies the launcher must move itself into."""
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        return [CGROUP_ROOT]  # pure cgroup v2
    return [CGROUP_ROOT / h for h in V1_HIERARCHIES if (CGROUP_ROOT / h / "cgroup.procs").exists()]


def cannot_start_reason() -> str | None:
    """Say why the harness cannot run on this machine, or None when it can."""
    if os.geteuid() != 0:
        return "the systemd --user harness needs root (it creates cgroups and mounts)"
    for tool in ("unshare", "mount", "systemctl", "bash"):
        if shutil.which(tool) is None:
            return f"the systemd --user harness needs {tool!r} on PATH"
    if not SYSTEMD_BINARY.exists():
        return f"{SYSTEMD_BINARY} is missing: install Debian's systemd package"
    if not Path("/run/systemd").is_dir():
        return "/run/systemd does not exist on this host (needed as a mount point)"
    if not cgroup_hierarchies():
        return f"no writable cgroup hierarchy under {CGROUP_ROOT}"
    return None


CGROUP_PREFIX = "gate-reconcile-test-"


def _of_another_process(name: str) -> bool:
    """A harness cgroup of another test or benchmark process, which may come and go
    while this one runs; ours are named with our own pid."""
    return name.startswith(CGROUP_PREFIX) and not name.startswith(f"{CGROUP_PREFIX}{os.getpid()}-")


def host_snapshot() -> dict[str, list[str]]:
    """Record what of the host the harness must leave exactly as it found it."""
    snapshot = {"/run/systemd": sorted(p.name for p in Path("/run/systemd").iterdir())}
    for hierarchy in cgroup_hierarchies():
        names = (p.name for p in hierarchy.iterdir() if p.is_dir())
        snapshot[str(hierarchy)] = sorted(n for n in names if not _of_another_process(n))
    return snapshot


@dataclass
class UserManager:
    """One isolated `systemd --user` manager, with every directory under `root`."""

    root: Path
    cgroup: str = field(default_factory=lambda: f"{CGROUP_PREFIX}{os.getpid()}-{time.time_ns()}")
    boot_seconds: float = 0.0
    _process: subprocess.Popen[bytes] | None = None

    @property
    def runtime_dir(self) -> Path:
        """The manager's XDG_RUNTIME_DIR."""
        return self.root / "run"

    @property
    def home(self) -> Path:
        """The manager's HOME."""
        return self.root / "home"

    @property
    def unit_dir(self) -> Path:
        """Where user unit files go: $XDG_CONFIG_HOME/systemd/user."""
        return self.home / ".config" / "systemd" / "user"

    @property
    def log_file(self) -> Path:
        """What the manager logs."""
        return self.root / "manager.log"

    @property
    def pid(self) -> int | None:
        """The manager's PID while it runs."""
        return self._process.pid if self._process else None

    @property
    def env(self) -> dict[str, str]:
        """The environment under which `systemctl --user` talks to this manager only."""
        env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
        env.update(
            XDG_RUNTIME_DIR=str(self.runtime_dir),
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_STATE_HOME=str(self.home / ".local" / "state"),
            XDG_DATA_HOME=str(self.home / ".local" / "share"),
        )
        return env

    def start(self, timeout: float = 10.0) -> None:
        """Boot the manager and wait until it reports SystemState=running."""
        for directory in (self.runtime_dir, self.unit_dir):
            directory.mkdir(parents=True, exist_ok=True)
        self.runtime_dir.chmod(0o700)
        self.log_file.touch()
        started = time.monotonic()
        self._process = subprocess.Popen(
            ["bash", "-c", _LAUNCHER],
            env=self._launcher_env(),
            stdin=subprocess.DEVNULL,
            stdout=self.log_file.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_running(started + timeout)
        self.boot_seconds = time.monotonic() - started

    def _launcher_env(self) -> Mapping[str, str]:
        env = self.env
        env.update(
            HARNESS_HIERARCHIES=" ".join(str(h) for h in cgroup_hierarchies()),
            HARNESS_CGROUP=self.cgroup,
            HARNESS_LOG=str(self.log_file),
            HARNESS_SYSTEMD=str(SYSTEMD_BINARY),
        )
        return env

    def _wait_until_running(self, deadline: float) -> None:
        assert self._process is not None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            if (
                self.runtime_dir / "systemd" / "private"
            ).is_socket() and self._state() == "running":
                return
            time.sleep(0.01)
        log = self.log_file.read_text(errors="replace")[-2000:]
        self.stop()
        raise HarnessError(f"systemd --user did not reach 'running'; its log ends with:\n{log}")

    def _state(self) -> str:
        result = self.systemctl("show", "-p", "SystemState", "--value", check=False)
        return result.stdout.strip()

    def systemctl(
        self, *args: str, check: bool = True, timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        """Run `systemctl --user ARGS` against this manager."""
        return subprocess.run(
            ["systemctl", "--user", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
        )

    def stop(self) -> None:
        """Ask the manager to exit, then make sure nothing of it is left."""
        if self._process is not None:
            self._request_exit()
            self._process = None
        self._kill_cgroup_members()
        self._remove_cgroups()

    def _request_exit(self) -> None:
        assert self._process is not None
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self.systemctl("exit", check=False, timeout=10)
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None and self._process.poll() is None:
                os.kill(self._process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=5)
                return

    def _cgroup_dirs(self) -> list[Path]:
        return [h / self.cgroup for h in cgroup_hierarchies() if (h / self.cgroup).is_dir()]

    def member_pids(self) -> set[int]:
        """Every process still inside the manager's cgroups."""
        pids: set[int] = set()
        for top in self._cgroup_dirs():
            for procs in top.rglob("cgroup.procs"):
                with contextlib.suppress(OSError):
                    pids.update(int(line) for line in procs.read_text().split())
        return pids

    def _kill_cgroup_members(self) -> None:
        for _ in range(50):
            pids = self.member_pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)

    def _remove_cgroups(self) -> None:
        for _ in range(50):
            for top in self._cgroup_dirs():
                for directory in sorted(top.rglob("*"), key=lambda p: len(p.parts), reverse=True):
                    if directory.is_dir():
                        with contextlib.suppress(OSError):
                            directory.rmdir()
                with contextlib.suppress(OSError):
                    top.rmdir()
            if not self._cgroup_dirs():
                return
            time.sleep(0.05)

    def leftovers(self) -> list[str]:
        """Describe anything of this manager still on the host; empty after a clean stop."""
        found = [f"process {pid} in cgroup {self.cgroup}" for pid in sorted(self.member_pids())]
        found += [f"cgroup directory {d}" for d in self._cgroup_dirs()]
        return found
