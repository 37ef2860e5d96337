"""The health verdict: the gate's reply against the spec's digest, and the units' evidence."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from reconciler.desired import SERVICE, SOCKET
from reconciler.health import HealthReply, judge, unit_evidence, units_verdict
from reconciler.host.http import connect_address, parse_reply
from tests.unit.reconciler.builders import converged_systemd, gate_process, make_desired, with_unit

DESIRED = make_desired()


def _body(**fields: object) -> bytes:
    document = {"service": "terok-gate", "version": "0.1.0", "config_digest": DESIRED.config_digest}
    return json.dumps({**document, **fields}).encode()


@pytest.mark.parametrize(
    ("reply", "ok", "reason"),
    [
        (HealthReply(200, _body()), True, "GateAnswers"),
        (HealthReply(200, _body(config_digest="0" * 64)), False, "OtherConfiguration"),
        (HealthReply(200, _body(service="nginx")), False, "NotTheGate"),
        (HealthReply(200, b"<html>"), False, "NotTheGate"),
        (HealthReply(404, b""), False, "NotTheGate"),
        (HealthReply(None, b"", "Connection refused"), False, "NotAnswering"),
    ],
)
def test_judge(reply: HealthReply, ok: bool, reason: str) -> None:
    """Only terok-gate reporting the spec's configuration digest passes."""
    verdict = judge(reply, DESIRED)
    assert (verdict.ok, verdict.reason, verdict.checked) == (ok, reason, "http")
    assert DESIRED.listen in verdict.message


def test_parse_reply() -> None:
    """Status and body of a raw response; anything else is not HTTP."""
    raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}"
    assert parse_reply(raw) == HealthReply(200, b"{}")
    assert parse_reply(b"SSH-2.0-OpenSSH\r\n").status is None


def test_wildcard_binds_are_probed_on_loopback() -> None:
    """A gate bound to 0.0.0.0 or :: is asked on the loopback address of its family."""
    assert [connect_address(a) for a in ("0.0.0.0", "::", "127.0.0.2")] == [
        "127.0.0.1",
        "::1",
        "127.0.0.2",
    ]


def test_converged_units_are_evidence_enough() -> None:
    """Socket loaded from our file, listening on the spec's address with Accept=no, nothing to reload."""
    observed = converged_systemd(DESIRED)
    assert unit_evidence(DESIRED, observed) == ()
    assert units_verdict(DESIRED, ()).ok


@pytest.mark.parametrize(
    ("unit", "changes", "problem"),
    [
        (SOCKET, {"need_daemon_reload": True}, "changed on disk since the manager loaded it"),
        (SOCKET, {"active_state": "inactive"}, "is not loaded from"),
        (SOCKET, {"listen": ("127.0.0.1:1 (Stream)",)}, "listens on 127.0.0.1:1 (Stream)"),
        (SOCKET, {"accept": True}, "does not have Accept=no"),
        (SERVICE, {"active_state": "active", "main_pid": 4242}, "runs with another command line"),
    ],
)
def test_units_that_prove_nothing(unit: str, changes: dict[str, object], problem: str) -> None:
    """Any doubt in the loaded units is named (then the HTTP probe decides)."""
    observed = with_unit(converged_systemd(DESIRED), unit, **changes)
    problems = unit_evidence(DESIRED, observed)
    assert any(problem in p for p in problems), problems
    assert not units_verdict(DESIRED, problems).ok


def test_running_gate_with_the_rendered_argv_is_evidence() -> None:
    """A running gate service whose /proc argv is the rendered one is fine."""
    observed = with_unit(converged_systemd(DESIRED), SERVICE, active_state="active", main_pid=4242)
    observed = replace(observed, service_process=gate_process(DESIRED.service_argv))
    assert unit_evidence(DESIRED, observed) == ()
