"""Who may use a repository: HTTP Basic with the token as the user name."""

import binascii
from collections.abc import Callable
from dataclasses import dataclass

from terok_gate.grants import Grant

CHALLENGE = 'Basic realm="terok-gate", charset="UTF-8"'


@dataclass(frozen=True)
class Allowed:
    """The request may go to the backend on behalf of `grant.task`."""

    grant: Grant


@dataclass(frozen=True)
class Denied:
    """The request is refused with `status` (401 asks for credentials, 403 refuses them)."""

    status: int
    reason: str


def basic_token(authorization: str | None) -> str | None:
    """Return the token in an HTTP Basic `Authorization` header (its user name), or None."""
    if not authorization:
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = binascii.a2b_base64(encoded.strip(), strict_mode=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return decoded.partition(":")[0] or None


def authorize(
    project: str, token: str | None, lookup: Callable[[str], Grant | None]
) -> Allowed | Denied:
    """Decide whether `token` may use `project`'s repository; the password is ignored."""
    if token is None:
        return Denied(401, "no credentials")
    grant = lookup(token)
    if grant is None:
        return Denied(403, "unknown token")
    if not grant.allows(project):
        return Denied(403, "token of another project")
    return Allowed(grant)
