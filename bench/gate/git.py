"""git as the benchmarks run it: an isolated, deterministic environment."""

from __future__ import annotations

import os
from pathlib import Path

FIXED_DATE = "2024-01-01T00:00:00Z"


def git_env(home: Path) -> dict[str, str]:
    """An environment in which no user or system git config applies and commits are reproducible."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("GIT_") and key not in {"DBUS_SESSION_BUS_ADDRESS"}
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@localhost",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@localhost",
        GIT_AUTHOR_DATE=FIXED_DATE,
        GIT_COMMITTER_DATE=FIXED_DATE,
        LC_ALL="C",
    )
    return env
