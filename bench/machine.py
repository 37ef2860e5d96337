"""What the figures were taken on: hardware, software versions, load, date."""

from __future__ import annotations

import datetime
import os
import platform
import shutil
import subprocess
from pathlib import Path


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _first_line(argv: list[str]) -> str:
    """First line a version command prints (stdout or stderr), or why there is none."""
    if shutil.which(argv[0]) is None:
        return "not installed"
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "unknown"


def _package_version(name: str) -> str:
    return _first_line(["dpkg-query", "-W", "-f", "${Version}", name])


def _hypervisor() -> str:
    """The hypervisor lscpu names, or "none" on bare metal."""
    if shutil.which("lscpu") is None:
        return "unknown"
    listing = subprocess.run(["lscpu"], capture_output=True, text=True, check=False, timeout=30)
    for line in listing.stdout.splitlines():
        if line.startswith("Hypervisor vendor:"):
            return line.split(":", 1)[1].strip()
    return "none"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def describe() -> dict[str, object]:
    """The machine and its software, as recorded next to every result."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "hypervisor": _hypervisor(),
        "container": _first_line(["systemd-detect-virt", "--container"]),
        "kernel": platform.release(),
        "os": _first_line(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "python": platform.python_version(),
        "git": _first_line(["git", "--version"]),
        "nginx": _first_line(["nginx", "-v"]),
        "fcgiwrap": _package_version("fcgiwrap"),
        "systemd": _first_line(["systemctl", "--version"]),
    }


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages, rounded."""
    return [round(value, 2) for value in os.getloadavg()]


def utc_now() -> str:
    """The current time, ISO 8601 in UTC, to the second."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
