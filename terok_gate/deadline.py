"""Socket reads that give up at a deadline, not only after a silence.

A per-read timeout alone lets a client keep a connection forever by sending one byte
just before each timeout (slowloris). While a deadline is armed, every read waits at
most until the deadline, so a request head arrives in time or not at all.
"""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


class DeadlineSocketIO(socket.SocketIO):
    """The raw reading side of a connection, with an optional deadline."""

    def __init__(self, conn: socket.socket, io_timeout: float) -> None:
        super().__init__(conn, "rb")
        self._conn = conn
        self._io_timeout = io_timeout
        self._deadline: float | None = None
        self.received = 0  # bytes read since the deadline was armed

    def arm(self, seconds: float) -> None:
        """From now on reads end in a TimeoutError once `seconds` have passed."""
        self._deadline = time.monotonic() + seconds
        self.received = 0

    def disarm(self) -> None:
        """Back to the plain per-read timeout (also for sends, which share it)."""
        self._deadline = None
        self._conn.settimeout(self._io_timeout)

    def readinto(self, buffer: WriteableBuffer) -> int | None:
        """Read what is there, waiting no longer than the timeout or the deadline allows."""
        if self._deadline is not None:  # else the socket keeps io_timeout (no extra syscall)
            self._conn.settimeout(self._timeout(self._deadline))
        count = super().readinto(buffer)
        self.received += count or 0
        return count

    def _timeout(self, deadline: float) -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the deadline passed")
        return min(self._io_timeout, remaining)
