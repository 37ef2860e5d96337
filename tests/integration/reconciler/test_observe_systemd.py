"""Observation and planning against a real systemd --user manager (the session's harness)."""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.desired import (
    LEGACY_TEMPLATE,
    RECONCILE_SERVICE,
    RENDERED_UNITS,
    SERVICE,
    SOCKET,
    TIMER,
    Desired,
    RenderContext,
    render,
)
from reconciler.observe import observe
from reconciler.plan import plan
from reconciler.spec import parse_spec
from reconciler.xdg import user_unit_dir
from tests.harness.running_manager import SystemdUserManager
from tests.unit.reconciler.spawns import counting_spawns

pytestmark = pytest.mark.integration

HOSTILE = "we %i $x \\ \"q\" 'a' ü"
PROGRAM_DIR = "bin %n $y ü"
# Stand-ins for the programs (the real gate is built elsewhere): each records its argv
# beside itself; the gate then serves every connection on the inherited fd 3.
RECORD_ARGV = """
import json, sys
from pathlib import Path
Path(sys.argv[0] + ".argv.json").write_text(json.dumps(sys.argv))
"""
STAND_IN = (
    RECORD_ARGV
    + """
import socket
listener = socket.socket(fileno=3)
while True:
    connection, _ = listener.accept()
    connection.sendall(b"stand-in gate\\n")
    connection.close()
"""
)
ALL_NAMES = (*RENDERED_UNITS, LEGACY_TEMPLATE)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Host:
    """The harness manager plus a throwaway installation whose units this test owns."""

    manager: SystemdUserManager
    root: Path

    def desired(self, **fields: object) -> Desired:
        """Render a systemd-mode spec with hostile paths and a stand-in gate."""
        data = {
            "mode": "systemd",
            "port": _free_port(),
            "base_path": str(self.root / HOSTILE),
            "gate_command": str(self.root / PROGRAM_DIR / "terok-gate"),
            "pid_file": str(self.root / "gate.pid"),
            **fields,
        }
        spec = parse_spec(data, os.environ)
        reconcile = self.root / PROGRAM_DIR / "gate-reconcile"
        return render(
            spec, RenderContext(user_unit_dir(os.environ), reconcile, self.root / f"{HOSTILE}.toml")
        )

    def install(self, desired: Desired) -> None:
        """What a converged apply leaves: files, base path, token file, reload, socket and timer on."""
        desired.base_path.mkdir(parents=True, exist_ok=True)
        desired.token_file.write_text("{}")
        for unit in desired.units:
            unit.path.write_text(unit.text)
        self.manager.systemctl("daemon-reload")
        self.manager.systemctl("enable", "--now", SOCKET, TIMER)

    def prop(self, unit: str, name: str) -> str:
        """One property of a loaded unit."""
        return self.manager.systemctl("show", unit, "-p", name, "--value").stdout.strip()


@pytest.fixture
def host(user_manager: SystemdUserManager, tmp_path: Path) -> Iterator[Host]:
    """A clean unit directory before and after: everything the test installed is stopped and removed."""
    program_dir = tmp_path / PROGRAM_DIR
    program_dir.mkdir()
    for name, body in (("terok-gate", STAND_IN), ("gate-reconcile", RECORD_ARGV)):
        (program_dir / name).write_text(f"#!{sys.executable}\n{body}")
        (program_dir / name).chmod(0o755)
    unit_dir = user_unit_dir(os.environ)
    assert unit_dir == user_manager.unit_dir
    assert not [n for n in ALL_NAMES if (unit_dir / n).exists()], "unit directory not clean"
    yield Host(user_manager, tmp_path)
    user_manager.systemctl("unmask", *ALL_NAMES, check=False)
    user_manager.systemctl("disable", "--now", SOCKET, SERVICE, TIMER, check=False)
    for name in ALL_NAMES:
        (unit_dir / name).unlink(missing_ok=True)
    user_manager.systemctl("daemon-reload")
    user_manager.systemctl("reset-failed", check=False)


def _steps(desired: Desired) -> list[tuple[str, str]]:
    return [(a.kind, a.target) for a in plan(desired, observe(desired)).actions]


def test_nothing_installed(host: Host) -> None:
    """A real manager with none of our units: one systemctl call, a full install plan."""
    desired = host.desired()
    with counting_spawns() as spawns:
        observed = observe(desired)
    assert len(spawns) == 1
    assert observed.manager.answers
    assert all(not f.present for f in observed.files)
    assert {u.load_state for u in observed.units} == {"not-found"}
    assert observed.port.status == "free"
    result = plan(desired, observed)
    assert result.mode == "systemd"
    assert [a.kind for a in result.actions][-4:] == [
        "enable_unit",
        "start_unit",
        "enable_unit",
        "start_unit",
    ]


def test_installed_and_active_is_in_sync_with_one_subprocess(host: Host) -> None:
    """Converged: socket listening and enabled, timer waiting; exactly one subprocess, nothing to do."""
    desired = host.desired()
    host.install(desired)
    with counting_spawns() as spawns:
        observed = observe(desired)
    assert len(spawns) == 1
    sock = observed.unit(SOCKET)
    assert (sock.active_state, sock.sub_state, sock.enabled, sock.accept) == (
        "active",
        "listening",
        True,
        False,
    )
    assert sock.listen == (f"{desired.listen} (Stream)",)
    assert (observed.port.status, observed.port.via) == ("ours", "socket")
    assert observed.unit(TIMER).enabled and observed.unit(TIMER).running
    assert plan(desired, observed).outcome == "in_sync"


def test_timer_service_runs_apply_with_the_same_spec(host: Host) -> None:
    """gate-reconcile.service runs exactly `<gate-reconcile> apply --spec <hostile spec path>`."""
    desired = host.desired()
    host.install(desired)
    host.manager.systemctl("start", RECONCILE_SERVICE)
    argv = json.loads(Path(f"{desired.reconcile_argv[0]}.argv.json").read_text())
    assert tuple(argv) == desired.reconcile_argv
    assert argv[-1].endswith(f"{HOSTILE}.toml")


def test_running_gate_has_the_rendered_argv(host: Host) -> None:
    """Socket activation starts the gate with exactly the rendered argv, hostile paths included;
    the planner sees its live command line and stays in sync, then asks for a restart when it differs."""
    desired = host.desired()
    host.install(desired)
    with socket.create_connection(("127.0.0.1", desired.port), timeout=10) as connection:
        assert connection.makefile().readline() == "stand-in gate\n"
    argv = json.loads(Path(f"{desired.gate_command}.argv.json").read_text())
    assert tuple(argv) == desired.service_argv
    observed = observe(desired)
    assert observed.unit(SERVICE).running and observed.service_process is not None
    assert plan(desired, observed).outcome == "in_sync"
    longer = host.desired(port=desired.port, idle_timeout=900)
    host.install(longer)  # files rewritten and reloaded, the old gate keeps running
    assert [(a.kind, a.target) for a in plan(longer, observe(longer)).actions] == [
        ("restart_unit", SERVICE)
    ]


def test_file_edited_after_loading(host: Host) -> None:
    """A hand edit after daemon-reload shows as NeedDaemonReload=yes and is planned away."""
    desired = host.desired()
    host.install(desired)
    path = desired.unit(SOCKET).path
    path.write_text(path.read_text().replace("Accept=no\n", "Accept=no\nBacklog=8\n"))
    observed = observe(desired)
    assert observed.unit(SOCKET).need_daemon_reload
    assert [(a.kind, a.target, a.reason) for a in plan(desired, observed).actions] == [
        ("write_unit", SOCKET, "terok-gate.socket edited by hand"),
        ("daemon_reload", "systemd --user", "unit files changed: terok-gate.socket"),
        ("restart_unit", SOCKET, "apply the new unit: terok-gate.socket edited by hand"),
    ]


def test_right_file_not_yet_loaded_is_drift(host: Host) -> None:
    """The rendered file on disk but not loaded (NeedDaemonReload=yes) still needs reload and restart."""
    old = host.desired()
    host.install(old)
    new = host.desired(port=_free_port())
    new.unit(SOCKET).path.write_text(new.unit(SOCKET).text)
    assert _steps(new) == [("daemon_reload", "systemd --user"), ("restart_unit", SOCKET)]


def test_legacy_units_are_recognised(host: Host) -> None:
    """The historical manager's Accept=yes socket and template are seen as legacy and replaced."""
    desired = host.desired()
    unit_dir = desired.unit_dir
    (unit_dir / SOCKET).write_text(
        f"# terok-gate-version: 1\n[Socket]\nListenStream=127.0.0.1:{desired.port}\nAccept=yes\n\n[Install]\nWantedBy=sockets.target\n"
    )
    (unit_dir / LEGACY_TEMPLATE).write_text(
        "# terok-gate-version: 1\n[Service]\nExecStart=/bin/true\nStandardInput=socket\n"
    )
    host.manager.systemctl("daemon-reload")
    host.manager.systemctl("enable", "--now", SOCKET)
    observed = observe(desired)
    assert observed.legacy and observed.file(SOCKET).legacy and observed.unit(SOCKET).accept is True
    assert observed.port.via == "socket"
    steps = [(a.kind, a.target) for a in plan(desired, observed).actions]
    assert ("remove_unit", LEGACY_TEMPLATE) in steps and ("restart_unit", SOCKET) in steps


def test_masked_unit_blocks(host: Host) -> None:
    """A socket masked by the operator blocks the plan with the unmask command."""
    desired = host.desired()
    host.manager.systemctl("mask", SOCKET)
    observed = observe(desired)
    assert observed.file(SOCKET).masked and observed.unit(SOCKET).masked
    assert (
        plan(desired, observed)
        .blocked[0]
        .startswith("terok-gate.socket is masked; run `systemctl --user unmask")
    )


def _host_state(host: Host, desired: Desired) -> tuple[object, ...]:
    files = sorted(
        (str(p), p.read_bytes() if p.is_file() else b"") for p in desired.unit_dir.rglob("*")
    )
    props = [
        host.prop(unit, "ActiveState") + host.prop(unit, "UnitFileState")
        for unit in (SOCKET, SERVICE, TIMER)
    ]
    return tuple(files), tuple(props), desired.base_path.exists(), desired.pid_file.exists()


@pytest.mark.parametrize("situation", ["fresh", "edited"])
def test_dry_run_changes_nothing(
    host: Host, situation: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`gate-reconcile --dry-run` leaves unit files, unit states and paths exactly as they were."""
    desired = host.desired()
    if situation == "edited":
        host.install(desired)
        path = desired.unit(SERVICE).path
        path.write_text(path.read_text() + "Nice=3\n")
    spec = host.root / f"{HOSTILE}.toml"
    spec.write_text(
        f'mode = "systemd"\nport = {desired.port}\nbase_path = {json.dumps(str(desired.base_path))}\n'
        f"gate_command = {json.dumps(str(desired.gate_command))}\npid_file = {json.dumps(str(desired.pid_file))}\n"
    )
    before = _host_state(host, desired)
    assert main(["--dry-run", "--spec", str(spec)]) == 2
    out = capsys.readouterr().out
    assert _host_state(host, desired) == before
    if situation == "edited":
        assert "terok-gate.service edited by hand" in out and "       -Nice=3\n" in out
    else:
        assert f"+++ {desired.unit(SOCKET).path} (rendered)" in out
