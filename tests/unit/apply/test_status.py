"""status.json as data: conditions Ready and Degraded, transitions, last actions, counters."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.health import NO_GATE
from reconciler.outcome import NOT_CHECKED
from reconciler.status import condition, epoch, iso, status_document, status_lines
from tests.unit.apply.results import REFUSED, START, record, result
from tests.unit.reconciler.builders import make_desired

DESIRED = make_desired()
LABEL = "/etc/gate.toml"


def _status(res: object, previous: dict[str, object] | None = None) -> dict[str, object]:
    return status_document(res, DESIRED, LABEL, previous or {})  # type: ignore[arg-type]


def test_converged_run_is_ready_and_not_degraded() -> None:
    """A converged run: Ready=True from the health check, Degraded=False, success time set."""
    document = _status(result())
    ready, degraded = condition(document, "Ready"), condition(document, "Degraded")
    assert (ready["status"], ready["reason"]) == ("True", "GateAnswers")
    assert (degraded["status"], degraded["reason"]) == ("False", "Converged")
    assert degraded["message"] == "converged after 1 action"
    assert document["lastSuccessTime"] == document["finishedAt"] == iso(START + 1.5)
    assert document["specDigest"] == DESIRED.spec_digest


@pytest.mark.parametrize(
    ("outcome", "health", "ready", "reason"),
    [
        ("blocked", NOT_CHECKED, "Unknown", "Blocked"),
        ("not_converged", REFUSED, "False", "DeadlineExceeded"),
        ("failed", NOT_CHECKED, "Unknown", "ActionFailed"),
    ],
)
def test_unsuccessful_runs_are_degraded(
    outcome: str, health: object, ready: str, reason: str
) -> None:
    """Blocked, out of time or failed: Degraded=True with the reason and what remains."""
    res = result(outcome, health=health, remaining=("port 9418 is held by nginx",))
    document = _status(res)
    assert condition(document, "Ready")["status"] == ready
    degraded = condition(document, "Degraded")
    assert (degraded["status"], degraded["reason"]) == ("True", reason)
    assert degraded["message"] == "port 9418 is held by nginx"
    assert document["lastSuccessTime"] is None


def test_mode_none_is_not_ready_but_not_degraded() -> None:
    """Mode none: no gate is wanted, so Ready=False and Degraded=False."""
    document = _status(result(health=NO_GATE, mode="none"))
    assert condition(document, "Ready")["status"] == "False"
    assert condition(document, "Degraded")["status"] == "False"


def test_transition_time_is_kept_while_the_status_stays() -> None:
    """lastTransitionTime changes only when a condition's status flips."""
    first = _status(result())
    later = replace(result(actions=()), started_at=START + 600)
    second = _status(later, first)
    assert condition(second, "Ready")["lastTransitionTime"] == iso(START + 1.5)
    broken = replace(result("not_converged", health=REFUSED), started_at=START + 900)
    third = _status(broken, second)
    assert condition(third, "Ready")["lastTransitionTime"] == iso(START + 901.5)
    assert condition(third, "Degraded")["lastTransitionTime"] == iso(START + 901.5)


def test_last_actions_survive_a_run_with_nothing_to_do() -> None:
    """A no-op run keeps the earlier run's actions as lastActions, and its own list is empty."""
    first = _status(result())
    second = _status(replace(result(actions=()), started_at=START + 300), first)
    assert second["actions"] == []
    assert second["lastActions"] == first["lastActions"]
    assert second["lastActions"]["actions"][0]["kind"] == "start_daemon"  # type: ignore[index]


def test_action_counts_accumulate_done_actions_only() -> None:
    """actionCounts adds every done action by kind; skipped and failed ones do not count."""
    actions = (record("write_unit"), record("write_unit"), record("daemon_reload", "skipped"))
    first = _status(result(actions=actions))
    second = _status(result(actions=(record("write_unit"), record("stop_daemon", "failed"))), first)
    assert second["actionCounts"] == {"write_unit": 3}


def test_iso_round_trips() -> None:
    """Times are RFC 3339 UTC with a Z, and read back exactly (to the millisecond)."""
    assert iso(START) == "2023-11-14T22:13:20.000Z"
    assert epoch(iso(START + 0.25)) == START + 0.25


def test_status_lines_show_conditions_and_last_actions() -> None:
    """`gate-reconcile status` shows the outcome, both conditions and the last actions."""
    lines = status_lines(_status(result()))
    assert lines[0].startswith("last apply: converged at 2023-11-14T22:13:21.500Z (mode daemon")
    assert lines[1].startswith("  Ready=True (GateAnswers) since 2023-11-14T22:13:21.500Z")
    assert lines[-1].endswith("start_daemon /run/gate.pid: done")
    assert status_lines({}) == ["last apply: none recorded"]
