"""The gate's start-up cost: what it imports until it has served a real request, and how
long a fresh process takes to answer, against a bare interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench import importtime
from bench.commands import run
from bench.gate.gate import GateConfig, gate_command, wait_healthy
from bench.gate.git import git_env
from bench.servers import Child, free_port
from bench.stats import median

# Packages the gate does not need to serve git over HTTP (they belong to the reconciler).
NOT_NEEDED_TO_SERVE = ("pydantic", "tenacity", "sh", "reconciler")


def _serve_once(config: GateConfig, token: str, log: Path, importtime_on: bool) -> float:
    """Start a foreground gate, time it to its first health answer, serve one ls-remote, stop it."""
    port = free_port()
    python = [sys.executable, "-X", "importtime"] if importtime_on else [sys.executable]
    argv = [*python, str(gate_command()), "--foreground", *config.args()]
    gate = Child("terok-gate", [*argv, "--port", str(port), "--bind", "127.0.0.1"], log, os.environ)
    started = time.perf_counter()
    gate.start()
    try:
        wait_healthy(port, interval=0.002)
        seconds = time.perf_counter() - started
        url = f"http://{token}:x@127.0.0.1:{port}/small.git"
        run(["git", "ls-remote", url], env=git_env(log.parent))
    finally:
        gate.stop()
    return seconds


def _bare_python_seconds() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def _records(command: list[str]) -> list[importtime.Imported]:
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return importtime.parse(done.stderr.splitlines())


def measure(config: GateConfig, tokens: dict[str, str], runs: int) -> dict[str, object]:
    """Import time and time-to-first-answer of a fresh gate, each the median of `runs`."""
    scratch = config.tokens.parent / "imports"
    scratch.mkdir(exist_ok=True)
    totals, profiles, to_health, bare = [], [], [], []
    for number in range(runs):
        log = scratch / f"gate-{number}.log"
        _serve_once(config, tokens["small"], log, importtime_on=True)
        records = importtime.parse(log.read_text(errors="replace").splitlines())
        totals.append(importtime.total_us(records))
        profiles.append(records)
        to_health.append(_serve_once(config, tokens["small"], scratch / "plain.log", False))
        bare.append(_bare_python_seconds())
    typical = profiles[totals.index(sorted(totals)[len(totals) // 2])]
    floor = [
        importtime.total_us(_records([sys.executable, "-X", "importtime", "-c", "pass"]))
        for _ in range(runs)
    ]
    packages = importtime.by_package(typical)
    return {
        "runs": runs,
        "gate_import_us": int(median(totals)),
        "python_floor_import_us": int(median(floor)),
        "gate_modules": len(typical),
        "gate_by_package_us": dict(list(packages.items())[:15]),
        "gate_packages": sorted(packages),
        "not_needed_imported": [name for name in NOT_NEEDED_TO_SERVE if name in packages],
        "gate_start_to_health_s": round(median(to_health), 6),
        "bare_python_s": round(median(bare), 6),
    }
