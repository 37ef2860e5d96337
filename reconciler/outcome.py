"""What one `apply` did and how it ended: plain frozen values (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reconciler.modes import EffectiveMode

Result = Literal["done", "skipped", "failed"]
Outcome = Literal["converged", "blocked", "not_converged", "failed"]
Checked = Literal["http", "units", "none", "not_checked"]


@dataclass(frozen=True)
class ActionRecord:
    """One executed action: what, why, how it went and how long it took."""

    kind: str
    target: str
    reason: str
    result: Result
    detail: str
    seconds: float
    attempts: int = 1


@dataclass(frozen=True)
class HealthVerdict:
    """Whether the gate serves this spec, how that was established, and why not."""

    ok: bool
    checked: Checked
    reason: str  # CamelCase, for the Ready condition
    message: str


NOT_CHECKED = HealthVerdict(False, "not_checked", "NotChecked", "the gate was not checked")


@dataclass(frozen=True)
class ApplyResult:
    """How an apply ended."""

    outcome: Outcome
    mode: EffectiveMode
    actions: tuple[ActionRecord, ...]
    remaining: tuple[str, ...]  # what is still out of sync, blocked or failed
    health: HealthVerdict
    hint: str
    started_at: float  # seconds since the epoch
    seconds: float

    @property
    def converged(self) -> bool:
        """The plan is empty and the gate answers as the spec says."""
        return self.outcome == "converged"

    @property
    def done(self) -> tuple[ActionRecord, ...]:
        """The actions that changed the host."""
        return tuple(record for record in self.actions if record.result == "done")
