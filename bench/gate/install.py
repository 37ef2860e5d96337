"""Which terok-gate is measured: by default the project as an operator installs it, a fresh
venv with its wheel and the runtime dependencies only. The development venv also holds the
test extras, and some of them change what the gate imports (structlog imports `rich` when
it is installed), so it would not show the start-up cost a host really pays."""

from __future__ import annotations

import os
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from bench.commands import run
from bench.errors import BenchmarkError

PROJECT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class GateInstall:
    """A terok-gate script and the interpreter that runs it."""

    command: Path
    python: Path
    description: str


def _from_script(script: Path, description: str) -> GateInstall:
    if not script.exists():
        raise BenchmarkError(f"{script} is missing: install the project (pip install -e .)")
    python = script.parent / "python"
    return GateInstall(script, python if python.exists() else Path(sys.executable), description)


def committed_source(scratch: Path) -> tuple[Path, str]:
    """The project as committed at HEAD, unpacked under scratch, and that commit's short id.

    Measuring HEAD, not the work tree, keeps figures traceable to a commit even while
    uncommitted work is under way in the checkout."""
    commit = run(["git", "-C", str(PROJECT), "rev-parse", "--short", "HEAD"]).strip()
    archive, source = scratch / "source.tar", scratch / "source"
    scratch.mkdir(parents=True, exist_ok=True)
    run(["git", "-C", str(PROJECT), "archive", "--format=tar", "-o", str(archive), "HEAD"])
    with tarfile.open(archive) as unpacked:
        unpacked.extractall(source, filter="data")
    return source, commit


def production_install(scratch: Path) -> GateInstall:
    """The wheel of the committed project in a fresh venv with its runtime dependencies only.

    $BENCH_GATE_COMMAND names another terok-gate script to measure instead."""
    if override := os.environ.get("BENCH_GATE_COMMAND"):
        return _from_script(Path(override), f"BENCH_GATE_COMMAND={override}")
    source, commit = committed_source(scratch)
    wheels, venv = scratch / "wheel", scratch / "gate-venv"
    pip = ["-m", "pip", "-q", "--disable-pip-version-check"]
    build = [sys.executable, *pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels)]
    run([*build, str(source)], timeout=300)
    run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    (wheel,) = wheels.glob("gate_reconcile-*.whl")
    run([str(venv / "bin" / "python"), *pip, "install", str(wheel)], timeout=600)
    what = f"the wheel of commit {commit} in a fresh venv with its runtime dependencies only"
    return _from_script(venv / "bin" / "terok-gate", what)


def packages(install: GateInstall) -> dict[str, str]:
    """name -> version of everything installed beside the gate."""
    frozen = run(
        [str(install.python), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"]
    )
    pairs = (line.split("==", 1) for line in frozen.splitlines() if "==" in line)
    return {name: version for name, version in pairs}
