"""Reading `python -X importtime` output: where a process's start-up import time goes."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

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


def _chain(records: list[Imported], index: int) -> list[str]:
    """The modules from the top-level import down to records[index].

    -X importtime prints a module after everything it imported, so a record's parent is
    the next record one level shallower."""
    chain = [records[index].module]
    depth = records[index].depth
    for record in records[index + 1 :]:
        if record.depth < depth:
            chain.insert(0, record.module)
            depth = record.depth
    return chain


def pulled_in_by(records: list[Imported], packages: Iterable[str]) -> dict[str, list[str]]:
    """For each package that was imported, the chain of imports that first pulled it in."""
    found: dict[str, list[str]] = {}
    for package in packages:
        for index, record in enumerate(records):
            if record.module == package or record.module.startswith(f"{package}."):
                chain = _chain(records, index)
                inside = [m == package or m.startswith(f"{package}.") for m in chain]
                found[package] = chain[: inside.index(True) + 1]
                break
    return found


def cumulative_by_package(records: Iterable[Imported]) -> dict[str, int]:
    """Per top-level package, its heaviest import including everything that import pulled in."""
    found: dict[str, int] = {}
    for record in records:
        root = record.module.split(".")[0]
        found[root] = max(found.get(root, 0), record.cumulative_us)
    return found


def median_profile(profiles: Sequence[list[Imported]]) -> list[Imported]:
    """The profile whose total import time is the median of several runs (a typical one)."""
    totals = [total_us(records) for records in profiles]
    return profiles[totals.index(sorted(totals)[len(totals) // 2])]


def installed(python: Path, names: Iterable[str]) -> set[str]:
    """Which of the packages the interpreter can import at all.

    -X importtime also lists imports that were only tried (structlog tries `rich`), so a
    package counts as imported only when it is installed too."""
    code = "import importlib.util, sys; print(*[n for n in sys.argv[1:] if importlib.util.find_spec(n)])"
    done = subprocess.run(
        [str(python), "-c", code, *names], capture_output=True, text=True, check=True
    )
    return set(done.stdout.split())
