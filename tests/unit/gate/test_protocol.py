"""HTTP/1.1 parsing: request heads, bodies (fixed and chunked), and response framing."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terok_gate.protocol import (
    CHUNK,
    LAST_CHUNK,
    ClientGoneError,
    HttpError,
    Request,
    chunk,
    iter_body,
    read_request,
    response_head,
    simple_response,
)


def _read(raw: bytes) -> Request | None:
    return read_request(io.BufferedReader(io.BytesIO(raw)))


def test_request_head_is_parsed() -> None:
    """Method, raw target, version and lower-cased headers come out as sent."""
    request = _read(
        b"GET /a.git/HEAD?x=%2e HTTP/1.1\r\nHost: h\r\nGit-Protocol:  version=2 \r\n\r\n"
    )
    assert request == Request(
        "GET", "/a.git/HEAD?x=%2e", "HTTP/1.1", {"host": "h", "git-protocol": "version=2"}
    )


def test_clean_end_of_connection_is_none() -> None:
    """EOF before a request (also after stray empty lines) means the client is done."""
    assert _read(b"") is None
    assert _read(b"\r\n\r\n") is None


@pytest.mark.parametrize(
    ("headers", "version", "keep_alive"),
    [
        ({}, "HTTP/1.1", True),
        ({"connection": "close"}, "HTTP/1.1", False),
        ({"connection": "Keep-Alive, Close"}, "HTTP/1.1", False),
        ({}, "HTTP/1.0", False),
        ({"connection": "keep-alive"}, "HTTP/1.0", False),
    ],
)
def test_keep_alive(headers: dict[str, str], version: str, keep_alive: bool) -> None:
    """HTTP/1.1 connections stay open unless the client says close; HTTP/1.0 ones close."""
    assert Request("GET", "/", version, headers).keep_alive is keep_alive


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET /\r\n\r\n", 400),
        (b"GET  / HTTP/1.1\r\n\r\n", 400),
        (b"get / HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\n\r\n", 505),
        (b"GET / HTTP/1.1\r\nNo colon\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n folded: x\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nContent-Length: 99999999999999\r\n\r\n", 413),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 101 + b"\r\n", 431),
    ],
)
def test_malformed_heads_are_refused(raw: bytes, status: int) -> None:
    """Heads the gate will not trust are refused with the fitting status code."""
    with pytest.raises(HttpError) as refused:
        _read(raw)
    assert refused.value.status == status


def test_head_cut_off_is_client_gone() -> None:
    """A connection closed inside a head is the client leaving, not a request."""
    with pytest.raises(ClientGoneError):
        _read(b"GET / HTTP/1.1\r\nHost: h\r\n")


def _body(raw: bytes, **headers: str) -> bytes:
    stream = io.BufferedReader(io.BytesIO(raw))
    request = Request("POST", "/", "HTTP/1.1", {k.replace("_", "-"): v for k, v in headers.items()})
    pieces = list(iter_body(stream, request))
    assert all(0 < len(piece) <= CHUNK for piece in pieces)
    return b"".join(pieces)


def test_fixed_length_body() -> None:
    """A Content-Length body is read exactly, and no further."""
    assert _body(b"hello, world", content_length="5") == b"hello"


def test_chunked_body_with_extensions_and_trailers() -> None:
    """Chunk extensions are ignored and trailer fields are read past."""
    raw = b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: y\r\n\r\n"
    assert _body(raw, transfer_encoding="chunked") == b"hello, world"


@pytest.mark.parametrize(
    "raw",
    [
        b"zz\r\nhello\r\n0\r\n\r\n",
        b"5\r\nhelloXX\r\n0\r\n\r\n",
        b"\r\n",
        b"-1\r\n",
        b"1" * 20 + b"\r\n",
    ],
)
def test_malformed_chunks_are_refused(raw: bytes) -> None:
    """Bad chunk sizes or a chunk not followed by CRLF are a 400."""
    with pytest.raises(HttpError) as refused:
        _body(raw, transfer_encoding="chunked")
    assert refused.value.status == 400


@pytest.mark.parametrize(
    ("raw", "headers"),
    [(b"abc", {"content_length": "5"}), (b"5\r\nab", {"transfer_encoding": "chunked"})],
)
def test_body_cut_off_is_client_gone(raw: bytes, headers: dict[str, str]) -> None:
    """A body that ends early means the client left."""
    with pytest.raises(ClientGoneError):
        _body(raw, **headers)


@given(st.lists(st.binary(min_size=1, max_size=3 * CHUNK), max_size=5))
def test_chunked_round_trip(pieces: list[bytes]) -> None:
    """Whatever chunks a client sends, the body comes out whole and in bounded pieces."""
    raw = b"".join(chunk(piece) for piece in pieces) + LAST_CHUNK
    assert _body(raw, transfer_encoding="chunked") == b"".join(pieces)


def test_response_rendering() -> None:
    """Responses are a status line, fields, an empty line and the body."""
    assert response_head(404, [("A", "b")]) == b"HTTP/1.1 404 Not Found\r\nA: b\r\n\r\n"
    assert simple_response(200, b"ok", [("X", "y")], close=True) == (
        b"HTTP/1.1 200 OK\r\nX: y\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    )
    assert chunk(b"x" * 26) == b"1a\r\n" + b"x" * 26 + b"\r\n"
