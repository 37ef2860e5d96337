"""plan(desired, observed) -> Plan: what must change and why. Pure: no I/O, no clock.

Order inside a plan: stop what the mode no longer wants (so the old way has let go of
the port before the new way binds it), prepare the base path and token file, write and
remove unit files, reload the manager, then enable and start units or the daemon.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reconciler.actions import Action
from reconciler.blocked import blocked_reasons
from reconciler.desired import Desired
from reconciler.modes import EffectiveMode, effective_mode, wanted_units
from reconciler.observed import Observed
from reconciler.plan_daemon import prepare_paths, start_daemon, stop_unwanted_daemon
from reconciler.plan_units import (
    activate_gate,
    activate_timer,
    daemon_reload,
    stop_unwanted_units,
    unit_file_actions,
)

Outcome = Literal["in_sync", "changes", "blocked"]


@dataclass(frozen=True)
class Plan:
    """The ordered actions that bring the host to the spec, or why that is blocked."""

    mode: EffectiveMode
    actions: tuple[Action, ...] = ()
    blocked: tuple[str, ...] = ()

    @property
    def outcome(self) -> Outcome:
        """in_sync (nothing to do), changes (actions pending) or blocked (a person must act)."""
        if self.blocked:
            return "blocked"
        return "changes" if self.actions else "in_sync"


def plan(desired: Desired, observed: Observed) -> Plan:
    """Compare the desired state with the observed one."""
    mode = effective_mode(desired.mode, observed.manager)
    blocked = blocked_reasons(desired, observed, mode)
    if blocked:
        return Plan(mode, (), blocked)
    return Plan(mode, _actions(desired, observed, mode))


def _actions(desired: Desired, observed: Observed, mode: EffectiveMode) -> tuple[Action, ...]:
    wanted = wanted_units(desired, mode)
    files = unit_file_actions(desired, observed, wanted, mode)
    systemd = mode == "systemd"
    return (
        *stop_unwanted_units(observed, wanted, mode),
        *stop_unwanted_daemon(desired, observed, mode),
        *prepare_paths(observed, mode),
        *files,
        *daemon_reload(observed, files),
        *(activate_gate(desired, observed, files) if systemd else ()),
        *activate_timer(observed, wanted, files),
        *start_daemon(desired, observed, mode),
    )
