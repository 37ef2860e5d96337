"""Reading `python -X importtime` output: where a process's start-up import time goes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


@dataclass(frozen=True)
class Imported:
    """One module as -X importtime reports it (times in microseconds)."""

    module: str
    self_us: int
    cumulative_us: int
    depth: int


def parse(stderr_lines: Iterable[str]) -> list[Imported]:
    """The import records among a process's stderr lines (other lines are ignored)."""
    found = []
    for line in stderr_lines:
        match = _LINE.match(line)
        if match:
            self_us, cumulative_us, indent, module = match.groups()
            found.append(Imported(module, int(self_us), int(cumulative_us), (len(indent) - 1) // 2))
    return found


def total_us(records: Iterable[Imported]) -> int:
    """All import time of the process: the sum of every module's own time."""
    return sum(record.self_us for record in records)


def by_package(records: Iterable[Imported]) -> dict[str, int]:
    """Own import time summed per top-level package, largest first."""
    sums: dict[str, int] = {}
    for record in records:
        root = record.module.split(".")[0]
        sums[root] = sums.get(root, 0) + record.self_us
    return dict(sorted(sums.items(), key=lambda item: item[1], reverse=True))
