"""Switching modes: every ordered pair of systemd, daemon and none, and adopting the old gate
manager's units. The old way lets go of the port before the new way binds it, what we own of
the old way goes, and the token file and repositories stay exactly as they were."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from reconciler.desired import LEGACY_TEMPLATE, SOCKET
from tests.gate_support.git import git
from tests.integration.apply.conftest import RECONCILE, GateHost

pytestmark = pytest.mark.integration

MODES = ("systemd", "daemon", "none")
STOPS = ("stop_unit", "disable_unit", "stop_daemon")
STARTS = ("start_unit", "restart_unit", "start_daemon")


def _tree(base: Path) -> dict[str, bytes]:
    """Every file under the base path with its bytes (token file and repositories)."""
    return {
        str(p.relative_to(base)): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()
    }


def _assert_serves(host: GateHost, mode: str) -> None:
    """The gate of `mode` serves clones, or (mode none) nothing of ours is left."""
    if mode == "none":
        host.wait_port_free()
        assert host.our_unit_files() == [] and not host.pid_file.exists()
        return
    host.clone_works()
    assert host.run("check").code == 0
    if mode == "daemon":
        assert host.our_unit_files() == []
    else:
        assert not host.pid_file.exists()


def _stops_before_starts(kinds: list[str]) -> None:
    last_stop = max((i for i, k in enumerate(kinds) if k in STOPS), default=-1)
    first_start = min((i for i, k in enumerate(kinds) if k in STARTS), default=len(kinds))
    assert last_stop < first_start, kinds


@pytest.mark.parametrize(("old", "new"), list(itertools.permutations(MODES, 2)))
def test_mode_switch(gate_host: GateHost, old: str, new: str) -> None:
    """From `old` to `new`: converged, the old way gone, token file and repositories untouched."""
    gate_host.populate()
    before = _tree(gate_host.site.base)
    gate_host.write_spec(old)
    gate_host.apply()
    _assert_serves(gate_host, old)
    gate_host.write_spec(new)
    ran = gate_host.apply()
    assert "converged" in ran.out
    _stops_before_starts([a["kind"] for a in gate_host.status()["actions"]])
    _assert_serves(gate_host, new)
    after = _tree(gate_host.site.base)
    assert after == before
    git("--git-dir", str(gate_host.site.base / "alpha.git"), "fsck", "--strict")


def _legacy_units(host: GateHost) -> None:
    """What the historical gate manager installed: an Accept=yes socket and a template."""
    unit_dir = host.manager.unit_dir
    unit_dir.mkdir(parents=True, exist_ok=True)
    gate = RECONCILE.with_name("terok-gate")
    (unit_dir / SOCKET).write_text(
        "# terok-gate-version: 1\n[Unit]\nDescription=terok gate (legacy)\n\n[Socket]\n"
        f"ListenStream=127.0.0.1:{host.port}\nAccept=yes\n\n[Install]\nWantedBy=sockets.target\n"
    )
    (unit_dir / LEGACY_TEMPLATE).write_text(
        "# terok-gate-version: 1\n[Service]\n"
        f"ExecStart={gate} --inetd --base-path {host.site.base} --token-file {host.site.token_file}\n"
        "StandardInput=socket\nStandardOutput=socket\nStandardError=journal\n"
    )
    host.manager.systemctl("daemon-reload")
    host.manager.systemctl("enable", "--now", SOCKET)


@pytest.mark.parametrize("new", ["systemd", "daemon"])
def test_adopts_legacy_units(gate_host: GateHost, new: str) -> None:
    """The old manager's Accept=yes socket and template are replaced; a clone works before and after."""
    gate_host.populate()
    before = _tree(gate_host.site.base)
    _legacy_units(gate_host)
    gate_host.clone_works()  # the legacy gate served it
    gate_host.write_spec(new)
    gate_host.apply()
    _stops_before_starts([a["kind"] for a in gate_host.status()["actions"]])
    assert LEGACY_TEMPLATE not in gate_host.our_unit_files()
    if new == "systemd":
        assert gate_host.prop(SOCKET, "Accept") == "no"
    _assert_serves(gate_host, new)
    assert _tree(gate_host.site.base) == before
