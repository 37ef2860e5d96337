"""terok-gate in the three states the benchmark measures: socket-activated (kept warm or
left to exit when idle) under a real systemd --user manager, and as a detached daemon."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from bench.commands import run
from bench.errors import BenchmarkError
from bench.gate.install import GateInstall
from bench.servers import Launcher, wait_until
from tests.harness.systemd_user import UserManager

_SOCKET_UNIT = """\
[Unit]
Description=terok-gate benchmark socket ({name})

[Socket]
ListenStream=127.0.0.1:{port}
Accept=no
"""

# StartLimitIntervalSec=0: the idle variant restarts the gate every second or two on
# purpose; systemd's default start rate limit would otherwise refuse the sixth start.
_SERVICE_UNIT = """\
[Unit]
Description=terok-gate benchmark service ({name})
StartLimitIntervalSec=0

[Service]
ExecStart={command} --base-path {base} --token-file {tokens} --idle-timeout {idle}
"""

_PLAIN_PATH = re.compile(r"^[A-Za-z0-9/._-]+$")


def write_token_file(path: Path, repos: list[str]) -> dict[str, str]:
    """A 0600 token file with one token per repository; returns repo -> token."""
    tokens = {repo: f"bench-token-{repo}" for repo in repos}
    content = {token: {"project": repo, "task": "bench"} for repo, token in tokens.items()}
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(json.dumps(content))
    return tokens


def health(port: int) -> dict[str, object] | None:
    """The gate's health JSON on 127.0.0.1:port, or None when it does not answer 200."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/-/health")
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            return None
        answer = json.loads(body)
        return answer if isinstance(answer, dict) else None
    except (OSError, ValueError):
        return None
    finally:
        connection.close()


def wait_healthy(port: int, timeout: float = 15, interval: float = 0.01) -> None:
    """Wait until a terok-gate answers the health route on the port."""

    def serving() -> bool:
        answer = health(port)
        return answer is not None and answer.get("service") == "terok-gate"

    wait_until(serving, timeout, f"terok-gate health on 127.0.0.1:{port}", interval)


@dataclass
class GateConfig:
    """Which gate runs, and what every instance of it serves."""

    install: GateInstall
    base: Path
    tokens: Path

    def args(self) -> list[str]:
        """The configuration part of the gate's command line."""
        return ["--base-path", str(self.base), "--token-file", str(self.tokens)]


class GateDaemon:
    """`terok-gate --detach`: started by the benchmark, stopped by its PID file."""

    def __init__(
        self, config: GateConfig, port: int, pid_file: Path, launch: Launcher = list
    ) -> None:
        self.config, self.port, self.pid_file, self._launch = config, port, pid_file, launch

    def start(self) -> None:
        """Start the daemon (the command returns once it has detached) and wait for health."""
        argv = [str(self.config.install.command), "--detach", "--pid-file", str(self.pid_file)]
        argv += [*self.config.args(), "--port", str(self.port), "--bind", "127.0.0.1"]
        run(self._launch([*argv, "--idle-timeout", "0"]), timeout=30)
        wait_healthy(self.port)

    def stop(self) -> None:
        """SIGTERM the daemon we started and wait until it is gone."""
        stop_detached(self.pid_file)


def detached_pid(pid_file: Path) -> int | None:
    """The PID in a PID file, only if that process is a gate started with that PID file."""
    with contextlib.suppress(OSError, ValueError):
        pid = int(pid_file.read_text().strip())
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if str(pid_file).encode() in argv:
            return pid
    return None


def stop_detached(pid_file: Path) -> None:
    """SIGTERM the detached gate of this PID file (if it runs) and wait until it is gone."""
    pid = detached_pid(pid_file)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    wait_until(lambda: not Path(f"/proc/{pid}").exists(), 15, f"gate daemon {pid} to exit")


class SocketGate:
    """An Accept=no socket + service pair running terok-gate under the user manager."""

    def __init__(
        self, manager: UserManager, name: str, config: GateConfig, port: int, idle: int
    ) -> None:
        self.manager = manager
        self.name = name
        self.config = config
        self.port = port
        self.idle = idle

    @property
    def service(self) -> str:
        """The service unit's name."""
        return f"{self.name}.service"

    def install(self) -> None:
        """Write both units, load them and start listening."""
        for path in (self.config.install.command, self.config.base, self.config.tokens):
            if not _PLAIN_PATH.match(str(path)):
                raise BenchmarkError(f"{path}: the benchmark needs a path without spaces or %")
        unit_dir = self.manager.unit_dir
        (unit_dir / f"{self.name}.socket").write_text(
            _SOCKET_UNIT.format(name=self.name, port=self.port)
        )
        (unit_dir / self.service).write_text(
            _SERVICE_UNIT.format(
                name=self.name,
                command=self.config.install.command,
                base=self.config.base,
                tokens=self.config.tokens,
                idle=self.idle,
            )
        )
        self.manager.systemctl("daemon-reload")
        self.manager.systemctl("start", f"{self.name}.socket")

    def state(self) -> str:
        """ActiveState of the service (active, inactive, failed, ...)."""
        shown = self.manager.systemctl("show", self.service, "-p", "ActiveState", "--value")
        return shown.stdout.strip()

    def wait_exited(self, timeout: float) -> None:
        """Wait until the idle gate has exited by itself; a failed exit breaks the benchmark."""
        deadline = time.monotonic() + timeout
        while (state := self.state()) != "inactive":
            if state == "failed" or time.monotonic() > deadline:
                raise BenchmarkError(f"{self.service} did not exit cleanly when idle: {state}")
            time.sleep(0.05)

    def remove(self) -> None:
        """Stop both units and delete their files."""
        self.manager.systemctl("stop", f"{self.name}.socket", self.service, check=False)
        for suffix in (".socket", ".service"):
            (self.manager.unit_dir / f"{self.name}{suffix}").unlink(missing_ok=True)
        self.manager.systemctl("daemon-reload", check=False)
