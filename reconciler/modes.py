"""Which way the gate runs: `auto` resolved against the host, and the units each way needs."""

from __future__ import annotations

from typing import Literal

from reconciler.desired import GATE_UNITS, TIMER_UNITS, Desired
from reconciler.observed import ManagerState
from reconciler.spec_values import Mode

EffectiveMode = Literal["systemd", "daemon", "none"]


def effective_mode(requested: Mode, manager: ManagerState) -> EffectiveMode:
    """auto means systemd when a user manager answers, else daemon."""
    if requested == "auto":
        return "systemd" if manager.answers else "daemon"
    return requested


def wanted_units(desired: Desired, mode: EffectiveMode) -> tuple[str, ...]:
    """The unit files this mode installs: the gate's two, plus the timer's two when enabled."""
    if mode != "systemd":
        return ()
    return GATE_UNITS + (TIMER_UNITS if desired.timer_enabled else ())
