"""The faults of the matrix: each one changes a converged host the way an accident, a crash
or an operator would, and says what the one `apply` after it must also have done."""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.desired import SERVICE, SOCKET
from reconciler.host.daemon import port_holder
from tests.faults.matrix.scene import Scene
from tests.gate_support.gate import alive, free_port, wait_for
from tests.gate_support.git import git
from tests.harness.systemd_user import UserManager
from tests.integration.apply.conftest import RECONCILE, TOKEN, Ran
from tests.integration.apply.stand_in import KILLING_SYSTEMCTL, systemctl_stand_in


def _no_check(ran: Ran) -> None:
    """Nothing to check beyond what every row checks."""


@dataclass
class Injected:
    """What a fault leaves for the one apply: its environment, what else to check after it,
    and (for the one row that runs two at once) how the apply is run."""

    env: dict[str, str] | None = None
    verify: Callable[[Ran], None] = _no_check
    run: Callable[[Scene], Ran] | None = None
    facts: dict[str, object] = field(default_factory=dict)  # measured, for the report


def unit_path(scene: Scene, name: str) -> Path:
    """Where the manager reads unit `name` from."""
    return scene.host.manager.unit_dir / name


def _actions(scene: Scene) -> list[tuple[str, str]]:
    """(kind, target) of every action the last apply took."""
    return [(a["kind"], a["target"]) for a in scene.host.status()["actions"]]


def _wait_state(scene: Scene, unit: str, states: tuple[str, ...]) -> None:
    wait_for(lambda: scene.host.prop(unit, "ActiveState") in states, 15, f"{unit} in {states}")


def _daemon_pid(scene: Scene) -> int:
    return int(scene.host.pid_file.read_text().strip())


def _denied(scene: Scene) -> bool:
    """A clone with the task's token fails."""
    url = f"http://{TOKEN}:x@127.0.0.1:{scene.host.port}/alpha.git"
    target = scene.folder / f"denied-{len(list(scene.folder.glob('denied-*')))}"
    return git("clone", "-q", url, str(target), check=False).returncode != 0


# --- the gate process -------------------------------------------------------------------


def gate_killed_systemd(scene: Scene) -> Injected:
    """SIGKILL to the socket-activated gate while it runs."""
    pid = int(scene.host.prop(SERVICE, "MainPID"))
    assert pid > 0, "the clone started the gate service"
    os.kill(pid, signal.SIGKILL)
    _wait_state(scene, SERVICE, ("failed", "inactive"))
    return Injected()


def gate_killed_daemon(scene: Scene) -> Injected:
    """SIGKILL to the detached gate; its PID file stays behind."""
    pid = _daemon_pid(scene)
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not alive(pid), 15, f"gate pid {pid} to die")
    return Injected()


# --- the socket unit --------------------------------------------------------------------


def socket_stopped(scene: Scene) -> Injected:
    """`systemctl --user stop terok-gate.socket` (its running gate keeps serving)."""
    scene.host.manager.systemctl("stop", SOCKET)
    return Injected()


def socket_disabled(scene: Scene) -> Injected:
    """`systemctl --user disable terok-gate.socket` (and the reload it implies on a booted
    host; outside the manager's namespace systemctl only edits the files)."""
    scene.host.manager.systemctl("disable", SOCKET)
    scene.host.manager.systemctl("daemon-reload")
    assert scene.host.prop(SOCKET, "UnitFileState") == "disabled"
    return Injected()


def socket_masked(scene: Scene) -> Injected:
    """The operator masks the socket (systemctl refuses while our file is there, so the
    operator removes it first): a symlink to /dev/null in the unit directory, reloaded."""
    path = unit_path(scene, SOCKET)
    path.unlink()
    scene.host.manager.systemctl("mask", SOCKET)
    scene.host.manager.systemctl("daemon-reload")
    assert path.readlink() == Path("/dev/null")

    def verify(ran: Ran) -> None:
        assert f"{SOCKET} is masked; run `systemctl --user unmask {SOCKET}`" in ran.out
        assert path.is_symlink() and path.readlink() == Path("/dev/null"), "the mask stays"
        assert scene.host.prop(SOCKET, "LoadState") == "masked", "and in force"

    return Injected(verify=verify)


# --- unit files -------------------------------------------------------------------------


def unit_deleted(scene: Scene) -> Injected:
    """The socket's unit file deleted (the manager still has it loaded)."""
    unit_path(scene, SOCKET).unlink()
    return Injected()


def unit_deleted_idle(scene: Scene) -> Injected:
    """The socket's unit file deleted while the gate is idle (only the manager holds the
    port, for a unit whose file is gone)."""
    scene.host.manager.systemctl("stop", SERVICE)
    unit_path(scene, SOCKET).unlink()
    return Injected()


def units_uninstalled_by_hand(scene: Scene) -> Injected:
    """Both gate unit files deleted and the manager reloaded while the gate serves: the
    units are not-found, the gate runs on and holds the port."""
    unit_path(scene, SOCKET).unlink()
    unit_path(scene, SERVICE).unlink()
    scene.host.manager.systemctl("daemon-reload")
    assert scene.host.prop(SERVICE, "LoadState") == "not-found"
    return Injected()


def units_deleted_then_daemon(scene: Scene) -> Injected:
    """Both gate unit files deleted behind our back while the gate runs (nothing stopped),
    then the spec switches to mode daemon."""
    unit_path(scene, SOCKET).unlink()
    unit_path(scene, SERVICE).unlink()
    scene.host.write_spec("daemon", deadline="20s")

    def verify(ran: Ran) -> None:
        assert scene.host.prop(SOCKET, "ActiveState") == "inactive", "our socket was stopped"

    return Injected(verify=verify)


def _fd_closed_by_a_reload(scene: Scene) -> None:
    """The socket's file names another port for one daemon-reload, then its own again, with
    a second reload: systemd closed the listening fd at the first, the socket stays active."""
    rendered = _listen_elsewhere(scene)
    scene.host.manager.systemctl("stop", SERVICE)
    scene.host.manager.systemctl("daemon-reload")
    unit_path(scene, SOCKET).write_text(rendered)
    scene.host.manager.systemctl("daemon-reload")
    assert scene.host.prop(SOCKET, "ActiveState") == "active"
    assert port_holder("127.0.0.1", scene.host.port) is None, "nothing listens any more"


def socket_lost_its_fd(scene: Scene) -> Injected:
    """The socket active and current, but a reload closed its listening fd."""
    _fd_closed_by_a_reload(scene)
    return Injected()


def port_taken_from_a_socket_without_fd(scene: Scene) -> Injected:
    """A reload closed the socket's fd; another program took the port since, while the
    socket still shows that address."""
    _fd_closed_by_a_reload(scene)
    scene.host.wait_port_free()
    listener = scene.sentinel("listener", port=scene.host.port)

    def verify(ran: Ran) -> None:
        assert f"port {scene.host.port} on 127.0.0.1 is held by pid {listener.pid} (" in ran.out

    return Injected(verify=verify)


def apply_killed_after_reload(scene: Scene) -> Injected:
    """The spec moves the gate to another port; the apply is SIGKILLed after daemon-reload,
    right before it restarts the socket (the reload closed the socket's old fd)."""
    scene.host.port = free_port()
    scene.host.write_spec("systemd", deadline="20s")
    mark = scene.folder / "killed"
    env = systemctl_stand_in(
        scene.folder / "killing-bin", KILLING_SYSTEMCTL, KILL_AT="restart", KILL_MARK=str(mark)
    )
    killed = scene.host.run("apply", env=env)
    assert killed.code == -signal.SIGKILL and mark.is_dir(), killed
    assert port_holder("127.0.0.1", scene.host.port) is None, "nothing listens on the new port"
    return Injected()


def _listen_elsewhere(scene: Scene) -> str:
    """The socket edited by hand to listen on another port; returns the rendered text."""
    path = unit_path(scene, SOCKET)
    rendered = path.read_text()
    edited = re.sub(
        r"ListenStream=127\.0\.0\.1:\d+", f"ListenStream=127.0.0.1:{free_port()}", rendered
    )
    assert edited != rendered
    path.write_text(edited)
    return rendered


def unit_edited(scene: Scene) -> Injected:
    """The socket edited by hand (another port), reloaded and restarted by the operator."""
    _listen_elsewhere(scene)
    scene.host.manager.systemctl("daemon-reload")
    scene.host.manager.systemctl("stop", SERVICE)
    scene.host.manager.systemctl("restart", SOCKET)
    return Injected()


def unit_truncated(scene: Scene) -> Injected:
    """The socket's unit file cut to zero bytes (a full disk, a `>` redirect), not reloaded."""
    unit_path(scene, SOCKET).write_bytes(b"")
    return Injected()


def unit_symlink(scene: Scene) -> Injected:
    """The service's unit file replaced by a symlink to a copy kept elsewhere (dotfiles)."""
    path = unit_path(scene, SERVICE)
    copy = scene.folder / "dotfiles" / SERVICE
    copy.parent.mkdir(parents=True)
    copy.write_bytes(path.read_bytes())
    kept = copy.read_bytes()
    path.unlink()
    path.symlink_to(copy)

    def verify(ran: Ran) -> None:
        assert not path.is_symlink() and path.is_file(), "a regular file again"
        assert copy.read_bytes() == kept, "nothing was written through the symlink"

    return Injected(verify=verify)


def unit_not_reloaded(scene: Scene) -> Injected:
    """The socket's file changed on disk since the manager loaded it (NeedDaemonReload=yes):
    loaded and listening from an edited version, while the file is the rendered one again."""
    rendered = _listen_elsewhere(scene)
    scene.host.manager.systemctl("daemon-reload")
    scene.host.manager.systemctl("stop", SERVICE)
    scene.host.manager.systemctl("restart", SOCKET)
    unit_path(scene, SOCKET).write_text(rendered)
    assert scene.host.prop(SOCKET, "NeedDaemonReload") == "yes"

    def verify(ran: Ran) -> None:
        kinds = [kind for kind, _ in _actions(scene)]
        assert "daemon_reload" in kinds and "write_unit" not in kinds, kinds
        assert scene.host.prop(SOCKET, "NeedDaemonReload") == "no"

    return Injected(verify=verify)


# --- the daemon's PID file --------------------------------------------------------------


def _dead_pid() -> int:
    """A pid that no process has now (that of a process that has exited and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def pid_stale(scene: Scene) -> Injected:
    """The gate stopped, and its PID file names a process that no longer exists."""
    pid = _daemon_pid(scene)
    os.kill(pid, signal.SIGTERM)
    wait_for(lambda: not alive(pid), 15, f"gate pid {pid} to exit")
    scene.host.pid_file.write_text(f"{_dead_pid()}\n")
    return Injected()


def pid_foreign_live(scene: Scene) -> Injected:
    """The PID file names a live process that is not a gate (the sentinel), while the gate
    still serves: that process must survive untouched, the gate is found by its command line."""
    scene.host.pid_file.write_text(f"{scene.sentinels[0].pid}\n")

    def verify(ran: Ran) -> None:
        assert f"pid {scene.sentinels[0].pid} is not a gate" in ran.out

    return Injected(verify=verify)


def pid_symlink(scene: Scene) -> Injected:
    """The PID file replaced by a symlink to a file holding the gate's pid."""
    target = scene.folder / "elsewhere.pid"
    target.write_text(f"{_daemon_pid(scene)}\n")
    kept = target.read_bytes()
    scene.host.pid_file.unlink()
    scene.host.pid_file.symlink_to(target)

    def verify(ran: Ran) -> None:
        assert "pid file is a symlink" in ran.out
        assert target.read_bytes() == kept, "the symlink's target is left alone"

    return Injected(verify=verify)


def pid_garbage(scene: Scene) -> Injected:
    """The PID file holds garbage instead of a pid."""
    scene.host.pid_file.write_bytes(b"\x00garbage\xff\n")
    return Injected()


# --- the port ---------------------------------------------------------------------------


def port_foreign(scene: Scene) -> Injected:
    """The operator stops the gate; another program takes its port."""
    scene.host.manager.systemctl("stop", SOCKET, SERVICE)
    scene.host.wait_port_free()
    listener = scene.sentinel("listener", port=scene.host.port)

    def verify(ran: Ran) -> None:
        assert f"port {scene.host.port} on 127.0.0.1 is held by pid {listener.pid} (" in ran.out
        holder = port_holder("127.0.0.1", scene.host.port)
        assert holder is not None and holder.startswith(f"pid {listener.pid} ")

    return Injected(verify=verify)


# --- systemctl and the user manager -----------------------------------------------------

# Hangs when asked for the verb $HANG_AT, or for every call when it is empty.
HANGING_SYSTEMCTL = """#!/bin/sh
if [ -z "$HANG_AT" ] || [ "$2" = "$HANG_AT" ]; then exec sleep 600; fi
exec {real} "$@"
"""
HUNG_DEADLINE = 4.0


def _hung_apply(scene: Scene, hang_at: str) -> Injected:
    """With the socket stopped, an apply (deadline 4 s) meets a `systemctl` that hangs."""
    scene.host.manager.systemctl("stop", SOCKET, SERVICE)
    scene.host.write_spec("systemd", deadline=f"{HUNG_DEADLINE:g}s")
    env = systemctl_stand_in(scene.folder / "hanging-bin", HANGING_SYSTEMCTL, HANG_AT=hang_at)
    started = time.monotonic()
    hung = scene.host.run("apply", env=env, timeout=120)  # far less than the 600 s sleep
    seconds = round(time.monotonic() - started, 1)
    assert hung.code in (1, 3), hung
    waits = [float(w) for w in re.findall(r"no answer within (\d+\.\d) s", hung.out)]
    assert waits and max(waits) <= HUNG_DEADLINE, f"a command outlasted the deadline:\n{hung.out}"
    scene.host.write_spec("systemd", deadline="20s")
    return Injected(
        facts={"the hung apply said": _first_problem(hung.out), "it ended after s": seconds}
    )


def _first_problem(out: str) -> str:
    """The line that says what went wrong."""
    return next(line.strip() for line in out.splitlines() if "no answer within" in line)


def systemctl_hangs(scene: Scene) -> Injected:
    """`systemctl` hangs on every call, observing included."""
    return _hung_apply(scene, "")


def systemctl_hangs_on_start(scene: Scene) -> Injected:
    """`systemctl` hangs when asked to start the socket."""
    return _hung_apply(scene, "start")


def manager_gone(scene: Scene) -> Injected:
    """mode = auto, and the user manager goes away (logout without lingering)."""
    manager = scene.host.manager
    assert isinstance(manager, UserManager), "a manager of the scene's own"
    manager.stop()
    scene.host.wait_port_free()

    def verify(ran: Ran) -> None:
        assert "mode daemon" in ran.out, "apply fell back to the daemon"
        scene.assert_serving()
        manager.start()  # the manager is back: the next apply returns to the socket
        back = scene.host.apply()
        assert "mode systemd" in back.out and "stop_daemon" in back.out
        assert scene.host.prop(SOCKET, "ActiveState") == "active"

    return Injected(verify=verify)


def apply_killed(scene: Scene) -> Injected:
    """The units uninstalled behind our back; an apply SIGKILLed after it wrote the unit
    files, right before `systemctl daemon-reload`."""
    manager = scene.host.manager
    manager.systemctl("disable", "--now", SOCKET)
    manager.systemctl("stop", SERVICE)
    unit_path(scene, SOCKET).unlink()
    unit_path(scene, SERVICE).unlink()
    manager.systemctl("daemon-reload")
    mark = scene.folder / "killed"
    env = systemctl_stand_in(
        scene.folder / "killing-bin",
        KILLING_SYSTEMCTL,
        KILL_AT="daemon-reload",
        KILL_MARK=str(mark),
    )
    killed = scene.host.run("apply", env=env)
    assert killed.code == -signal.SIGKILL and mark.is_dir(), killed
    assert not list(manager.unit_dir.glob(".*.tmp"))
    return Injected()


def _both_at_once(scene: Scene) -> Ran:
    """Two applies started at the same moment; the one that acted is the one apply."""
    argv = [str(RECONCILE), "apply", "--spec", str(scene.host.spec)]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    runs = [subprocess.Popen(argv, **pipes) for _ in range(2)]  # type: ignore[call-overload]
    done = [Ran(run.wait(timeout=120), *run.communicate()) for run in runs]
    acted = [r for r in done if r.code == 0 and r.out.startswith("gate-reconcile apply")]
    others = [r for r in done if r not in acted]
    assert len(acted) == 1, done
    for other in others:
        locked = other.code == 75 and "holds the lock" in other.err
        assert locked or other.out.startswith("in sync: nothing to do"), other
    return acted[0]


def concurrent_applies(scene: Scene) -> Injected:
    """The socket stopped; then two applies start at the same moment."""
    scene.host.manager.systemctl("stop", SOCKET, SERVICE)
    return Injected(run=_both_at_once)


# --- the file system --------------------------------------------------------------------


def _fill(directory: Path) -> Path:
    """Fill the file system of `directory` to the last byte; returns the filler file."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        for _ in range(100_000):  # bounded: far more than the tiny file system holds
            os.write(fd, b"\0" * 1024)
    except OSError as error:
        assert error.errno == errno.ENOSPC, error
    else:
        raise AssertionError(f"{directory} did not fill up")
    finally:
        os.close(fd)
    return filler


def unit_dir_full(scene: Scene) -> Injected:
    """The service's unit edited by hand, the unit directory's file system full, an apply
    that must write the unit; then space returns."""
    path = unit_path(scene, SERVICE)
    edited = path.read_text().replace("[Service]\n", "[Service]\nEnvironment=EDITED=1\n")
    assert edited != path.read_text()
    path.write_text(edited)
    filler = _fill(path.parent)
    full = scene.host.run("apply")
    assert full.code == 1 and "No space left on device" in full.out, full
    assert "free some space" in full.out
    assert path.read_text() == edited, "no half-written unit"
    assert not list(path.parent.glob(".*.tmp")), "no temporary file left"
    filler.unlink()
    return Injected(
        facts={"the apply without space said": full.out.strip().splitlines()[-2].strip()}
    )


def base_missing(scene: Scene) -> Injected:
    """The base path removed with everything in it (repositories and token file)."""
    subprocess.run(["rm", "-rf", str(scene.host.site.base)], check=True)

    def verify(ran: Ran) -> None:
        assert "create_directory" in ran.out and "create_token_file" in ran.out
        assert _denied(scene), "an empty token file admits no one"
        scene.host.populate()  # terok puts its repository and token back; no apply needed

    return Injected(verify=verify)


def token_deleted(scene: Scene) -> Injected:
    """The token file deleted: until one exists again the gate denies everyone."""
    scene.host.site.token_file.unlink()
    assert _denied(scene), "without a token file the gate denies the task"

    def verify(ran: Ran) -> None:
        assert "created an empty token file" in ran.out
        assert "the gate denies every request until terok adds tokens" in ran.out
        assert scene.host.site.token_file.read_bytes() == b"{}\n"
        assert _denied(scene), "an empty token file admits no one"
        scene.host.populate()  # terok writes its tokens again

    return Injected(verify=verify)
