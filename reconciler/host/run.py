"""The one place that runs commands: argument lists, never a shell, one error type.

Commands that change the host go through `sh`. Queries (commands that only report, see
QUERIES) go through the standard library's subprocess instead, because of what sh costs
to import: about 40 ms, most of it the asyncio and importlib.metadata it loads at import
time, against a few milliseconds for subprocess. A converged `apply` runs one query and
nothing else, every few minutes on every host, so that import would be a third of its
cost. Both paths take the same argv, environment and timeout, and return the same
CommandResult or raise the same CommandError (tests/unit/reconciler/test_host_run.py runs
every case through both). sh is imported on the first command that changes something.
"""

from __future__ import annotations

import contextlib
import logging
import shlex
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler.errors import ReconcileError

log = logging.getLogger(__name__)

# stderr phrases of systemctl/D-Bus failures that can pass by themselves.
_TRANSIENT = (
    "connection timed out",
    "timeout was reached",
    "resource temporarily unavailable",
    "transport endpoint is not connected",
    "connection reset by peer",
    "is destructive",
    "canceled",
)


@dataclass(frozen=True)
class CommandResult:
    """What a finished command printed."""

    argv: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str


class CommandError(ReconcileError):
    """A command failed; carries everything needed to explain or retry it."""

    def __init__(
        self, argv: Sequence[str], exit_code: int | None, stdout: str, stderr: str
    ) -> None:
        self.argv = tuple(argv)
        self.returncode = exit_code  # None: timed out (exit_code is the CLI's, see errors.py)
        self.stdout = stdout
        self.stderr = stderr
        self.transient = is_transient(exit_code, stderr)
        status = "timed out" if exit_code is None else f"exited with {exit_code}"
        last = stderr.strip().splitlines()[-1] if stderr.strip() else "no message"
        super().__init__(f"`{shlex.join(self.argv)}` {status}: {last}")


def is_transient(exit_code: int | None, stderr: str) -> bool:
    """Whether waiting can help: timeouts and busy or restarting managers, nothing else."""
    if exit_code is None:
        return True
    lowered = stderr.lower()
    return any(phrase in lowered for phrase in _TRANSIENT)


class Runner(Protocol):
    """Runs one command; raises CommandError unless it exits 0."""

    def __call__(
        self,
        argv: Sequence[str],
        *,
        timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
    ) -> CommandResult: ...


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", "replace")


# Commands that only report what the host looks like and never change it (argv prefixes).
QUERIES = (("systemctl", "--user", "show"),)


def is_query(argv: Sequence[str]) -> bool:
    """Whether argv is one of the QUERIES."""
    return any(tuple(argv[: len(query)]) == query for query in QUERIES)


def run(
    argv: Sequence[str], *, timeout: float = 30.0, env: Mapping[str, str] | None = None
) -> CommandResult:
    """Run `argv` (never through a shell) and return what it printed."""
    log.debug("+ %s", shlex.join(argv))
    if is_query(argv):
        return _with_subprocess(argv, timeout, env)
    return _with_sh(argv, timeout, env)


def _with_subprocess(
    argv: Sequence[str], timeout: float, env: Mapping[str, str] | None
) -> CommandResult:
    """A query: subprocess.run kills the command at `timeout`."""
    import subprocess

    try:
        done = subprocess.run(
            list(argv),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            env=None if env is None else dict(env),
            check=False,
        )
    except (FileNotFoundError, PermissionError):
        raise CommandError(argv, 127, "", f"{argv[0]}: command not found") from None
    except subprocess.TimeoutExpired:
        raise CommandError(argv, None, "", f"no answer within {timeout:.1f} s") from None
    stdout, stderr = _text(done.stdout), _text(done.stderr)
    if done.returncode != 0:
        raise CommandError(argv, done.returncode, stdout, stderr)
    return CommandResult(tuple(argv), 0, stdout, stderr)


def _with_sh(argv: Sequence[str], timeout: float, env: Mapping[str, str] | None) -> CommandResult:
    """A command that changes the host, through sh."""
    import sh  # lazy on purpose, see the module docstring

    try:
        running = sh.Command(argv[0])(
            *argv[1:],
            _bg=True,
            _bg_exc=False,
            _tty_out=False,
            _truncate_exc=False,
            _env=None if env is None else dict(env),
        )
    except sh.CommandNotFound:
        raise CommandError(argv, 127, "", f"{argv[0]}: command not found") from None
    return _finish(argv, running, timeout)


def _finish(argv: Sequence[str], running: Any, timeout: float) -> CommandResult:
    """Wait for the command; kill it at `timeout`.

    A timer kills it instead of sh's `_timeout`, which polls every 0.1 s and so adds up
    to 100 ms to every command, even one that takes 5 ms.
    """
    import sh

    killed = threading.Event()
    timer = threading.Timer(timeout, _kill, (running, killed))
    timer.daemon = True
    timer.start()
    try:
        running.wait()
    except sh.ErrorReturnCode as error:
        if killed.is_set():
            raise CommandError(argv, None, "", f"no answer within {timeout:.1f} s") from None
        raise CommandError(
            argv, error.exit_code, _text(error.stdout), _text(error.stderr)
        ) from None
    finally:
        timer.cancel()
    return CommandResult(
        tuple(argv), running.exit_code or 0, _text(running.stdout), _text(running.stderr)
    )


def _kill(running: Any, killed: threading.Event) -> None:
    """The timer's end: the command took too long."""
    killed.set()
    with contextlib.suppress(ProcessLookupError, OSError):
        running.kill()
