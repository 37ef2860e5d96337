"""The gate section of BENCHMARKS.md, computed from a results JSON (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bench import sections
from bench.sections import Goal
from bench.stats import Summary, ratio, summarize

Result = Mapping[str, Any]

VARIANT_LABELS = {
    "gate-socket-warm": "gate, socket-activated, warm",
    "gate-socket-idle": "gate, first request after idle exit",
    "gate-daemon": "gate, detached daemon",
    "nginx": "nginx + fcgiwrap",
    "file": "`file://` (floor)",
}
WARM_GATES = ("gate-socket-warm", "gate-daemon")
WARM_LIMIT = 1.1
SPEEDUP_GOAL = 20.0
IDLE_LIMIT_S = 0.25
# Not needed to serve git over plain HTTP from threads: the reconciler's dependencies,
# pretty console output, an event loop, TLS.
NOT_NEEDED_TO_SERVE = (
    "pydantic",
    "tenacity",
    "sh",
    "reconciler",
    "rich",
    "pygments",
    "asyncio",
    "ssl",
)


def summary(result: Result, operation: str, variant: str) -> Summary:
    """Median and spread of one (operation, variant) series."""
    samples: Sequence[float] = result["samples_s"][operation][variant]
    return summarize(samples)


def versus(result: Result, operation: str, variant: str, baseline: str) -> float:
    """Median of a variant divided by the median of its baseline, same operation, same run."""
    return ratio(
        summary(result, operation, variant).median, summary(result, operation, baseline).median
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _operation_label(result: Result, operation: str) -> str:
    if operation == "ls-remote":
        return "`git ls-remote` (small repo)"
    repo = operation.removeprefix("clone-")
    size = result.get("repos", {}).get(repo, {}).get("bytes_on_disk")
    return f"`git clone` {repo} ({size / 1e6:.2f} MB)" if size else f"`git clone` {repo}"


def latency_table(result: Result) -> str:
    """Medians in ms per operation and variant, with the interquartile range."""
    variants = list(VARIANT_LABELS)
    lines = [
        "| operation | " + " | ".join(VARIANT_LABELS[v] for v in variants) + " |",
        "|---|" + "---:|" * len(variants),
    ]
    for operation in result["samples_s"]:
        cells = []
        for variant in variants:
            s = summary(result, operation, variant)
            cells.append(f"**{_ms(s.median)}** ({_ms(s.p25)}-{_ms(s.p75)})")
        lines.append(f"| {_operation_label(result, operation)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


RATIO_COLUMNS = (
    ("gate-socket-warm", "nginx"),
    ("gate-daemon", "nginx"),
    ("gate-socket-idle", "nginx"),
    ("gate-socket-warm", "file"),
    ("gate-daemon", "file"),
    ("nginx", "file"),
)


def ratio_table(result: Result) -> str:
    """Ratios of medians taken in the same run."""
    heads = [f"{VARIANT_LABELS[a]} / {VARIANT_LABELS[b]}" for a, b in RATIO_COLUMNS]
    lines = ["| operation | " + " | ".join(heads) + " |", "|---|" + "---:|" * len(heads)]
    for operation in result["samples_s"]:
        cells = [f"{versus(result, operation, a, b):.2f}x" for a, b in RATIO_COLUMNS]
        lines.append(f"| {_operation_label(result, operation)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


CPU_VARIANTS = ("gate-daemon", "nginx")


def cpu_table(result: Result) -> str:
    """Median server-side CPU per operation, the gate daemon against nginx + fcgiwrap."""
    heads = [VARIANT_LABELS[v] for v in CPU_VARIANTS] + ["gate / nginx"]
    lines = ["| operation | " + " | ".join(heads) + " |", "|---|" + "---:|" * len(heads)]
    for operation, per_variant in result["server_cpu_s"].items():
        gate, nginx = (summarize(per_variant[v]).median for v in CPU_VARIANTS)
        cells = [_ms(gate), _ms(nginx), f"{ratio(gate, nginx):.2f}x"]
        lines.append(f"| {_operation_label(result, operation)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cpu_split(result: Result) -> str:
    """The server's own processes against the git processes it runs, per ls-remote."""
    burst = result["server_cpu_burst"]
    parts = []
    for variant in CPU_VARIANTS:
        total, own = burst[variant]["total_ms"], burst[variant]["own_ms"]
        parts.append(
            f"{VARIANT_LABELS[variant]} {total:.1f} ms, of which its own processes "
            f"{own:.1f} ms and the git processes it ran {total - own:.1f} ms"
        )
    return (
        f"Split per `ls-remote` over {burst['requests_per_server']} back-to-back requests per "
        f"server (own process time comes in clock ticks, hence a burst): " + "; ".join(parts) + "."
    )


def _warm_goal(result: Result) -> Goal:
    ratios = {
        (op, v): versus(result, op, v, "nginx") for op in result["samples_s"] for v in WARM_GATES
    }
    (op, variant), worst = max(ratios.items(), key=lambda item: item[1])
    return Goal(
        f"warm gate (socket-activated and daemon) ≤ {WARM_LIMIT}x nginx + fcgiwrap on every operation",
        f"worst {worst:.2f}x ({op}, {VARIANT_LABELS[variant]})",
        worst <= WARM_LIMIT,
    )


def _speedup_goal(result: Result) -> Goal:
    historical = float(result["reference"]["historical_per_request_ls_remote_s"])
    warm = summary(result, "ls-remote", "gate-socket-warm").median
    speedup = ratio(historical, warm)
    return Goal(
        f"warm socket-activated `ls-remote` ≥ {SPEEDUP_GOAL:.0f}x faster than the historical "
        f"per-request (`Accept=yes`) gate, {_ms(historical)} ms: issue 3's reference figure, not measured here",
        f"{speedup:.1f}x ({_ms(warm)} ms)",
        speedup >= SPEEDUP_GOAL,
    )


def _idle_goal(result: Result) -> Goal:
    first = summary(result, "ls-remote", "gate-socket-idle").median
    return Goal(
        f"first request after an idle exit ≤ {IDLE_LIMIT_S} s (measured as a whole `ls-remote`: "
        "socket trigger, gate start-up, 401 round trip, two authenticated requests)",
        f"{_ms(first)} ms",
        first <= IDLE_LIMIT_S,
    )


def _lean_goal(result: Result) -> Goal:
    imports = result["imports"]
    extra = list(imports["not_needed_imported"])
    chains = imports.get("pulled_in_by", {})
    found = (
        "not needed to serve: "
        + "; ".join(f"`{name}` via {' → '.join(chains.get(name, []))}" for name in extra)
        if extra
        else "nothing of " + ", ".join(f"`{name}`" for name in NOT_NEEDED_TO_SERVE)
    )
    return Goal(
        "lean start-up: the gate imports only what serving needs",
        f"{imports['gate_import_us'] / 1000:.1f} ms of imports in {imports['gate_modules']} modules "
        f"(bare interpreter: {imports['python_floor_import_us'] / 1000:.1f} ms); {found}",
        not extra,
    )


def goals(result: Result) -> list[Goal]:
    """Every goal of issue 3 with its verdict."""
    return [_warm_goal(result), _speedup_goal(result), _idle_goal(result), _lean_goal(result)]


def imports_table(result: Result) -> str:
    """Where the gate's start-up import time goes, per top-level package."""
    imports = result["imports"]
    cumulative = imports.get("gate_cumulative_us", {})
    lines = [
        "| package | own import time (ms) | its heaviest import, with all that pulled in (ms) |"
    ]
    lines.append("|---|---:|---:|")
    for package, micros in imports["gate_by_package_us"].items():
        whole = cumulative.get(package, 0)
        lines.append(f"| `{package}` | {micros / 1000:.1f} | {whole / 1000:.1f} |")
    return "\n".join(lines)


def conditions(result: Result) -> str:
    """When, at which commit, how many samples and under what load the figures were taken."""
    idle = result["schedule"]["idle_timeout_s"]
    return sections.conditions(
        result,
        f"terok-gate {result['gate_version']}",
        "figure",
        detail="; the idle variant waits for the gate's exit "
        f"(`--idle-timeout {idle}`) before each sample, untimed",
        files="Repositories, clones and servers' files were",
        started="every server it started",
    )


def startup(result: Result) -> str:
    """The start-up figures in prose, then the import profile."""
    imports = result["imports"]
    installed = result.get("gate_install", {}).get("what", "unknown")
    return (
        f"Measured gate: {installed}. A fresh `terok-gate --foreground` answers its first "
        f"health request {_ms(imports['gate_start_to_health_s'])} ms after it is started "
        f"(bare `python -c pass`: {_ms(imports['bare_python_s'])} ms). Up to and including its "
        f"first served `ls-remote` it imports {imports['gate_modules']} modules in "
        f"{imports['gate_import_us'] / 1000:.1f} ms (`python -X importtime`, median of "
        f"{imports['runs']}; the bare interpreter's own start-up imports: "
        f"{imports['python_floor_import_us'] / 1000:.1f} ms). "
        f"Where it goes, per top-level package:\n\n{imports_table(result)}"
    )


def render(result: Result) -> str:
    """The whole generated gate section of BENCHMARKS.md."""
    parts = [
        "## terok-gate: git over HTTP (issue 3)",
        conditions(result),
        "### Goals",
        sections.goals_table(goals(result), 3),
        "### Latency: median in ms (interquartile range)",
        latency_table(result),
        "### Ratios of medians (same run)",
        ratio_table(result),
        "### Server CPU per operation: median ms",
        "CPU time of everything the server ran per operation (its own processes and the "
        "`git http-backend` / `git upload-pack` children), read from a cgroup of its own "
        "around each sample. Other jobs on the machine barely move it, unlike wall time.",
        cpu_table(result),
        cpu_split(result),
        "### Start-up cost",
        startup(result),
        "### Machine",
        sections.machine_table(result),
        "Raw samples: [`bench/results/gate.json`](bench/results/gate.json).",
    ]
    return "\n\n".join(parts)
