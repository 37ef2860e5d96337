"""The hosts gate-reconcile converges in the benchmarks: a systemd-mode host under a real
systemd --user manager, and a daemon-mode host without any user manager (a fresh machine),
each with its own spec, site and environment."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from bench.errors import BenchmarkError
from bench.gate.gate import stop_detached
from bench.gate.install import production_install
from bench.reconcile.processes import Finished, expect, measure
from tests.harness.systemd_user import UserManager

# The timer's interval in the benchmark's specs: long enough that the timer never runs an
# apply of its own during a run (it would take the lock and spoil a sample).
TIMER_INTERVAL = "24h"
IN_SYNC = "in sync: nothing to do"


@dataclass(frozen=True)
class Product:
    """gate-reconcile and terok-gate as an operator installs them, and their interpreter."""

    reconcile: Path
    gate: Path
    python: Path
    description: str


def install_product(scratch: Path) -> Product:
    """The committed wheel in a fresh venv with its runtime dependencies only (the gate
    suite's install; gate-reconcile is the script beside terok-gate)."""
    gate = production_install(scratch)
    reconcile = gate.command.parent / "gate-reconcile"
    if not reconcile.exists():
        raise BenchmarkError(f"{reconcile} is missing beside {gate.command}")
    return Product(reconcile, gate.command, gate.python, gate.description)


@dataclass(frozen=True)
class Host:
    """One host to converge: the environment gate-reconcile runs in, its spec, its files."""

    mode: str
    product: Product
    env: dict[str, str]
    root: Path
    port: int

    @property
    def spec(self) -> Path:
        """The spec every run on this host reads."""
        return self.root / f"{self.mode}.toml"

    @property
    def base_path(self) -> Path:
        """The gate's base path (and with it the token file)."""
        return self.root / "site"

    @property
    def pid_file(self) -> Path:
        """Where a detached gate of this host writes its PID."""
        return self.root / "gate.pid"

    def argv(self, *args: str, spec: Path | None = None) -> list[str]:
        """A gate-reconcile command line for this host."""
        return [str(self.product.reconcile), *args, "--spec", str(spec or self.spec)]

    def run(self, *args: str, spec: Path | None = None) -> Finished:
        """Run gate-reconcile on this host and wait for it."""
        return measure(self.argv(*args, spec=spec), self.env, self.root / "last-run")

    def write_spec(self, mode: str, port: int, path: Path | None = None) -> Path:
        """A spec for `mode` on `port` with this host's paths."""
        return write_spec(path or self.spec, mode, port, self.base_path, self.pid_file)

    def settle(self) -> None:
        """Converge, then prove the next run has nothing to do."""
        expect(self.run("apply"), 0)
        expect(self.run("apply"), 0, IN_SYNC)

    def stop_daemon(self) -> None:
        """Stop a detached gate this host started (only the one naming its PID file)."""
        stop_detached(self.pid_file)


def write_spec(path: Path, mode: str, port: int, base_path: Path, pid_file: Path) -> Path:
    """A gate.toml (JSON strings are valid TOML basic strings)."""
    lines = [
        f"mode = {json.dumps(mode)}",
        f"port = {port}",
        f"base_path = {json.dumps(str(base_path))}",
        f"pid_file = {json.dumps(str(pid_file))}",
        f"[timer]\ninterval = {json.dumps(TIMER_INTERVAL)}",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def systemd_host(product: Product, manager: UserManager, root: Path, port: int) -> Host:
    """A host whose gate is socket-activated by the real user manager."""
    host = Host("systemd", product, manager.env, root, port)
    host.write_spec("systemd", port)
    return host


def daemon_host(product: Product, root: Path, port: int) -> Host:
    """A host with no user manager at all (no bus, no manager socket): daemon mode."""
    home, runtime = root / "home", root / "run"
    runtime.mkdir(parents=True, mode=0o700)
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    env.update(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
    )
    host = Host("daemon", product, env, root, port)
    host.write_spec("daemon", port)
    return host
