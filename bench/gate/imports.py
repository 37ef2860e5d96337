"""The gate's start-up cost: what it imports until it has served a real request, and how
long a fresh process takes to answer, against a bare interpreter."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from bench import importtime
from bench.commands import run
from bench.gate.gate import GateConfig, wait_healthy
from bench.gate.git import git_env
from bench.gate.install import GateInstall
from bench.gate.render import NOT_NEEDED_TO_SERVE
from bench.servers import Child, free_port
from bench.stats import median


def _serve_once(
    config: GateConfig, install: GateInstall, token: str, log: Path, profile: bool
) -> float:
    """Start a foreground gate, time it to its first health answer, serve one ls-remote, stop it."""
    port = free_port()
    python = [str(install.python), *(["-X", "importtime"] if profile else [])]
    argv = [*python, str(install.command), "--foreground", *config.args()]
    gate = Child("terok-gate", [*argv, "--port", str(port), "--bind", "127.0.0.1"], log, os.environ)
    started = time.perf_counter()
    gate.start()
    try:
        wait_healthy(port, interval=0.002)
        seconds = time.perf_counter() - started
        run(
            ["git", "ls-remote", f"http://{token}:x@127.0.0.1:{port}/small.git"],
            env=git_env(log.parent),
        )
    finally:
        gate.stop()
    return seconds


def _profile(
    config: GateConfig, install: GateInstall, token: str, log: Path
) -> list[importtime.Imported]:
    log.unlink(missing_ok=True)
    _serve_once(config, install, token, log, profile=True)
    return importtime.parse(log.read_text(errors="replace").splitlines())


def _bare_python_seconds(python: Path) -> float:
    started = time.perf_counter()
    subprocess.run([str(python), "-c", "pass"], check=True)
    return time.perf_counter() - started


def _floor_us(python: Path) -> int:
    done = subprocess.run(
        [str(python), "-X", "importtime", "-c", "pass"], capture_output=True, text=True, check=True
    )
    return importtime.total_us(importtime.parse(done.stderr.splitlines()))


def _median_profile(profiles: list[list[importtime.Imported]]) -> list[importtime.Imported]:
    totals = [importtime.total_us(records) for records in profiles]
    return profiles[totals.index(sorted(totals)[len(totals) // 2])]


def measure(
    config: GateConfig, tokens: dict[str, str], runs: int, development: GateInstall
) -> dict[str, object]:
    """Import time and time-to-first-answer of a fresh gate, each the median of `runs`."""
    scratch = config.tokens.parent / "imports"
    scratch.mkdir(exist_ok=True)
    install, token = config.install, tokens["small"]
    profiles, dev_totals, to_health, bare = [], [], [], []
    for _ in range(runs):
        profiles.append(_profile(config, install, token, scratch / "gate.log"))
        dev_totals.append(
            importtime.total_us(_profile(config, development, token, scratch / "dev.log"))
        )
        to_health.append(_serve_once(config, install, token, scratch / "plain.log", profile=False))
        bare.append(_bare_python_seconds(install.python))
    typical = _median_profile(profiles)
    packages = importtime.by_package(typical)
    return {
        "runs": runs,
        "gate_import_us": int(median([importtime.total_us(p) for p in profiles])),
        "python_floor_import_us": int(median([_floor_us(install.python) for _ in range(runs)])),
        "development_venv_import_us": int(median(dev_totals)),
        "gate_modules": len(typical),
        "gate_by_package_us": dict(list(packages.items())[:15]),
        "gate_packages": sorted(packages),
        "not_needed_imported": [name for name in NOT_NEEDED_TO_SERVE if name in packages],
        "pulled_in_by": importtime.pulled_in_by(typical, NOT_NEEDED_TO_SERVE),
        "gate_start_to_health_s": round(median(to_health), 6),
        "bare_python_s": round(median(bare), 6),
    }
