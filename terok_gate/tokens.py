"""The token file, re-read whenever it changes, and the keyring that answers lookups.

A missing or corrupt file denies every request (fail closed); each change is logged once.
The gate never writes the token file.
"""

from __future__ import annotations

import hmac
import os
import stat
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from terok_gate.grants import (
    ADMIN,
    MAX_TOKEN_FILE_BYTES,
    Grant,
    TokenFileError,
    parse_tokens,
    token_digest,
)

if TYPE_CHECKING:
    from structlog.typing import FilteringBoundLogger

Signature = tuple[int, ...] | str


def _signature(path: Path) -> Signature:
    """Return what changes whenever the file is replaced or rewritten (cheap: one stat)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return "missing"
    except OSError as error:
        return f"unreadable: {error.strerror}"
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)


class TokenFile:
    """The token file as of the latest request. Missing or corrupt: every token is denied."""

    def __init__(self, path: Path, log: FilteringBoundLogger) -> None:
        self.path = path
        self._log = log
        self._signature: Signature | None = None
        self._grants: Mapping[bytes, Grant] | None = None
        self._lock = threading.Lock()

    def grants(self) -> Mapping[bytes, Grant] | None:
        """Return the current grants, or None while the file is unusable."""
        signature = _signature(self.path)
        if signature != self._signature:
            with self._lock:
                if signature != self._signature:
                    self._reload(signature)
        return self._grants

    def _reload(self, signature: Signature) -> None:
        try:
            grants, signature = self._read()
        except (OSError, TokenFileError) as error:
            self._grants = None
            problem = error.strerror if isinstance(error, OSError) else str(error)
            self._log.error(
                "token file unusable: denying every request until it is fixed",
                token_file=str(self.path),
                problem=problem,
            )
        else:
            self._grants = grants
            self._log.info("token file loaded", token_file=str(self.path), tokens=len(grants))
        self._signature = signature

    def _read(self) -> tuple[dict[bytes, Grant], Signature]:
        fd = os.open(
            self.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK
        )  # a FIFO must not hang us
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise TokenFileError("it is not a regular file")
            self._warn_if_exposed(st.st_mode)
            raw = _read_all(fd)
        finally:
            os.close(fd)
        signature = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)
        return parse_tokens(raw), signature

    def _warn_if_exposed(self, mode: int) -> None:
        if mode & 0o077:
            self._log.warning(
                "token file is readable by group or others: run chmod 600 on it",
                token_file=str(self.path),
                mode=oct(mode & 0o777),
            )


def _read_all(fd: int) -> bytes:
    pieces, total = [], 0
    while piece := os.read(fd, 65536):
        total += len(piece)
        if total > MAX_TOKEN_FILE_BYTES:
            raise TokenFileError(f"it is larger than {MAX_TOKEN_FILE_BYTES} bytes")
        pieces.append(piece)
    return b"".join(pieces)


class Keyring:
    """Answers which grant a presented token carries: the admin token or the token file's."""

    def __init__(self, token_file: TokenFile, admin_digest: bytes | None) -> None:
        self._token_file = token_file
        self._admin_digest = admin_digest

    def lookup(self, token: str) -> Grant | None:
        """Return the token's grant, or None (unknown token, or the token file is unusable)."""
        grants = self._token_file.grants()
        if grants is None:
            return None
        digest = token_digest(token)
        if self._admin_digest is not None and hmac.compare_digest(digest, self._admin_digest):
            return ADMIN
        return grants.get(digest)
