"""Changing files safely: atomic replacement, never through a symlink, never overwriting
a token file. Every function is idempotent and says whether it changed anything."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
EMPTY_TOKENS = b"{}\n"


def fsync_dir(directory: Path) -> None:
    """Make a rename or unlink in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temporary(directory: Path, name: str, data: bytes, mode: int) -> Path:
    """A new file beside the target, fully written and synced; removed again on failure."""
    temporary = directory / f".{name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(temporary, _CREATE, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)  # exactly `mode`, whatever the umask
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace `path` by a new file in one rename: readers see the old or the new content.

    rename(2) replaces a symlink at `path` itself and never writes to its target.
    """
    make_dirs(path.parent, 0o755)
    temporary = _temporary(path.parent, path.name, data, mode)
    try:
        temporary.rename(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def remove_entry(path: Path) -> bool:
    """Remove the directory entry `path` (a symlink itself, never its target)."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    fsync_dir(path.parent)
    return True


def make_dirs(path: Path, mode: int) -> bool:
    """Create `path` and its missing parents with `mode`; False when it was already there."""
    if path.is_dir():
        return False
    missing = [p for p in (path, *path.parents) if not p.is_dir()]
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode)
            directory.chmod(mode)  # exactly `mode`, whatever the umask
    return True


def create_exclusive(path: Path, data: bytes, mode: int) -> bool:
    """Create `path` with `data` unless anything is there already (then False, untouched).

    The content is written to a temporary file first and linked into place: link(2)
    never replaces an existing entry, so even a file created a moment ago survives.
    """
    if os.path.lexists(path):
        return False
    temporary = _temporary(path.parent, path.name, data, mode)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        temporary.unlink(missing_ok=True)
    fsync_dir(path.parent)
    return True
