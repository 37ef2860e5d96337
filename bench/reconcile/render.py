"""The reconciler section of BENCHMARKS.md, computed from a results JSON (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bench import sections
from bench.reconcile.imports import GROUPS, OTHER, WATCHED
from bench.sections import Goal
from bench.stats import Summary, ratio, summarize

Result = Mapping[str, Any]

VARIANT_LABELS = {
    "floor": 'floor: `python -c "import pydantic, structlog, tenacity, sh"` + one `systemctl --user show`',
    "floor-model": "floor + one small pydantic model defined and validated (for reference)",
    "dry-run-systemd": "`gate-reconcile --dry-run`, systemd mode",
    "apply-systemd": "`gate-reconcile apply`, systemd mode",
    "dry-run-systemd-cold": "`gate-reconcile --dry-run`, systemd mode, spec cache cold "
    "(the first run after the spec changed: validates it with pydantic)",
    "dry-run-daemon": "`gate-reconcile --dry-run`, daemon mode",
    "apply-daemon": "`gate-reconcile apply`, daemon mode",
    "ansible": "Ansible: `ansible-playbook --check --diff`",
}
OURS = ("dry-run-systemd", "apply-systemd", "dry-run-daemon", "apply-daemon")
FLOOR_LIMIT = 1.0
SPEEDUP_GOAL = 20.0
EXPECTED_PROCESSES = {"systemd": 1, "daemon": 0}
PROFILES = {
    "floor": "floor's imports",
    "floor-model": "floor + one pydantic model",
    "help": "`--help`",
    "apply-systemd": "`apply`, systemd mode",
    "apply-daemon": "`apply`, daemon mode",
    "dry-run-systemd-cold": "`--dry-run`, systemd mode, spec cache cold",
}


def summary(result: Result, variant: str) -> Summary:
    """Median and spread of one variant's wall times."""
    samples: Sequence[float] = result["samples_s"][variant]
    return summarize(samples)


def versus(result: Result, variant: str, baseline: str) -> float:
    """Median of a variant over the median of its baseline, same run."""
    return ratio(summary(result, variant).median, summary(result, baseline).median)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _floor_goal(result: Result, variant: str) -> Goal:
    measured = versus(result, variant, "floor")
    cpu = ratio(_cpu(result, variant), _cpu(result, "floor"))
    return Goal(
        f"converged {VARIANT_LABELS[variant]} ≤ {FLOOR_LIMIT:.1f}x the floor",
        f"{measured:.2f}x ({_ms(summary(result, variant).median)} ms; CPU {cpu:.2f}x)",
        measured <= FLOOR_LIMIT,
    )


def _processes_goal(result: Result) -> Goal:
    counted = {v: result["spawned"][v]["processes"] for v in OURS}
    wanted = {v: EXPECTED_PROCESSES[v.rsplit("-", 1)[1]] for v in OURS}
    shown = ", ".join(
        f"{VARIANT_LABELS[v].split(',')[0]} {v.rsplit('-', 1)[1]}: {counted[v]}" for v in OURS
    )
    return Goal(
        "subprocesses of a converged run: one in systemd mode, none in daemon mode",
        shown,
        counted == wanted,
    )


def speedup(result: Result, variant: str) -> float:
    """How many times faster than Ansible's check a variant is (medians, same run)."""
    return ratio(summary(result, "ansible").median, summary(result, variant).median)


def _ansible_goal(result: Result) -> Goal:
    check, applied = speedup(result, "dry-run-systemd"), speedup(result, "apply-systemd")
    return Goal(
        f"≥ {SPEEDUP_GOAL:.0f}x faster than Ansible checking the same converged host",
        f"`--dry-run` {check:.1f}x, `apply` {applied:.1f}x faster "
        f"(Ansible {_ms(summary(result, 'ansible').median)} ms)",
        min(check, applied) >= SPEEDUP_GOAL,
    )


def goals(result: Result) -> list[Goal]:
    """Every goal of issue 7 this suite measures, with its verdict."""
    found = [_floor_goal(result, variant) for variant in OURS]
    return [*found, _processes_goal(result), _ansible_goal(result)]


def _cpu(result: Result, variant: str) -> float:
    return summarize(result["cpu_s"][variant]).median


def _rss_mib(result: Result, variant: str) -> float:
    return summarize([float(v) for v in result["max_rss_kib"][variant]]).median / 1024


def _spawned(result: Result, variant: str) -> str:
    if variant not in result["spawned"]:
        return "1 (`systemctl`)" if variant.startswith("floor") else "not counted"
    counted = result["spawned"][variant]
    programs = ", ".join(f"`{name}` {count}" for name, count in counted["programs"].items())
    return f"{counted['processes']}" + (f" ({programs})" if programs else "")


def runs_table(result: Result) -> str:
    """Per variant: wall median (IQR), ratio to the floor, CPU, peak memory, processes."""
    lines = [
        "| variant | wall ms: median (IQR) | / floor | CPU ms | peak RSS MiB | processes started (programs run) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for variant, label in VARIANT_LABELS.items():
        s = summary(result, variant)
        cells = [
            f"**{_ms(s.median)}** ({_ms(s.p25)}-{_ms(s.p75)})",
            f"{versus(result, variant, 'floor'):.2f}x",
            _ms(_cpu(result, variant)),
            f"{_rss_mib(result, variant):.1f}",
            _spawned(result, variant),
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    historical = result["reference"]["historical_status_check_vs_floor"]
    lines.append(
        "| the historical gate manager's status check (issue 7's figure, not measured here) "
        f"| | {historical:.2f}x | | | |"
    )
    return "\n".join(lines)


def imports_table(result: Result) -> str:
    """Own import time per group of packages, for each profiled command (ms)."""
    profiles = result["imports"]
    names = [name for name in PROFILES if name in profiles]
    lines = [
        "| imported | " + " | ".join(PROFILES[n] for n in names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for group in [*GROUPS, OTHER]:
        cells = [f"{profiles[n]['groups_us'][group] / 1000:.1f}" for n in names]
        lines.append(f"| {group} | " + " | ".join(cells) + " |")
    totals = [f"**{profiles[n]['import_us'] / 1000:.1f}**" for n in names]
    modules = [str(profiles[n]["modules"]) for n in names]
    lines.append("| **all imports** | " + " | ".join(totals) + " |")
    lines.append("| modules | " + " | ".join(modules) + " |")
    return "\n".join(lines)


def pulled_in(result: Result, profile: str) -> str:
    """Which of the watched packages a profile imported, and through which chain."""
    found = result["imports"][profile]
    chains = found["pulled_in_by"]
    if not chains:
        return "none of them"
    return "; ".join(_chain(name, chain) for name, chain in chains.items())


def _chain(name: str, chain: list[str]) -> str:
    if len(chain) == 1:  # imported by a function at run time, not by a module at import
        return f"`{name}` (imported where it is used)"
    return f"`{name}` via {' → '.join(chain)}"


def fairness(result: Result) -> str:
    """What makes the Ansible comparison fair, with the proof that its check is not vacuous."""
    seen = result["hand_edit_seen"]
    return (
        f"Ansible ran {result['ansible']['tasks']} tasks on localhost (connection local, no "
        "fact gathering): a `template` task per unit file, whose Jinja template is the unit "
        "file gate-reconcile wrote with its filled-in values as variables, and a "
        "`systemd_service` task (`scope: user`, enabled and started) for the socket and the "
        "timer. Every sample was checked: all tasks ok, none changed. Both tools were shown "
        "to see drift on the same host: with a line appended to `terok-gate.service` by hand, "
        f"Ansible reported changed={seen['ansible_after_edit']['changed']} and "
        f"`gate-reconcile --dry-run` exited {seen['dry_run_exit_after_edit']}; both found the "
        "host converged again once the file was restored."
    )


def conditions(result: Result) -> str:
    """When, at which commit, how many samples and under what load the figures were taken."""
    product = (
        f"gate-reconcile {result['reconciler_version']}, measured: "
        f"{result['product']['what']}; {result['ansible']['version']}"
    )
    return sections.conditions(result, product, "variant")


def render(result: Result) -> str:
    """The whole generated reconciler section of BENCHMARKS.md."""
    reference = result["reference"]
    parts = [
        "### A converged host, against the floor and against Ansible",
        conditions(result),
        "#### Goals",
        sections.goals_table(goals(result), 7),
        "#### Every variant",
        runs_table(result),
        "Wall time as the benchmark saw it (fork to exit); CPU is user + system time of the "
        "run and every process it waited for, peak RSS that of its largest process (both "
        "from `wait4`); processes are counted in one extra run under `strace -f` (forks and "
        "clones that are not threads; programs are successful `execve`s). Not measured here "
        f"(issue 7's reference figures): the historical gate manager's status check, "
        f"{reference['historical_status_check_vs_floor']}x the floor; Ansible on the issue's "
        f"machine, {reference['ansible_check_s']} s and {reference['ansible_subprocesses']} "
        f"subprocesses, {reference['ansible_vs_floor']}x the floor.",
        fairness(result),
        "#### Import cost: own import time in ms (`python -X importtime`, median run)",
        imports_table(result),
        "What a converged run imports of "
        + ", ".join(f"`{name}`" for name in WATCHED)
        + f": systemd mode: {pulled_in(result, 'apply-systemd')}. Daemon mode: "
        f"{pulled_in(result, 'apply-daemon')}.",
        "#### Machine",
        sections.machine_table(result),
        "Raw samples: [`bench/results/reconcile.json`](bench/results/reconcile.json).",
    ]
    return "\n\n".join(parts)
