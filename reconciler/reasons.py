"""Reasons a person understands: what changed between what is there and what is wanted (pure)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

from reconciler.escape import split_exec_line
from reconciler.observed import UnitOnDisk
from reconciler.unittext import checksum_state, settings, stamp

_OPTION_LABELS = {
    "--port": "port",
    "--bind": "bind",
    "--base-path": "base path",
    "--token-file": "token file",
    "--idle-timeout": "idle timeout",
    "--pid-file": "pid file",
    "--spec": "spec",
}
# Settings that only follow from another one (the timer's interval); named only when alone.
_DERIVED = {("Unit", "Description"), ("Timer", "OnActiveSec"), ("Timer", "RandomizedDelaySec")}


def program_of(argv: Sequence[str], wanted: Sequence[str]) -> tuple[str, ...]:
    """`argv` without a leading interpreter, when it runs the same script as `wanted`."""
    if len(argv) > 1 and wanted and Path(argv[1]).name == Path(wanted[0]).name:
        return tuple(argv[1:])
    return tuple(argv)


def _options(argv: Sequence[str]) -> dict[str, str]:
    return {a: b for a, b in itertools.pairwise(argv) if a in _OPTION_LABELS}


def argv_changes(old: Sequence[str], new: Sequence[str]) -> list[str]:
    """What differs between two command lines, option by option."""
    old = program_of(old, new)
    changes = []
    if old[:1] != tuple(new[:1]):
        changes.append(f"gate command changed {' '.join(old[:1]) or '?'} -> {new[0]}")
    before, after = _options(old), _options(new)
    for option, label in _OPTION_LABELS.items():
        if before.get(option) != after.get(option):
            changes.append(
                f"{label} changed {before.get(option, '(none)')} -> {after.get(option, '(none)')}"
            )
    if not changes and tuple(old) != tuple(new):
        changes.append("command line changed")
    return changes


def _listen_changes(old: str, new: str) -> list[str]:
    (old_host, _, old_port), (new_host, _, new_port) = old.rpartition(":"), new.rpartition(":")
    changes = []
    if old_port != new_port:
        changes.append(f"port changed {old_port} -> {new_port}")
    if old_host != new_host:
        changes.append(f"bind changed {old_host.strip('[]')} -> {new_host.strip('[]')}")
    return changes


def _setting_changes(
    where: tuple[str, str], old: tuple[str, ...], new: tuple[str, ...]
) -> list[str]:
    key = where[1]
    if key == "ListenStream" and len(old) == len(new) == 1:
        return _listen_changes(old[0], new[0])
    if key == "ExecStart" and len(old) == len(new) == 1:
        before, after = split_exec_line(old[0]), split_exec_line(new[0])
        if before is not None and after is not None:
            return argv_changes(before, after)
    if key == "OnUnitActiveSec":
        return [f"interval changed {' '.join(old) or '(none)'} -> {' '.join(new)}"]
    return [f"{key} changed"]


def setting_changes(old_text: str, new_text: str) -> list[str]:
    """Every difference between two unit texts, in words, most telling first."""
    old, new = settings(old_text), settings(new_text)
    changes = []
    if stamp(old_text) != stamp(new_text):
        changes.append(f"unit version {stamp(old_text)} -> {stamp(new_text)}")
    differing = [k for k in dict.fromkeys([*new, *old]) if old.get(k) != new.get(k)]
    primary = [k for k in differing if k not in _DERIVED] or differing
    for where in primary:
        changes += _setting_changes(where, old.get(where, ()), new.get(where, ()))
    return list(dict.fromkeys(changes)) or ["comments differ from the rendered unit"]


def unit_change(found: UnitOnDisk, wanted_text: str) -> str:
    """Why a unit file must be (re)written."""
    name = found.name
    if not found.present:
        return f"{name} is missing"
    if found.kind == "symlink":
        return f"{name} is a symlink to {found.link_target}; it becomes a regular file"
    if found.emptied:
        return f"{name} is empty (cut to zero bytes)"
    if found.legacy:
        return f"{name} is the old gate manager's Accept=yes socket"
    text = found.text or ""
    state = checksum_state(text)
    if state == "edited":
        return f"{name} edited by hand"
    changes = setting_changes(text, wanted_text)
    if state == "absent":
        changes.insert(0, f"{name} was not written by this gate-reconcile")
    return "; ".join(changes)
