"""What every suite sets up the same way: its scratch folder on tmpfs, a real systemd --user
manager, the project commit its figures belong to, and the frame of its result."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from bench import machine
from bench.commands import run
from bench.errors import BenchmarkError
from bench.runner import Measured, Schedule
from tests.harness.systemd_user import HarnessError, UserManager, cannot_start_reason

PROJECT = Path(__file__).resolve().parents[1]


def scratch_parent() -> str | None:
    """/dev/shm when there is one: with repositories, clones and servers' temporary files on
    tmpfs, other jobs' disk traffic stays out of the figures. None: the default temp dir."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def user_manager(root: Path, stack: contextlib.ExitStack, needed_for: str) -> UserManager:
    """A real systemd --user manager under `root`, stopped when `stack` closes."""
    if reason := cannot_start_reason():
        raise BenchmarkError(f"{needed_for} need the systemd --user harness: {reason}")
    manager = UserManager(root / "manager")
    stack.callback(manager.stop)
    try:
        manager.start()
    except HarnessError as error:
        raise BenchmarkError(f"the systemd --user harness did not start: {error}") from error
    return manager


def project_commit() -> str:
    """HEAD (what is measured is built from it), and whether the benchmark's code differs
    from it (bench/results/ is what the benchmark writes, not what it runs)."""
    git = ["git", "-C", str(PROJECT)]
    with contextlib.suppress(BenchmarkError):
        head = run([*git, "rev-parse", "--short", "HEAD"]).strip()
        dirty = run([*git, "status", "--porcelain", "--", "bench", ":!bench/results"]).strip()
        return f"{head} (with uncommitted changes in bench/)" if dirty else head
    return "unknown"


def opening(suite: str) -> dict[str, object]:
    """What a suite's result starts with: when, which commit, which machine, how busy."""
    return {
        "suite": suite,
        "schema": 1,
        "taken_at": machine.utc_now(),
        "project_commit": project_commit(),  # at the start: HEAD may move under the run
        "machine": machine.describe(),
        "load_before": machine.load_average(),
        "niceness": os.nice(0),
        "scratch": scratch_parent() or tempfile.gettempdir(),
    }


def closing(
    result: dict[str, object],
    schedule: Schedule,
    measured: Measured,
    what: str,
    **more_schedule: object,
) -> None:
    """What a suite's result ends with: when it finished, how busy, how it sampled `what`
    (and `more_schedule`, what else shaped its sampling)."""
    result["finished_at"] = machine.utc_now()
    result["load_after"] = machine.load_average()
    result["schedule"] = {
        "samples": schedule.samples,
        "warmup": schedule.warmup,
        "rounds": measured.rounds,
        "truncated": measured.truncated,
        "order": f"all {what} once per round, shuffled anew each round (seed {schedule.seed})",
        **more_schedule,
    }
