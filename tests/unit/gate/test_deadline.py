"""Socket reads with a deadline: a trickle of bytes cannot stretch a read past it."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from terok_gate.deadline import DeadlineSocketIO


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A connected socket pair (gate side, client side)."""
    ours, theirs = socket.socketpair()
    yield ours, theirs
    ours.close()
    theirs.close()


def _trickle(conn: socket.socket, stop: threading.Event) -> None:
    while not stop.wait(0.05):
        conn.send(b"x")


def test_a_trickle_ends_at_the_deadline(pair: tuple[socket.socket, socket.socket]) -> None:
    """A line that grows a byte every 50 ms ends in TimeoutError once the deadline passes,
    though no single wait is long; the bytes received are counted."""
    ours, theirs = pair
    raw = DeadlineSocketIO(ours, io_timeout=60)
    reader = io.BufferedReader(raw)
    stop = threading.Event()
    sender = threading.Thread(target=_trickle, args=(theirs, stop))
    sender.start()
    raw.arm(0.3)
    try:
        with pytest.raises(TimeoutError):
            reader.readline()
    finally:
        stop.set()
        sender.join()
    assert raw.received > 0


def test_disarmed_reads_use_the_io_timeout(pair: tuple[socket.socket, socket.socket]) -> None:
    """Without a deadline a read waits for data as long as the I/O timeout allows."""
    ours, theirs = pair
    raw = DeadlineSocketIO(ours, io_timeout=60)
    raw.arm(0.01)
    time.sleep(0.02)
    raw.disarm()
    assert ours.gettimeout() == 60
    theirs.sendall(b"line\n")
    assert io.BufferedReader(raw).readline() == b"line\n"
