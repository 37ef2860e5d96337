"""HTTP details over the wire: malformed requests, HTTP/1.0, Expect: 100-continue, and
keep-alive with chunked responses."""

from __future__ import annotations

import gzip
import socket

import pytest

from tests.gate_support.gate import RunningGate
from tests.gate_support.http import basic, get, send_raw
from tests.integration.gate.conftest import ALPHA


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\n\r\n", 505),
        (b"GET /-/health HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        (b"POST /alpha.git/git-upload-pack HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    ],
)
def test_malformed_requests_get_an_error_status(
    shared_gate: RunningGate, raw: bytes, status: int
) -> None:
    """A request the gate will not parse is answered with a 4xx/5xx, and the gate serves on."""
    assert send_raw(shared_gate.port, raw).status == status
    assert get(shared_gate.port, "/-/health").status == 200


def _exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(data)
        received = b""
        while piece := conn.recv(65536):
            received += piece
        return received


def test_http_1_0_request_is_answered_and_closed(shared_gate: RunningGate) -> None:
    """An HTTP/1.0 client gets its answer with the connection closed after it."""
    head = f"GET /alpha.git/HEAD HTTP/1.0\r\nAuthorization: {basic(ALPHA)}\r\n\r\n"
    answer = _exchange(shared_gate.port, head.encode())
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.endswith(b"ref: refs/heads/main\n")


def _pkt(line: str) -> bytes:
    return f"{len(line) + 4:04x}{line}".encode()


def test_expect_100_continue_then_chunked_body(shared_gate: RunningGate) -> None:
    """A client waiting for 100 Continue gets it, then its chunked body is served."""
    body = gzip.compress(_pkt("command=ls-refs\n") + b"0000")
    head = (
        "POST /alpha.git/git-upload-pack HTTP/1.1\r\nHost: g\r\nConnection: close\r\n"
        f"Authorization: {basic(ALPHA)}\r\nContent-Encoding: gzip\r\nGit-Protocol: version=2\r\n"
        "Content-Type: application/x-git-upload-pack-request\r\n"
        "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", shared_gate.port), timeout=30) as conn:
        conn.sendall(head.encode())
        assert conn.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        conn.sendall(b"%x\r\n%b\r\n0\r\n\r\n" % (len(body), body))
        received = b""
        while piece := conn.recv(65536):
            received += piece
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Transfer-Encoding: chunked" not in received  # Connection: close: no framing needed
    assert b" refs/heads/main" in received


def test_keep_alive_responses_are_chunked(shared_gate: RunningGate) -> None:
    """On a kept-alive connection a streamed backend reply is chunked and ends with 0 CRLF."""
    head = (
        "GET /alpha.git/info/refs?service=git-upload-pack HTTP/1.1\r\nHost: g\r\n"
        f"Authorization: {basic(ALPHA)}\r\n\r\n"
        "GET /-/health HTTP/1.1\r\nHost: g\r\nConnection: close\r\n\r\n"
    )
    answer = _exchange(shared_gate.port, head.encode())
    first, _, rest = answer.partition(b"0\r\n\r\nHTTP/1.1 200 OK")
    assert b"Transfer-Encoding: chunked\r\n" in first
    assert b"# service=git-upload-pack" in first
    assert b'"service": "terok-gate"' in rest
