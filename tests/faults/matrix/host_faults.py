"""Faults of the matrix around the units: the daemon's PID file, the port, systemctl and the
user manager, apply itself, the file system, the base path and the token file."""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import time
from pathlib import Path

from reconciler.desired import SERVICE, SOCKET
from reconciler.host.daemon import port_holder
from tests.faults.matrix.injected import (
    Injected,
    daemon_pid,
    denied,
    unit_path,
)
from tests.faults.matrix.scene import Scene
from tests.gate_support.gate import alive, wait_for
from tests.harness.systemd_user import UserManager
from tests.integration.apply.conftest import RECONCILE, Ran
from tests.integration.apply.stand_in import KILLING_SYSTEMCTL, systemctl_stand_in

# --- the daemon's PID file --------------------------------------------------------------


def _dead_pid() -> int:
    """A pid that no process has now (that of a process that has exited and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def pid_stale(scene: Scene) -> Injected:
    """The gate stopped, and its PID file names a process that no longer exists."""
    pid = daemon_pid(scene)
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
    target.write_text(f"{daemon_pid(scene)}\n")
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
    runs = [
        subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    done = [_finished(run) for run in runs]
    acted = [r for r in done if r.code == 0 and r.out.startswith("gate-reconcile apply")]
    others = [r for r in done if r not in acted]
    assert len(acted) == 1, done
    for other in others:
        locked = other.code == 75 and "holds the lock" in other.err
        assert locked or other.out.startswith("in sync: nothing to do"), other
    return acted[0]


def _finished(run: subprocess.Popen[str]) -> Ran:
    out, err = run.communicate(timeout=120)
    return Ran(run.returncode, out, err)


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
        assert denied(scene), "an empty token file admits no one"
        scene.host.populate()  # terok puts its repository and token back; no apply needed

    return Injected(verify=verify)


def token_deleted(scene: Scene) -> Injected:
    """The token file deleted: until one exists again the gate denies everyone."""
    scene.host.site.token_file.unlink()
    assert denied(scene), "without a token file the gate denies the task"

    def verify(ran: Ran) -> None:
        assert "created an empty token file" in ran.out
        assert "the gate denies every request until terok adds tokens" in ran.out
        assert scene.host.site.token_file.read_bytes() == b"{}\n"
        assert denied(scene), "an empty token file admits no one"
        scene.host.populate()  # terok writes its tokens again

    return Injected(verify=verify)
