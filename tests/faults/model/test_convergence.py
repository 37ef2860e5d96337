"""Model-based convergence: a hypothesis state machine interleaves faults (the fault
matrix's kinds), spec changes (port, mode, base path, timer) and applies on an in-memory
host (tests/faults/model/host.py). The planner, the converge loop with its retries and
deadline, and the health verdict are gate-reconcile's own; only observe and execute are
replaced by the model.

Invariants:
- after at most two applies with no new fault or change, the plan is empty and the gate
  answers on the port with the spec's configuration; or the plan is blocked, exactly when
  the model holds something a person must resolve (a mask, a foreign listener on the
  port, mode = systemd without a manager);
- no action targets a process that is not ours: no StopDaemon of a foreign pid, and every
  foreign process survives every apply; no existing token file is changed;
- an apply on a converged host takes no action.
Every fault kind must have been injected at least once in the run.

A failure prints the steps and a `@reproduce_failure` blob, and the seed of the run:
GATE_MODEL_SEED=N repeats it.
"""

from __future__ import annotations

import functools
import os
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from reconciler.actions import Action
from reconciler.converge import World, converge
from reconciler.desired import Desired, RenderContext, render
from reconciler.execute import Done
from reconciler.modes import effective_mode, wanted_units
from reconciler.observed import ManagerState, Observed
from reconciler.outcome import ApplyResult
from reconciler.plan import plan
from reconciler.spec import parse_spec
from reconciler.spec_values import MODES
from tests.faults.model import manager
from tests.faults.model.execute import Executor, probe
from tests.faults.model.faults import FAULTS, RESOLUTIONS, Fault
from tests.faults.model.host import ModelHost
from tests.faults.model.layout import (
    BASES,
    DEV_NULL,
    PID_FILE,
    PORTS,
    RECONCILE,
    ROOT,
    SPEC_FILE,
    UNIT_DIR,
)
from tests.faults.results import record
from tests.gate_support.gate import GATE

SEED_VARIABLE = "GATE_MODEL_SEED"
EXAMPLES_VARIABLE = "GATE_MODEL_EXAMPLES"  # a longer exploring run (not recorded)
MAX_EXAMPLES = 1000
STEPS = 40


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        stateful_step_count=STEPS,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )


@functools.cache
def desired_for(mode: str, port: int, base: Path, timer: bool) -> Desired:
    """The rendered spec for these choices (the gate command is the real terok-gate)."""
    data = {
        "mode": mode,
        "port": port,
        "base_path": str(base),
        "pid_file": str(PID_FILE),
        "timer": {"enabled": timer},
    }
    spec = parse_spec(data, {"HOME": str(ROOT / "home")}, gate_command=GATE)
    return render(spec, RenderContext(UNIT_DIR, RECONCILE, SPEC_FILE))


class Killed(BaseException):
    """apply SIGKILLed between two actions (no handler of gate-reconcile sees it)."""


@dataclass
class Clock:
    """The model's time: it only moves when something takes time."""

    now: float = 1_000_000.0

    def read(self) -> float:
        """The current time."""
        return self.now

    def spend(self, seconds: float) -> None:
        """Time passes."""
        self.now += max(0.0, seconds)


@dataclass
class Statistics:
    """What the runs did, for the report."""

    examples: int = 0
    steps: int = 0
    applies: int = 0
    killed_applies: int = 0
    spec_changes: int = 0
    checks: int = 0  # plans checked after two applies with no new fault
    blocked_as_expected: int = 0
    resolutions: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)

    def clear(self) -> None:
        """Back to zero, for a new run."""
        vars(self).update(vars(Statistics()))


STATS = Statistics()


class GateHostMachine(RuleBasedStateMachine):
    """A host that faults, spec changes and applies take turns on."""

    def __init__(self) -> None:
        super().__init__()
        self.host = ModelHost()
        for base in BASES:
            self.host.directories.add(base)
            self.host.tokens[base / "tokens.json"] = f"terok's tokens for {base.name}\n"
        self.desired = desired_for("systemd", PORTS[0], BASES[0], True)
        self.quiet = 0  # applies since the last fault or change
        self.converged = False
        STATS.examples += 1

    # --- rules -------------------------------------------------------------------------

    @rule()
    def apply(self) -> None:
        """One apply, then the invariants that follow from it."""
        self._apply_and_check()

    @rule()
    def settle(self) -> None:
        """Two applies in a row: the plan must then be empty (or blocked as the model says)."""
        self._apply_and_check()
        self._apply_and_check()

    @rule(after=st.integers(min_value=0, max_value=6))
    def apply_killed(self, after: int) -> None:
        """An apply SIGKILLed before its action number `after` + 1."""
        STATS.steps += 1
        STATS.killed_applies += 1
        self._run_apply(kill_after=after)
        self._changed()

    @rule(fault=st.sampled_from(FAULTS))
    def disturb(self, fault: Fault) -> None:
        """A fault (one of the matrix's kinds)."""
        STATS.steps += 1
        if fault(self.host, self.desired):
            STATS.faults[fault.__name__] += 1
            self._changed()

    @rule(resolution=st.sampled_from(RESOLUTIONS))
    def resolve(self, resolution: Fault) -> None:
        """An operator resolves what blocks or lasts (unmask, a listener leaves, ...)."""
        STATS.steps += 1
        if resolution(self.host, self.desired):
            STATS.resolutions += 1
            self._changed()

    @rule(
        mode=st.sampled_from(MODES),
        port=st.sampled_from(PORTS),
        base=st.sampled_from(BASES),
        timer=st.booleans(),
    )
    def change_spec(self, mode: str, port: int, base: Path, timer: bool) -> None:
        """The spec changes (mode, port, base path, timer)."""
        STATS.steps += 1
        new = desired_for(mode, port, base, timer)
        if new != self.desired:
            STATS.spec_changes += 1
            self.desired = new
            self._changed()

    # --- invariants --------------------------------------------------------------------

    @invariant()
    def no_process_of_others_targeted(self) -> None:
        """No plan ever stopped a process that is not ours."""
        assert self.host.violations == []

    # --- helpers -----------------------------------------------------------------------

    def _changed(self) -> None:
        self.quiet, self.converged = 0, False

    def _run_apply(self, kill_after: int | None = None) -> ApplyResult | None:
        clock, done = Clock(), [0]
        executor = Executor(self.host, self.desired, clock.spend)

        def execute(action: Action) -> Done:
            if kill_after is not None and done[0] >= kill_after:
                raise Killed
            done[0] += 1
            return executor(action)

        def observe(desired: Desired) -> Observed:
            clock.spend(1.0 if self.host.hung else 0.01)
            return self.host.observe(desired)

        world = World(
            observe=observe,
            execute=execute,
            probe=lambda desired, timeout: probe(self.host, desired),
            monotonic=clock.read,
            wall=clock.read,
            sleep=clock.spend,
        )
        try:
            return converge(self.desired, world)
        except Killed:
            return None

    def _apply_and_check(self) -> None:
        STATS.steps += 1
        STATS.applies += 1
        foreign, tokens = self.host.foreign_pids(), dict(self.host.tokens)
        result = self._run_apply()
        assert result is not None
        STATS.outcomes[result.outcome] += 1
        assert foreign <= self.host.foreign_pids(), "a process that is not ours died"
        assert all(self.host.tokens.get(path) == text for path, text in tokens.items())
        if self.converged:
            assert result.actions == () and result.converged, result
        self.quiet += 1
        self.converged = result.converged
        if self.quiet >= 2 and not (self.host.hung or self.host.disk_full):
            self._check_settled(result)

    def _check_settled(self, result: ApplyResult) -> None:
        """Two applies with no new fault: in sync, or blocked exactly when a person must act."""
        STATS.checks += 1
        current = plan(self.desired, self.host.observe(self.desired))
        expected = self._blocking()
        if expected:
            assert current.outcome == "blocked", (expected, current)
            STATS.blocked_as_expected += 1
        else:
            assert current.outcome == "in_sync", current
            assert result.converged, result
            if current.mode != "none":  # converged means the gate answers as the spec says
                verdict = probe(self.host, self.desired)
                assert verdict.ok, verdict

    def _blocking(self) -> list[str]:
        """What a person must resolve, as the model sees it."""
        answers = self.host.manager_up and not self.host.hung
        mode = effective_mode(self.desired.mode, ManagerState("running" if answers else "absent"))
        found = []
        if self.desired.mode == "systemd" and not answers:
            found.append("mode systemd without a user manager")
        for name in wanted_units(self.desired, mode):
            entry, unit = self.host.disk.get(name), manager.unit(self.host, name)
            if (entry and entry.target == DEV_NULL) or unit.load == "masked":
                found.append(f"{name} masked")
        holders = self.host.holders(self.desired.port)
        if mode in ("systemd", "daemon") and holders & self.host.foreign_pids():
            found.append("a foreign listener on the port")
        return found


def test_model_based_convergence() -> None:
    """A thousand random interleavings of faults, spec changes and applies keep every
    invariant, and every fault kind was injected; the figures go to RELIABILITY.md."""
    STATS.clear()
    chosen = int(os.environ.get(SEED_VARIABLE) or random.SystemRandom().randrange(2**32))
    examples = int(os.environ.get(EXAMPLES_VARIABLE) or MAX_EXAMPLES)
    try:
        run_state_machine_as_test(seed(chosen)(GateHostMachine), settings=_settings(examples))
    except BaseException as error:
        error.add_note(f"repeat this run: {SEED_VARIABLE}={chosen} pytest {__file__}")
        raise
    assert set(STATS.faults) == {fault.__name__ for fault in FAULTS}, "a fault kind never ran"
    if examples != MAX_EXAMPLES:
        return
    claims = {
        "check": "after two applies with no new fault the plan is empty and the gate answers "
        "(or the plan is blocked, exactly when a person must act); no action targets a "
        "foreign process, none dies, no token file changes; an apply on a converged host "
        "does nothing; every fault kind injected",
        "max examples": MAX_EXAMPLES,
        "steps per example": STEPS,
        "fault kinds": len(FAULTS),
        "spec choices": f"mode {'/'.join(MODES)}, 2 ports, 2 base paths, timer on/off",
    }
    figures = {
        "examples run": STATS.examples,
        "steps": STATS.steps,
        "applies": STATS.applies,
        "killed applies": STATS.killed_applies,
        "faults injected": sum(STATS.faults.values()),
        "spec changes": STATS.spec_changes,
        "settled plans checked": STATS.checks,
        "of them blocked as expected": STATS.blocked_as_expected,
        "apply outcomes": dict(STATS.outcomes.most_common()),
    }
    record("model_based", "model-based convergence", claims, figures)
