"""Raw bytes against the gate, and the secrets no response may ever contain."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.gate_support.gate import RunningGate, Site, proc_status
from tests.gate_support.http import basic, get

ALPHA = "tok-alpha-hostile-1b7e"  # project alpha
BETA = "tok-beta-hostile-90c4"  # project beta
ADMIN = "tok-admin-hostile-e51a"  # every repository (TEROK_GATE_ADMIN_TOKEN)
UNUSED = "tok-unused-SECRET-3f0d"  # in the token file, never presented: must never leak
SECRET = b"SECRET-planted-outside-the-repositories-4d2c"
LEAKS = (SECRET, UNUSED.encode())


def populate(site: Site) -> Site:
    """alpha.git and beta.git with one commit each, and tokens for them."""
    site.write_tokens(
        {
            ALPHA: {"project": "alpha", "task": "task-alpha"},
            BETA: {"scope": "beta", "task": "task-beta"},
            UNUSED: {"project": "gamma", "task": "task-gamma"},
        }
    )
    site.repo("alpha", {"README": b"alpha\n"})
    site.repo("beta", {"README": b"beta\n"})
    return site


def plant_secrets(site: Site) -> list[Path]:
    """Secret files above the base path, beside it, and in it outside every repository."""
    places = [
        site.root / "secret.txt",  # above the base path
        site.root / "neighbour" / "secret.txt",  # next to it
        site.base / "secret.txt",  # inside it, next to the repositories
        site.base / "fake.git" / "HEAD",  # looks like a repository, is none
        site.base / "fake.git" / "config",
        site.base / "loose" / "HEAD",
    ]
    for path in places:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(SECRET + b"\n")
    return places


@dataclass(frozen=True)
class Answer:
    """What came back on one connection: the status (None: no HTTP response) and all bytes."""

    status: int | None
    data: bytes

    @property
    def body(self) -> bytes:
        """The bytes after the response head."""
        return self.data.partition(b"\r\n\r\n")[2]


def parse_status(data: bytes) -> int | None:
    """The status code of an HTTP/1.1 response, or None when `data` is not one."""
    line = data.split(b"\r\n", 1)[0].split(b" ")
    if len(line) >= 2 and line[0] == b"HTTP/1.1" and line[1].isdigit():
        return int(line[1])
    return None


def exchange(port: int, data: bytes, timeout: float = 15, half_close: bool = True) -> Answer:
    """Send `data` (then end our side), read until the gate closes, and parse the status."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        with contextlib.suppress(OSError):  # the gate may refuse before it read everything
            conn.sendall(data)
            if half_close:
                conn.shutdown(socket.SHUT_WR)
        received = read_all(conn)
    return Answer(parse_status(received), received)


def read_all(conn: socket.socket) -> bytes:
    """Everything until the peer closes (a reset also ends it)."""
    pieces = []
    with contextlib.suppress(ConnectionResetError):
        while piece := conn.recv(65536):
            pieces.append(piece)
    return b"".join(pieces)


def head(method: str, target: str, *fields: str) -> bytes:
    """A request head with `Connection: close` and the given raw header lines."""
    lines = [f"{method} {target} HTTP/1.1", "Host: gate", "Connection: close", *fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def auth(token: str) -> str:
    """An Authorization header line presenting `token`."""
    return f"Authorization: {basic(token)}"


@dataclass
class Probe:
    """Sends hostile requests to one gate, and checks every answer for leaked secrets."""

    gate: RunningGate
    sent: int = 0
    statuses: dict[int | None, int] = field(default_factory=dict)

    def send(self, data: bytes, half_close: bool = True) -> Answer:
        """One connection with `data`; its answer must contain no secret."""
        answer = exchange(self.gate.port, data, half_close=half_close)
        self.sent += 1
        self.statuses[answer.status] = self.statuses.get(answer.status, 0) + 1
        assert_no_leak(answer.data)
        return answer

    def assert_unharmed(self) -> None:
        """The gate still runs, answers its health route, and logged no crash."""
        assert self.gate.process.poll() is None, f"the gate died:\n{self.gate.stderr()[-3000:]}"
        assert get(self.gate.port, "/-/health").status == 200
        crashes = [line for line in self.gate.log() if line.get("event") == "connection failed"]
        assert crashes == [], f"unexpected exceptions in the gate: {crashes}"


def assert_no_leak(data: bytes) -> None:
    """No planted secret and no unused token is in `data`."""
    for secret in LEAKS:
        assert secret not in data, f"the gate leaked {secret!r}: {data[:300]!r}"


def kib(pid: int, name: str) -> int:
    """A /proc/<pid>/status size field (VmHWM, VmRSS) in KiB."""
    number, unit = proc_status(pid, name).split()
    assert unit == "kB"
    return int(number)


def threads(pid: int) -> int:
    """How many threads the process has."""
    return int(proc_status(pid, "Threads"))


@contextlib.contextmanager
def open_connections(port: int, count: int) -> Iterator[list[socket.socket]]:
    """`count` connected sockets that send nothing yet; all closed afterwards."""
    conns: list[socket.socket] = []
    try:
        for _ in range(count):
            conns.append(socket.create_connection(("127.0.0.1", port), timeout=15))
        yield conns
    finally:
        for conn in conns:
            conn.close()
