"""Judging whether the gate serves this spec (pure): the health reply, or the units' evidence.

In systemd mode a run that took no action must not connect to the socket (that would
start the gate only to look at it); there the loaded units are the evidence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from reconciler.desired import SERVICE, SOCKET, Desired
from reconciler.observed import Observed, runs_command
from reconciler.outcome import HealthVerdict


@dataclass(frozen=True)
class HealthReply:
    """What `GET /-/health` got: a status and body, or why there was no answer."""

    status: int | None  # None: no HTTP answer at all
    body: bytes = b""
    error: str = ""


def judge(reply: HealthReply, desired: Desired) -> HealthVerdict:
    """Compare the gate's health reply with the spec's configuration digest."""
    where = desired.listen
    document = _document(reply.body) if reply.status == 200 else {}
    if reply.status is None:
        return _failed("NotAnswering", f"nothing answers on {where}: {reply.error}")
    if reply.status != 200:
        return _failed("NotTheGate", f"{where} answered HTTP {reply.status}, not terok-gate")
    if document.get("service") != "terok-gate":
        return _failed("NotTheGate", f"what answers on {where} is not terok-gate")
    if document.get("config_digest") != desired.config_digest:
        why = f"the gate on {where} serves another base path or token file than the spec's"
        return _failed("OtherConfiguration", why)
    version = document.get("version", "?")
    message = f"terok-gate {version} answers on {where} with the spec's configuration"
    return HealthVerdict(True, "http", "GateAnswers", message)


def _failed(reason: str, message: str) -> HealthVerdict:
    return HealthVerdict(False, "http", reason, message)


def _document(body: bytes) -> dict[str, object]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return document if isinstance(document, dict) else {}


def unit_evidence(desired: Desired, observed: Observed) -> tuple[str, ...]:
    """Why the loaded units do not prove that the socket serves this spec (empty: they do)."""
    sock, service = observed.unit(SOCKET), observed.unit(SERVICE)
    problems = [
        f"{name} changed on disk since the manager loaded it"
        for name in (SOCKET, SERVICE)
        if observed.unit(name).need_daemon_reload
    ]
    if sock.fragment_path != str(desired.unit(SOCKET).path) or not sock.running:
        problems.append(f"{SOCKET} is not loaded from {desired.unit(SOCKET).path} and listening")
    if tuple(entry.split(" ")[0] for entry in sock.listen) != (desired.listen,):
        problems.append(
            f"{SOCKET} listens on {', '.join(sock.listen) or 'nothing'}, not {desired.listen}"
        )
    if sock.accept is not False:
        problems.append(f"{SOCKET} does not have Accept=no")
    process = observed.service_process
    if service.running and (
        process is None or not runs_command(process.argv, desired.service_argv)
    ):
        problems.append(f"{SERVICE} runs with another command line")
    return tuple(problems)


def units_verdict(desired: Desired, problems: tuple[str, ...]) -> HealthVerdict:
    """The verdict from the units' evidence alone."""
    if problems:
        return HealthVerdict(False, "units", "UnitsDiffer", "; ".join(problems))
    return HealthVerdict(
        True,
        "units",
        "SocketListening",
        f"{SOCKET} listens on {desired.listen} and the loaded units are the rendered ones",
    )


NO_GATE = HealthVerdict(True, "none", "NoGateWanted", "mode none: no gate runs")
