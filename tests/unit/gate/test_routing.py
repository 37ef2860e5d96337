"""Routing: only the four git routes and the health route exist; nothing can escape."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terok_gate.routing import HealthRoute, RepoRoute, route


@pytest.mark.parametrize(
    ("method", "target", "expected"),
    [
        ("GET", "/alpha.git/info/refs?service=git-upload-pack",
         RepoRoute("alpha", "info/refs", "service=git-upload-pack")),
        ("GET", "/alpha.git/info/refs?service=git-receive-pack",
         RepoRoute("alpha", "info/refs", "service=git-receive-pack")),
        ("GET", "/alpha.git/info/refs", RepoRoute("alpha", "info/refs", "")),
        ("GET", "/alpha.git/HEAD", RepoRoute("alpha", "HEAD", "")),
        ("POST", "/alpha.git/git-upload-pack", RepoRoute("alpha", "git-upload-pack", "")),
        ("POST", "/alpha.git/git-receive-pack", RepoRoute("alpha", "git-receive-pack", "")),
        ("GET", "/my-proj_2.v1.git/HEAD", RepoRoute("my-proj_2.v1", "HEAD", "")),
        ("GET", "/-/health", HealthRoute()),
    ],
)  # fmt: skip
def test_served_routes(method: str, target: str, expected: object) -> None:
    """Each git route and the health route is recognised with its project and service."""
    assert route(method, target) == expected


def test_repo_route_names_the_repository_and_cgi_path() -> None:
    """A route's repository is <project>.git and PATH_INFO is /<project>.git/<service>."""
    found = RepoRoute("alpha", "info/refs", "service=git-upload-pack")
    assert (found.repo, found.path_info) == ("alpha.git", "/alpha.git/info/refs")


@pytest.mark.parametrize(
    "target",
    [
        "/", "", "*", "alpha.git/HEAD", "/alpha.git", "/alpha.git/", "/alpha/HEAD",
        "/alpha.git/config", "/alpha.git/objects/info/packs", "/alpha.git/objects/12/3456",
        "/tokens.json", "/../alpha.git/HEAD", "/alpha.git/../HEAD", "/./alpha.git/HEAD",
        "/..git/HEAD", "/...git/HEAD", "/.alpha.git/HEAD", "/%2e%2e/alpha.git/HEAD",
        "/alpha%2egit/HEAD", "/alpha.git%2fHEAD", "/alpha.git/HEAD%00", "/alpha.git/HEAD\0",
        "/alpha.git\\HEAD", "\\alpha.git/HEAD", "/alpha.git/HEAD/", "//alpha.git/HEAD",
        "/a b.git/HEAD", "/älpha.git/HEAD", "/alpha.git/HEAD?x", "/alpha.git/HEAD#x",
        "/alpha.git/info/refs?service=git-upload-archive", "/alpha.git/info/refs?service=",
        "/alpha.git/info/refs?service=git-upload-pack&x=1", "http://h/alpha.git/HEAD",
        "/-/health?x", "/-/health/", "/-/",
    ],
)  # fmt: skip
def test_everything_else_is_not_routed(target: str) -> None:
    """Traversal, encoded dots and slashes, backslashes, NUL and other files are not served."""
    assert route("GET", target) is None
    assert route("POST", target) is None


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("POST", "/alpha.git/info/refs"), ("POST", "/alpha.git/HEAD"),
        ("GET", "/alpha.git/git-upload-pack"), ("GET", "/alpha.git/git-receive-pack"),
        ("HEAD", "/alpha.git/HEAD"), ("PUT", "/alpha.git/git-receive-pack"),
        ("DELETE", "/alpha.git/HEAD"), ("POST", "/-/health"), ("HEAD", "/-/health"),
    ],
)  # fmt: skip
def test_wrong_method_is_not_routed(method: str, target: str) -> None:
    """A route answers only its own method."""
    assert route(method, target) is None


_SAFE_PATH = re.compile(
    r"/[A-Za-z0-9_-][A-Za-z0-9._-]*\.git/(info/refs|HEAD|git-upload-pack|git-receive-pack)"
)


@given(st.sampled_from(["GET", "POST"]), st.text(max_size=80))
def test_any_routed_target_maps_to_a_plain_path(method: str, target: str) -> None:
    """Whatever the target, a routed request's PATH_INFO is a plain name under the root."""
    found = route(method, target)
    if isinstance(found, RepoRoute):
        assert _SAFE_PATH.fullmatch(found.path_info)
        assert "/." not in found.path_info
        assert found.path_info == target.partition("?")[0]
