"""git http-backend: found once at start, then run once per request with streamed pipes."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, cast

from terok_gate.cgi import Backend, CgiHead, read_cgi_head
from terok_gate.errors import GateError
from terok_gate.protocol import CHUNK, ClientGoneError, HttpError

STDERR_TAIL = 2000
_MISSING_HINT = (
    "install git with its http-backend (Debian: apt-get install git), "
    "or point GIT_EXEC_PATH at a directory that has git-http-backend"
)


def find_backend(project_root: Path, environ: Mapping[str, str]) -> Backend:
    """Locate git-http-backend via `git --exec-path`; refuse to go on without it."""
    exec_path = _git_exec_path(environ)
    program = exec_path / "git-http-backend"
    if not (program.is_file() and os.access(program, os.X_OK)):
        raise GateError(f"git http-backend not found: {program} is missing", _MISSING_HINT)
    inherited = {"PATH": environ.get("PATH", os.defpath)}
    if "HOME" in environ:
        inherited["HOME"] = environ["HOME"]
    return Backend(program, exec_path, project_root, inherited)


def _git_exec_path(environ: Mapping[str, str]) -> Path:
    try:
        result = subprocess.run(
            ["git", "--exec-path"], env=dict(environ), capture_output=True, text=True, timeout=30
        )
    except FileNotFoundError:
        raise GateError("git is not installed (no 'git' on PATH)", _MISSING_HINT) from None
    except subprocess.TimeoutExpired:
        raise GateError("'git --exec-path' did not answer within 30 s", _MISSING_HINT) from None
    if result.returncode != 0 or not result.stdout.strip():
        detail = result.stderr.strip() or f"exit status {result.returncode}"
        raise GateError(f"'git --exec-path' failed: {detail}", _MISSING_HINT)
    return Path(result.stdout.strip())


class CgiRun:
    """One run of git http-backend. Its input is fed from a thread while its output is read.

    It runs in a process group of its own, so a kill also reaches the git upload-pack or
    receive-pack it started (which holds the same output pipe).
    """

    def __init__(self, backend: Backend, env: dict[str, str], has_body: bool) -> None:
        self._stderr = os.memfd_create("git-http-backend-stderr", os.MFD_CLOEXEC)
        self.process = subprocess.Popen(
            [str(backend.program)],
            stdin=subprocess.PIPE if has_body else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            cwd=backend.project_root,
            bufsize=CHUNK,
            process_group=0,
        )
        self.last_progress = time.monotonic()  # a byte went in or came out
        self.timed_out = False
        self._stdout = cast(io.BufferedReader, self.process.stdout)
        self._feeder: threading.Thread | None = None
        self.body_complete = not has_body
        self.bytes_in = 0
        self.client_error: Exception | None = None

    def feed(self, body: Iterable[bytes]) -> None:
        """Start copying the request body to the backend's input."""
        if self.process.stdin is None:
            raise RuntimeError("this backend run was started without a request body")
        self._feeder = threading.Thread(target=self._copy_in, args=(body, self.process.stdin))
        self._feeder.daemon = True
        self._feeder.start()

    def _copy_in(self, body: Iterable[bytes], stdin: IO[bytes]) -> None:
        try:
            for piece in body:
                stdin.write(piece)
                self.bytes_in += len(piece)
                self.last_progress = time.monotonic()
            self.body_complete = True
        except BrokenPipeError:
            pass  # the backend stopped reading; the connection closes after the response
        except (HttpError, ClientGoneError, OSError, ValueError) as error:
            self.client_error = error
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    def head(self) -> CgiHead | None:
        """Read the backend's CGI head; None when it wrote no valid one."""
        return read_cgi_head(self._stdout)

    def output(self) -> Iterator[bytes]:
        """Yield the response body as the backend writes it."""
        while piece := self._stdout.read1(CHUNK):
            self.last_progress = time.monotonic()
            yield piece

    def finish(self) -> int:
        """Wait for the backend to exit (and the input copy to end); return its status."""
        status = self.process.wait()
        if self._feeder is not None:
            self._feeder.join(timeout=2)
            self.body_complete = self.body_complete and not self._feeder.is_alive()
        return status

    def stderr_tail(self) -> str:
        """The end of what the backend wrote to stderr, for the access log."""
        size = os.fstat(self._stderr).st_size
        data = os.pread(self._stderr, STDERR_TAIL, max(0, size - STDERR_TAIL))
        return data.decode("utf-8", "replace").strip()

    def silent_for(self) -> float:
        """Seconds since a byte last went to the backend or came from it."""
        return time.monotonic() - self.last_progress

    def time_out(self) -> None:
        """Kill a backend that hangs: whoever waits for its output sees it end."""
        self.timed_out = True
        self.kill()

    def kill(self) -> None:
        """Stop the backend and its children at once (client gone, timeout, or shutdown)."""
        with contextlib.suppress(ProcessLookupError):
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)

    def __enter__(self) -> CgiRun:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.kill()
        self.process.wait()
        self._stdout.close()
        os.close(self._stderr)  # stdin is closed by the feeder thread, whenever it ends
