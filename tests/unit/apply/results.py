"""Plain ApplyResult values for the pure tests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from reconciler.outcome import ActionRecord, ApplyResult, HealthVerdict

START = 1_700_000_000.0
ANSWERS = HealthVerdict(True, "http", "GateAnswers", "terok-gate answers")
REFUSED = HealthVerdict(False, "http", "NotAnswering", "nothing answers")


def record(kind: str = "start_daemon", result: Any = "done") -> ActionRecord:
    """One executed action."""
    return ActionRecord(kind, "/run/gate.pid", "daemon not running", result, "ok", 0.25)


def result(outcome: Any = "converged", **changes: Any) -> ApplyResult:
    """A finished apply at START, 1.5 s long (converged with one action unless changed)."""
    base = ApplyResult(
        outcome=outcome,
        mode="daemon",
        actions=(record(),),
        remaining=(),
        health=ANSWERS,
        hint="",
        started_at=START,
        seconds=1.5,
    )
    return replace(base, **changes)
