"""Servers the benchmarks start and own: a child process, its readiness, its clean stop."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from bench.commands import redact
from bench.errors import BenchmarkError

# Turns a command into the command that runs it (for example inside a cgroup of ours).
Launcher = Callable[[list[str]], list[str]]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def accepts(port: int) -> bool:
    """True when something accepts TCP connections on 127.0.0.1:port."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.01
) -> None:
    """Poll condition every `interval` s; raise BenchmarkError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise BenchmarkError(f"timed out after {timeout} s waiting for {what}")


class Child:
    """A long-running child process with its output in a log file."""

    def __init__(self, name: str, argv: Sequence[str], log: Path, env: Mapping[str, str]) -> None:
        self.name = name
        self.log = log
        self._argv = list(argv)
        self._env = dict(env)
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the child; its stdout and stderr go to the log file."""
        with self.log.open("ab") as out:
            self._process = subprocess.Popen(
                self._argv,
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def check_alive(self) -> None:
        """Raise BenchmarkError with the log's tail when the child has died."""
        if self._process is None or self._process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-1500:] if self.log.exists() else ""
            raise BenchmarkError(redact(f"{self.name} is not running; its log ends with:\n{tail}"))

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """Signal the child's own process group (it got its own session), wait for the child,
        then sweep the group: fcgiwrap's pre-forked workers can sit out a SIGTERM in accept()."""
        process, self._process = self._process, None
        if process is None:
            return
        _signal_group(process.pid, sig)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        _signal_group(process.pid, signal.SIGKILL)


def _signal_group(group: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, sig)
