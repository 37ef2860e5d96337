"""The apply loop: execute the plan, observe again, plan again, until the plan is empty and
the gate answers as the spec says, or the deadline passes.

Everything that touches the host comes in through `World`, so the loop itself holds only
the order of things. tenacity is imported when the first action runs, never on a run
that has nothing to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from reconciler import logs
from reconciler.actions import Action
from reconciler.desired import Desired
from reconciler.errors import ReconcileError
from reconciler.failures import HostChangedError, describe, hint_for, is_transient
from reconciler.health import NO_GATE, unit_evidence, units_verdict
from reconciler.modes import EffectiveMode
from reconciler.observed import Observed
from reconciler.outcome import NOT_CHECKED, ActionRecord, ApplyResult, HealthVerdict, Outcome
from reconciler.plan import Plan, plan

if TYPE_CHECKING:
    from reconciler.execute import Done


@dataclass
class World:
    """The edges the loop uses; tests of the loop's order may pass their own."""

    observe: Callable[[Desired], Observed]
    execute: Callable[[Action], Done]
    probe: Callable[[Desired, float], HealthVerdict]  # (desired, timeout) -> verdict
    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    on_action: Callable[[ActionRecord], None] = lambda record: None


class ActionFailedError(Exception):
    """An action failed for good, or was still failing at the deadline."""

    def __init__(self, record: ActionRecord, error: BaseException) -> None:
        super().__init__(record.detail)
        self.record = record
        self.error = error


class _PlanStaleError(ActionFailedError):
    """The host changed since it was observed: plan again rather than retry this action."""


@dataclass
class _Run:
    desired: Desired
    world: World
    deadline: float
    started: float
    started_wall: float
    records: list[ActionRecord] = field(default_factory=list)
    rounds: int = 0  # rounds of actions so far
    checks: int = 0  # failed health checks so far

    def left(self) -> float:
        return self.deadline - self.world.monotonic()

    def backoff(self, attempt: int) -> float:
        settings = self.desired.apply
        wait = min(settings.backoff_max, settings.backoff_initial * 2.0**attempt)
        return max(0.0, min(wait, self.left()))

    def finish(
        self,
        outcome: Outcome,
        mode: EffectiveMode,
        remaining: tuple[str, ...],
        health: HealthVerdict,
        hint: str = "",
    ) -> ApplyResult:
        return ApplyResult(
            outcome=outcome,
            mode=mode,
            actions=tuple(self.records),
            remaining=remaining,
            health=health,
            hint=hint,
            started_at=self.started_wall,
            seconds=self.world.monotonic() - self.started,
        )


def converge(desired: Desired, world: World) -> ApplyResult:
    """Apply until converged, blocked, failed for good, or out of time."""
    now = world.monotonic()
    run = _Run(desired, world, now + desired.apply.deadline, now, world.wall())
    while True:
        observed = world.observe(desired)
        current = plan(desired, observed)
        if current.outcome == "blocked":
            hint = "resolve the above, then run `gate-reconcile apply` again"
            return run.finish("blocked", current.mode, current.blocked, NOT_CHECKED, hint)
        ended = (
            _act(run, current) if current.outcome == "changes" else _check(run, observed, current)
        )
        if ended is not None:
            return ended


def _act(run: _Run, current: Plan) -> ApplyResult | None:
    """One round of actions; a result when the run must end here."""
    if run.rounds and run.left() <= 0:
        return _out_of_time(run, current, NOT_CHECKED)
    if run.rounds:
        run.world.sleep(run.backoff(run.rounds - 1))  # the last round did not settle everything
    run.rounds += 1
    return _execute_all(run, current)


def _check(run: _Run, observed: Observed, current: Plan) -> ApplyResult | None:
    """The plan is empty: converged once the health check passes (waiting for it if need be)."""
    verdict = _verify(run, observed, current)
    if verdict.ok:
        return run.finish("converged", current.mode, (), verdict)
    if run.left() <= 0:
        hint = _unhealthy_hint(current)
        return run.finish("not_converged", current.mode, (verdict.message,), verdict, hint)
    run.world.sleep(run.backoff(run.checks))
    run.checks += 1
    return None


def _verify(run: _Run, observed: Observed, current: Plan) -> HealthVerdict:
    """The health check: units as evidence in systemd mode after a run with no action, else HTTP."""
    if current.mode == "none":
        return NO_GATE
    if current.mode == "systemd" and not run.records:
        evidence = unit_evidence(run.desired, observed)
        if not evidence:
            return units_verdict(run.desired, evidence)
    return run.world.probe(run.desired, max(0.5, min(10.0, run.left())))


def _unhealthy_hint(current: Plan) -> str:
    if current.mode == "systemd":
        return "see `systemctl --user status terok-gate.socket terok-gate.service`, then run `gate-reconcile apply` again"
    return "see `gate-reconcile status`; the gate logs to stderr when started in the foreground"


def _out_of_time(run: _Run, current: Plan, health: HealthVerdict) -> ApplyResult:
    remaining = tuple(f"{a.kind} {a.target}: {a.reason}" for a in current.actions)
    hint = "run `gate-reconcile plan` to see what is still out of sync"
    return run.finish("not_converged", current.mode, remaining, health, hint)


def _execute_all(run: _Run, current: Plan) -> ApplyResult | None:
    """Run the plan's actions in order; the result of the run when one of them failed.

    When the host changed under an action, the rest of this plan is stale: the round ends
    and the loop observes and plans again.
    """
    for action in current.actions:
        try:
            run.records.append(_execute_one(run, action))
        except _PlanStaleError as stale:
            run.records.append(stale.record)
            return None
        except ActionFailedError as failure:
            run.records.append(failure.record)
            outcome: Outcome = "not_converged" if is_transient(failure.error) else "failed"
            line = f"{action.kind} {action.target}: {failure.record.detail}"
            return run.finish(
                outcome, current.mode, (line,), NOT_CHECKED, hint_for(failure.error, action.target)
            )
    return None


def _execute_one(run: _Run, action: Action) -> ActionRecord:
    """One action with retries of transient failures, logged with what, why, result, duration."""
    started, attempts = run.world.monotonic(), [0]

    def attempt() -> Done:
        attempts[0] += 1
        return run.world.execute(action)

    error: HostChangedError | ReconcileError | OSError | None = None
    try:
        result, detail = _with_retries(run, attempt)
    except HostChangedError as changed:
        result, detail, error = "skipped", changed.message, changed
    except (ReconcileError, OSError) as failed:
        result, detail, error = "failed", describe(failed), failed
    seconds = round(run.world.monotonic() - started, 6)
    record = ActionRecord(
        action.kind, action.target, action.reason, result, detail, seconds, attempts[0]
    )
    _log(record, run.world)
    if isinstance(error, HostChangedError):
        raise _PlanStaleError(record, error) from error
    if error is not None:
        raise ActionFailedError(record, error) from error
    return record


def _log(record: ActionRecord, world: World) -> None:
    level = "error" if record.result == "failed" else "info"
    logs.event(level, "action", **asdict(record))
    world.on_action(record)


def _with_retries(run: _Run, call: Callable[[], Done]) -> Done:
    """Retry transient failures with exponential backoff, never past the deadline."""
    import tenacity

    def before_sleep(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        logs.event(
            "warning", "retry", attempt=state.attempt_number, error=describe(error) if error else ""
        )

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(
            lambda error: is_transient(error) and not isinstance(error, HostChangedError)
        ),
        wait=lambda state: run.backoff(state.attempt_number - 1),
        stop=lambda state: run.left() <= 0,
        sleep=run.world.sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    return retrying(call)
