"""Faults of the matrix on the gate, its socket and its unit files: each changes a converged
host the way an accident, a crash or an operator would."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

from reconciler.desired import SERVICE, SOCKET
from reconciler.host.daemon import port_holder
from tests.faults.matrix.injected import (
    Injected,
    actions_taken,
    daemon_pid,
    unit_path,
    wait_state,
)
from tests.faults.matrix.scene import Scene
from tests.gate_support.gate import alive, free_port, wait_for
from tests.integration.apply.conftest import Ran
from tests.integration.apply.stand_in import KILLING_SYSTEMCTL, systemctl_stand_in

# --- the gate process -------------------------------------------------------------------


def gate_killed_systemd(scene: Scene) -> Injected:
    """SIGKILL to the socket-activated gate while it runs."""
    pid = int(scene.host.prop(SERVICE, "MainPID"))
    assert pid > 0, "the clone started the gate service"
    os.kill(pid, signal.SIGKILL)
    wait_state(scene, SERVICE, ("failed", "inactive"))
    return Injected()


def gate_killed_daemon(scene: Scene) -> Injected:
    """SIGKILL to the detached gate; its PID file stays behind."""
    pid = daemon_pid(scene)
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
        kinds = [kind for kind, _ in actions_taken(scene)]
        assert "daemon_reload" in kinds and "write_unit" not in kinds, kinds
        assert scene.host.prop(SOCKET, "NeedDaemonReload") == "no"

    return Injected(verify=verify)
