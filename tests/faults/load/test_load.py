"""50 concurrent clones through the real gate, socket-activated under a real systemd
--user manager and as a `--detach` daemon, while tokens are created and revoked: every
clone succeeds, and no request that started after a revocation was written gets in."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.faults.gate.wire import kib
from tests.faults.load.churn import Churn
from tests.faults.results import record
from tests.gate_support.gate import GATE, Site, alive, free_port, make_site, wait_for
from tests.gate_support.git import git, git_env, head_of
from tests.gate_support.http import get
from tests.harness.running_manager import SystemdUserManager
from tests.integration.gate.test_systemd import UnitWriter, _prop, _socket_unit, units

__all__ = ["units"]  # the fixture that writes and removes unit files

CLONES = 50
CLONER = "tok-load-cloner-5e2a"
CHURNED = 20  # tokens created and revoked during the clones
PROBERS = 3


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """alpha.git with a few commits' worth of files, and the cloners' token."""
    site = make_site(tmp_path / "site")
    files = {f"src/file-{n:03d}.txt": os.urandom(2048).hex().encode() for n in range(200)}
    site.repo("alpha", {"README": b"alpha\n", **files})
    site.write_tokens({CLONER: {"project": "alpha", "task": "cloner"}})
    return site


def _clone_all(port: int, target: Path) -> list[str]:
    """Start CLONES clones at once; return the errors (empty when all succeeded)."""
    errors: list[str] = []
    start = threading.Barrier(CLONES)

    def clone(number: int) -> None:
        start.wait(timeout=60)
        url = f"http://{CLONER}:x@127.0.0.1:{port}/alpha.git"
        result = git("clone", "-q", url, str(target / f"clone-{number}"), check=False)
        if result.returncode != 0:
            errors.append(result.stderr.strip())

    threads = [threading.Thread(target=clone, args=(n,)) for n in range(CLONES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    return errors


def _clones_under_churn(site: Site, port: int, target: Path) -> tuple[list[str], Churn]:
    """The clones, while tokens are created and revoked and probed."""
    stable = {CLONER: {"project": "alpha", "task": "cloner"}}
    churn = Churn(site, port, stable)
    workers = [threading.Thread(target=churn.revoke_in_turn, args=(CHURNED, 0.15))]
    workers += [
        threading.Thread(target=churn.probe_until_done, args=(seed, 10_000))
        for seed in range(PROBERS)
    ]
    for worker in workers:
        worker.start()
    errors = _clone_all(port, target)
    for worker in workers:
        worker.join(timeout=300)
    return errors, churn


def _check(site: Site, target: Path, errors: list[str], churn: Churn) -> dict[str, Any]:
    """Every clone is complete and right; no revoked token got in. Returns the figures."""
    assert errors == []
    source = head_of(site.base / "alpha.git")
    clones = [target / f"clone-{n}" for n in range(CLONES)]
    assert all(head_of(clone / ".git", "HEAD") == source for clone in clones)
    after, let_in, valid = churn.verdicts()
    assert let_in == [], f"revoked tokens got in: {let_in[:5]}"
    assert after, "some requests did start after a revocation"
    assert valid and all(p.status == 200 for p in valid), "live tokens worked"
    return {
        "requests with churned tokens": len(churn.probes),
        "started after revocation (all 403)": len(after),
        "while valid (all 200)": len(valid),
    }


def _record(mode: str, figures: dict[str, Any]) -> None:
    record(
        "load",
        f"{CLONES} concurrent clones, {mode}",
        {
            "check": "all clones succeed and match the source; no revoked token gets in",
            "clones": CLONES,
            "tokens created and revoked": CHURNED,
            "clones that succeeded": CLONES,
            "revoked tokens let in": 0,
        },
        figures,
    )


@pytest.mark.integration
def test_clones_socket_activated(
    user_manager: SystemdUserManager, units: UnitWriter, site: Site, tmp_path: Path
) -> None:
    """An Accept=no socket and its service: 50 clones at once, one gate process, tokens
    churned meanwhile."""
    port = free_port()
    units("gate-test-load.socket", _socket_unit(port, accept=False))
    units(
        "gate-test-load.service",
        f"[Service]\nExecStart={GATE} --base-path {site.base} --token-file {site.token_file} "
        f"--idle-timeout 60\nStandardError=append:{tmp_path / 'gate.log'}\n",
    )
    user_manager.systemctl("daemon-reload")
    user_manager.systemctl("start", "gate-test-load.socket")
    errors, churn = _clones_under_churn(site, port, tmp_path / "clones")
    pid = int(_prop(user_manager, "gate-test-load.service", "MainPID"))  # type: ignore[arg-type]
    peak = kib(pid, "VmHWM")
    figures = _check(site, tmp_path / "clones", errors, churn)
    _record("socket-activated", {**figures, "gate VmHWM KiB": peak})


@dataclass(frozen=True)
class Daemon:
    """A detached gate: its PID and port."""

    pid: int
    port: int


@pytest.fixture
def daemon(site: Site, tmp_path: Path) -> Iterator[Daemon]:
    """`terok-gate --detach` as the reconciler starts it, on a free port; stopped after."""
    port, pid_file = free_port(), tmp_path / "run" / "gate.pid"
    argv = [str(GATE), "--detach", "--pid-file", str(pid_file), *site.args()]
    argv += ["--port", str(port), "--bind", "127.0.0.1", "--idle-timeout", "0"]
    (tmp_path / "home").mkdir()
    subprocess.run(argv, env=git_env(HOME=str(tmp_path / "home")), check=True, timeout=30)
    pid = int(pid_file.read_text())
    try:
        yield Daemon(pid, port)
    finally:
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not alive(pid), 30, "the daemon to stop")


def test_clones_against_the_daemon(daemon: Daemon, site: Site, tmp_path: Path) -> None:
    """`terok-gate --detach`: 50 clones at once, tokens churned meanwhile."""
    assert get(daemon.port, "/-/health").status == 200
    errors, churn = _clones_under_churn(site, daemon.port, tmp_path / "clones")
    peak = kib(daemon.pid, "VmHWM")
    figures = _check(site, tmp_path / "clones", errors, churn)
    _record("daemon (--detach)", {**figures, "gate VmHWM KiB": peak})
