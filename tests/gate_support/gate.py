"""The real terok-gate: the installed console script, started as its own process."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.gate_support.git import bare_repo, git_env
from tests.gate_support.http import get

# The console script pip installed next to the interpreter: what systemd and users run.
GATE = Path(sys.executable).parent / "terok-gate"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll until `condition()` holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@dataclass
class Site:
    """A base path with repositories and a token file, as terok lays them out."""

    root: Path

    @property
    def base(self) -> Path:
        """The gate's --base-path."""
        return self.root / "gate"

    @property
    def token_file(self) -> Path:
        """The gate's --token-file (inside the base path, like terok's)."""
        return self.base / "tokens.json"

    def write_tokens(self, tokens: dict[str, dict[str, str]] | str) -> None:
        """Replace the token file atomically (a new inode), as terok does."""
        text = tokens if isinstance(tokens, str) else json.dumps(tokens)
        temporary = self.token_file.with_name(".tokens.json.tmp")
        temporary.write_text(text)
        temporary.chmod(0o600)
        temporary.replace(self.token_file)

    def repo(self, project: str, files: dict[str, bytes] | None = None) -> Path:
        """Create the bare repository `<project>.git` under the base path."""
        return bare_repo(self.base / f"{project}.git", files)

    def args(self) -> list[str]:
        """The two required options."""
        return ["--base-path", str(self.base), "--token-file", str(self.token_file)]


def make_site(root: Path) -> Site:
    """An empty site: base path and an empty token file."""
    site = Site(root)
    site.base.mkdir(parents=True)
    site.write_tokens({})
    return site


@dataclass
class RunningGate:
    """A gate process serving on 127.0.0.1:`port`, its stderr collected in a file."""

    process: subprocess.Popen[bytes]
    port: int
    stderr_path: Path

    def url(self, project: str, token: str | None = None) -> str:
        """The clone URL of a project, with the token as the Basic user name."""
        credentials = f"{token}:x@" if token else ""
        return f"http://{credentials}127.0.0.1:{self.port}/{project}.git"

    def stderr(self) -> str:
        """Everything the gate wrote to stderr so far."""
        return self.stderr_path.read_text(errors="replace")

    def log(self) -> list[dict[str, Any]]:
        """The gate's JSON log lines so far."""
        return [json.loads(line) for line in self.stderr().splitlines() if line.startswith("{")]

    def requests(self) -> list[dict[str, Any]]:
        """The access log lines so far."""
        return [line for line in self.log() if line.get("event") == "request"]

    def wait_requests(
        self, condition: Callable[[list[dict[str, Any]]], bool], what: str
    ) -> list[dict[str, Any]]:
        """The access log once `condition` holds for it (a line is written after its response)."""
        wait_for(lambda: condition(self.requests()), 15, what)
        return self.requests()

    def stop(self, timeout: float = 20) -> int:
        """Send SIGTERM and return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()  # never leave a gate behind, then fail the test
            self.process.wait()
            raise AssertionError(f"the gate ignored SIGTERM for {timeout} s") from None


def gate_command(site: Site, *extra: str) -> list[str]:
    """The argv of a gate for `site`."""
    return [str(GATE), *site.args(), *extra]


def start_gate(
    site: Site, *extra: str, env: dict[str, str] | None = None, port: int | None = None
) -> RunningGate:
    """Start `terok-gate --foreground` and wait until its health route answers."""
    port = port or free_port()
    stderr_path = site.root / f"gate-{port}.log"
    argv = gate_command(site, "--port", str(port), "--foreground", *extra)
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stderr=stderr, env=env or git_env()
        )
    gate = RunningGate(process, port, stderr_path)
    try:
        wait_for(lambda: _healthy(gate), 15, f"the gate on port {port} (log: {stderr_path})")
    except BaseException:
        process.kill()
        process.wait()
        raise
    return gate


def _healthy(gate: RunningGate) -> bool:
    if gate.process.poll() is not None:
        raise AssertionError(f"the gate exited with {gate.process.returncode}:\n{gate.stderr()}")
    try:
        return get(gate.port, "/-/health").status == 200
    except OSError:
        return False


@contextlib.contextmanager
def running_gate(
    site: Site, *extra: str, env: dict[str, str] | None = None
) -> Iterator[RunningGate]:
    """A gate for the duration of a `with` block; it must stop cleanly with exit code 0."""
    gate = start_gate(site, *extra, env=env)
    try:
        yield gate
    finally:
        code = gate.stop()
    assert code == 0, f"the gate exited with {code}:\n{gate.stderr()}"


def fake_exec_path(directory: Path, backend_script: str | None) -> dict[str, str]:
    """An environment whose `git --exec-path` is `directory`, holding a fake http-backend.

    With None the directory stays empty: git http-backend is missing.
    """
    directory.mkdir(parents=True, exist_ok=True)
    if backend_script is not None:
        program = directory / "git-http-backend"
        program.write_text(backend_script)
        program.chmod(0o755)
    return git_env(GIT_EXEC_PATH=str(directory))


def proc_status(pid: int, field_name: str) -> str:
    """A field of /proc/<pid>/status, such as VmHWM."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name == field_name:
            return value.strip()
    raise AssertionError(f"/proc/{pid}/status has no {field_name}")


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
