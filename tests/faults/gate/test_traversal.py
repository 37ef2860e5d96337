"""Path traversal against the real gate, with the admin token (which passes every
authorization check): no file outside the repositories is ever served."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terok_gate.routing import RepoRoute, route
from tests.faults.gate.wire import ADMIN, ALPHA, Probe, auth, head
from tests.faults.results import record

SERVED = {"alpha", "beta"}  # the real repositories
TRAVERSALS = [
    "/../secret.txt",
    "/alpha.git/../secret.txt",
    "/alpha.git/../../secret.txt",
    "/alpha.git/info/refs/../../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/%2e%2E/%2E%2e/secret.txt",
    "/alpha.git/%2e%2e/%2e%2e/secret.txt",
    "/alpha.git%2f..%2fsecret.txt",
    "/alpha.git%2F..%2Fsecret.txt",
    "/%252e%252e/secret.txt",
    "//secret.txt",
    "//alpha.git/HEAD",
    "/alpha.git//HEAD",
    "/alpha.git/info//refs?service=git-upload-pack",
    "\\..\\secret.txt",
    "/alpha.git\\..\\secret.txt",
    "/alpha.git/..\\..\\secret.txt",
    "/alpha.git/%5c..%5csecret.txt",
    "/alpha.git/HEAD%00",
    "/alpha.git/HEAD\x00/../../secret.txt",
    "/%00/../secret.txt",
    "/%c0%ae%c0%ae/secret.txt",
    "/%C0%AE%C0%AE/secret.txt",
    "/alpha.git/%c0%ae%c0%ae/%c0%ae%c0%ae/secret.txt",
    "/%e0%80%ae%e0%80%ae/secret.txt",
    "/%c0%af../secret.txt",
    "/%c1%9c../secret.txt",
    "/\xc0\xae\xc0\xae/secret.txt",
    "/./alpha.git/HEAD",
    "/alpha.git/./HEAD",
    "/alpha.git/HEAD/",
    "/alpha.git/HEAD?../../secret.txt",
    "/alpha.git/HEAD#/../../secret.txt",
    "/alpha.git/HEAD;/../../secret.txt",
    "/alpha.git/info/refs?service=../../secret.txt",
    "/alpha.git/info/refs?service=git-upload-pack/../../secret.txt",
    "/alpha.git/info/refs%3fservice=git-upload-pack",
    "/%61lpha.git/HEAD",
    "/alpha.GIT/HEAD",
    "/.git/HEAD",
    "/..git/HEAD",
    "/.alpha.git/HEAD",
    "/secret.txt",
    "/tokens.json",
    "/loose/HEAD",
    "/alpha.git/config",
    "/alpha.git/description",
    "/alpha.git/objects/info/packs",
    "/alpha.git/info/refs/../../secret.txt?service=git-upload-pack",
    "http://gate/alpha.git/HEAD",
    "*",
    "/-/health/../secret.txt",
    "/-/health?x",
    "/fake.git/HEAD",  # routed, but fake.git is no repository: the backend refuses it
    "/fake.git/info/refs?service=git-upload-pack",
    "/fake.git/info/refs",
    "/loose.git/HEAD",
    "/ALPHA.git/HEAD",
    "/-.git/HEAD",
    "/neighbour.git/HEAD",
]
FRAGMENTS = [
    "/", "//", "\\", ".", "..", "%2e", "%2E", "%2f", "%2F", "%5c", "%00", "\x00", "%c0%ae",
    "%c0%af", "%e0%80%ae", "%252e", "%25", "alpha.git", "alpha", ".git", "fake.git", "HEAD",
    "info", "refs", "info/refs", "objects", "config", "secret.txt", "tokens.json", "loose",
    "neighbour", "-", "?", "service=git-upload-pack", "#", ";", "~", "\xc0\xae", "\xff",
]  # fmt: skip
PREFIXES = ["/", "//", "/alpha.git/", "/beta.git/", "/fake.git/", "/alpha.git/info/"]
SUFFIXES = ["", "HEAD", "refs", "info/refs?service=git-upload-pack", "/secret.txt"]
GENERATED = 1000


def _may_be_served(method: str, target: str) -> bool:
    """Only a request for one of the real repositories may ever be answered 200."""
    found = route(method, target)
    return not isinstance(found, RepoRoute) or found.project in SERVED


def _attack(probe: Probe, target: str, token: str = ADMIN) -> int | None:
    """GET `target` with `token`; a 200 is allowed only for a real repository's route."""
    answer = probe.send(head("GET", target, auth(token)))
    if answer.status == 200:
        found = route("GET", target)
        assert isinstance(found, RepoRoute) and found.project in SERVED, target
    assert answer.status in {200, 403, 404}, (target, answer.data[:200])
    return answer.status


def test_traversal_variants_are_404(probe: Probe) -> None:
    """Encoded dots and slashes, backslashes, NUL, overlong UTF-8: 404, nothing leaks."""
    statuses = {target: _attack(probe, target) for target in TRAVERSALS}
    not_found = [t for t, status in statuses.items() if status != 404]
    assert not_found == [], [(t, statuses[t]) for t in not_found]
    record(
        "gate",
        "path traversal variants",
        {
            "check": "404 for each, with the admin token; no planted secret in any answer",
            "targets": len(TRAVERSALS),
        },
    )


def test_the_real_repository_is_the_control(probe: Probe) -> None:
    """The admin token does fetch a real repository's HEAD: the 404s above are no accident."""
    answer = probe.send(head("GET", "/alpha.git/HEAD", auth(ADMIN)))
    assert (answer.status, answer.body) == (200, b"ref: refs/heads/main\n")


def test_generated_traversals(probe: Probe) -> None:
    """Targets built from traversal fragments never serve a file outside the repositories."""
    statuses: list[int | None] = []

    @settings(
        max_examples=GENERATED,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        st.sampled_from(PREFIXES),
        st.lists(st.sampled_from(FRAGMENTS), max_size=8),
        st.sampled_from(SUFFIXES),
        st.booleans(),
    )
    def attempt(prefix: str, fragments: list[str], suffix: str, admin: bool) -> None:
        target = prefix + "".join(fragments) + suffix
        statuses.append(_attack(probe, target, ADMIN if admin else ALPHA))

    attempt()
    record(
        "gate",
        "generated traversals (hypothesis)",
        {
            "check": "200 only for a real repository's route; no planted secret in any answer",
            "max examples": GENERATED,
        },
        {"examples run": len(statuses), "answered 200": statuses.count(200)},
    )
