"""How much the gate gives any one client: time to send a head, places, backend silence."""

from __future__ import annotations

from dataclasses import dataclass

HEADER_TIMEOUT = 30.0  # seconds for a whole request head, waiting between requests included
MAX_CONNECTIONS = 256  # connections served at once (one thread each)
BACKEND_TIMEOUT = 120.0  # seconds git http-backend may stay silent while nothing is sent to it
IO_TIMEOUT = 60.0  # a client silent this long inside a request body, or not reading, is dropped


@dataclass(frozen=True)
class Limits:
    """The gate's limits against slow, idle or stuck peers."""

    header_timeout: float = HEADER_TIMEOUT
    max_connections: int = MAX_CONNECTIONS
    backend_timeout: float = BACKEND_TIMEOUT
