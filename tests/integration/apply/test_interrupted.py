"""An apply killed with SIGKILL between two actions, a deadline that passes, drift healed.

How the kill is placed (no hook in gate-reconcile at all): a `systemctl` stand-in first on
PATH kills the gate-reconcile that called it (its parent: the runner forks systemctl
directly) when asked for a given verb, once, before doing anything. The kill therefore lands
exactly after the actions before that verb and before the action that needed it: after the
unit files were written and before `daemon-reload`, after the reload and before `enable`,
and so on.
"""

from __future__ import annotations

import signal

import pytest

from reconciler.desired import SERVICE, SOCKET
from tests.integration.apply.conftest import GateHost
from tests.integration.apply.stand_in import KILLING_SYSTEMCTL, systemctl_stand_in

pytestmark = pytest.mark.integration


def _killing_env(host: GateHost, verb: str) -> dict[str, str]:
    mark = str(host.root / "killed")
    return systemctl_stand_in(
        host.root / "killing-bin", KILLING_SYSTEMCTL, KILL_AT=verb, KILL_MARK=mark
    )


@pytest.mark.parametrize(
    ("before", "after", "verb"),
    [
        (None, "systemd", "daemon-reload"),
        (None, "systemd", "enable"),
        (None, "systemd", "start"),
        ("systemd", "daemon", "disable"),
        ("systemd", "daemon", "daemon-reload"),
        ("daemon", "systemd", "daemon-reload"),
    ],
)
def test_killed_between_two_actions_then_converges(
    gate_host: GateHost, before: str | None, after: str, verb: str
) -> None:
    """SIGKILL right before `systemctl VERB`; the next apply converges, with no temporary
    file left, the token file untouched and a clone working."""
    tokens = gate_host.populate()
    if before:
        gate_host.write_spec(before)
        gate_host.apply()
    gate_host.write_spec(after)
    killed = gate_host.run("apply", env=_killing_env(gate_host, verb))
    assert killed.code == -signal.SIGKILL, killed
    assert (gate_host.root / "killed").is_dir(), "the kill happened"
    assert not list(gate_host.manager.unit_dir.glob(".*.tmp"))
    ran = gate_host.apply()
    assert "converged" in ran.out
    assert gate_host.site.token_file.read_bytes() == tokens
    gate_host.clone_works()


def test_deadline_passes_when_the_gate_never_listens(gate_host: GateHost) -> None:
    """A gate command that never comes up: apply retries until the deadline, then exits 1
    listing what is still out of sync."""
    stand_in = gate_host.root / "bin" / "terok-gate"
    stand_in.parent.mkdir()
    stand_in.write_text("#!/bin/sh\nexit 0\n")
    stand_in.chmod(0o755)
    gate_host.write_spec("daemon", gate_command=str(stand_in))
    gate_host.spec.write_text(
        gate_host.spec.read_text().replace('deadline = "60s"', 'deadline = "2s"')
    )
    ran = gate_host.apply(expect=1)
    assert "not converged within the deadline" in ran.out
    assert f"start_daemon {gate_host.pid_file}" in ran.out
    assert "names no running gate" in ran.out
    status = gate_host.status()
    assert status["outcome"] == "not_converged"
    degraded = next(c for c in status["conditions"] if c["type"] == "Degraded")
    assert (degraded["status"], degraded["reason"]) == ("True", "DeadlineExceeded")
    assert status["actions"][-1]["attempts"] > 1


def test_socket_stopped_under_a_running_gate_is_healed(gate_host: GateHost) -> None:
    """The socket stopped while its gate still serves: apply stops the gate, starts the socket."""
    gate_host.populate()
    gate_host.write_spec("systemd")
    gate_host.apply()
    gate_host.clone_works()  # the gate service runs now
    gate_host.manager.systemctl("stop", SOCKET)
    assert gate_host.prop(SERVICE, "ActiveState") == "active"
    gate_host.apply()
    kinds = [(a["kind"], a["target"]) for a in gate_host.status()["actions"]]
    assert kinds == [("stop_unit", SERVICE), ("start_unit", SOCKET)]
    gate_host.clone_works()


SNEAKING_SYSTEMCTL = """#!/bin/sh
# During the first `systemctl --user show` (observe reads the unit files just before it),
# someone else puts a unit of our name in place.
if [ "$2" = show ] && mkdir "$SNEAK_MARK" 2>/dev/null; then
  printf '[Socket]\\nListenStream=127.0.0.1:1\\n' > "$SNEAK_UNIT"
fi
exec {real} "$@"
"""


def test_a_unit_written_after_observing_is_never_clobbered(gate_host: GateHost) -> None:
    """A unit file that appears between observing and writing is left alone: the write is
    skipped, the host observed again, and the foreign file blocks the plan (exit 3)."""
    unit = gate_host.manager.unit_dir / SOCKET
    env = systemctl_stand_in(
        gate_host.root / "sneaking-bin",
        SNEAKING_SYSTEMCTL,
        SNEAK_MARK=str(gate_host.root / "sneaked"),
        SNEAK_UNIT=str(unit),
    )
    gate_host.write_spec("systemd")
    ran = gate_host.run("apply", env=env)
    assert ran.code == 3, ran
    assert "-> skipped: " in ran.out and "changed since it was observed" in ran.out
    assert f"blocked: {SOCKET} at {unit} is not ours" in ran.out
    assert unit.read_text() == "[Socket]\nListenStream=127.0.0.1:1\n"
    unit.unlink()
