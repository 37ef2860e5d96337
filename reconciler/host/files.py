"""Reading files of the host without following symlinks we do not trust."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from reconciler.observed import FileKind, UnitOnDisk

MAX_UNIT_BYTES = 1 << 20  # no unit file of ours is near this; larger ones are not ours


def _kind(mode: int) -> FileKind:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "directory"
    return "other"


def path_kind(path: Path, follow: bool = True) -> FileKind:
    """What is at `path`: missing, file, symlink (only when not following), directory, other."""
    try:
        info = path.stat() if follow else path.lstat()
    except FileNotFoundError:
        return "missing"
    except NotADirectoryError:
        return "other"
    return _kind(info.st_mode)


def read_regular(
    path: Path, follow: bool, limit: int = MAX_UNIT_BYTES, private: bool = False
) -> str | None:
    """The text of `path` when it is a regular file (no FIFO can block us), else None;
    `private`: only a file of ours that neither group nor others may write."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (private and not _private(info)):
            return None
        data = handle.read(limit + 1)
    return None if len(data) > limit else data.decode("utf-8", "surrogateescape")


def _private(info: os.stat_result) -> bool:
    writable_by_others = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    return info.st_uid == os.geteuid() and not writable_by_others


def inspect_unit_file(name: str, path: Path) -> UnitOnDisk:
    """A unit file as it is: kind, content, where a symlink points."""
    kind = path_kind(path, follow=False)
    if kind == "file":
        return UnitOnDisk(name, path, kind, read_regular(path, follow=False))
    if kind == "symlink":
        target = ""
        with contextlib.suppress(OSError):
            target = str(path.readlink())
        return UnitOnDisk(name, path, kind, read_regular(path, follow=True), target)
    return UnitOnDisk(name, path, kind)


def read_pid_file(path: Path) -> tuple[FileKind, str]:
    """Kind of the PID file and, only for a regular file, its first line."""
    kind = path_kind(path, follow=False)
    if kind != "file":
        return kind, ""
    text = read_regular(path, follow=False, limit=64) or ""
    return kind, (text.splitlines() or [""])[0].strip()
