"""Prometheus textfile-collector metrics of the last apply (pure: returns the text)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from reconciler.actions import Action
from reconciler.outcome import ApplyResult
from reconciler.status import action_counts, epoch

PREFIX = "gate_reconcile"
ACTION_KINDS = tuple(kind.kind for kind in get_args(Action))  # every kind, in plan order


def _metric(name: str, kind: str, text: str, samples: list[tuple[str, float]]) -> list[str]:
    head = [f"# HELP {PREFIX}_{name} {text}", f"# TYPE {PREFIX}_{name} {kind}"]
    return head + [f"{PREFIX}_{name}{labels} {_number(value)}" for labels, value in samples]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _by_kind(counts: Mapping[str, int]) -> list[tuple[str, float]]:
    kinds = dict.fromkeys(ACTION_KINDS, 0) | dict(counts)
    return [(f'{{kind="{kind}"}}', float(n)) for kind, n in kinds.items()]


def render_metrics(result: ApplyResult, status: Mapping[str, Any]) -> str:
    """The metrics text for this apply; `status` is the status.json just computed for it."""
    finished = result.started_at + result.seconds
    table: list[tuple[str, str, str, list[tuple[str, float]]]] = [
        ("converged", "gauge", "1 when the last apply converged", [("", result.converged)]),
        (
            "blocked",
            "gauge",
            "1 when the last apply was blocked",
            [("", result.outcome == "blocked")],
        ),
        (
            "last_actions",
            "gauge",
            "actions the last apply took, by kind",
            _by_kind(action_counts(result, {})),
        ),
        (
            "actions_total",
            "counter",
            "actions of every apply, by kind",
            _by_kind(status.get("actionCounts", {})),
        ),
        ("apply_duration_seconds", "gauge", "how long the last apply took", [("", result.seconds)]),
        ("last_run_timestamp_seconds", "gauge", "when the last apply finished", [("", finished)]),
    ]
    if success := status.get("lastSuccessTime"):
        table.append(
            (
                "last_success_timestamp_seconds",
                "gauge",
                "when an apply last converged",
                [("", epoch(success))],
            )
        )
    lines = [
        line for name, kind, text, samples in table for line in _metric(name, kind, text, samples)
    ]
    return "\n".join(lines) + "\n"
