"""A fresh host: one apply brings the gate up (systemd and daemon mode), a clone works,
and the next apply does nothing and says so."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest

from reconciler.cli import main
from reconciler.desired import SERVICE, SOCKET
from tests.integration.apply.conftest import GateHost
from tests.unit.reconciler.spawns import counting_spawns

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("mode", ["systemd", "daemon"])
def test_fresh_host_converges_and_serves_a_clone(gate_host: GateHost, mode: str) -> None:
    """apply creates the base path (0700) and an empty token file (0600), starts the gate,
    and a task clones through it; check agrees."""
    gate_host.write_spec(mode)
    ran = gate_host.apply()
    assert "converged:" in ran.out and f"mode {mode}" in ran.out
    base, tokens = gate_host.site.base, gate_host.site.token_file
    assert stat.S_IMODE(base.stat().st_mode) == 0o700
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600 and tokens.read_text() == "{}\n"
    gate_host.populate()
    gate_host.clone_works()
    assert gate_host.run("check").code == 0
    status = gate_host.status()
    assert status["outcome"] == "converged" and status["actions"]
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("True", "GateAnswers")
    shown = gate_host.run("status").out
    assert "last apply: converged at" in shown and "Ready=True (GateAnswers)" in shown


@pytest.mark.parametrize("mode", ["systemd", "daemon"])
def test_second_apply_does_nothing_and_says_so(gate_host: GateHost, mode: str) -> None:
    """Right after a successful apply, the next one takes no action, says so and exits 0;
    daemon mode's crontab advice is printed once, by the first."""
    gate_host.write_spec(mode)
    first = gate_host.apply()
    ran = gate_host.apply()
    assert ran.out.startswith("in sync: nothing to do, no action taken")
    crontab = "add this line with `crontab -e`"
    assert (crontab in first.out, crontab in ran.out) == (mode == "daemon", False)
    assert gate_host.status()["actions"] == []
    assert gate_host.status()["lastActions"]["actions"], "the earlier actions are kept"


def test_systemd_no_op_apply_runs_one_command_and_leaves_the_socket_alone(
    gate_host: GateHost, capsys: pytest.CaptureFixture[str]
) -> None:
    """In systemd mode a converged apply starts one subprocess (systemctl show) and never
    connects to the socket: an idle gate stays stopped."""
    gate_host.write_spec("systemd")
    gate_host.apply()
    gate_host.manager.systemctl("stop", SERVICE)
    with counting_spawns() as spawns:
        code = main(["apply", "--spec", str(gate_host.spec)])
    assert code == 0, capsys.readouterr()
    assert len(spawns) == 1
    assert "no action taken" in capsys.readouterr().out
    assert gate_host.prop(SERVICE, "ActiveState") == "inactive"
    assert gate_host.prop(SOCKET, "ActiveState") == "active"
    ready = next(c for c in gate_host.status()["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "SocketListening"


def test_daemon_no_op_apply_runs_no_command(
    gate_host: GateHost, capsys: pytest.CaptureFixture[str]
) -> None:
    """In daemon mode a converged apply starts no subprocess at all (the health probe is HTTP)."""
    gate_host.write_spec("daemon")
    gate_host.apply()
    with counting_spawns() as spawns:
        code = main(["apply", "--spec", str(gate_host.spec)])
    assert code == 0, capsys.readouterr()
    assert spawns == []
    assert "no action taken" in capsys.readouterr().out


NO_OP_PROBE = """
import sys
from reconciler.cli import main
code = main(["apply", "--spec", sys.argv[1]])
heavy = ("sh", "tenacity", "structlog", "asyncio", "subprocess", "reconciler.execute")
print(code, *[name for name in heavy if name in sys.modules])
"""


@pytest.mark.parametrize(("mode", "loaded"), [("daemon", []), ("systemd", ["subprocess"])])
def test_no_op_apply_loads_only_what_it_needs(
    gate_host: GateHost, mode: str, loaded: list[str]
) -> None:
    """A converged apply imports no tenacity, structlog, sh, asyncio or execution code; only
    systemd mode needs subprocess, for its one `systemctl --user show` (a query)."""
    gate_host.write_spec(mode)
    gate_host.apply()
    done = subprocess.run(
        [sys.executable, "-c", NO_OP_PROBE, str(gate_host.spec)],
        capture_output=True,
        text=True,
        check=True,
    )
    last = done.stdout.splitlines()[-1].split()
    assert (last[0], last[1:]) == ("0", loaded), done.stdout
