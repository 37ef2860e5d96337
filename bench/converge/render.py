"""The time-to-converge section of BENCHMARKS.md, from a results JSON (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bench import sections
from bench.stats import ratio, summarize

Result = Mapping[str, Any]
BASELINE = "none"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def _actions(counts: list[int]) -> str:
    low, high = min(counts), max(counts)
    return str(low) if low == high else f"{low}-{high}"


def scenario_table(result: Result) -> str:
    """Per drift: the apply's wall time, the actions it took, the part its own loop took."""
    lines = [
        "| drift | apply until converged, ms: median (IQR) | / no drift | actions | of which its converge loop, ms |",
        "|---|---:|---:|---:|---:|",
    ]
    baseline = summarize(result["samples_s"][BASELINE]).median
    for name, label in result["scenarios"].items():
        s = summarize(result["samples_s"][name])
        loop = summarize(result["loop_s"][name]).median
        cells = [
            f"**{_ms(s.median)}** ({_ms(s.p25)}-{_ms(s.p75)})",
            f"{ratio(s.median, baseline):.2f}x",
            _actions(result["actions"][name]),
            _ms(loop),
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def conditions(result: Result) -> str:
    """When, at which commit, how many samples and under what load."""
    product = (
        f"gate-reconcile {result['reconciler_version']}, measured: {result['product']['what']}"
    )
    return sections.conditions(result, product, "drift")


def render(result: Result) -> str:
    """The whole generated time-to-converge section."""
    parts = [
        "### Time to converge",
        conditions(result),
        scenario_table(result),
        "Each sample starts from a host converged to the drift's starting spec (in systemd mode "
        "with the gate idle: socket listening, service stopped, as after its idle timeout); "
        "the drift is made (untimed) and `gate-reconcile --dry-run` must report it (exit 2); "
        "then one `gate-reconcile apply` is timed from its start to its exit, and "
        "`gate-reconcile check` must pass right after it (untimed), so the time is until "
        "`check` passes. The converge loop's part is what `apply` itself reports (from the "
        "first observation to the passing health check); the rest is start-up: interpreter, "
        "imports, spec, lock, status.json.",
        "#### Machine",
        sections.machine_table(result),
        "Raw samples: [`bench/results/converge.json`](bench/results/converge.json).",
    ]
    return "\n\n".join(parts)
