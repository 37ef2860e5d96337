"""The reconciler's own timer really runs apply; two applies at once never both act."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from reconciler.desired import SOCKET, TIMER
from reconciler.places import lock_path, status_path
from tests.gate_support.gate import wait_for
from tests.integration.apply.conftest import RECONCILE, GateHost
from tests.integration.apply.stand_in import systemctl_stand_in

pytestmark = pytest.mark.integration

# A systemctl that waits while the file $HOLD exists: it keeps an apply inside its lock.
HOLDING_SYSTEMCTL = """#!/bin/sh
while [ -e "$HOLD" ]; do sleep 0.02; done
exec {real} "$@"
"""


def test_timer_is_installed_and_heals_drift(gate_host: GateHost) -> None:
    """With [timer] enabled the timer is installed; its service runs apply with the same spec,
    which restarts a socket stopped behind its back."""
    gate_host.write_spec("systemd", timer=True)
    gate_host.apply()
    assert gate_host.prop(TIMER, "UnitFileState") == "enabled"
    assert gate_host.prop(TIMER, "ActiveState") == "active"
    gate_host.manager.systemctl("stop", SOCKET)
    manager_status = status_path(gate_host.manager.env)
    wait_for(
        lambda: _healed_by_timer(manager_status), 60, "the timer's apply to restart the socket"
    )
    assert json.loads(manager_status.read_text())["spec"] == str(gate_host.spec)
    assert gate_host.prop(SOCKET, "ActiveState") == "active"
    assert gate_host.run("check").code == 0
    manager_status.unlink()


def _healed_by_timer(status: Path) -> bool:
    """The timer's apply (it writes the manager's status.json) started the socket."""
    try:
        document = json.loads(status.read_text())
    except (OSError, ValueError):
        return False
    actions = (document.get("lastActions") or {}).get("actions", [])
    started = ("start_unit", SOCKET) in [(a["kind"], a["target"]) for a in actions]
    return started and document["outcome"] == "converged"


def test_timer_disabled_removes_it(gate_host: GateHost) -> None:
    """enabled = false stops, disables and removes the timer and its service."""
    gate_host.write_spec("systemd", timer=True)
    gate_host.apply()
    gate_host.write_spec("systemd", timer=False)
    gate_host.apply("--wait", "60")
    assert gate_host.our_unit_files() == ["terok-gate.socket", "terok-gate.service"]
    assert gate_host.prop(TIMER, "LoadState") == "not-found"


def _holding_env(root: Path, hold: Path) -> dict[str, str]:
    return systemctl_stand_in(root / "holding-bin", HOLDING_SYSTEMCTL, HOLD=str(hold))


def _spawn(host: GateHost, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(RECONCILE), "apply", "--spec", str(host.spec), *args],
        env=env or dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_concurrent_applies(gate_host: GateHost) -> None:
    """While one apply holds the lock, a second exits 75 at once naming its pid; a third
    with --wait waits, then finds nothing to do; the host ends converged."""
    gate_host.write_spec("systemd")
    hold = gate_host.root / "hold"
    hold.touch()
    first = _spawn(gate_host, env=_holding_env(gate_host.root, hold))
    lock = lock_path(os.environ)
    wait_for(lambda: lock.exists() and lock.read_text().strip() == str(first.pid), 30, "the lock")
    started = time.monotonic()
    second = gate_host.run("apply")
    assert second.code == 75, second
    assert f"another gate-reconcile (pid {first.pid}) holds the lock" in second.err
    assert time.monotonic() - started < 30  # "at once": it did not wait for the holder
    third = _spawn(gate_host, "--wait", "120")
    hold.unlink()
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert "converged" in out
    out, err = third.communicate(timeout=120)
    assert third.returncode == 0, err
    assert out.startswith("in sync: nothing to do, no action taken")
    assert gate_host.run("check").code == 0
