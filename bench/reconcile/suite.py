"""The reconciler benchmark of issue 7, items 1, 2 and 5: a converged host checked by
gate-reconcile (dry-run and apply, systemd and daemon mode), by the floor and by Ansible,
interleaved; then what each run spawns, and what its imports cost."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import reconciler
from bench import machine
from bench.errors import BenchmarkError
from bench.gate.install import GateInstall, packages
from bench.options import Options
from bench.reconcile import ansible, imports
from bench.reconcile.hosts import Host, Product, daemon_host, install_product, systemd_host
from bench.reconcile.noop import (
    FLOOR_IMPORTS,
    MODEL,
    OPERATION,
    Variant,
    cold_cache_env,
    variants,
)
from bench.reconcile.processes import count_spawned, expect, measure
from bench.runner import Measured, Schedule, interleave
from bench.scratch import closing, opening, scratch_parent, user_manager
from bench.servers import free_port

REFERENCE = {
    "historical_status_check_vs_floor": 1.36,
    "ansible_check_s": 2.2,
    "ansible_subprocesses": 74,
    "ansible_vs_floor": 16.7,
    "source": "issue 7: figures measured on a machine like ours, not by this benchmark",
}
COUNTED = ("dry-run-systemd", "apply-systemd", "dry-run-daemon", "apply-daemon", "ansible")


@dataclass
class Site:
    """Both converged hosts, Ansible and its playbook, all under one scratch folder."""

    root: Path
    product: Product
    systemd: Host
    daemon: Host
    ansible: ansible.Ansible
    playbook: Path
    unit_dir: Path


@contextlib.contextmanager
def site(progress: Callable[[str], None]) -> Iterator[Site]:
    """Install everything, converge both hosts, and tear all of it down afterwards."""
    with contextlib.ExitStack() as stack:
        scratch = tempfile.TemporaryDirectory(prefix="bench-reconcile-", dir=scratch_parent())
        root = Path(stack.enter_context(scratch))
        progress("installing gate-reconcile as an operator would (wheel + runtime dependencies)")
        product = install_product(root / "install")
        progress(f"installing {ansible.ANSIBLE_CORE} into a venv of its own")
        tool = ansible.install(root / "ansible")
        manager = user_manager(root, stack, "the systemd-mode variants")
        sd = systemd_host(product, manager, root / "systemd", free_port())
        dm = daemon_host(product, root / "daemon", free_port())
        stack.callback(dm.stop_daemon)
        progress("converging a systemd-mode and a daemon-mode host")
        sd.settle()
        dm.settle()
        playbook = ansible.write_playbook(manager.unit_dir, root / "playbook")
        yield Site(root, product, sd, dm, tool, playbook, manager.unit_dir)


def _spawned(the_site: Site, found: list[Variant]) -> dict[str, object]:
    """Each variant once more, under strace: the processes it starts, the programs it runs."""
    counted: dict[str, object] = {}
    logs = the_site.root / "strace"
    logs.mkdir()
    for variant in (v for v in found if v.name in COUNTED):
        (argv, env), *_ = variant.commands
        spawned = count_spawned(argv, env, logs / f"{variant.name}.log")
        counted[variant.name] = {"processes": spawned.processes, "programs": spawned.programs}
    return counted


def _both_see_a_hand_edit(the_site: Site) -> dict[str, object]:
    """The comparison is not vacuous: after a hand edit of one unit file Ansible reports a
    change and `--dry-run` reports drift; with the file restored (content and mtime, so
    that the manager sees no reload due) both find the host converged again."""
    unit = the_site.unit_dir / "terok-gate.service"
    original, stat = unit.read_bytes(), unit.stat()
    tool, sd = the_site.ansible, the_site.systemd
    argv, env = tool.argv(the_site.playbook), tool.env(sd.env)
    unit.write_bytes(original + b"# edited by hand\n")
    try:
        edited = ansible.recap(measure(argv, env, the_site.root / "edited").stdout)
        drift = sd.run("--dry-run").exit_code
    finally:
        unit.write_bytes(original)
        os.utime(unit, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    if not edited.get("changed") or drift != 2:
        raise BenchmarkError(f"a hand edit went unseen: Ansible {edited}, --dry-run exit {drift}")
    expect(sd.run("--dry-run"), 0, "in sync")
    if not ansible.converged(ansible.recap(measure(argv, env, the_site.root / "restored").stdout)):
        raise BenchmarkError("Ansible does not find the restored host converged")
    return {"ansible_after_edit": edited, "dry_run_exit_after_edit": drift}


def _import_profiles(the_site: Site, runs: int) -> dict[str, object]:
    """-X importtime of --help, the converged apply in each mode, a --dry-run with a cold
    spec cache, and the floor's imports."""
    python, script = the_site.product.python, str(the_site.product.reconcile)
    sd, dm = the_site.systemd, the_site.daemon
    wanted = {
        "help": ([script, "--help"], sd.env),
        "apply-systemd": (sd.argv("apply"), sd.env),
        "apply-daemon": (dm.argv("apply"), dm.env),
        "dry-run-systemd-cold": (sd.argv("--dry-run"), cold_cache_env(sd, the_site.root)),
        "floor": (["-c", FLOOR_IMPORTS], sd.env),
        "floor-model": (["-c", MODEL], sd.env),
    }
    return {name: imports.profile(python, args, env, runs) for name, (args, env) in wanted.items()}


def _measure(options: Options, schedule: Schedule, record: dict[str, object]) -> Measured:
    loads: list[float] = []

    def progress(message: str) -> None:
        loads.append(machine.load_average()[0])
        options.progress(message)

    with site(options.progress) as the_site:
        found = variants(
            the_site.systemd, the_site.daemon, the_site.ansible, the_site.playbook, the_site.root
        )
        measured = interleave([v.case() for v in found], schedule, progress=progress)
        record["cpu_s"] = {v.name: v.cpu_seconds(measured.rounds) for v in found}
        record["max_rss_kib"] = {v.name: v.max_rss_kib(measured.rounds) for v in found}
        _after_sampling(the_site, found, options, record)
    record["load_during_max"] = max(loads, default=0.0)
    return measured


def _after_sampling(
    the_site: Site, found: list[Variant], options: Options, record: dict[str, object]
) -> None:
    """Untimed: subprocess counts, import profiles, the hand-edit check, what was measured."""
    options.progress("counting what each run starts (strace -f)")
    record["spawned"] = _spawned(the_site, found)
    options.progress("profiling imports (python -X importtime)")
    record["imports"] = _import_profiles(the_site, 1 if options.quick else 5)
    options.progress("checking that both tools see a hand edit")
    record["hand_edit_seen"] = _both_see_a_hand_edit(the_site)
    record["product"] = _product(the_site.product)
    record["ansible"] = {"version": the_site.ansible.version, "tasks": ansible.task_count()}


def _product(product: Product) -> dict[str, object]:
    install = GateInstall(product.gate, product.python, product.description)
    return {"what": product.description, "packages": packages(install)}


def run_reconcile(options: Options) -> dict[str, object]:
    """Run the whole reconciler benchmark and return its result (JSON-ready)."""
    result = opening("reconcile")
    schedule = Schedule(options.samples, options.warmup, time_budget=options.time_budget)
    measured = _measure(options, schedule, result)
    closing(result, schedule, measured, "variants")
    result["reconciler_version"] = reconciler.__version__
    result["samples_s"] = {
        variant: [round(s, 6) for s in samples]
        for (operation, variant), samples in measured.samples.items()
        if operation == OPERATION
    }
    result["reference"] = REFERENCE
    return result
