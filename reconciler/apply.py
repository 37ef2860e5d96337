"""`gate-reconcile apply` end to end: lock, converge on the real host, then status.json and
metrics. Returns what happened; cli.py prints it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.actions import Action
from reconciler.converge import World, converge
from reconciler.desired import Desired
from reconciler.health import judge
from reconciler.host.files import read_regular
from reconciler.host.http import fetch_health
from reconciler.host.lock import holding_lock
from reconciler.host.systemctl import SHOW_TIMEOUT
from reconciler.host.write import make_dirs, write_atomically
from reconciler.observe import observe
from reconciler.outcome import ActionRecord, ApplyResult, HealthVerdict
from reconciler.places import lock_path, status_path
from reconciler.schedule import periodic_hint
from reconciler.spec_source import SpecSource
from reconciler.status import status_document

if TYPE_CHECKING:
    from reconciler.execute import Done

HINT_SHOWN = "periodicHintShown"


@dataclass(frozen=True)
class ApplyOptions:
    """How this apply runs: lock wait, metrics file, environment, progress callback."""

    env: Mapping[str, str]
    wait: float = 0.0
    metrics_file: Path | None = None
    on_action: Callable[[ActionRecord], None] = lambda record: None


@dataclass(frozen=True)
class ApplyReport:
    """The result, the status.json written for it, and a one-time hint for daemon mode."""

    result: ApplyResult
    status: dict[str, Any]
    periodic_hint: str | None


def probe(desired: Desired, timeout: float) -> HealthVerdict:
    """The HTTP health check of the gate on the spec's bind:port."""
    return judge(fetch_health(desired.bind, desired.port, timeout), desired)


def show_timeout(remaining: float) -> float:
    """How long observing may wait for the manager: never past the deadline (a hung manager
    must not hold the run beyond it), but a second at least."""
    return max(1.0, min(SHOW_TIMEOUT, remaining))


def real_world(desired: Desired, options: ApplyOptions) -> World:
    """The loop's edges on this host."""
    deadline = time.monotonic() + desired.apply.deadline
    executors: list[Callable[[Action], Done]] = []

    def remaining() -> float:
        return deadline - time.monotonic()

    def execute(action: Action) -> Done:
        if not executors:  # the execution machinery loads only once an action must run
            from reconciler.execute import Executor
            from reconciler.host.run import run

            executors.append(Executor(desired, run, options.env, remaining))
        return executors[0](action)

    return World(
        observe=lambda d: observe(d, env=options.env, timeout=show_timeout(remaining())),
        execute=execute,
        probe=probe,
        on_action=options.on_action,
    )


def read_status(path: Path) -> dict[str, Any]:
    """The previous status.json ({} when missing or unreadable: it is only a report)."""
    text = read_regular(path, follow=False)
    try:
        document = json.loads(text) if text else {}
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def apply(source: SpecSource, desired: Desired, options: ApplyOptions) -> ApplyReport:
    """Hold the lock, converge, record the result."""
    with holding_lock(lock_path(options.env), options.wait):
        result = converge(desired, real_world(desired, options))
        return _record(source, desired, options, result)


def _record(
    source: SpecSource, desired: Desired, options: ApplyOptions, result: ApplyResult
) -> ApplyReport:
    path = status_path(options.env)
    previous = read_status(path)
    hint = _hint(desired, options.env, result, previous)
    shown = bool(previous.get(HINT_SHOWN)) or hint is not None
    document = status_document(result, desired, source.label, previous, {HINT_SHOWN: shown})
    make_dirs(path.parent, 0o700)
    write_atomically(path, (json.dumps(document, indent=2) + "\n").encode())
    if options.metrics_file is not None:
        from reconciler.metrics import render_metrics

        write_atomically(options.metrics_file, render_metrics(result, document).encode())
    return ApplyReport(result, document, hint)


def _hint(
    desired: Desired,
    env: Mapping[str, str],
    result: ApplyResult,
    previous: Mapping[str, Any],
) -> str | None:
    """The crontab advice, once: in daemon mode, after a converged run, unless shown before."""
    if result.mode != "daemon" or not result.converged or previous.get(HINT_SHOWN):
        return None
    return periodic_hint(desired.reconcile_argv, desired.timer_interval, env)
