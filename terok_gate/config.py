"""The gate's settings, checked before anything starts, and the admin token's two sources."""

from __future__ import annotations

import os
import stat
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

from terok_gate.errors import GateError
from terok_gate.grants import token_digest

ADMIN_TOKEN_VARIABLE = "TEROK_GATE_ADMIN_TOKEN"  # noqa: S105 (a name, not a secret)
MAX_ADMIN_TOKEN_BYTES = 4096


@dataclass(frozen=True)
class GateConfig:
    """What the gate serves and how it is reached. Paths are absolute."""

    base_path: Path
    token_file: Path
    port: int = 9418
    bind: str = "127.0.0.1"
    idle_timeout: float = 0.0
    admin_digest: bytes | None = field(default=None, repr=False)


def checked_base_path(raw: str) -> Path:
    """Return the base path made absolute; it must be an existing directory."""
    path = Path(raw).absolute()
    if not path.is_dir():
        raise GateError(
            f"base path {path} is not a directory",
            "create it, or pass the directory that holds the <project>.git repositories",
        )
    return path


def take_admin_token(environ: MutableMapping[str, str], token_file: str | None) -> bytes | None:
    """Return the admin token's digest from the environment or a 0600 file, or None.

    The variable is removed from the environment at once, so no child ever inherits it.
    """
    from_env = environ.pop(ADMIN_TOKEN_VARIABLE, None)
    if from_env is not None and token_file is not None:
        raise GateError(
            f"the admin token is given twice: in {ADMIN_TOKEN_VARIABLE} and --admin-token-file",
            "use one of the two",
        )
    if token_file is not None:
        return token_digest(_read_admin_token_file(Path(token_file)))
    if from_env is not None:
        if not from_env.strip():
            raise GateError(f"{ADMIN_TOKEN_VARIABLE} is set but empty", "unset it or give a token")
        return token_digest(from_env.strip())
    return None


def _read_admin_token_file(path: Path) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        raise GateError(f"cannot read admin token file {path}: {error.strerror}") from None
    try:
        st = os.fstat(fd)
        _check_private(path, st)
        raw = os.read(fd, MAX_ADMIN_TOKEN_BYTES + 1)
    finally:
        os.close(fd)
    token = raw.decode("utf-8", "surrogateescape").strip()
    if not token or len(raw) > MAX_ADMIN_TOKEN_BYTES:
        raise GateError(f"admin token file {path} is empty or too long", "put one token in it")
    return token


def _check_private(path: Path, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise GateError(f"admin token file {path} is not a regular file")
    if st.st_mode & 0o077:
        raise GateError(
            f"admin token file {path} has mode {oct(st.st_mode & 0o777)}: others may read it",
            f"run: chmod 600 {path}",
        )
    if st.st_uid != os.geteuid():
        raise GateError(
            f"admin token file {path} belongs to uid {st.st_uid}, not to the gate's user",
            "give the gate's user its own token file",
        )
