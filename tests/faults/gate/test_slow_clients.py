"""Clients that never finish sending: slowloris heads, idle connections, slow bodies.
The gate drops them on its own, keeps its threads bounded, and keeps serving others."""

from __future__ import annotations

import contextlib
import selectors
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from tests.faults.gate.conftest import gate_env
from tests.faults.gate.wire import (
    ALPHA,
    assert_no_leak,
    auth,
    exchange,
    head,
    open_connections,
    read_all,
    threads,
)
from tests.faults.results import record
from tests.gate_support.gate import RunningGate, Site, running_gate, wait_for
from tests.gate_support.git import git
from tests.gate_support.http import get

SLOWLORIS = 100
IDLE = 200
SMALL_POOL = 16
UPLOAD_PACK = "/alpha.git/git-upload-pack"
UPLOAD_REQUEST = "application/x-git-upload-pack-request"


class Trickle:
    """Connections that send a request head one byte at a time and note what comes back."""

    def __init__(self, conns: list[socket.socket]) -> None:
        self.conns = conns
        self.answers: dict[socket.socket, bytes] = {conn: b"" for conn in conns}
        self.open = set(conns)
        for conn in conns:
            conn.sendall(b"GET /-/health HTTP/1.1\r\nX-Slow: ")
            conn.setblocking(False)

    def step(self) -> None:
        """One more byte on every open connection; collect answers and closes."""
        for conn in list(self.open):
            with contextlib.suppress(BlockingIOError, OSError):
                conn.send(b"z")
        with selectors.DefaultSelector() as selector:
            for conn in self.open:
                selector.register(conn, selectors.EVENT_READ)
            for key, _ in selector.select(timeout=0.3):
                self._read(key.fileobj)  # type: ignore[arg-type]

    def _read(self, conn: socket.socket) -> None:
        try:
            data = conn.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        self.answers[conn] += data
        if not data:
            self.open.discard(conn)


def _clone_works(gate: RunningGate, target: Path) -> bool:
    git("clone", "-q", gate.url("alpha", ALPHA), str(target))
    return (target / "README").read_bytes() == b"alpha\n"


def test_slowloris_heads_get_408_while_others_are_served(fresh_site: Site, tmp_path: Path) -> None:
    """100 heads sent a byte at a time: a clone still works meanwhile, and each slow
    connection gets 408 and is closed once the header timeout passes."""
    env = gate_env(fresh_site.root / "home")
    with (
        running_gate(fresh_site, "--header-timeout", "4", env=env) as gate,
        open_connections(gate.port, SLOWLORIS) as conns,
    ):
        trickle = Trickle(conns)
        trickle.step()
        peak_threads = threads(gate.process.pid)
        cloned = _clone_works(gate, tmp_path / "clone")
        health = get(gate.port, "/-/health").status
        deadline = time.monotonic() + 30  # the 4 s header timeout passes well within
        while trickle.open and time.monotonic() < deadline:
            trickle.step()
        answers = list(trickle.answers.values())
    assert cloned and health == 200
    assert trickle.open == set(), f"{len(trickle.open)} slow connections were never closed"
    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers)
    record(
        "gate",
        "slowloris heads",
        {
            "check": "each gets 408 after the header timeout; a clone works meanwhile",
            "connections": SLOWLORIS,
            "answered 408": sum(a.startswith(b"HTTP/1.1 408 ") for a in answers),
        },
        {"gate threads during the attack": peak_threads},
    )


def test_idle_connections_cannot_starve_a_small_pool(fresh_site: Site, tmp_path: Path) -> None:
    """200 connections that send nothing, against 16 places and a long header timeout:
    they give their places up to newcomers, so clones work, and threads stay bounded."""
    env = gate_env(fresh_site.root / "home")
    pool = ("--max-connections", str(SMALL_POOL), "--header-timeout", "60")
    with (
        running_gate(fresh_site, *pool, env=env) as gate,
        open_connections(gate.port, IDLE) as conns,
    ):
        wait_for(lambda: _closed_by_gate(conns) >= IDLE - SMALL_POOL, 15, "evictions")
        bound = SMALL_POOL + 8  # the places, the main thread and a few on their way out
        wait_for(lambda: threads(gate.process.pid) <= bound, 15, f"at most {bound} threads")
        held_threads = threads(gate.process.pid)
        cloned = [_clone_works(gate, tmp_path / f"clone-{n}") for n in range(3)]
        health = get(gate.port, "/-/health").status
    assert cloned == [True, True, True] and health == 200
    record(
        "gate",
        "idle connections vs a small pool",
        {
            "check": "idle connections yield their places; 3 clones work; threads bounded",
            "idle connections": IDLE,
            "places": SMALL_POOL,
        },
        {"gate threads": held_threads},
    )


def _closed_by_gate(conns: list[socket.socket]) -> int:
    """How many of the connections the gate has closed (EOF waits to be read)."""
    closed = 0
    for conn in conns:
        with contextlib.suppress(BlockingIOError):
            conn.setblocking(False)
            closed += conn.recv(1, socket.MSG_PEEK) == b""
    return closed


@contextlib.contextmanager
def _stalled_uploads(gate: RunningGate, count: int) -> Iterator[list[socket.socket]]:
    """`count` authorized upload-pack requests whose bodies stop after a few bytes."""
    fields = (auth(ALPHA), "Content-Length: 100000", f"Content-Type: {UPLOAD_REQUEST}")
    with open_connections(gate.port, count) as conns:
        for conn in conns:
            conn.sendall(head("POST", UPLOAD_PACK, *fields) + b"0014command=")
        yield conns


def test_a_pool_full_of_requests_answers_503(fresh_site: Site) -> None:
    """When every place serves a request in flight (stalled bodies), a newcomer gets a
    clear 503 with Retry-After; once they end, the gate serves again."""
    env = gate_env(fresh_site.root / "home")
    limits = ("--max-connections", "4", "--backend-timeout", "60")
    with running_gate(fresh_site, *limits, env=env) as gate:
        with _stalled_uploads(gate, 4):
            # Probe only once all four are in flight: a head still arriving yields its place.
            wait_for(lambda: len(children(gate.process.pid)) == 4, 15, "four backends")
            answer = exchange(gate.port, head("GET", "/-/health"))
        wait_for(lambda: _health(gate) == 200, 15, "places to free up")
    assert answer.status == 503
    assert b"\r\nRetry-After: 1\r\n" in answer.data
    assert answer.body == b"too many connections: all 4 places serve requests\n"
    record(
        "gate",
        "pool full of requests in flight",
        {"check": "newcomers get 503 with Retry-After, served again after", "places": 4},
    )


def children(pid: int) -> list[int]:
    """The PIDs of a process's children (here: the gate's git http-backend runs)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _health(gate: RunningGate) -> int | None:
    return exchange(gate.port, head("GET", "/-/health")).status


def test_unauthorized_slow_body_is_refused_without_waiting(hostile_gate: RunningGate) -> None:
    """A POST without a token gets its 401 at once: the gate never waits for its body."""
    declared = "Content-Length: 1000000"
    answer = exchange(hostile_gate.port, head("POST", UPLOAD_PACK, declared) + b"x" * 10, 30, False)
    assert answer.status == 401
    assert_no_leak(answer.data)


def test_stalled_body_ends_with_the_backend_timeout(fresh_site: Site) -> None:
    """An authorized body that stops: after the backend timeout of silence both ways the
    backend is killed and the connection closed, with the reason in the log."""
    env = gate_env(fresh_site.root / "home")
    with (
        running_gate(fresh_site, "--backend-timeout", "1", env=env) as gate,
        _stalled_uploads(gate, 1) as conns,
    ):
        conns[0].settimeout(30)
        received = read_all(conns[0])  # returns only once the gate closes
        lines = gate.wait_requests(lambda lines: len(lines) >= 1, "the access log line")
    assert not received.endswith(b"0\r\n\r\n"), "a killed backend's answer must not look complete"
    assert lines[-1]["reason"] == "git http-backend silent for 1 s: killed"
    record(
        "gate",
        "stalled request body",
        {"check": "backend killed after the backend timeout, connection closed, logged"},
    )
