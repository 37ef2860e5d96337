"""Tokens as data: the token file's format, and the grant each token carries.

Tokens are kept and looked up only by their SHA-256 digest, so neither a dictionary
probe nor a comparison ever runs over the secret itself: the time an answer takes does
not reveal how much of a guessed token was right.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

MAX_TOKEN_FILE_BYTES = 16 * 1024 * 1024
ADMIN_TASK = "admin"


@dataclass(frozen=True)
class Grant:
    """What a token may do: one project's repository (or every one), for one task."""

    project: str | None  # None: every repository (the admin token)
    task: str

    def allows(self, project: str) -> bool:
        """Say whether this grant covers `project`'s repository."""
        return self.project is None or self.project == project


ADMIN = Grant(project=None, task=ADMIN_TASK)


class TokenFileError(ValueError):
    """The token file cannot be used. The message never contains a token."""


def token_digest(token: str) -> bytes:
    """Return the SHA-256 digest under which a token is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()


def parse_tokens(raw: bytes) -> dict[bytes, Grant]:
    """Parse the token file's JSON into grants keyed by token digest."""
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise TokenFileError("it is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise TokenFileError(f"it is not valid JSON ({error.msg} at {where})") from None
    if not isinstance(document, dict):
        raise TokenFileError('its top level must be an object {"<token>": {"project", "task"}}')
    return {
        token_digest(token): _grant(number, token, entry)
        for number, (token, entry) in enumerate(document.items(), start=1)
    }


def _grant(number: int, token: str, entry: object) -> Grant:
    where = f"entry {number}"
    if not token:
        raise TokenFileError(f"{where} has an empty token")
    if not isinstance(entry, dict):
        raise TokenFileError(f'{where} must be an object {{"project": ..., "task": ...}}')
    project = entry.get("project", entry.get("scope"))
    task = entry.get("task")
    if not isinstance(project, str) or not project:
        raise TokenFileError(f'{where} needs a non-empty "project" (or "scope") string')
    if not isinstance(task, str) or not task:
        raise TokenFileError(f'{where} needs a non-empty "task" string')
    return Grant(project=project, task=task)
