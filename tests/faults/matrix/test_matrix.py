"""The fault matrix: one fault per row, injected on a converged host (real systemd --user
manager, real gate, real git), then ONE `gate-reconcile apply` as its own process.

Every row checks that the apply ended as the row expects (converged, or blocked with exit 3
and nothing changed), that `gate-reconcile check` passes and a task clones through the gate
with its token (converged rows), that the token file is byte-identical (unless the fault
removed it), that every repository passes `git fsck`, and that no process that is not ours
received a signal: a foreign sentinel runs through every row and records any signal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.desired import ALL_UNIT_FILES
from tests.faults.matrix import host_faults, unit_faults
from tests.faults.matrix.injected import Injected, actions_taken
from tests.faults.matrix.scene import Manager, Scene, scene
from tests.faults.results import record
from tests.integration.apply.conftest import Ran

pytestmark = pytest.mark.integration

HEALED = "converges"
BLOCKED = "blocked (exit 3), nothing changed"
TOKENS_GONE = "token file n/a (the fault removed it)"
HUNG = "that apply ends by its deadline, naming the command that did not answer"


@dataclass(frozen=True)
class Row:
    """One fault: where it runs, what is done, and what the one apply must achieve."""

    id: str
    mode: str
    fault: str
    expected: str
    inject: Callable[[Scene], Injected]
    blocked: bool = False
    manager: Manager = "session"
    tokens_kept: bool = True


ROWS = (
    Row("gate-killed-systemd", "systemd", "gate process SIGKILLed (socket-activated)",
        HEALED, unit_faults.gate_killed_systemd),
    Row("gate-killed-daemon", "daemon", "gate process SIGKILLed (daemon)",
        HEALED, unit_faults.gate_killed_daemon),
    Row("socket-stopped", "systemd", "socket stopped (its gate still running)",
        HEALED, unit_faults.socket_stopped),
    Row("socket-disabled", "systemd", "socket disabled", HEALED, unit_faults.socket_disabled),
    Row("socket-masked", "systemd", "socket masked by the operator",
        f"{BLOCKED}; the mask left alone", unit_faults.socket_masked, blocked=True),
    Row("unit-deleted", "systemd", "socket unit file deleted", HEALED, unit_faults.unit_deleted),
    Row("unit-deleted-idle", "systemd", "socket unit file deleted while the gate is idle",
        HEALED, unit_faults.unit_deleted_idle),
    Row("units-uninstalled-by-hand", "systemd", "both gate unit files deleted and the "
        "manager reloaded while the gate serves", HEALED, unit_faults.units_uninstalled_by_hand),
    Row("units-deleted-then-daemon", "systemd", "both gate unit files deleted while the gate "
        "runs, then mode switched to daemon", f"{HEALED} as a daemon; the socket stopped",
        unit_faults.units_deleted_then_daemon),
    Row("socket-lost-its-fd", "systemd", "socket active and current, but a daemon-reload "
        "closed its listening fd", HEALED, unit_faults.socket_lost_its_fd),
    Row("port-taken-from-socket", "systemd", "a daemon-reload closed the socket's fd, then a "
        "foreign listener took the port", f"{BLOCKED}; the message names the holder, which "
        "is untouched", unit_faults.port_taken_from_a_socket_without_fd, blocked=True),
    Row("apply-killed-after-reload", "systemd", "port changed in the spec, apply SIGKILLed "
        "after daemon-reload, before restarting the socket", HEALED,
        unit_faults.apply_killed_after_reload),
    Row("unit-edited", "systemd", "socket unit edited by hand (another port), reloaded",
        HEALED, unit_faults.unit_edited),
    Row("unit-truncated", "systemd", "socket unit truncated to zero bytes",
        HEALED, unit_faults.unit_truncated),
    Row("unit-symlink", "systemd", "service unit replaced by a symlink to a copy",
        f"{HEALED}; the link's target untouched", unit_faults.unit_symlink),
    Row("unit-not-reloaded", "systemd", "socket unit changed on disk, not reloaded "
        "(NeedDaemonReload=yes)", f"{HEALED}: reloaded, not rewritten",
        unit_faults.unit_not_reloaded),
    Row("pid-stale", "daemon", "PID file stale (gate stopped, its pid gone)",
        HEALED, host_faults.pid_stale),
    Row("pid-foreign", "daemon", "PID file names a live process that is not a gate "
        "(the gate still serving)", f"{HEALED}; that process untouched",
        host_faults.pid_foreign_live),
    Row("pid-symlink", "daemon", "PID file is a symlink",
        f"{HEALED}; the link's target untouched", host_faults.pid_symlink),
    Row("pid-garbage", "daemon", "PID file holds garbage", HEALED, host_faults.pid_garbage),
    Row("port-foreign", "systemd", "port taken by a foreign listener (gate stopped)",
        f"{BLOCKED}; the message names the holder, which is untouched",
        host_faults.port_foreign, blocked=True),
    Row("systemctl-hangs", "systemd", "`systemctl` hangs on every call during an apply "
        "(deadline 4 s), socket stopped", f"{HUNG}; the next apply {HEALED}",
        host_faults.systemctl_hangs),
    Row("systemctl-hangs-on-start", "systemd", "`systemctl start` hangs during an apply "
        "(deadline 4 s), socket stopped", f"{HUNG}; the next apply {HEALED}",
        host_faults.systemctl_hangs_on_start),
    Row("manager-gone", "auto", "user manager gone (mode auto)",
        f"falls back to a daemon and {HEALED}; with the manager back, the next apply "
        "returns to the socket and stops the daemon", host_faults.manager_gone, manager="own"),
    Row("apply-killed", "systemd", "apply SIGKILLed between two actions (after writing the "
        "units, before daemon-reload; units had been uninstalled)", HEALED,
        host_faults.apply_killed),
    Row("concurrent-applies", "systemd", "two applies started at the same moment "
        "(socket stopped)", f"one acts and {HEALED}; the other exits 75 (lock) or finds "
        "nothing to do", host_faults.concurrent_applies),
    Row("unit-dir-full", "systemd", "unit directory's file system full while a unit is "
        "written (tiny tmpfs; unit edited by hand)", "that apply fails (no space), no "
        f"half-written unit; with space back the next apply {HEALED}",
        host_faults.unit_dir_full, manager="own_tmpfs"),
    Row("base-missing", "systemd", "base path missing (removed with its repositories and "
        "token file)", f"base path and an empty token file created, {HEALED}; a clone works "
        f"as soon as terok puts repository and token back; {TOKENS_GONE}",
        host_faults.base_missing, tokens_kept=False),
    Row("token-deleted", "systemd", "token file deleted", "the gate denies everyone; an "
        f"empty token file created and said so, {HEALED}; a clone works as soon as terok "
        f"writes its tokens again; {TOKENS_GONE}", host_faults.token_deleted, tokens_kept=False),
)  # fmt: skip


def _apply(scene: Scene, injected: Injected) -> Ran:
    if injected.run is not None:
        return injected.run(scene)
    return scene.host.run("apply", env=injected.env)


def _assert_ended(row: Row, ran: Ran) -> None:
    if row.blocked:
        assert ran.code == 3 and "blocked: " in ran.out, ran
        assert "nothing was changed" in ran.out
    else:
        assert ran.code == 0, ran
        assert "converged: " in ran.out or "in sync: nothing to do" in ran.out, ran


def _took(scene: Scene) -> list[str]:
    """The actions of the last apply: kind, and the unit when it acted on one (the test's
    paths and pids change from run to run)."""
    return [_words(kind, target) for kind, target in actions_taken(scene)]


def _words(kind: str, target: str) -> str:
    return f"{kind} {target}" if target in ALL_UNIT_FILES else kind


def _result(row: Row) -> str:
    """What the row showed, in the words of the table (recorded only once it was shown)."""
    ended = "blocked (exit 3)" if row.blocked else "converged"
    tokens = "tokens byte-identical" if row.tokens_kept else "tokens n/a"
    return f"{ended}; {tokens}; fsck clean; no foreign signal"


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_one_apply_heals_the_fault(
    row: Row, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the fault, one apply ends as the row expects, and nothing was lost or signalled."""
    with scene(row.manager, row.mode, tmp_path, request, monkeypatch) as watched:
        injected = row.inject(watched)
        ran = _apply(watched, injected)
        _assert_ended(row, ran)
        took = _took(watched)
        injected.verify(ran)
        if not row.blocked:
            watched.assert_serving()
        watched.assert_nothing_lost(row.tokens_kept)
        watched.assert_no_foreign_signal()
    claims = {"fault": row.fault, "mode": row.mode, "expected": row.expected}
    figures = {"actions": took or "none", **injected.facts}
    record("fault_matrix", row.id, {**claims, "result": _result(row)}, figures)
