"""Just enough HTTP/1.1 for git's smart protocol: request heads, bodies and responses.

Bodies are read and written in pieces of at most CHUNK bytes, so a request or response
of any size passes through in constant memory.
"""

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

CHUNK = 64 * 1024
MAX_LINE = 8 * 1024
MAX_HEADERS = 100
MAX_HEAD = 32 * 1024  # all header lines together: a head is held in memory while it arrives
MAX_CONTENT_LENGTH = 1 << 40

REASONS = {
    100: "Continue",
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
}
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_METHOD = re.compile(rb"[A-Z]+")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,15}")
_SINGLE = ("content-length", "transfer-encoding", "authorization", "expect")


class Reader(Protocol):
    """A buffered binary stream (a socket's or a pipe's)."""

    def readline(self, size: int = -1, /) -> bytes: ...

    def read(self, size: int = -1, /) -> bytes: ...


class HttpError(Exception):
    """The client sent something the gate will not parse: answer `status`, then close."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class ClientGoneError(Exception):
    """The client closed the connection in the middle of a request."""


@dataclass(frozen=True)
class Request:
    """A parsed request head. Header names are lower case; the target is left undecoded."""

    method: str
    target: str
    version: str
    headers: dict[str, str]

    def header(self, name: str) -> str | None:
        """Return a header's value (name in lower case), or None."""
        return self.headers.get(name)

    @property
    def chunked(self) -> bool:
        """Whether the body comes with Transfer-Encoding: chunked."""
        return "transfer-encoding" in self.headers

    @property
    def content_length(self) -> int | None:
        """The declared body length (None when chunked)."""
        if self.chunked:
            return None
        return int(self.headers.get("content-length", "0"))

    @property
    def has_body(self) -> bool:
        """Whether a body follows the head."""
        return self.chunked or bool(self.content_length)

    @property
    def keep_alive(self) -> bool:
        """Whether the client lets the connection stay open after the response."""
        tokens = {t.strip().lower() for t in self.headers.get("connection", "").split(",")}
        return self.version == "HTTP/1.1" and "close" not in tokens

    @property
    def expects_continue(self) -> bool:
        """Whether the client waits for `100 Continue` before it sends the body."""
        return self.headers.get("expect", "").lower() == "100-continue"


def _line(reader: Reader) -> bytes:
    line = reader.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise HttpError(431, "line too long")
    if not line.endswith(b"\n"):
        raise ClientGoneError("connection closed inside a request")
    return line.rstrip(b"\r\n")


def read_request(reader: Reader) -> Request | None:
    """Read one request head; None when the client closed the connection between requests."""
    line = reader.readline(MAX_LINE + 1)
    while line in (b"\r\n", b"\n"):  # stray empty lines between requests are allowed
        line = reader.readline(MAX_LINE + 1)
    if not line:
        return None
    if len(line) > MAX_LINE or not line.endswith(b"\n"):
        raise HttpError(400, "request line too long or cut off")
    method, target, version = _request_line(line.rstrip(b"\r\n"))
    headers = _headers(reader)
    _check_framing(headers)
    return Request(method=method, target=target, version=version, headers=headers)


def _request_line(line: bytes) -> tuple[str, str, str]:
    parts = line.split(b" ")
    if len(parts) != 3 or not _METHOD.fullmatch(parts[0]) or not parts[1]:
        raise HttpError(400, "malformed request line")
    if parts[2] not in (b"HTTP/1.1", b"HTTP/1.0"):
        raise HttpError(505, "only HTTP/1.0 and HTTP/1.1 are spoken here")
    return parts[0].decode(), parts[1].decode("latin-1"), parts[2].decode()


def _headers(reader: Reader) -> dict[str, str]:
    headers: dict[str, str] = {}
    size = 0
    for _ in range(MAX_HEADERS + 1):
        line = _line(reader)
        if not line:
            return headers
        size += len(line)
        if size > MAX_HEAD:
            raise HttpError(431, f"header fields larger than {MAX_HEAD} bytes in all")
        name, value = _header(line)
        if name in headers and name in _SINGLE:
            raise HttpError(400, f"duplicate {name} header")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    raise HttpError(431, "too many header fields")


def _header(line: bytes) -> tuple[str, str]:
    name, colon, value = line.partition(b":")
    if not colon or not _TOKEN.fullmatch(name) or b"\0" in value:
        raise HttpError(400, "malformed header field")
    return name.decode("ascii").lower(), value.strip(b" \t").decode("latin-1")


def _check_framing(headers: dict[str, str]) -> None:
    encoding = headers.get("transfer-encoding")
    length = headers.get("content-length")
    if encoding is not None and length is not None:
        raise HttpError(400, "both Content-Length and Transfer-Encoding")
    if encoding is not None and encoding.lower() != "chunked":
        raise HttpError(501, "only the chunked transfer coding is supported")
    if length is not None and not (length.isdigit() and length.isascii()):
        raise HttpError(400, "malformed Content-Length")
    if length is not None and int(length) > MAX_CONTENT_LENGTH:
        raise HttpError(413, "body too large")


def iter_body(reader: Reader, request: Request) -> Iterator[bytes]:
    """Yield the request body in pieces of at most CHUNK bytes, decoding chunked framing."""
    if request.chunked:
        yield from _chunked(reader)
    else:
        yield from _fixed(reader, request.content_length or 0)


def _fixed(reader: Reader, length: int) -> Iterator[bytes]:
    while length > 0:
        piece = reader.read(min(length, CHUNK))
        if not piece:
            raise ClientGoneError("connection closed inside a request body")
        length -= len(piece)
        yield piece


def _chunked(reader: Reader) -> Iterator[bytes]:
    while size := _chunk_size(_line(reader)):
        yield from _fixed(reader, size)
        if _line(reader):
            raise HttpError(400, "chunk not followed by CRLF")
    while _line(reader):  # trailer fields are read and ignored
        pass


def _chunk_size(line: bytes) -> int:
    digits = line.partition(b";")[0].strip(b" \t")
    if not _HEX.fullmatch(digits):
        raise HttpError(400, "malformed chunk size")
    return int(digits, 16)


def response_head(status: int, headers: Sequence[tuple[str, str]]) -> bytes:
    """Render a status line and header fields, ending with the empty line."""
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def simple_response(
    status: int, body: bytes, headers: Sequence[tuple[str, str]] = (), close: bool = False
) -> bytes:
    """Render a complete small response with a Content-Length."""
    fields = [*headers, ("Content-Length", str(len(body)))]
    if close:
        fields.append(("Connection", "close"))
    return response_head(status, fields) + body


def chunk(data: bytes) -> bytes:
    """Frame one piece of a chunked response body."""
    return b"%x\r\n%b\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"
