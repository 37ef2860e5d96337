"""Connection places: a full pool gives the longest-waiting idle place to a newcomer,
turns newcomers away only when every place serves a request, and closes beyond that."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from terok_gate.pool import REFUSING_PLACES, Pool


@pytest.fixture
def pairs() -> Iterator[list[tuple[socket.socket, socket.socket]]]:
    """Connected socket pairs (gate side, client side), all closed afterwards."""
    made: list[tuple[socket.socket, socket.socket]] = []
    yield made
    for ours, theirs in made:
        ours.close()
        theirs.close()


def _conn(pairs: list[tuple[socket.socket, socket.socket]]) -> socket.socket:
    pair = socket.socketpair()
    pairs.append(pair)
    return pair[0]


def test_a_newcomer_takes_the_longest_waiting_place(
    pairs: list[tuple[socket.socket, socket.socket]],
) -> None:
    """Full of idle connections: the oldest is evicted (its socket shut down) for a new one."""
    pool = Pool(2)
    first, second = pool.admit(_conn(pairs)), pool.admit(_conn(pairs))
    assert first is not None and second is not None
    pool.waiting(second)  # waited less long than first
    third = pool.admit(_conn(pairs))
    assert third is not None and not third.refusing
    assert first.evicted and not second.evicted
    assert pairs[0][1].recv(1) == b""  # the evicted client sees the connection end
    assert pool.working(first) is False
    assert pool.serving() == 2


def test_busy_places_are_never_evicted(pairs: list[tuple[socket.socket, socket.socket]]) -> None:
    """When every place serves a request, newcomers get refusing places, then None."""
    pool = Pool(1)
    busy = pool.admit(_conn(pairs))
    assert busy is not None and pool.working(busy)
    refusals = [pool.admit(_conn(pairs)) for _ in range(REFUSING_PLACES)]
    assert all(slot is not None and slot.refusing for slot in refusals)
    assert pool.admit(_conn(pairs)) is None
    assert not busy.evicted
    pool.leave(busy)
    assert pool.admit(_conn(pairs)) is not None


def test_leaving_frees_refusing_places(pairs: list[tuple[socket.socket, socket.socket]]) -> None:
    """A refusing place that ends is available again."""
    pool = Pool(1)
    busy = pool.admit(_conn(pairs))
    assert busy is not None and pool.working(busy)
    refusals = [pool.admit(_conn(pairs)) for _ in range(REFUSING_PLACES)]
    assert pool.admit(_conn(pairs)) is None
    first = refusals[0]
    assert first is not None
    pool.leave(first)
    again = pool.admit(_conn(pairs))
    assert again is not None and again.refusing
