"""One measured process: its wall time, the CPU and peak memory the kernel accounts to it
(wait4), and, in a separate traced run, every process it starts (strace -f)."""

from __future__ import annotations

import contextlib
import os
import re
import resource
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.commands import redact
from bench.errors import BenchmarkError


@dataclass(frozen=True)
class Finished:
    """A finished process: exit code, output, and what the kernel accounted to it.

    CPU and peak memory come from wait4(): they include every child the process waited for
    (the `systemctl` a run starts, Ansible's workers), and the peak is that of the largest
    single process among them, not their sum."""

    argv: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    cpu_seconds: float
    max_rss_kib: int


def measure(
    argv: Sequence[str], env: Mapping[str, str], output: Path, timeout: float = 120.0
) -> Finished:
    """Run argv with stdout and stderr in files beside `output`; wait for it with wait4."""
    out, err = output.with_suffix(".out"), output.with_suffix(".err")
    with out.open("wb") as stdout, err.open("wb") as stderr:
        started = time.perf_counter()
        try:
            process = subprocess.Popen(
                list(argv), env=dict(env), stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr
            )
        except OSError as error:
            raise BenchmarkError(f"{argv[0]}: {error}") from error
        status, usage = _wait(process, timeout)
        seconds = time.perf_counter() - started
    return Finished(
        tuple(argv),
        os.waitstatus_to_exitcode(status),
        out.read_text(errors="replace"),
        err.read_text(errors="replace"),
        seconds,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss,
    )


def _wait(process: subprocess.Popen[bytes], timeout: float) -> tuple[int, resource.struct_rusage]:
    """wait4() for the process, killing it after `timeout` seconds."""
    watchdog = threading.Timer(timeout, process.kill)
    watchdog.daemon = True
    watchdog.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        watchdog.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return status, usage


def expect(finished: Finished, code: int, text: str = "") -> None:
    """The run exited `code` and printed `text`; otherwise the sample means nothing."""
    if finished.exit_code != code or text not in finished.stdout:
        tail = (finished.stdout + finished.stderr).strip()[-1200:]
        raise BenchmarkError(
            redact(
                f"{' '.join(finished.argv)} exited {finished.exit_code} "
                f"(expected {code}{f' and {text!r}' if text else ''}):\n{tail}"
            )
        )


# -- counting the processes a run starts -------------------------------------------------

_TRACED = "execve,fork,vfork,clone,clone3"
_START = re.compile(r"^(\d+)\s+(fork|vfork|clone3?|execve)\((.*)$")
_RESUMED = re.compile(r"^(\d+)\s+<\.\.\. execve resumed>.*\)\s+=\s+(-?\d+)")
_RESULT = re.compile(r"\)\s+=\s+(-?\d+)")
_EXEC_PATH = re.compile(r'^"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Spawned:
    """What a traced run started: how many processes, and which programs they ran."""

    processes: int
    programs: dict[str, int]


@dataclass
class _TraceReader:
    """Reads strace lines one by one (see spawned())."""

    root: str | None = None
    root_exec_seen: bool = False
    processes: int = 0
    programs: Counter[str] = field(default_factory=Counter)
    pending: dict[str, str] = field(default_factory=dict)  # pid -> program of an unfinished execve

    def read(self, line: str) -> None:
        if resumed := _RESUMED.match(line):
            pid, result = resumed.groups()
            self._executed(pid, self.pending.pop(pid, "?"), result)
        elif started := _START.match(line):
            pid, call, rest = started.groups()
            self.root = self.root or pid
            if call != "execve":
                self.processes += "CLONE_THREAD" not in rest
            elif "<unfinished ...>" in rest:
                self.pending[pid] = _program(rest)
            elif result := _RESULT.search(rest):
                self._executed(pid, _program(rest), result.group(1))

    def _executed(self, pid: str, program: str, result: str) -> None:
        if result != "0":
            return  # execve tries each directory of PATH; only the one that worked counts
        if pid == self.root and not self.root_exec_seen:
            self.root_exec_seen = True  # the traced command itself
            return
        self.programs[program] += 1


def spawned(lines: Iterable[str]) -> Spawned:
    """Read `strace -f -e trace=execve,fork,vfork,clone,clone3` output.

    A process is started by fork, vfork, or a clone without CLONE_THREAD (threads do not
    count); a program is run by an execve that succeeded. The traced command's own first
    execve is not counted: it is the run itself."""
    reader = _TraceReader()
    for line in lines:
        reader.read(line)
    return Spawned(reader.processes, dict(sorted(reader.programs.items())))


def _program(arguments: str) -> str:
    found = _EXEC_PATH.match(arguments)
    return Path(found.group(1)).name if found else "?"


def count_spawned(argv: Sequence[str], env: Mapping[str, str], log: Path) -> Spawned:
    """Run argv once under `strace -f` and count what it started (the run's result is checked
    by the caller's timed samples; a traced run is only counted)."""
    strace = shutil.which("strace")
    if strace is None:
        raise BenchmarkError("counting subprocesses needs strace: run bench/install-deps.sh")
    traced = [strace, "-f", "-qq", "-e", f"trace={_TRACED}", "-e", "signal=none", "-o", str(log)]
    with contextlib.suppress(FileNotFoundError):
        log.unlink()
    finished = measure([*traced, "--", *argv], env, log.with_name(log.name + ".run"))
    if not log.exists():
        raise BenchmarkError(f"strace wrote nothing for {argv[0]}: {finished.stderr[-400:]}")
    return spawned(log.read_text(errors="replace").splitlines())
