"""The CGI contract: a complete, clean environment, and strict parsing of the reply head."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from terok_gate import __version__
from terok_gate.cgi import Backend, CgiHead, cgi_environment, parse_cgi_head, read_cgi_head
from terok_gate.protocol import Request
from terok_gate.routing import RepoRoute

BACKEND = Backend(
    program=Path("/usr/lib/git-core/git-http-backend"),
    exec_path=Path("/usr/lib/git-core"),
    project_root=Path("/srv/gate"),
    inherited={"PATH": "/usr/bin:/bin", "HOME": "/home/me"},
)


def test_environment_is_exactly_what_http_backend_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing of the gate's own environment leaks in; the task id is the REMOTE_USER."""
    monkeypatch.setenv("TEROK_GATE_ADMIN_TOKEN", "leak-me")
    request = Request("POST", "/alpha.git/git-upload-pack", "HTTP/1.1", {
        "content-type": "application/x-git-upload-pack-request", "content-length": "42",
        "git-protocol": "version=2", "content-encoding": "gzip", "authorization": "Basic dG9rOng=",
        "cookie": "c=1",
    })  # fmt: skip
    route = RepoRoute("alpha", "git-upload-pack", "")
    assert cgi_environment(BACKEND, request, route, "task-7", "127.0.0.1") == {
        "PATH": "/usr/bin:/bin",
        "HOME": "/home/me",
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "core.hooksPath",
        "GIT_CONFIG_VALUE_0": "/dev/null",
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_SOFTWARE": f"terok-gate/{__version__}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/alpha.git/git-upload-pack",
        "QUERY_STRING": "",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_USER": "task-7",
        "GIT_PROJECT_ROOT": "/srv/gate",
        "GIT_HTTP_EXPORT_ALL": "1",
        "GIT_EXEC_PATH": "/usr/lib/git-core",
        "HTTP_GIT_PROTOCOL": "version=2",
        "HTTP_CONTENT_ENCODING": "gzip",
        "CONTENT_TYPE": "application/x-git-upload-pack-request",
        "CONTENT_LENGTH": "42",
    }


def test_chunked_request_has_no_content_length() -> None:
    """For a chunked body CONTENT_LENGTH is left out, so http-backend reads to EOF."""
    request = Request(
        "POST", "/a.git/git-receive-pack", "HTTP/1.1", {"transfer-encoding": "chunked"}
    )
    env = cgi_environment(BACKEND, request, RepoRoute("a", "git-receive-pack", ""), "t", "::1")
    assert "CONTENT_LENGTH" not in env


@pytest.mark.parametrize(
    ("lines", "head"),
    [
        ([b"Content-Type: text/plain"], CgiHead(200, (("Content-Type", "text/plain"),), None)),
        ([b"Status: 404 Not Found", b"Content-Type: text/plain"],
         CgiHead(404, (("Content-Type", "text/plain"),), None)),
        ([b"Status: 403", b"Expires: x"], CgiHead(403, (("Expires", "x"),), None)),
        ([b"Content-Length: 21", b"Connection: keep-alive", b"Transfer-Encoding: chunked"],
         CgiHead(200, (("Content-Length", "21"),), 21)),
    ],
)  # fmt: skip
def test_valid_heads(lines: list[bytes], head: CgiHead) -> None:
    """Status becomes the HTTP status; hop-by-hop fields are the gate's own business."""
    assert parse_cgi_head(lines) == head


@pytest.mark.parametrize(
    "lines",
    [
        [],
        [b"no colon here"],
        [b"Content-Type: text/plain", b"garbage"],
        [b"Bad Name: x"],
        [b"Status: OK"],
        [b"Status: 2000 Too Big"],
        [b"Status: 099 Low"],
        [b"Content-Length: twelve"],
    ],
)
def test_invalid_heads(lines: list[bytes]) -> None:
    """Anything but a list of valid fields is no head at all (the gate answers 502)."""
    assert parse_cgi_head(lines) is None


@pytest.mark.parametrize(
    ("raw", "valid"),
    [
        (b"Content-Type: x\r\n\r\nbody", True),
        (b"Content-Type: x\n\nbody", True),
        (b"", False),
        (b"Content-Type: x\r\n", False),
        (b"Content-Type: x", False),
        (b"\r\nbody", False),
        (b"X: " + b"y" * 9000 + b"\r\n\r\n", False),
    ],
)
def test_read_head_needs_a_terminated_block(raw: bytes, valid: bool) -> None:
    """The head must end with an empty line before EOF; a cut-off or empty one is invalid."""
    stream = io.BufferedReader(io.BytesIO(raw))
    assert (read_cgi_head(stream) is not None) is valid
