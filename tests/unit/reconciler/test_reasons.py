"""Reasons read like a person explaining the change."""

from __future__ import annotations

from pathlib import Path

from reconciler.desired import SERVICE, SOCKET, TIMER
from reconciler.observed import UnitOnDisk
from reconciler.reasons import argv_changes, setting_changes, unit_change
from tests.unit.reconciler.builders import PYTHON, make_desired


def _on_disk(name: str, text: str | None, kind: str = "file") -> UnitOnDisk:
    return UnitOnDisk(name, Path("/u") / name, kind, text)  # type: ignore[arg-type]


def test_argv_changes_option_by_option() -> None:
    """Changed options are named with old and new values; an interpreter in front is ignored."""
    old = make_desired(mode="daemon").daemon_argv
    new = make_desired(mode="daemon", port=9500, bind="::1").daemon_argv
    assert argv_changes((PYTHON, *old), new) == [
        "port changed 9418 -> 9500",
        "bind changed 127.0.0.1 -> ::1",
    ]
    assert argv_changes(old, (*old[:1], "--extra", *old[1:])) == ["command line changed"]


def test_gate_command_change_is_named() -> None:
    """A different program is reported as a gate command change."""
    assert argv_changes(("/old/terok-gate",), ("/new/terok-gate",)) == [
        "gate command changed /old/terok-gate -> /new/terok-gate"
    ]


def test_unit_changes_in_words() -> None:
    """Spec changes show as the spec's words: port, base path, interval, unit version."""
    before, after = (
        make_desired(mode="systemd"),
        make_desired(mode="systemd", port=1234, unit_version=3),
    )
    assert setting_changes(before.unit(SOCKET).text, after.unit(SOCKET).text) == [
        "unit version 1 -> 3",
        "port changed 9418 -> 1234",
    ]
    slower = make_desired(mode="systemd", timer={"interval": 60})
    assert setting_changes(before.unit(TIMER).text, slower.unit(TIMER).text) == [
        "interval changed 300s -> 60s"
    ]


def test_unit_change_kinds() -> None:
    """Missing, symlinked, legacy, hand-edited and foreign-written files each say so."""
    desired = make_desired(mode="systemd")
    text = desired.unit(SERVICE).text
    assert unit_change(_on_disk(SERVICE, None, "missing"), text) == "terok-gate.service is missing"
    assert (
        unit_change(_on_disk(SERVICE, text + "Nice=1\n"), text)
        == "terok-gate.service edited by hand"
    )
    legacy = "# terok-gate-version: 1\n[Socket]\nAccept=yes\n"
    assert "Accept=yes" in unit_change(_on_disk(SOCKET, legacy), desired.unit(SOCKET).text)
    unsigned = "# terok-gate-version: 1\n[Service]\nExecStart=/usr/bin/terok-gate\n"
    reason = unit_change(_on_disk(SERVICE, unsigned), text)
    assert reason.startswith("terok-gate.service was not written by this gate-reconcile; ")
    assert "ExecStart changed" in reason
