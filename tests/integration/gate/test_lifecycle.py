"""How the gate starts and stops: refusals at start, --detach with its PID file, SIGTERM,
socket activation from an inherited fd, --inetd, and a backend that misbehaves."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.gate_support.reaper
from tests.gate_support.gate import (
    GATE,
    Site,
    alive,
    fake_exec_path,
    free_port,
    gate_command,
    running_gate,
    start_gate,
    wait_for,
)
from tests.gate_support.git import git, git_env
from tests.gate_support.http import basic, get, request_bytes
from tests.integration.gate.conftest import ALPHA

REAPER = Path(tests.gate_support.reaper.__file__)
INFO_REFS = "/alpha.git/info/refs?service=git-upload-pack"


def _run(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, env=env or git_env(), timeout=60)


def test_missing_http_backend_refuses_to_start(site: Site, tmp_path: Path) -> None:
    """When `git --exec-path` has no git-http-backend, the gate exits 1 and says so."""
    env = fake_exec_path(tmp_path / "exec-path", backend_script=None)
    result = _run(gate_command(site, "--port", str(free_port()), "--foreground"), env)
    assert result.returncode == 1
    assert f"git http-backend not found: {tmp_path / 'exec-path'}/git-http-backend" in result.stderr
    assert "GIT_EXEC_PATH" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_git_refuses_to_start(site: Site, tmp_path: Path) -> None:
    """Without git on PATH the gate exits 1 and says git is not installed."""
    result = _run(
        gate_command(site, "--port", str(free_port()), "--foreground"),
        git_env(PATH=str(tmp_path)),
    )
    assert result.returncode == 1
    assert "git is not installed" in result.stderr


def test_missing_base_path_refuses_to_start(site: Site, tmp_path: Path) -> None:
    """A base path that is not a directory is a clear error at start."""
    argv = [str(GATE), "--base-path", str(tmp_path / "nope"), "--token-file", str(site.token_file)]
    result = _run([*argv, "--foreground"])
    assert result.returncode == 1
    assert f"base path {tmp_path / 'nope'} is not a directory" in result.stderr


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ([], "choose how to run"),
        (["--detach"], "--detach needs --pid-file"),
        (["--foreground", "--pid-file", "/tmp/x.pid"], "--pid-file goes only with --detach"),
        (["--foreground", "--inetd"], "not allowed with argument"),
        (["--foreground", "--port", "0"], "is not a TCP port"),
        (["--foreground", "--idle-timeout", "-1"], "is not a number of seconds"),
    ],
)
def test_usage_errors_exit_2(site: Site, flags: list[str], message: str) -> None:
    """Wrong or missing mode flags are usage errors (exit 2) that say what is wrong."""
    result = _run(gate_command(site, *flags))
    assert result.returncode == 2
    assert message in result.stderr


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that another program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port: int = other.getsockname()[1]
        yield port


@pytest.mark.parametrize("mode", [["--foreground"], ["--detach", "--pid-file"]])
def test_port_in_use_is_a_clear_error_and_no_pid_file(
    site: Site, tmp_path: Path, busy_port: int, mode: list[str]
) -> None:
    """A port in use ends the start at once with exit 1, a clear message and no PID file."""
    pid_file = tmp_path / "run" / "gate.pid"
    argv = gate_command(site, "--port", str(busy_port), *mode)
    result = _run([*argv, str(pid_file)] if "--pid-file" in mode else argv)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{busy_port}: the port is already in use" in result.stderr
    assert not pid_file.exists()


def _start_detached(site: Site, pid_file: Path, port: int) -> subprocess.Popen[str]:
    argv = gate_command(site, "--detach", "--pid-file", str(pid_file), "--port", str(port))
    reaper = subprocess.Popen(
        [sys.executable, str(REAPER), *argv], stdout=subprocess.PIPE, text=True, env=git_env()
    )
    assert reaper.stdout is not None
    started = json.loads(reaper.stdout.readline())
    assert started["returncode"] == 0, started
    return reaper


def _daemon_exits(reaper: subprocess.Popen[str]) -> list[dict[str, int]]:
    out, _ = reaper.communicate(timeout=30)
    return [json.loads(line) for line in out.splitlines()]


def test_detach_life_cycle(site: Site, tmp_path: Path) -> None:
    """--detach returns once the daemon serves and its PID file exists; SIGTERM ends it (0)."""
    pid_file, port = tmp_path / "run" / "gate-server.pid", free_port()
    reaper = _start_detached(site, pid_file, port)
    pid = int(pid_file.read_text())
    assert alive(pid)
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert [b"--pid-file", str(pid_file).encode()] in [
        cmdline[i : i + 2] for i in range(len(cmdline))
    ]
    assert os.getsid(pid) == pid, "the daemon leads its own session"
    assert {str(Path(f"/proc/{pid}/fd/{fd}").readlink()) for fd in (0, 1, 2)} == {"/dev/null"}
    assert get(port, "/-/health").status == 200
    git("ls-remote", f"http://{ALPHA}:x@127.0.0.1:{port}/alpha.git")
    os.kill(pid, signal.SIGTERM)
    assert _daemon_exits(reaper) == [{"pid": pid, "exit": 0}]
    assert not pid_file.exists()
    assert list(pid_file.parent.iterdir()) == []


def test_detach_leaves_a_pid_file_that_is_no_longer_its_own(site: Site, tmp_path: Path) -> None:
    """On exit the daemon removes the PID file only if it still holds the daemon's PID."""
    pid_file, port = tmp_path / "gate.pid", free_port()
    reaper = _start_detached(site, pid_file, port)
    pid = int(pid_file.read_text())
    pid_file.write_text("4242\n")  # a successor's file
    os.kill(pid, signal.SIGTERM)
    assert _daemon_exits(reaper) == [{"pid": pid, "exit": 0}]
    assert pid_file.read_text() == "4242\n"


def test_sigterm_right_after_detach_still_cleans_up(site: Site, tmp_path: Path) -> None:
    """A SIGTERM sent the moment `--detach` returns is handled: exit 0, PID file removed."""
    pid_file = tmp_path / "gate.pid"
    reaper = _start_detached(site, pid_file, free_port())
    pid = int(pid_file.read_text())
    os.kill(pid, signal.SIGTERM)
    assert _daemon_exits(reaper) == [{"pid": pid, "exit": 0}]
    assert not pid_file.exists()


def test_detach_reports_an_unwritable_pid_file(site: Site, tmp_path: Path) -> None:
    """When the daemon cannot write its PID file, `--detach` exits 1 and names the file."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    pid_file = blocker / "gate.pid"
    result = _run(
        gate_command(site, "--detach", "--pid-file", str(pid_file), "--port", str(free_port()))
    )
    assert result.returncode == 1
    assert f"cannot write PID file {pid_file}" in result.stderr


_SLOW_BACKEND = """#!/bin/sh
touch "$GIT_PROJECT_ROOT/request-started"
sleep 1
printf 'Status: 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nslow answer\\n'
"""


def test_sigterm_lets_the_request_in_flight_finish(site: Site, tmp_path: Path) -> None:
    """After SIGTERM the gate stops accepting, finishes the request in flight, and exits 0."""
    gate = start_gate(site, env=fake_exec_path(tmp_path / "exec", _SLOW_BACKEND))
    conn = http.client.HTTPConnection("127.0.0.1", gate.port, timeout=30)
    conn.request("GET", INFO_REFS, headers={"Authorization": basic(ALPHA)})
    wait_for((site.base / "request-started").exists, 10, "the request to reach the backend")
    gate.process.send_signal(signal.SIGTERM)
    wait_for(lambda: _refused(gate.port), 10, "the gate to stop accepting")
    response = conn.getresponse()
    assert (response.status, response.read()) == (200, b"slow answer\n")
    assert gate.process.wait(timeout=20) == 0
    stopped = [line for line in gate.log() if line["event"] == "terok-gate stopped"]
    assert stopped[0]["requests_finished"] is True


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except (ConnectionRefusedError, ConnectionResetError):  # reset: queued as it closed
        return True
    return False


@pytest.mark.parametrize(
    "script",
    [
        "#!/bin/sh\nexit 0\n",
        "#!/bin/sh\nprintf 'no header at all'\n",
        "#!/bin/sh\nprintf 'Status: 200 OK\\r\\nContent-Type: x'\n",
        "#!/bin/sh\nprintf 'Status: 2OO OK\\r\\n\\r\\nbody'\n",
        "#!/bin/sh\necho 'fatal: oops' >&2\nexit 128\n",
        "#!/bin/sh\nexec yes 'X-Header: endless'\n",
    ],
    ids=["silent", "no-header", "head-cut-off", "bad-status", "crashes", "endless-head"],
)
def test_backend_without_a_valid_header_is_502(site: Site, tmp_path: Path, script: str) -> None:
    """A backend run that yields no valid CGI header is a 502, never a 200 with nothing."""
    with running_gate(site, env=fake_exec_path(tmp_path / "exec", script)) as gate:
        reply = get(gate.port, INFO_REFS, ALPHA)
        assert reply.status == 502
        lines = gate.wait_requests(lambda lines: any(r["status"] == 502 for r in lines), "502")
    assert any(r.get("reason", "").startswith("git http-backend gave no valid") for r in lines)


def test_backend_dying_mid_body_never_looks_complete(site: Site, tmp_path: Path) -> None:
    """When the backend fails after its header, the chunked body is left unterminated."""
    script = "#!/bin/sh\nprintf 'Content-Type: x\\r\\n\\r\\npart of it'\nexit 1\n"
    with running_gate(site, env=fake_exec_path(tmp_path / "exec", script)) as gate:
        conn = http.client.HTTPConnection("127.0.0.1", gate.port, timeout=30)
        conn.request("GET", INFO_REFS, headers={"Authorization": basic(ALPHA)})
        response = conn.getresponse()
        with pytest.raises(http.client.IncompleteRead):
            response.read()


def test_socket_activation_serves_the_inherited_socket_then_exits_when_idle(site: Site) -> None:
    """With LISTEN_PID/LISTEN_FDS the gate serves fd 3 (no mode flag) and exits 0 when idle."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port, fd = listener.getsockname()[1], listener.fileno()
        shell = f'exec 3<&{fd}; LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"'
        argv = ["bash", "-c", shell, "bash", *gate_command(site, "--idle-timeout", "1")]
        gate = subprocess.Popen(argv, pass_fds=(fd,), stderr=subprocess.PIPE, env=git_env())
        wait_for(lambda: get(port, "/-/health").status == 200, 15, "the activated gate")
        git("ls-remote", f"http://{ALPHA}:x@127.0.0.1:{port}/alpha.git")
        _, stderr = gate.communicate(timeout=30)
    assert gate.returncode == 0
    events = [json.loads(line) for line in stderr.decode().splitlines()]
    assert events[1]["mode"] == "socket"
    assert events[-1] == {**events[-1], "event": "terok-gate stopped", "reason": "idle"}
    assert {e["pid"] for e in events} == {gate.pid}


def test_inetd_serves_the_connection_on_stdin(site: Site) -> None:
    """--inetd serves the requests of the connection on fd 0, then exits 0."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        gate = subprocess.Popen(
            gate_command(site, "--inetd"),
            stdin=theirs.fileno(),
            stderr=subprocess.PIPE,
            env=git_env(),
        )
        theirs.close()
        headers = {"Authorization": basic(ALPHA)}
        ours.sendall(
            request_bytes("GET", "/alpha.git/HEAD", {**headers, "Connection": "keep-alive"})
        )
        first = http.client.HTTPResponse(ours)
        first.begin()
        assert (first.status, first.read()) == (200, b"ref: refs/heads/main\n")
        ours.sendall(request_bytes("GET", "/-/health"))
        second = http.client.HTTPResponse(ours)
        second.begin()
        assert second.status == 200
        assert json.loads(second.read())["service"] == "terok-gate"
        _, stderr = gate.communicate(timeout=30)
    assert gate.returncode == 0
    assert [json.loads(line)["event"] for line in stderr.decode().splitlines()][
        -1
    ] == "terok-gate stopped"


def test_inetd_without_a_socket_on_stdin_is_refused(site: Site) -> None:
    """--inetd with a pipe or file on fd 0 exits 1 and says a socket is needed."""
    result = _run(gate_command(site, "--inetd"))
    assert result.returncode == 1
    assert "--inetd needs a connected socket on standard input" in result.stderr


def test_gate_serves_concurrent_slow_requests_in_one_process(site: Site, tmp_path: Path) -> None:
    """Requests that overlap in time are all served by one gate process at once."""
    script = (
        '#!/bin/sh\ntouch "$GIT_PROJECT_ROOT/started.$$"\n'
        'while [ $(ls "$GIT_PROJECT_ROOT" | grep -c started) -lt 4 ]; do sleep 0.05; done\n'
        "printf 'Content-Type: text/plain\\r\\n\\r\\ntogether\\n'\n"
    )
    with running_gate(site, env=fake_exec_path(tmp_path / "exec", script)) as gate:
        conns = [http.client.HTTPConnection("127.0.0.1", gate.port, timeout=30) for _ in range(4)]
        for conn in conns:
            conn.request("GET", INFO_REFS, headers={"Authorization": basic(ALPHA)})
        bodies = [conn.getresponse().read() for conn in conns]
    assert bodies == [b"together\n"] * 4
