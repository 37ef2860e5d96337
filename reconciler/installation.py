"""Where this installation's programs are: terok-gate and gate-reconcile side by side."""

from __future__ import annotations

import os
import sys
from pathlib import Path

GATE_PROGRAM = "terok-gate"
RECONCILE_PROGRAM = "gate-reconcile"


def program_dirs() -> tuple[Path, ...]:
    """The running script's directory, then the interpreter's (a venv's bin/ in both cases)."""
    dirs: list[Path] = []
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == RECONCILE_PROGRAM:
        dirs.append(script.absolute().parent)
    dirs.append(Path(sys.executable).absolute().parent)
    return tuple(dict.fromkeys(dirs))


def is_executable_file(path: Path) -> bool:
    """A regular file (or a link to one) we may execute."""
    return path.is_file() and os.access(path, os.X_OK)


def sibling_program(name: str) -> Path:
    """The program `name` beside the running gate-reconcile; the first candidate when absent."""
    candidates = [directory / name for directory in program_dirs()]
    for candidate in candidates:
        if is_executable_file(candidate):
            return candidate
    return candidates[0]
