"""Plans and snapshots as text a person reads, or as JSON documents (pure: returns strings/dicts)."""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path
from typing import Any

from reconciler.actions import Action, WriteUnit
from reconciler.desired import GATE_UNITS, Desired
from reconciler.modes import effective_mode
from reconciler.observed import Observed
from reconciler.outcome import ActionRecord, ApplyResult, HealthVerdict
from reconciler.plan import Plan
from reconciler.unittext import checksum_state

JSON_VERSION = 1
_NOT_PARAMETERS = {"reason", "text", "previous"}


def unit_diff(action: WriteUnit) -> str:
    """The unified diff from the file on disk to the rendered unit."""
    before = (action.previous or "").splitlines(keepends=True)
    after = action.text.splitlines(keepends=True)
    origin = f"{action.path} (on disk)" if action.previous is not None else "/dev/null"
    lines = difflib.unified_diff(before, after, origin, f"{action.path} (rendered)")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _in_sync_line(plan: Plan, desired: Desired, observed: Observed) -> str:
    if plan.mode == "none":
        return "in sync: mode none, no gate runs"
    return f"in sync: mode {plan.mode}, {observed.port.holder or 'the gate'} on {desired.listen}"


def plan_text(plan: Plan, desired: Desired, observed: Observed, spec_label: str) -> str:
    """The plan as a person reads it: numbered actions with reasons and unit diffs."""
    head = f"gate-reconcile: mode {plan.mode} (spec: {spec_label})"
    if plan.outcome == "in_sync":
        return f"{head}\n{_in_sync_line(plan, desired, observed)}\n"
    if plan.outcome == "blocked":
        lines = [f"blocked: {reason}" for reason in plan.blocked]
        return (
            "\n".join([head, *lines, "nothing was changed; resolve the above, then run again"])
            + "\n"
        )
    out = [f"{head}\n{len(plan.actions)} changes pending (dry run: nothing was changed):\n"]
    for number, action in enumerate(plan.actions, 1):
        out.append(f"{number:3}. {action.kind} {action.target}: {action.reason}\n")
        if isinstance(action, WriteUnit):
            out.append(
                "".join(f"       {line}" for line in unit_diff(action).splitlines(keepends=True))
            )
    return "".join(out)


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def action_document(action: Action) -> dict[str, Any]:
    """kind, target, reason, the parameters, and a diff for unit writes."""
    document: dict[str, Any] = {
        "kind": action.kind,
        "target": action.target,
        "reason": action.reason,
    }
    for field in dataclasses.fields(action):
        if field.name not in _NOT_PARAMETERS:
            value = getattr(action, field.name)
            document[field.name] = f"{value:04o}" if field.name == "mode" else _plain(value)
    if isinstance(action, WriteUnit):
        document["diff"] = unit_diff(action)
    return document


def plan_document(plan: Plan, spec_label: str) -> dict[str, Any]:
    """The plan as one JSON document (version 1)."""
    return {
        "version": JSON_VERSION,
        "outcome": plan.outcome,
        "mode": plan.mode,
        "spec": spec_label,
        "actions": [action_document(a) for a in plan.actions],
        "blocked": list(plan.blocked),
    }


def _files_document(observed: Observed) -> list[dict[str, Any]]:
    return [
        {
            "name": f.name,
            "path": str(f.path),
            "kind": f.kind,
            "link_target": f.link_target,
            "version": f.version,
            "ours": f.ours,
            "legacy": f.legacy,
            "checksum": checksum_state(f.text) if f.text is not None else None,
        }
        for f in observed.files
    ]


def status_document(desired: Desired, observed: Observed, spec_label: str) -> dict[str, Any]:
    """The observed state as one JSON document (version 1), without planning."""
    snapshot = {
        key: _json_ready(getattr(observed, key))
        for key in (
            "manager",
            "units",
            "service_process",
            "pid_file",
            "port",
            "base_path",
            "token_file",
        )
    }
    return {
        "version": JSON_VERSION,
        "spec": spec_label,
        "mode": {"spec": desired.mode, "effective": effective_mode(desired.mode, observed.manager)},
        **snapshot,
        "files": _files_document(observed),
    }


def _json_ready(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json_ready(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_json_ready(v) for v in value]
    return _plain(value)


def status_text(desired: Desired, observed: Observed, spec_label: str) -> str:
    """The observed state in a few lines."""
    mode = effective_mode(desired.mode, observed.manager)
    manager = observed.manager
    lines = [
        f"spec: {spec_label}",
        f"mode: {desired.mode} (effective: {mode})",
        f"user manager: {manager.presence}" + (f" ({manager.detail})" if manager.detail else ""),
    ]
    for found in observed.files:
        lines.append(_file_line(found.name, observed))
    lines += [
        _pid_line(observed),
        f"port {observed.port.port} on {observed.port.bind}: {observed.port.status}"
        + (f", held by {observed.port.holder}" if observed.port.holder else ""),
        f"base path {observed.base_path.path}: {observed.base_path.kind}",
        f"token file {observed.token_file.path}: {observed.token_file.kind}",
    ]
    return "\n".join(lines) + "\n"


def _file_line(name: str, observed: Observed) -> str:
    found, status = observed.file(name), observed.unit(name)
    if not found.present:
        text = "no file"
    elif found.masked:
        text = "masked (symlink to /dev/null)"
    else:
        owner = (
            "legacy"
            if found.legacy
            else f"ours, version {found.version}"
            if found.ours
            else "not ours"
        )
        text = f"{found.kind}, {owner}"
    if observed.units and "@." not in name:
        reload = ", needs daemon-reload" if status.need_daemon_reload else ""
        text += f"; {status.load_state}, {status.active_state} ({status.sub_state}), {status.unit_file_state or 'no unit file'}{reload}"
    return f"{name}: {text}"


def _pid_line(observed: Observed) -> str:
    pid_file = observed.pid_file
    if pid_file.kind != "file":
        return f"pid file {pid_file.path}: {pid_file.kind}"
    if pid_file.pid is None:
        return f"pid file {pid_file.path}: no pid in it ({pid_file.raw!r})"
    who = (
        "our gate"
        if pid_file.ours
        else "not running"
        if pid_file.process is None
        else "not a gate of ours"
    )
    return f"pid file {pid_file.path}: pid {pid_file.pid}, {who}"


def action_line(number: int, record: ActionRecord) -> str:
    """One executed action: what, on what, why, how it went and how long it took."""
    tries = f", {record.attempts} attempts" if record.attempts > 1 else ""
    return (
        f"{number:3}. {record.kind} {record.target}: {record.reason}\n"
        f"     -> {record.result}: {record.detail} ({record.seconds:.3f} s{tries})\n"
    )


def apply_head(spec_label: str) -> str:
    """The first line of `apply`, printed before its first action."""
    return f"gate-reconcile apply (spec: {spec_label}):\n"


def apply_summary(result: ApplyResult) -> str:
    """How the apply ended, in words (the actions were printed as they ran)."""
    done = len(result.done)
    mode = f"mode {result.mode}"
    if result.outcome == "converged" and not result.actions:
        return f"in sync: nothing to do, no action taken ({mode}; {result.health.message})\n"
    if result.outcome == "converged":
        return f"converged: {plural(done, 'action')} in {result.seconds:.2f} s ({mode}; {result.health.message})\n"
    if result.outcome == "blocked":
        lines = [f"blocked: {reason}" for reason in result.remaining]
        return "\n".join([*lines, f"nothing was changed; hint: {result.hint}"]) + "\n"
    head = (
        f"not converged within the deadline ({result.seconds:.1f} s); still out of sync:"
        if result.outcome == "not_converged"
        else "failed:"
    )
    lines = [head, *(f"  - {line}" for line in result.remaining), f"hint: {result.hint}"]
    return "\n".join(lines) + "\n"


CHECK_HINT = "run `gate-reconcile apply` to bring the gate up as the spec says"
NO_GATE_HINT = 'the spec says mode = "none"; set another mode, then run `gate-reconcile apply`'


def check_text(verdict: HealthVerdict, context: list[str]) -> str:
    """`check`: ok, or what is wrong and what to run."""
    if verdict.ok:
        return f"ok: {verdict.message}\n"
    hint = NO_GATE_HINT if verdict.checked == "none" else CHECK_HINT
    lines = [f"not ok: {verdict.message}", *(f"  {line}" for line in context), hint]
    return "\n".join(lines) + "\n"


def plural(count: int, word: str) -> str:
    """`1 action`, `2 actions`."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def check_context(desired: Desired, observed: Observed) -> list[str]:
    """The few observed facts that explain a failed check."""
    mode = effective_mode(desired.mode, observed.manager)
    port = observed.port
    lines = [
        f"mode {desired.mode} (effective: {mode})",
        f"port {port.port} on {port.bind}: {port.status}"
        + (f", held by {port.holder}" if port.holder else ""),
    ]
    if mode == "systemd":
        lines += [_file_line(name, observed) for name in GATE_UNITS]
    elif mode == "daemon":
        lines.append(_pid_line(observed))
    return lines
