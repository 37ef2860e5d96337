"""The health probe: one `GET /-/health` to bind:port over a plain socket."""

from __future__ import annotations

import ipaddress
import socket
import time

from reconciler.health import HealthReply
from terok_gate.routing import HEALTH_PATH

MAX_REPLY = 64 * 1024
REQUEST = (
    f"GET {HEALTH_PATH} HTTP/1.1\r\nHost: gate\r\nUser-Agent: gate-reconcile\r\n"
    "Connection: close\r\n\r\n"
).encode()


def connect_address(bind: str) -> str:
    """Where to connect for a gate bound to `bind` (a wildcard means loopback)."""
    address = ipaddress.ip_address(bind.split("%")[0])
    if address.is_unspecified:
        return "::1" if address.version == 6 else "127.0.0.1"
    return bind


def _read_all(connection: socket.socket, until: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_REPLY:
        connection.settimeout(max(0.01, until - time.monotonic()))
        chunk = connection.recv(8192)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def parse_reply(raw: bytes) -> HealthReply:
    """Status and body of a raw HTTP/1.x response (Connection: close, whole body read)."""
    head, separator, body = raw.partition(b"\r\n\r\n")
    fields = head.split(b"\r\n", 1)[0].split(b" ", 2)
    if (
        not separator
        or len(fields) < 2
        or not fields[0].startswith(b"HTTP/")
        or not fields[1].isdigit()
    ):
        return HealthReply(None, b"", "the answer is not HTTP")
    return HealthReply(int(fields[1]), body)


def fetch_health(bind: str, port: int, timeout: float) -> HealthReply:
    """Ask the gate's health route; an answer that never comes is an error, not a hang."""
    until = time.monotonic() + timeout
    try:
        with socket.create_connection((connect_address(bind), port), timeout=timeout) as connection:
            connection.sendall(REQUEST)
            return parse_reply(_read_all(connection, until))
    except OSError as error:
        return HealthReply(None, b"", error.strerror or str(error) or type(error).__name__)
