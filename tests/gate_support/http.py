"""Raw HTTP against the gate: exact request bytes in, status, headers and body out."""

from __future__ import annotations

import base64
import http.client
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class Reply:
    """A response as the client saw it."""

    status: int
    headers: dict[str, str]
    body: bytes


def basic(token: str, password: str = "x") -> str:  # noqa: S107 (git ignores it)
    """The Authorization header value that presents `token` as the Basic user name."""
    return "Basic " + base64.b64encode(f"{token}:{password}".encode()).decode()


def request_bytes(
    method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    """Build one HTTP/1.1 request with `Connection: close`."""
    fields = {"Host": "gate", "Connection": "close", **(headers or {})}
    if body and "Transfer-Encoding" not in fields:
        fields["Content-Length"] = str(len(body))
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items())
    return head.encode("latin-1") + b"\r\n" + body


def send_raw(port: int, data: bytes, timeout: float = 30) -> Reply:
    """Send raw bytes to the gate and parse the one response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(data)
        response = http.client.HTTPResponse(conn)
        response.begin()
        body = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)


def get(
    port: int, target: str, token: str | None = None, headers: dict[str, str] | None = None
) -> Reply:
    """GET `target`, presenting `token` when given."""
    fields = dict(headers or {})
    if token is not None:
        fields["Authorization"] = basic(token)
    return send_raw(port, request_bytes("GET", target, fields))
