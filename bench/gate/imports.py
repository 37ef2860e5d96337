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


def measure(config: GateConfig, tokens: dict[str, str], runs: int) -> dict[str, object]:
    """Import time and time-to-first-answer of a fresh gate, each the median of `runs`."""
    scratch = config.tokens.parent / "imports"
    scratch.mkdir(exist_ok=True)
    install, token = config.install, tokens["small"]
    profiles, to_health, bare = [], [], []
    for _ in range(runs):
        profiles.append(_profile(config, install, token, scratch / "gate.log"))
        to_health.append(_serve_once(config, install, token, scratch / "plain.log", profile=False))
        bare.append(_bare_python_seconds(install.python))
    typical = importtime.median_profile(profiles)
    return {
        "runs": runs,
        "gate_import_us": int(median([importtime.total_us(p) for p in profiles])),
        "python_floor_import_us": int(median([_floor_us(install.python) for _ in range(runs)])),
        **_where_it_goes(typical, install.python),
        "gate_start_to_health_s": round(median(to_health), 6),
        "bare_python_s": round(median(bare), 6),
    }


def _where_it_goes(typical: list[importtime.Imported], python: Path) -> dict[str, object]:
    """The profile of one typical start: per package, and what pulled unneeded ones in."""
    packages = importtime.by_package(typical)
    cumulative = importtime.cumulative_by_package(typical)
    installed = importtime.installed(python, NOT_NEEDED_TO_SERVE)
    unneeded = tuple(name for name in NOT_NEEDED_TO_SERVE if name in packages and name in installed)
    return {
        "gate_modules": len(typical),
        "gate_by_package_us": dict(list(packages.items())[:15]),
        "gate_cumulative_us": {name: cumulative.get(name, 0) for name in list(packages)[:15]},
        "gate_packages_seen": sorted(packages),  # includes imports only tried (not installed)
        "not_needed_imported": list(unneeded),
        "pulled_in_by": importtime.pulled_in_by(typical, unneeded),
    }
