"""Which requests the gate serves at all: everything else is a 404.

The raw request target is matched before any decoding, so percent-encoded dots or
slashes, backslashes and NUL bytes can never be turned into a path: they simply do
not match.
"""

import re
from dataclasses import dataclass

# A repository name never starts with a dot: no ".", "..", or hidden files.
_REPO = re.compile(
    r"/(?P<project>[A-Za-z0-9_-][A-Za-z0-9._-]*)\.git"
    r"/(?P<service>info/refs|HEAD|git-upload-pack|git-receive-pack)"
)
_QUERY = {
    "info/refs": {"", "service=git-upload-pack", "service=git-receive-pack"},
    "HEAD": {""},
    "git-upload-pack": {""},
    "git-receive-pack": {""},
}
_METHOD = {
    "info/refs": "GET",
    "HEAD": "GET",
    "git-upload-pack": "POST",
    "git-receive-pack": "POST",
}
HEALTH_PATH = "/-/health"


@dataclass(frozen=True)
class RepoRoute:
    """A request for one repository's smart HTTP service."""

    project: str
    service: str
    query: str

    @property
    def repo(self) -> str:
        """The repository's directory name under the base path."""
        return f"{self.project}.git"

    @property
    def path_info(self) -> str:
        """The CGI PATH_INFO for git http-backend."""
        return f"/{self.repo}/{self.service}"


@dataclass(frozen=True)
class HealthRoute:
    """The health check, which needs no token."""


Route = RepoRoute | HealthRoute


def route(method: str, target: str) -> Route | None:
    """Return what `method target` asks for, or None when the gate does not serve it."""
    path, _, query = target.partition("?")
    if path == HEALTH_PATH:
        return HealthRoute() if method == "GET" and "?" not in target else None
    found = _REPO.fullmatch(path)
    if found is None:
        return None
    service = found["service"]
    if method != _METHOD[service] or query not in _QUERY[service]:
        return None
    return RepoRoute(project=found["project"], service=service, query=query)
