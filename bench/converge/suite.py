"""Time to converge (issue 7, item 3): every drift of scenarios.py, interleaved; each sample
is one `gate-reconcile apply` process, and `gate-reconcile check` must pass right after it."""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import reconciler
from bench import machine
from bench.converge.scenarios import SCENARIOS, Scenario, Scene
from bench.options import Options
from bench.reconcile.hosts import IN_SYNC, Host, install_product
from bench.reconcile.processes import Finished, expect
from bench.runner import Case, Measured, Schedule, interleave
from bench.scratch import closing, opening, scratch_parent, user_manager
from bench.servers import free_port
from reconciler.desired import SERVICE
from reconciler.places import status_path

OPERATION = "converge"


def last_apply(host: Host) -> tuple[int, float]:
    """From the status.json the last apply wrote: the actions it did, and the seconds its
    converge loop took (first observation to passing health check)."""
    status = json.loads(status_path(host.env).read_text())
    done = [action for action in status["actions"] if action["result"] == "done"]
    return len(done), float(status["durationSeconds"])


@dataclass
class Trial:
    """One scenario as a case: reset and break the host (untimed), apply (timed), check."""

    scenario: Scenario
    scene: Scene
    runs: list[Finished] = field(default_factory=list)
    applied: list[tuple[int, float]] = field(default_factory=list)  # (actions, loop seconds)

    @property
    def host(self) -> Host:
        """The host every scenario shares."""
        return self.scene.host

    def prepare(self) -> None:
        """Converge to the base spec, idle the gate, break the host, prove `--dry-run` sees it."""
        reset(self.scene, self.scenario.base)
        self.scenario.inject(self.scene)
        pending = self.host.run("--dry-run", spec=self.scene.specs[self.scenario.target])
        expect(pending, 2 if self.scenario.drift else 0)

    def run(self) -> None:
        """The timed apply."""
        self.runs.append(self.host.run("apply", spec=self.scene.specs[self.scenario.target]))

    def cleanup(self) -> None:
        """The apply converged (or had nothing to do) and `check` passes right after it."""
        expect(self.runs[-1], 0, "converged:" if self.scenario.drift else IN_SYNC)
        self.applied.append(last_apply(self.host))
        expect(self.host.run("check", spec=self.scene.specs[self.scenario.target]), 0)

    def case(self) -> Case:
        """This trial for the interleaved runner."""
        return Case(OPERATION, self.scenario.name, self.run, self.prepare, self.cleanup)


def reset(scene: Scene, base: str) -> None:
    """Converged to spec `base`; in systemd mode with the gate idle (not started yet, or
    exited after its idle timeout), the state a host spends most of its time in."""
    expect(scene.host.run("apply", spec=scene.specs[base]), 0)
    if base.startswith("systemd"):
        scene.manager.systemctl("stop", SERVICE)


@contextlib.contextmanager
def scene(options: Options) -> Iterator[Scene]:
    """The product installed, a user manager, the specs; all removed afterwards."""
    with contextlib.ExitStack() as stack:
        scratch = tempfile.TemporaryDirectory(prefix="bench-converge-", dir=scratch_parent())
        root = Path(stack.enter_context(scratch))
        options.progress("installing gate-reconcile as an operator would")
        product = install_product(root / "install")
        manager = user_manager(root, stack, "the convergence scenarios")
        port, moved = free_port(), free_port()
        ports = {"systemd": port, "systemd-moved": moved, "daemon": port}  # a switch keeps it
        host = Host("systemd", product, manager.env, root / "host", port)
        host.root.mkdir()
        stack.callback(host.stop_daemon)
        specs = {
            name: host.write_spec(name.split("-")[0], number, root / f"{name}.toml")
            for name, number in ports.items()
        }
        yield Scene(host, manager, specs, ports)


def _measure(options: Options, schedule: Schedule, record: dict[str, object]) -> Measured:
    loads: list[float] = []

    def progress(message: str) -> None:
        loads.append(machine.load_average()[0])
        options.progress(message)

    with scene(options) as the_scene:
        trials = [Trial(scenario, the_scene) for scenario in SCENARIOS]
        measured = interleave([t.case() for t in trials], schedule, progress=progress)
        count = measured.rounds
        taken = {t.scenario.name: t.applied[-count:] for t in trials}
        record["actions"] = {name: [a for a, _ in pairs] for name, pairs in taken.items()}
        record["loop_s"] = {name: [round(s, 6) for _, s in pairs] for name, pairs in taken.items()}
        record["product"] = {"what": the_scene.host.product.description}
    record["load_during_max"] = max(loads, default=0.0)
    return measured


def run_converge(options: Options) -> dict[str, object]:
    """Run every scenario and return the result (JSON-ready)."""
    result = opening("converge")
    schedule = Schedule(options.samples, options.warmup, time_budget=options.time_budget)
    measured = _measure(options, schedule, result)
    closing(result, schedule, measured, "scenarios")
    result["reconciler_version"] = reconciler.__version__
    result["scenarios"] = {s.name: s.label for s in SCENARIOS}
    result["samples_s"] = {
        variant: [round(s, 6) for s in samples]
        for (operation, variant), samples in measured.samples.items()
        if operation == OPERATION
    }
    return result
