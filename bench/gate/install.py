"""Which terok-gate is measured: by default the project as an operator installs it, a fresh
venv with its wheel and the runtime dependencies only. The development venv also holds the
test extras, and some of them change what the gate imports (structlog imports `rich` when
it is installed), so it would not show the start-up cost a host really pays."""

from __future__ import annotations

import os
import sys
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


def development_install() -> GateInstall:
    """The gate of the venv running the benchmark (the project's .venv, with test extras)."""
    return _from_script(Path(sys.executable).parent / "terok-gate", "development venv (.venv)")


def production_install(scratch: Path) -> GateInstall:
    """The project's wheel in a fresh venv with its runtime dependencies only.

    $BENCH_GATE_COMMAND names another terok-gate script to measure instead."""
    if override := os.environ.get("BENCH_GATE_COMMAND"):
        return _from_script(Path(override), f"BENCH_GATE_COMMAND={override}")
    wheels, venv = scratch / "wheel", scratch / "gate-venv"
    pip = ["-m", "pip", "-q", "--disable-pip-version-check"]
    run(
        [
            sys.executable,
            *pip,
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheels),
            str(PROJECT),
        ],
        timeout=300,
    )
    run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    (wheel,) = wheels.glob("gate_reconcile-*.whl")
    run([str(venv / "bin" / "python"), *pip, "install", str(wheel)], timeout=600)
    return _from_script(
        venv / "bin" / "terok-gate",
        "the project's wheel in a fresh venv, runtime dependencies only",
    )


def packages(install: GateInstall) -> dict[str, str]:
    """name -> version of everything installed beside the gate."""
    frozen = run(
        [str(install.python), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"]
    )
    pairs = (line.split("==", 1) for line in frozen.splitlines() if "==" in line)
    return {name: version for name, version in pairs}
