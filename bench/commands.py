"""The one place that runs commands for the benchmarks: argument lists, bounded in time."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench.errors import BenchmarkError

_URL_CREDENTIALS = re.compile(r"(\w+://)[^/@\s]+@")


def redact(text: str) -> str:
    """Hide the user:password part of URLs (the throwaway bench tokens stay out of output)."""
    return _URL_CREDENTIALS.sub(r"\1***@", text)


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120.0,
) -> str:
    """Run argv, return its stdout; any failure or time-out is a BenchmarkError naming it."""
    try:
        done = subprocess.run(
            list(argv),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BenchmarkError(redact(f"{' '.join(argv)}: {error}")) from error
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip()[-800:]
        raise BenchmarkError(redact(f"{' '.join(argv)} exited {done.returncode}: {tail}"))
    return done.stdout
