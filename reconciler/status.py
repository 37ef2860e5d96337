"""status.json as data (pure): conditions Ready and Degraded, the last actions, counters.

Ready says whether the gate answers as the spec says; Degraded says whether the last apply
left the host differing from the spec. A condition's lastTransitionTime changes only when
its status changes, so it tells since when the gate has been (un)ready.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from reconciler.desired import Desired
from reconciler.outcome import ApplyResult

STATUS_VERSION = 1
_DEGRADED_REASONS = {
    "converged": "Converged",
    "blocked": "Blocked",
    "not_converged": "DeadlineExceeded",
    "failed": "ActionFailed",
}


def iso(epoch: float) -> str:
    """An instant as RFC 3339 in UTC, to the millisecond."""
    stamp = datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def epoch(text: str) -> float:
    """The inverse of iso()."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def ready_condition(result: ApplyResult) -> dict[str, str]:
    """Ready: the gate answers with the spec's configuration (Unknown when not checked)."""
    health = result.health
    if health.checked == "not_checked":
        status = "Unknown"
    else:
        status = "True" if health.ok and health.checked != "none" else "False"
    return {"type": "Ready", "status": status, "reason": health.reason, "message": health.message}


def degraded_condition(result: ApplyResult) -> dict[str, str]:
    """Degraded: the last apply could not make the host match the spec."""
    if result.converged:
        acted = len(result.done)
        message = (
            f"converged after {acted} action{'' if acted == 1 else 's'}"
            if acted
            else "in sync, no action needed"
        )
        return {"type": "Degraded", "status": "False", "reason": "Converged", "message": message}
    message = "; ".join(result.remaining) or result.outcome
    return {
        "type": "Degraded",
        "status": "True",
        "reason": _DEGRADED_REASONS[result.outcome],
        "message": message,
    }


def with_transition(
    condition: dict[str, str], previous: list[dict[str, Any]], now: str
) -> dict[str, str]:
    """Keep the earlier lastTransitionTime while the condition's status stays the same."""
    before = next((c for c in previous if c.get("type") == condition["type"]), None)
    unchanged = before is not None and before.get("status") == condition["status"]
    since = str(before.get("lastTransitionTime", now)) if before and unchanged else now
    return {**condition, "lastTransitionTime": since}


def action_counts(result: ApplyResult, previous: Mapping[str, Any]) -> dict[str, int]:
    """Actions done so far, by kind, across every apply that wrote this status."""
    counts = {str(k): int(v) for k, v in dict(previous.get("actionCounts", {})).items()}
    for record in result.done:
        counts[record.kind] = counts.get(record.kind, 0) + 1
    return dict(sorted(counts.items()))


def _actions(result: ApplyResult) -> list[dict[str, Any]]:
    return [dataclasses.asdict(record) for record in result.actions]


def status_document(
    result: ApplyResult,
    desired: Desired,
    spec_label: str,
    previous: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The new status.json from this run's result and the previous document ({} when none)."""
    finished = iso(result.started_at + result.seconds)
    earlier = list(previous.get("conditions", []))
    conditions = [
        with_transition(ready_condition(result), earlier, finished),
        with_transition(degraded_condition(result), earlier, finished),
    ]
    last_actions = (
        {"time": finished, "actions": _actions(result)}
        if result.actions
        else previous.get("lastActions")
    )
    return {
        "version": STATUS_VERSION,
        "spec": spec_label,
        "specDigest": desired.spec_digest,
        "mode": result.mode,
        "outcome": result.outcome,
        "startedAt": iso(result.started_at),
        "finishedAt": finished,
        "durationSeconds": round(result.seconds, 6),
        "conditions": conditions,
        "actions": _actions(result),
        "lastActions": last_actions,
        "remaining": list(result.remaining),
        "hint": result.hint,
        "lastSuccessTime": finished if result.converged else previous.get("lastSuccessTime"),
        "actionCounts": action_counts(result, previous),
        **(extra or {}),
    }


def condition(document: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """One condition of a status document ({} when absent)."""
    return next((c for c in document.get("conditions", []) if c.get("type") == kind), {})


def status_lines(document: Mapping[str, Any]) -> list[str]:
    """The last apply in a few lines, for `gate-reconcile status`."""
    if not document:
        return ["last apply: none recorded"]
    lines = [
        f"last apply: {document.get('outcome')} at {document.get('finishedAt')} "
        f"(mode {document.get('mode')}, actions: {len(document.get('actions', []))})"
    ]
    for kind in ("Ready", "Degraded"):
        found = condition(document, kind)
        lines.append(
            f"  {kind}={found.get('status')} ({found.get('reason')}) since "
            f"{found.get('lastTransitionTime')}: {found.get('message')}"
        )
    last = document.get("lastActions") or {}
    for action in last.get("actions", []):
        lines.append(
            f"  {last.get('time')} {action['kind']} {action['target']}: {action['result']}"
        )
    return lines
