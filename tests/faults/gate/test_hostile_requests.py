"""Malformed request lines, hostile header fields and bad credentials against the real gate:
each gets its exact refusal, nothing leaks, and the gate serves on."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.faults.gate.wire import ALPHA, BETA, Probe, auth, head
from tests.faults.results import record

REFS = "/alpha.git/info/refs?service=git-upload-pack"
MALFORMED_LINES = [
    (b"\r\n\r\n", None),  # empty lines, then the client leaves: nothing to answer
    (b"GET\r\n\r\n", 400),
    (b"GET /-/health\r\n\r\n", 400),  # HTTP/0.9
    (b"GET /-/health HTTP/1.1 extra\r\n\r\n", 400),
    (b"GET  /-/health HTTP/1.1\r\n\r\n", 400),
    (b"GET\t/-/health\tHTTP/1.1\r\n\r\n", 400),
    (b"get /-/health HTTP/1.1\r\n\r\n", 400),
    (b"G\x00T /-/health HTTP/1.1\r\n\r\n", 400),
    (b"\xff\xfeGET /-/health HTTP/1.1\r\n\r\n", 400),
    (b"GET /-/health HTTP/1.2\r\n\r\n", 505),
    (b"GET /-/health HTTP/1.1", 400),  # cut off before its end of line
    (b"GET /-/health HTTP/1.1\r", 400),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 400),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400),  # a TLS ClientHello
    (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),  # the HTTP/2 preface
    (b"CONNECT alpha.git:443 HTTP/1.1\r\n\r\n", 404),
    (b"OPTIONS * HTTP/1.1\r\n\r\n", 404),
    (b"GET /-/health\x00 HTTP/1.1\r\n\r\n", 404),
    (b"GET http://gate/-/health HTTP/1.1\r\n\r\n", 404),
    (b"DELETE /alpha.git/HEAD HTTP/1.1\r\n\r\n", 404),
    (b"POST /alpha.git/info/refs HTTP/1.1\r\n\r\n", 404),
    (b"GET /-/health HTTP/1.1\n\n", 200),  # bare LF line ends are accepted
]
MALFORMED_FIELDS = [
    ("X: " + "a" * 9000, 431),  # one line too long
    ("\r\n".join(f"X-{n}: y" for n in range(101)), 431),  # too many fields
    ("\r\n".join(f"X-{n}: " + "y" * 1000 for n in range(40)), 431),  # 40 KiB in all
    ("No colon here", 400),
    (" folded: continuation", 400),
    ("Bad Name: x", 400),
    ("X: a\x00b", 400),
    ("Content-Length: 1\r\nContent-Length: 1", 400),
    ("Content-Length: +5", 400),
    ("Content-Length: 1e3", 400),
    ("Content-Length: 99999999999999", 413),
    ("Transfer-Encoding: chunked\r\nContent-Length: 3", 400),
    ("Transfer-Encoding: identity", 501),
    ("Authorization: Basic eA==\r\nAuthorization: Basic eQ==", 400),
]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


BAD_CREDENTIALS = [
    (None, 401),
    ("Basic", 401),
    ("Basic ", 401),
    ("Basic !!!!", 401),
    ("Basic ====", 401),
    ("Basic " + _b64(ALPHA.encode() + b":x") + "garbage", 401),
    ("Basic " + _b64(ALPHA.encode() + b":x")[:-1], 401),  # padding cut
    ("Basic dG9r IGFs", 401),  # whitespace inside
    ("Basic " + _b64(b"\xff\xfe:x"), 401),  # not UTF-8
    ("Basic " + _b64(b":x"), 401),  # empty user name
    ("Basic \xe9\xe9\xe9\xe9", 401),  # not ASCII at all
    ("Bearer " + ALPHA, 401),
    ("Digest username=" + ALPHA, 401),
    (ALPHA, 401),
    ("Basic dG9r", 403),  # "tok": no colon, an unknown token
    ("Basic " + _b64(ALPHA.encode() + b"\x00:x"), 403),
    ("Basic " + _b64(ALPHA.upper().encode() + b":x"), 403),
    ("Basic " + _b64(BETA.encode() + b":x"), 403),  # another project's token
    ("Basic " + _b64(b"A" * 6000 + b":x"), 403),
]


def _mismatches(probe: Probe, cases: Sequence[tuple[bytes, int | None]]) -> list[str]:
    """Every case whose answer is not the expected status."""
    wrong = []
    for raw, status in cases:
        answer = probe.send(raw)
        if answer.status != status:
            wrong.append(f"{raw[:80]!r}: expected {status}, got {answer.data[:120]!r}")
    return wrong


def test_malformed_request_lines(probe: Probe) -> None:
    """Each malformed request line gets its exact status (or a silent close), never a crash."""
    assert _mismatches(probe, MALFORMED_LINES) == []
    statuses = sorted({str(status) for _, status in MALFORMED_LINES})
    record(
        "gate",
        "malformed request lines",
        {"check": "exact status for each, gate serves on", "cases": len(MALFORMED_LINES)},
        {"statuses": statuses},
    )


def test_hostile_header_fields(probe: Probe) -> None:
    """Oversized, too many, malformed or contradicting header fields are refused."""
    cases = [(head("GET", "/-/health", fields), status) for fields, status in MALFORMED_FIELDS]
    assert _mismatches(probe, cases) == []
    record(
        "gate",
        "hostile header fields",
        {
            "check": "one line > 8 KiB, > 100 fields or > 32 KiB in all: 431; malformed: 400",
            "cases": len(MALFORMED_FIELDS),
        },
    )


def test_bad_credentials(probe: Probe) -> None:
    """Bad base64, wrong schemes and foreign tokens get 401 or 403, never a repository;
    the same request with alpha's token is served (the control)."""
    cases = [
        (head("GET", REFS, *([] if value is None else [f"Authorization: {value}"])), status)
        for value, status in [*BAD_CREDENTIALS, (f"Basic {_b64(ALPHA.encode())}", 200)]
    ]
    assert _mismatches(probe, cases) == []
    record(
        "gate",
        "bad credentials",
        {"check": "bad base64, schemes, foreign tokens: 401/403", "cases": len(BAD_CREDENTIALS)},
    )


_METHODS = st.sampled_from(["GET", "POST", "HEAD", "PUT", "get", "G T", "", "GET\x00"])
_TARGETS = st.sampled_from(["/-/health", REFS, "/alpha.git/HEAD", "*", "/", "//", "/%2e%2e/"])
_VERSIONS = st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/1.1 ", "HTTP/9.9", "http/1.1", ""])
_FIELDS = st.sampled_from(
    [
        auth(ALPHA),
        "Authorization: Basic %%%",
        "Content-Length: 5",
        "Content-Length: -5",
        "Transfer-Encoding: chunked",
        "Expect: 100-continue",
        "Connection: keep-alive",
        "X: " + "v" * 3000,
        ": empty name",
        "X:\x00",
        "Git-Protocol: version=2",
    ]
)
# A response that says what was wrong, or a silent close of an empty connection.
ALLOWED = {None, 200, 400, 401, 403, 404, 408, 413, 431, 501, 505}
HEAD_EXAMPLES = 500
BYTES_EXAMPLES = 300
_SETTINGS = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def test_generated_request_heads(probe: Probe) -> None:
    """Generated heads (odd methods, versions, fields, trailing junk) get a known answer."""
    answers: list[int | None] = []

    @settings(_SETTINGS, max_examples=HEAD_EXAMPLES)
    @given(_METHODS, _TARGETS, _VERSIONS, st.lists(_FIELDS, max_size=6), st.binary(max_size=64))
    def attempt(method: str, target: str, version: str, fields: list[str], junk: bytes) -> None:
        line = f"{method} {target} {version}\r\n" + "".join(f"{f}\r\n" for f in fields)
        answer = probe.send((line + "\r\n").encode("latin-1") + junk)
        answers.append(answer.status)
        assert answer.status in ALLOWED, answer.data[:300]

    attempt()
    record(
        "gate",
        "generated request heads (hypothesis)",
        {"check": "a known status or a silent close", "max examples": HEAD_EXAMPLES},
        {"examples run": len(answers), "distinct statuses": len(set(answers))},
    )


def test_random_bytes(probe: Probe) -> None:
    """Arbitrary bytes get a refusal or a silent close, never a crash."""
    answers: list[int | None] = []

    @settings(_SETTINGS, max_examples=BYTES_EXAMPLES)
    @given(st.binary(max_size=2048))
    def attempt(raw: bytes) -> None:
        answers.append(probe.send(raw).status)
        assert answers[-1] in ALLOWED

    attempt()
    record(
        "gate",
        "random bytes (hypothesis)",
        {"check": "a refusal or a silent close", "max examples": BYTES_EXAMPLES},
        {"examples run": len(answers)},
    )
