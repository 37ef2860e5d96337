"""Connection places: at most `limit` connections are served at once, one thread each.

A connection that is only waiting for a request head (idle between requests, or a
client sending its head slowly) gives its place up to a new connection when the pool
is full, the longest-waiting first: idle or slow clients can never starve real ones.
Only when every place serves a request in flight is a newcomer turned away, with a 503
from one of a few refusing places; beyond those it is simply closed.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

REFUSING_PLACES = 16


class Slot:
    """One connection's place in the pool."""

    def __init__(self, conn: socket.socket, refusing: bool) -> None:
        self.conn = conn
        self.refusing = refusing  # admitted only to hear a 503
        self.evicted = False
        self.waiting_since: float | None = time.monotonic()


class Pool:
    """The connections being served and the rule that admits new ones."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._serving: set[Slot] = set()
        self._refusing = 0

    def admit(self, conn: socket.socket) -> Slot | None:
        """A place for a new connection, a refusing place, or None (close it at once)."""
        with self._lock:
            if len(self._serving) >= self.limit and not self._evict_longest_waiting():
                return self._refusing_place(conn)
            slot = Slot(conn, refusing=False)
            self._serving.add(slot)
            return slot

    def waiting(self, slot: Slot) -> None:
        """The connection waits for a request head: its place may be given away."""
        with self._lock:
            slot.waiting_since = time.monotonic()

    def working(self, slot: Slot) -> bool:
        """A request head arrived: keep the place, unless it was given away meanwhile."""
        with self._lock:
            slot.waiting_since = None
            return not slot.evicted

    def leave(self, slot: Slot) -> None:
        """The connection ends; after this nobody else touches its socket."""
        with self._lock:
            if slot.refusing:
                self._refusing -= 1
            self._serving.discard(slot)

    def serving(self) -> int:
        """How many connections hold a serving place."""
        with self._lock:
            return len(self._serving)

    def _evict_longest_waiting(self) -> bool:
        waiting = [slot for slot in self._serving if slot.waiting_since is not None]
        if not waiting:
            return False
        oldest = min(waiting, key=lambda slot: slot.waiting_since or 0.0)
        self._serving.discard(oldest)
        oldest.evicted = True
        with contextlib.suppress(OSError):  # wakes its thread, which then closes it
            oldest.conn.shutdown(socket.SHUT_RDWR)
        return True

    def _refusing_place(self, conn: socket.socket) -> Slot | None:
        if self._refusing >= REFUSING_PLACES:
            return None
        self._refusing += 1
        return Slot(conn, refusing=True)
