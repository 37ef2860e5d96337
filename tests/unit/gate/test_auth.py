"""Auth: the Basic user name is the token; 401 without one, 403 for a wrong one."""

from __future__ import annotations

import base64

import pytest

from terok_gate.auth import Allowed, Denied, authorize, basic_token
from terok_gate.grants import ADMIN, Grant


def _basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (_basic(b"tok:x"), "tok"),
        (_basic(b"tok:"), "tok"),
        (_basic(b"tok"), "tok"),
        (_basic(b"tok:pass:with:colons"), "tok"),
        ("basic " + base64.b64encode(b"tok:x").decode(), "tok"),
        ("  Basic   " + base64.b64encode(b"tok:x").decode() + "  ", "tok"),
        (_basic("tök:x".encode()), "tök"),
        (None, None),
        ("", None),
        ("Basic", None),
        ("Basic ", None),
        (_basic(b":x"), None),
        ("Bearer tok", None),
        ("Basic not base64!", None),
        ("Basic " + base64.b64encode(b"tok:x").decode()[:-2], None),
        (_basic(b"\xff\xfe:x"), None),
    ],
)
def test_basic_token(header: str | None, token: str | None) -> None:
    """The token is the Basic user name; anything unusable counts as no credentials."""
    assert basic_token(header) == token


GRANTS = {"a-tok": Grant("alpha", "task-a"), "admin": ADMIN}


@pytest.mark.parametrize(
    ("project", "token", "decision"),
    [
        ("alpha", "a-tok", Allowed(Grant("alpha", "task-a"))),
        ("alpha", None, Denied(401, "no credentials")),
        ("alpha", "nope", Denied(403, "unknown token")),
        ("beta", "a-tok", Denied(403, "token of another project")),
        ("beta", "admin", Allowed(ADMIN)),
        ("alpha", "admin", Allowed(ADMIN)),
    ],
)
def test_authorize(project: str, token: str | None, decision: Allowed | Denied) -> None:
    """A token opens its own project's repository (the admin token every one), nothing else."""
    assert authorize(project, token, GRANTS.get) == decision
