"""Count real process spawns (fork, posix_spawn, subprocess) with a Python audit hook."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

_SPAWN_EVENTS = {
    "os.fork",
    "os.forkpty",
    "os.posix_spawn",
    "os.posix_spawnp",
    "os.spawn",
    "os.system",
    "subprocess.Popen",
}
_recording: list[list[str]] = []
_installed: list[bool] = []


def _hook(event: str, args: tuple[object, ...]) -> None:
    if _recording and event in _SPAWN_EVENTS:
        _recording[-1].append(event)


@contextmanager
def counting_spawns() -> Iterator[list[str]]:
    """Collect every process this interpreter starts inside the block (audit hooks see them all)."""
    if not _installed:
        sys.addaudithook(_hook)  # audit hooks cannot be removed; it stays idle outside blocks
        _installed.append(True)
    record: list[str] = []
    _recording.append(record)
    try:
        yield record
    finally:
        _recording.remove(record)
