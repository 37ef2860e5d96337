"""The CGI contract with git http-backend: its clean environment and its response head."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from terok_gate import __version__
from terok_gate.protocol import MAX_HEADERS, MAX_LINE, Reader, Request
from terok_gate.routing import RepoRoute

# Hooks are never run: a hook in a repository would run with the gate's rights.
_NO_HOOKS = {
    "GIT_CONFIG_COUNT": "1",
    "GIT_CONFIG_KEY_0": "core.hooksPath",
    "GIT_CONFIG_VALUE_0": "/dev/null",
}
_FORWARDED = {
    "git-protocol": "HTTP_GIT_PROTOCOL",
    "content-encoding": "HTTP_CONTENT_ENCODING",
    "content-type": "CONTENT_TYPE",
}
_NOT_FORWARDED = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "status",
}
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_STATUS = re.compile(r"([1-5][0-9][0-9])(?: .*)?")


@dataclass(frozen=True)
class Backend:
    """Where git http-backend is and what every run of it shares."""

    program: Path
    exec_path: Path
    project_root: Path
    inherited: Mapping[str, str]  # PATH and HOME of the gate, so git finds itself and its config


@dataclass(frozen=True)
class CgiHead:
    """The head of a CGI response, turned into an HTTP status and header fields."""

    status: int
    headers: tuple[tuple[str, str], ...]
    content_length: int | None


def cgi_environment(
    backend: Backend, request: Request, route: RepoRoute, task: str, remote_addr: str
) -> dict[str, str]:
    """Build the complete environment of one http-backend run (nothing else leaks in)."""
    env = {
        **backend.inherited,
        **_NO_HOOKS,
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_SOFTWARE": f"terok-gate/{__version__}",
        "SERVER_PROTOCOL": request.version,
        "REQUEST_METHOD": request.method,
        "PATH_INFO": route.path_info,
        "QUERY_STRING": route.query,
        "REMOTE_ADDR": remote_addr,
        "REMOTE_USER": task,
        "GIT_PROJECT_ROOT": str(backend.project_root),
        "GIT_HTTP_EXPORT_ALL": "1",
        "GIT_EXEC_PATH": str(backend.exec_path),
    }
    for header, variable in _FORWARDED.items():
        if (value := request.header(header)) is not None:
            env[variable] = value
    if request.content_length is not None:
        env["CONTENT_LENGTH"] = str(request.content_length)
    return env


def read_cgi_head(reader: Reader) -> CgiHead | None:
    """Read the CGI header block; None when there is no valid one (the caller answers 502)."""
    lines: list[bytes] = []
    for _ in range(MAX_HEADERS + 1):
        line = reader.readline(MAX_LINE + 1)
        if not line.endswith(b"\n"):
            return None
        line = line.rstrip(b"\r\n")
        if not line:
            return parse_cgi_head(lines)
        lines.append(line)
    return None


def parse_cgi_head(lines: list[bytes]) -> CgiHead | None:
    """Turn CGI header lines into a head; None unless every line is a valid field."""
    fields = [_field(line) for line in lines]
    if not fields or None in fields:
        return None
    valid = [field for field in fields if field is not None]
    found = {name.lower(): value for name, value in valid}
    status = _STATUS.fullmatch(found.get("status", "200"))
    length = found.get("content-length", "0")
    if status is None or not (length.isdigit() and length.isascii()):
        return None
    return CgiHead(
        status=int(status[1]),
        headers=tuple(f for f in valid if f[0].lower() not in _NOT_FORWARDED),
        content_length=int(length) if "content-length" in found else None,
    )


def _field(line: bytes) -> tuple[str, str] | None:
    name, colon, value = line.partition(b":")
    if not colon or not _TOKEN.fullmatch(name):
        return None
    return name.decode("ascii"), value.strip().decode("latin-1")
