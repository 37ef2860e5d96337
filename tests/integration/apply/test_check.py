"""`gate-reconcile check`: 0 only when the gate answers on the spec's port with the spec's
configuration; otherwise what is wrong and what to run."""

from __future__ import annotations

import json

import pytest

from reconciler.desired import SERVICE, SOCKET
from tests.gate_support.gate import make_site, start_gate
from tests.integration.apply.conftest import GateHost, stop_daemon

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("mode", ["systemd", "daemon"])
def test_check_on_a_converged_host(gate_host: GateHost, mode: str) -> None:
    """A converged host passes; --json says the same."""
    gate_host.write_spec(mode)
    gate_host.apply()
    ran = gate_host.run("check")
    assert (ran.code, ran.out.startswith("ok: terok-gate")) == (0, True), ran.out
    document = json.loads(gate_host.run("check", "--json").out)
    assert (document["ok"], document["reason"]) == (True, "GateAnswers")


def test_check_on_a_stopped_daemon(gate_host: GateHost) -> None:
    """With the daemon gone, check fails, names the empty port and says to run apply; it
    starts nothing itself."""
    gate_host.write_spec("daemon")
    gate_host.apply()
    stop_daemon(gate_host.pid_file)
    ran = gate_host.run("check")
    assert ran.code == 1
    assert f"not ok: nothing answers on 127.0.0.1:{gate_host.port}" in ran.out
    assert f"port {gate_host.port} on 127.0.0.1: free" in ran.out
    assert "run `gate-reconcile apply`" in ran.out
    assert not gate_host.pid_file.exists()


def test_check_on_a_stopped_socket(gate_host: GateHost) -> None:
    """With the socket stopped, check fails and shows the socket's state."""
    gate_host.write_spec("systemd")
    gate_host.apply()
    gate_host.manager.systemctl("stop", SOCKET, SERVICE)
    ran = gate_host.run("check")
    assert ran.code == 1 and "not ok: nothing answers" in ran.out
    assert "terok-gate.socket: file, ours, version 1; loaded, inactive" in ran.out
    assert gate_host.prop(SOCKET, "ActiveState") == "inactive"


def test_check_on_a_gate_serving_another_base_path(gate_host: GateHost) -> None:
    """A gate on the right port serving another base path fails the check."""
    gate_host.write_spec("daemon")
    other = make_site(gate_host.root / "other")
    gate = start_gate(other, port=gate_host.port)
    try:
        ran = gate_host.run("check")
    finally:
        assert gate.stop() == 0
    assert ran.code == 1
    assert "serves another base path or token file than the spec's" in ran.out
