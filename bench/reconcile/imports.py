"""What gate-reconcile's start-up imports cost (`python -X importtime`), for `--help`, a
converged run in each mode, and the floor, grouped so that what dominates shows."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from bench import importtime
from bench.errors import BenchmarkError
from bench.stats import median

# Own import time summed per group of top-level packages (everything else: "other").
GROUPS: dict[str, tuple[str, ...]] = {
    "pydantic": ("pydantic", "pydantic_core", "annotated_types", "typing_inspection"),
    "structlog": ("structlog",),
    "tenacity": ("tenacity",),
    "sh": ("sh",),
    "asyncio, ssl": ("asyncio", "ssl", "_ssl", "concurrent"),
    "importlib.metadata": ("importlib", "email", "csv", "zipfile"),
    "gate-reconcile": ("reconciler", "terok_gate"),
}
OTHER = "standard library, rest"
# Packages whose presence a converged run must explain: what pulled each one in is recorded.
WATCHED = ("pydantic", "structlog", "tenacity", "sh", "asyncio", "subprocess", "importlib.metadata")
TOP = 12


def grouped(records: Iterable[importtime.Imported]) -> dict[str, int]:
    """Own import time (microseconds) per group, in GROUPS order, then the rest."""
    owner = {package: group for group, packages in GROUPS.items() for package in packages}
    sums = dict.fromkeys([*GROUPS, OTHER], 0)
    for package, micros in importtime.by_package(records).items():
        sums[owner.get(package, OTHER)] += micros
    return sums


def _profile_once(argv: Sequence[str], env: Mapping[str, str]) -> list[importtime.Imported]:
    done = subprocess.run(
        list(argv), env=dict(env), capture_output=True, text=True, check=False, timeout=120
    )
    if done.returncode not in (0,):
        raise BenchmarkError(
            f"{' '.join(argv[:4])}... exited {done.returncode}: {done.stderr[-600:]}"
        )
    return importtime.parse(done.stderr.splitlines())


def profile(
    python: Path, args: Sequence[str], env: Mapping[str, str], runs: int
) -> dict[str, object]:
    """`python -X importtime ARGS`, `runs` times: the median total and a typical profile."""
    profiles = [_profile_once([str(python), "-X", "importtime", *args], env) for _ in range(runs)]
    typical = importtime.median_profile(profiles)
    packages = importtime.by_package(typical)
    present = tuple(name for name in WATCHED if any(r.module == name for r in typical))
    return {
        "import_us": int(median([importtime.total_us(p) for p in profiles])),
        "modules": len(typical),
        "groups_us": grouped(typical),
        "by_package_us": dict(list(packages.items())[:TOP]),
        "present": list(present),
        "pulled_in_by": importtime.pulled_in_by(typical, present),
    }
