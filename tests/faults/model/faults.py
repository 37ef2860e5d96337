"""Faults on the model host (the kinds of the fault matrix) and what an operator does to
resolve the ones that block. Each returns whether it changed anything."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.desired import ALL_UNIT_FILES, SERVICE, SOCKET, Desired
from reconciler.unittext import stamp
from tests.faults.model import manager
from tests.faults.model.host import Entry, ModelHost
from tests.faults.model.layout import DEV_NULL, ROOT

Fault = Callable[[ModelHost, Desired], bool]
SLEEPER = ("/usr/bin/sleep", "infinity")


def gate_killed(host: ModelHost, desired: Desired) -> bool:
    """SIGKILL to the gate: the socket-activated one, else the daemon."""
    if host.manager_up and manager.kill_service(host):
        return True
    pid = _daemon_pid(host, desired)
    if pid is not None:
        host.kill(pid)  # its PID file stays behind
    return pid is not None


def _daemon_pid(host: ModelHost, desired: Desired) -> int | None:
    state = host.pid_state(desired.pid_file)
    return state.pid if state.ours else None


def gate_idle_exit(host: ModelHost, desired: Desired) -> bool:
    """The socket-activated gate exits after its idle timeout (no fault: its normal life)."""
    if not host.manager_up or manager.unit(host, SERVICE).active != "active":
        return False
    manager.stop(host, SERVICE)
    return True


def socket_stopped(host: ModelHost, desired: Desired) -> bool:
    """`systemctl --user stop terok-gate.socket` (a running gate keeps serving)."""
    if not host.manager_up or manager.unit(host, SOCKET).active != "active":
        return False
    manager.stop(host, SOCKET)
    return True


def socket_disabled(host: ModelHost, desired: Desired) -> bool:
    """`systemctl --user disable terok-gate.socket` (it reloads on a booted host)."""
    if not host.manager_up or SOCKET not in host.enabled:
        return False
    host.enabled.discard(SOCKET)
    manager.reload(host)
    return True


def socket_masked(host: ModelHost, desired: Desired) -> bool:
    """The operator replaces our socket unit by a mask (a /dev/null symlink), reloaded."""
    host.write(SOCKET, Entry("symlink", None, DEV_NULL))
    if host.manager_up:
        manager.reload(host)
    return True


def _ours(host: ModelHost, name: str) -> Entry | None:
    """Unit `name` on disk while it is ours (stamped): what unit faults change."""
    entry = host.disk.get(name)
    return entry if entry and entry.text and stamp(entry.text) is not None else None


def _unit_fault(change: Callable[[ModelHost, str, Entry], Entry | None]) -> list[Fault]:
    """One fault per unit file, changing it with `change` while it is ours (stamped)."""

    def fault_for(name: str) -> Fault:
        def fault(host: ModelHost, desired: Desired) -> bool:
            entry = _ours(host, name)
            if entry is None:
                return False
            host.write(name, change(host, name, entry))
            return True

        fault.__name__ = f"{change.__name__}({name})"
        return fault

    return [fault_for(name) for name in ALL_UNIT_FILES if "@" not in name]


def deleted(host: ModelHost, name: str, entry: Entry) -> Entry | None:
    """The unit file deleted (not reloaded)."""
    return None


def edited(host: ModelHost, name: str, entry: Entry) -> Entry | None:
    """The unit file edited by hand (not reloaded: NeedDaemonReload=yes)."""
    return Entry("file", f"{entry.text}# edited by hand\n")


def truncated(host: ModelHost, name: str, entry: Entry) -> Entry | None:
    """The unit file cut to zero bytes."""
    return Entry("file", "")


def symlinked(host: ModelHost, name: str, entry: Entry) -> Entry | None:
    """The unit file replaced by a symlink to a copy elsewhere."""
    return Entry("symlink", entry.text, str(ROOT / "dotfiles" / name))


def edited_and_reloaded(host: ModelHost, desired: Desired) -> bool:
    """The service unit edited by hand and reloaded: the manager runs the edit."""
    entry = _ours(host, SERVICE)
    if entry is None:
        return False
    host.write(SERVICE, edited(host, SERVICE, entry))
    if host.manager_up:
        manager.reload(host)
    return True


def loaded_not_on_disk(host: ModelHost, desired: Desired) -> bool:
    """The socket runs an edited version while its file is the rendered one again: the file
    changed on disk since the manager loaded it (NeedDaemonReload=yes)."""
    entry = _ours(host, SOCKET)
    if not host.manager_up or entry is None or entry.kind != "file":
        return False
    host.write(SOCKET, Entry("file", f"{entry.text}# edited by hand\n"))
    manager.reload(host)
    host.write(SOCKET, entry)
    return True


def pid_stale(host: ModelHost, desired: Desired) -> bool:
    """The PID file names a process that no longer exists."""
    host.pid_file = Entry("file", f"{host.next_pid + 1000}\n")
    return True


def pid_foreign(host: ModelHost, desired: Desired) -> bool:
    """The PID file names a live process that is not a gate (and not ours)."""
    host.pid_file = Entry("file", f"{host.spawn(SLEEPER, foreign=True)}\n")
    return True


def pid_symlink(host: ModelHost, desired: Desired) -> bool:
    """The PID file replaced by a symlink to a file with the same content."""
    text = host.pid_file.text if host.pid_file else "1\n"
    host.pid_file = Entry("symlink", text, str(ROOT / "elsewhere.pid"))
    return True


def pid_garbage(host: ModelHost, desired: Desired) -> bool:
    """The PID file holds garbage."""
    host.pid_file = Entry("file", "\x00garbage\n")
    return True


def port_foreign(host: ModelHost, desired: Desired) -> bool:
    """Another program takes the port while nothing of ours holds it."""
    if host.holders(desired.port):
        return False
    host.listen(desired.port, host.spawn(("/usr/sbin/nginx",), foreign=True))
    return True


def manager_gone(host: ModelHost, desired: Desired) -> bool:
    """The user manager exits (logout without lingering)."""
    if not host.manager_up:
        return False
    manager.exit_manager(host)
    return True


def manager_hangs(host: ModelHost, desired: Desired) -> bool:
    """Every `systemctl` call hangs until its timeout."""
    changed, host.hung = not host.hung, True
    return changed


def disk_full(host: ModelHost, desired: Desired) -> bool:
    """The unit directory's file system is full."""
    changed, host.disk_full = not host.disk_full, True
    return changed


def base_missing(host: ModelHost, desired: Desired) -> bool:
    """The base path removed, with the token file inside it."""
    if desired.base_path not in host.directories:
        return False
    host.directories.discard(desired.base_path)
    for path in [p for p in host.tokens if desired.base_path in p.parents]:
        del host.tokens[path]
    return True


def token_deleted(host: ModelHost, desired: Desired) -> bool:
    """The token file deleted."""
    return host.tokens.pop(desired.token_file, None) is not None


FAULTS: tuple[Fault, ...] = (
    gate_idle_exit,
    gate_killed,
    socket_stopped,
    socket_disabled,
    socket_masked,
    *_unit_fault(deleted),
    *_unit_fault(edited),
    *_unit_fault(truncated),
    *_unit_fault(symlinked),
    edited_and_reloaded,
    loaded_not_on_disk,
    pid_stale,
    pid_foreign,
    pid_symlink,
    pid_garbage,
    port_foreign,
    manager_gone,
    manager_hangs,
    disk_full,
    base_missing,
    token_deleted,
)


# --- what an operator does about a fault that blocks or lasts --------------------------


def unmask(host: ModelHost, desired: Desired) -> bool:
    """`systemctl --user unmask`: removes a /dev/null symlink or an empty unit file."""
    masks = [
        name
        for name, entry in host.disk.items()
        if (entry.kind == "symlink" and entry.target == DEV_NULL) or entry.text == ""
    ]
    for name in masks:
        host.write(name, None)
    if masks and host.manager_up:
        manager.reload(host)
    return bool(masks)


def foreign_listener_leaves(host: ModelHost, desired: Desired) -> bool:
    """The other program that took a port exits."""
    listeners = {pid for holders in host.listening.values() for pid in holders}
    leaving = [pid for pid in host.foreign_pids() if pid in listeners]
    for pid in leaving:
        host.kill(pid)
    return bool(leaving)


def manager_back(host: ModelHost, desired: Desired) -> bool:
    """The user manager starts again (next login)."""
    if host.manager_up:
        return False
    manager.boot_manager(host)
    return True


def manager_answers(host: ModelHost, desired: Desired) -> bool:
    """The hung manager answers again."""
    changed, host.hung = host.hung, False
    return changed


def space_back(host: ModelHost, desired: Desired) -> bool:
    """Space returns to the unit directory's file system."""
    changed, host.disk_full = host.disk_full, False
    return changed


RESOLUTIONS: tuple[Fault, ...] = (
    unmask,
    foreign_listener_leaves,
    manager_back,
    manager_answers,
    space_back,
)
