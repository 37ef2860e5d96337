"""Situations a person must resolve: reasons, never actions (pure)."""

from __future__ import annotations

from reconciler.desired import Desired
from reconciler.modes import EffectiveMode, wanted_units
from reconciler.observed import Observed

GATE_MODES = ("systemd", "daemon")


def blocked_reasons(desired: Desired, observed: Observed, mode: EffectiveMode) -> tuple[str, ...]:
    """Everything that keeps gate-reconcile from acting safely."""
    return (
        *_manager(desired, observed),
        *_units(desired, observed, mode),
        *_port(observed, mode),
        *_paths(observed, mode),
    )


def _manager(desired: Desired, observed: Observed) -> list[str]:
    if desired.mode != "systemd" or observed.manager.answers:
        return []
    why = observed.manager.detail or observed.manager.presence
    if observed.manager.presence == "unreachable":  # its socket is there: busy, hung or dying
        advice = "see `systemctl --user status`, then run `gate-reconcile apply` again"
    else:
        advice = 'start one (e.g. `loginctl enable-linger $USER`) or set mode = "daemon"'
    return [f"mode = systemd but no systemd user manager answers ({why}); {advice}"]


def _units(desired: Desired, observed: Observed, mode: EffectiveMode) -> list[str]:
    reasons = []
    for name in wanted_units(desired, mode):
        found, status = observed.file(name), observed.unit(name)
        if found.masked or status.masked:
            reasons.append(
                f"{name} is masked; run `systemctl --user unmask {name}` to let gate-reconcile manage it"
            )
        elif found.present and not found.replaceable:
            reasons.append(
                f"{name} at {found.path} is not ours (its first line is not "
                "'# terok-gate-version: N'); move it away to let gate-reconcile write its own"
            )
        elif not found.present and status.fragment_path not in ("", str(found.path)):
            reasons.append(
                f"{name} is already defined by {status.fragment_path}, which gate-reconcile "
                "did not write; remove it to let gate-reconcile install its own"
            )
    return reasons


def _port(observed: Observed, mode: EffectiveMode) -> list[str]:
    port = observed.port
    if mode not in GATE_MODES or port.status != "foreign":
        return []
    return [
        f"port {port.port} on {port.bind} is held by {port.holder}; stop it or choose another port"
    ]


def _paths(observed: Observed, mode: EffectiveMode) -> list[str]:
    reasons = []
    base, tokens, pid_file = observed.base_path, observed.token_file, observed.pid_file
    if mode in GATE_MODES and base.kind not in ("missing", "directory"):
        reasons.append(f"base path {base.path} exists but is not a directory; move it away")
    if mode in GATE_MODES and tokens.kind not in ("missing", "file"):
        reasons.append(f"token file {tokens.path} exists but is not a regular file; move it away")
    if mode == "daemon" and pid_file.kind in ("directory", "other"):
        reasons.append(f"pid file {pid_file.path} is a {pid_file.kind}, not a file; remove it")
    return reasons
