"""A foreign sentinel: a process that is not ours and writes down every signal it receives.

It catches every signal that can be caught (and so ignores none) and records its name; a
SIGKILL or SIGSTOP cannot be caught, but then it is no longer alive and running, which the
test sees too. Optionally it listens on a TCP port of 127.0.0.1, to play a foreign listener.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.gate_support.gate import wait_for

SCRIPT = """
import signal, socket, sys

record, ready, port = sys.argv[1], sys.argv[2], int(sys.argv[3])

def note(number, frame):
    with open(record, "a") as handle:
        handle.write(signal.Signals(number).name + "\\n")

for number in signal.valid_signals():
    if number not in (signal.SIGKILL, signal.SIGSTOP):
        signal.signal(number, note)
if port:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen()
open(ready, "w").close()
while True:
    signal.pause()
"""


@dataclass
class Sentinel:
    """A running sentinel and the file of signals it received."""

    process: subprocess.Popen[bytes]
    record: Path

    @property
    def pid(self) -> int:
        """Its process id."""
        return self.process.pid

    def signals(self) -> list[str]:
        """The names of the signals it received so far."""
        return self.record.read_text().split() if self.record.exists() else []

    def state(self) -> str:
        """Its scheduler state from /proc (S sleeping, R running, T stopped, Z zombie)."""
        try:
            return Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return "gone"

    def assert_untouched(self) -> None:
        """It received no signal and still runs (neither gone nor stopped)."""
        assert self.signals() == [], f"sentinel pid {self.pid} received {self.signals()}"
        assert self.process.poll() is None, f"sentinel pid {self.pid} died"
        assert self.state() in ("S", "R"), f"sentinel pid {self.pid} is {self.state()}"


@contextlib.contextmanager
def sentinel(folder: Path, name: str = "sentinel", port: int = 0) -> Iterator[Sentinel]:
    """A sentinel in its own session, ready when yielded, killed (by us, its owner) after."""
    folder.mkdir(parents=True, exist_ok=True)
    record, ready = folder / f"{name}.signals", folder / f"{name}.ready"
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(record), str(ready), str(port)],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(lambda: ready.exists() or process.poll() is not None, 15, f"{name} to start")
        assert process.poll() is None, f"the {name} exited with {process.returncode}"
        yield Sentinel(process, record)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
