"""observe() on real files and processes (a stand-in gate) with an injected systemctl runner."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from reconciler.desired import ALL_UNIT_FILES, Desired, RenderContext, render
from reconciler.host.run import CommandResult
from reconciler.observe import observe
from reconciler.plan import plan
from reconciler.spec import parse_spec
from tests.unit.reconciler.spawns import counting_spawns

RECORDED = (Path(__file__).parent / "recorded" / "show-converged.txt").read_text()

# A stand-in for the detached gate (the real one is built elsewhere): it listens on --port,
# writes its pid to --pid-file and waits; its argv is exactly what gate-reconcile renders.
STAND_IN = """
import os, socket, sys, time
args = dict(zip(sys.argv[1::1], sys.argv[2::1]))
server = socket.socket()
server.bind((args["--bind"], int(args["--port"])))
server.listen()
with open(args["--pid-file"], "w") as pid_file:
    pid_file.write(f"{os.getpid()}\\n")
time.sleep(120)
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def host(tmp_path: Path) -> dict[str, Path]:
    """A throwaway installation: programs, runtime dir, base path with an empty token file."""
    bin_dir, run_dir, base = tmp_path / "bin", tmp_path / "run", tmp_path / "base"
    for directory in (bin_dir, run_dir, base):
        directory.mkdir()
    gate = bin_dir / "terok-gate"
    gate.write_text(f"#!{sys.executable}\n{STAND_IN}")
    gate.chmod(0o755)
    (base / "tokens.json").write_text("{}")
    return {"root": tmp_path, "gate": gate, "run": run_dir, "base": base}


def _desired(host: dict[str, Path], mode: str) -> Desired:
    spec = parse_spec(
        {
            "mode": mode,
            "port": _free_port(),
            "base_path": str(host["base"]),
            "pid_file": str(host["run"] / "gate.pid"),
            "gate_command": str(host["gate"]),
        },
        os.environ,
    )
    return render(
        spec, RenderContext(host["root"] / "units", host["root"] / "bin" / "gate-reconcile", None)
    )


def _env(host: dict[str, Path]) -> dict[str, str]:
    return {"HOME": str(host["root"]), "XDG_RUNTIME_DIR": str(host["run"])}


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + 10
    while not (path.exists() and path.read_text().endswith("\n")):
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.02)


@pytest.fixture
def daemon(host: dict[str, Path]) -> Iterator[tuple[Desired, subprocess.Popen[bytes]]]:
    """The stand-in gate running with exactly the rendered daemon argv (minus --detach's fork)."""
    desired = _desired(host, "daemon")
    process = subprocess.Popen(desired.daemon_argv)
    _wait_for(desired.pid_file)
    yield desired, process
    process.kill()
    process.wait()


def test_converged_daemon_mode_runs_no_subprocess(
    host: dict[str, Path], daemon: tuple[Desired, subprocess.Popen[bytes]]
) -> None:
    """Our daemon alive, ours by its cmdline, holding the port: observed with zero process spawns."""
    desired, process = daemon
    with counting_spawns() as spawns:
        observed = observe(desired, env=_env(host))
    assert spawns == []
    assert observed.manager.presence == "absent"
    assert (observed.pid_file.pid, observed.pid_file.ours) == (process.pid, True)
    assert (observed.port.status, observed.port.via) == ("ours", "daemon")
    assert plan(desired, observed).outcome == "in_sync"


def test_stray_gate_without_pid_file_is_still_recognised(
    host: dict[str, Path], daemon: tuple[Desired, subprocess.Popen[bytes]]
) -> None:
    """With its pid file gone, our gate is found on the port by its exact --pid-file argument."""
    desired, process = daemon
    desired.pid_file.unlink()
    observed = observe(desired, env=_env(host))
    assert observed.pid_file.kind == "missing"
    assert (observed.port.via, observed.port.process.pid) == ("stray_gate", process.pid)  # type: ignore[union-attr]


def test_reused_pid_is_never_ours(host: dict[str, Path]) -> None:
    """A pid file naming a live process that is not our gate is stale; the process is left alone."""
    desired = _desired(host, "daemon")
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        desired.pid_file.write_text(f"{sleeper.pid}\n")
        observed = observe(desired, env=_env(host))
        assert observed.pid_file.process is not None and observed.pid_file.ours is False
        kinds = [(a.kind, a.reason) for a in plan(desired, observed).actions]
        assert kinds[0] == ("remove_pid_file", f"pid file stale: pid {sleeper.pid} is not a gate")
        assert "stop_daemon" not in [k for k, _ in kinds]
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_gate_with_another_pid_file_is_not_ours(host: dict[str, Path]) -> None:
    """A terok-gate whose --pid-file differs from the spec's is foreign and blocks the port."""
    desired = _desired(host, "daemon")
    other = list(desired.daemon_argv)
    other[other.index("--pid-file") + 1] = str(host["run"] / "other.pid")
    process = subprocess.Popen(other)
    try:
        _wait_for(host["run"] / "other.pid")
        observed = observe(desired, env=_env(host))
        assert observed.port.status == "foreign"
        assert plan(desired, observed).outcome == "blocked"
    finally:
        process.kill()
        process.wait()


def test_foreign_listener_is_named(host: dict[str, Path]) -> None:
    """A port held by another program is foreign, with that program's pid and command line."""
    desired = _desired(host, "daemon")
    with socket.socket() as server:
        server.bind(("127.0.0.1", desired.port))
        server.listen()
        observed = observe(desired, env=_env(host))
    assert (observed.port.status, observed.port.process.pid) == ("foreign", os.getpid())  # type: ignore[union-attr]
    (reason,) = plan(desired, observed).blocked
    assert reason.startswith(f"port {desired.port} on 127.0.0.1 is held by pid {os.getpid()} (")


class Recorder:
    """An injected runner answering from a recording of a real converged host."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def __call__(
        self, argv: Sequence[str], *, timeout: float = 30.0, env: Mapping[str, str] | None = None
    ) -> CommandResult:
        self.calls.append(tuple(argv))
        return CommandResult(tuple(argv), 0, RECORDED, "")


def _fake_manager_socket(host: dict[str, Path]) -> socket.socket:
    (host["run"] / "systemd").mkdir()
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(host["run"] / "systemd" / "private"))
    return listener


def test_systemd_mode_asks_the_manager_exactly_once(host: dict[str, Path]) -> None:
    """With a manager socket present, systemd mode makes one systemctl call for all units."""
    desired = _desired(host, "systemd")
    runner = Recorder()
    with _fake_manager_socket(host):
        observed = observe(desired, env=_env(host), runner=runner)
    assert len(runner.calls) == 1
    assert observed.manager.answers
    assert [u.name for u in observed.units] == [n for n in ALL_UNIT_FILES if "@." not in n]


def test_daemon_mode_leaves_the_manager_alone_when_nothing_of_ours_is_there(
    host: dict[str, Path],
) -> None:
    """Daemon mode beside a manager does not ask it, unless one of our unit files exists."""
    desired = _desired(host, "daemon")
    runner = Recorder()
    with _fake_manager_socket(host):
        assert observe(desired, env=_env(host), runner=runner).manager.presence == "not_asked"
        assert runner.calls == []
        desired.unit_dir.mkdir()
        desired.unit(ALL_UNIT_FILES[0]).path.write_text(desired.units[0].text)
        assert observe(desired, env=_env(host), runner=runner).manager.answers
        assert len(runner.calls) == 1
