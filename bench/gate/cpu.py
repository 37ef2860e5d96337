"""Server-side CPU per operation, from a cgroup of the benchmark's own.

nginx + fcgiwrap and the gate daemon are each started inside a fresh cgroup, so every
process of theirs, including the `git http-backend` and `git upload-pack` children, is
counted (fcgiwrap ignores SIGCHLD, so /proc's cutime would miss its children). Unlike wall
time this hardly moves when other jobs share the machine, so it tells overhead from noise.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from bench.errors import BenchmarkError

CGROUP_ROOT = Path("/sys/fs/cgroup")
# A server may still be finishing (reaping its CGI child) when the client has its answer.
SETTLE_SECONDS = 0.02
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


class CpuGroup:
    """A cgroup of our own, only for CPU accounting (cgroup v2, or v1's cpuacct hierarchy)."""

    def __init__(self, name: str) -> None:
        self.v2 = (CGROUP_ROOT / "cgroup.controllers").exists()
        parent = CGROUP_ROOT if self.v2 else CGROUP_ROOT / "cpuacct"
        self.path = parent / f"bench-{name}-{os.getpid()}"

    def create(self) -> None:
        """Make the cgroup directory."""
        try:
            self.path.mkdir()
        except OSError as error:
            raise BenchmarkError(
                f"cannot create the cgroup {self.path} (root needed): {error}"
            ) from error

    def wrap(self, argv: list[str]) -> list[str]:
        """argv run from inside this cgroup: a shell joins it, then execs argv."""
        return ["sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.path / "cgroup.procs"), *argv]

    def cpu_seconds(self) -> float:
        """CPU time of everything that ran in the cgroup so far."""
        if self.v2:
            for line in (self.path / "cpu.stat").read_text().splitlines():
                if line.startswith("usage_usec "):
                    return int(line.split()[1]) / 1e6
            raise BenchmarkError(f"{self.path}/cpu.stat has no usage_usec")
        return int((self.path / "cpuacct.usage").read_text()) / 1e9

    def own_seconds(self) -> float:
        """utime + stime of the processes living in the cgroup now, without their children:
        what the server itself spends, as opposed to the git processes it runs."""
        ticks = 0
        for pid in (self.path / "cgroup.procs").read_text().split():
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{pid}/stat").read_text()
                ticks += sum(int(field) for field in stat[stat.rindex(")") + 2 :].split()[11:13])
        return ticks / TICKS_PER_SECOND

    def remove(self) -> None:
        """Remove the cgroup once its processes are gone (retrying briefly while they exit)."""
        for _ in range(100):
            with contextlib.suppress(FileNotFoundError):
                try:
                    self.path.rmdir()
                except OSError:
                    time.sleep(0.05)
                    continue
            return


class CpuMeter:
    """Records the CPU a cgroup spends during each sample of one case."""

    def __init__(self, group: CpuGroup) -> None:
        self._group = group
        self._before = 0.0
        self.deltas: list[float] = []

    def start(self) -> None:
        """Read the counter before a sample."""
        self._before = self._group.cpu_seconds()

    def stop(self) -> None:
        """Read it after the sample and record the difference."""
        time.sleep(SETTLE_SECONDS)
        self.deltas.append(self._group.cpu_seconds() - self._before)

    def last(self, count: int) -> list[float]:
        """The last `count` samples in seconds (the warm-up ones come before them)."""
        return [round(delta, 6) for delta in self.deltas[-count:]] if count > 0 else []


def burst(group: CpuGroup, operation: Callable[[], None], count: int) -> tuple[float, float]:
    """Run the operation `count` times back to back; return the cgroup's CPU seconds and
    those of the server's own processes. Own time comes in clock ticks, hence a burst."""
    total, own = group.cpu_seconds(), group.own_seconds()
    for _ in range(count):
        operation()
    time.sleep(SETTLE_SECONDS)
    return group.cpu_seconds() - total, group.own_seconds() - own
