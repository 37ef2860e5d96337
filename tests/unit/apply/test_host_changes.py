"""Changing files and processes safely, on real files and real processes: atomic writes that
never follow a symlink, a token file never overwritten, stamps re-checked, the lock, and a
process that is not our gate never signalled."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.actions import CreateTokenFile, RemovePidFile, RemoveUnit, StopDaemon, WriteUnit
from reconciler.execute import Executor
from reconciler.failures import HostChangedError
from reconciler.host.lock import LockHeldError, holding_lock
from reconciler.host.run import run
from reconciler.host.write import create_exclusive, make_dirs, write_atomically
from tests.unit.reconciler.builders import make_desired

STAMPED = "# terok-gate-version: 1\n[Socket]\nListenStream=127.0.0.1:9418\n"


def _executor() -> Executor:
    return Executor(make_desired(), run, os.environ, lambda: 30.0)


def test_atomic_write_replaces_a_symlink_and_leaves_its_target_alone(tmp_path: Path) -> None:
    """A symlink at the unit's path is replaced by a regular file; the file it pointed to is untouched."""
    target = tmp_path / "elsewhere.socket"
    target.write_text("operator's file\n")
    link = tmp_path / "units" / "terok-gate.socket"
    link.parent.mkdir()
    link.symlink_to(target)
    write_atomically(link, b"new\n")
    assert not link.is_symlink() and link.read_text() == "new\n"
    assert target.read_text() == "operator's file\n"
    assert stat.S_IMODE(link.stat().st_mode) == 0o644
    assert [p.name for p in link.parent.iterdir()] == ["terok-gate.socket"]  # no temporary left


def test_create_exclusive_never_overwrites(tmp_path: Path) -> None:
    """An existing token file (or a symlink where it would go) is left exactly as it is."""
    tokens = tmp_path / "tokens.json"
    assert create_exclusive(tokens, b"{}\n", 0o600)
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600 and tokens.read_bytes() == b"{}\n"
    tokens.write_text('{"tok": {"project": "p", "task": "t"}}')
    assert not create_exclusive(tokens, b"{}\n", 0o600)
    assert tokens.read_text() == '{"tok": {"project": "p", "task": "t"}}'
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "nowhere")
    assert not create_exclusive(dangling, b"{}\n", 0o600)
    assert not (tmp_path / "nowhere").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling.json", "tokens.json"]


def test_make_dirs_gives_every_new_directory_the_mode(tmp_path: Path) -> None:
    """Missing parents and the leaf are created with exactly 0700, whatever the umask."""
    old = os.umask(0)
    try:
        assert make_dirs(tmp_path / "a" / "b", 0o700)
    finally:
        os.umask(old)
    modes = [stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "a", tmp_path / "a" / "b")]
    assert modes == [0o700, 0o700]
    assert not make_dirs(tmp_path / "a" / "b", 0o700)


def test_write_unit_refuses_a_file_changed_since_it_was_observed(tmp_path: Path) -> None:
    """If someone rewrote the unit after the plan was made, nothing is written; observe again."""
    path = tmp_path / "terok-gate.socket"
    path.write_text("someone else's\n")
    action = WriteUnit(name=path.name, path=path, text=STAMPED, previous=None, reason="missing")
    with pytest.raises(HostChangedError):
        _executor()(action)
    assert path.read_text() == "someone else's\n"
    assert (
        _executor()(
            WriteUnit(
                name=path.name, path=path, text=STAMPED, previous="someone else's\n", reason="r"
            )
        )[0]
        == "done"
    )
    assert (
        _executor()(WriteUnit(name=path.name, path=path, text=STAMPED, previous="x", reason="r"))[0]
        == "skipped"
    )


def test_remove_unit_rechecks_the_stamp(tmp_path: Path) -> None:
    """A unit that lost our stamp since the plan is left alone; ours is removed."""
    path = tmp_path / "terok-gate.socket"
    path.write_text("[Socket]\nListenStream=9418\n")
    action = RemoveUnit(name=path.name, path=path, reason="mode none")
    assert _executor()(action)[0] == "skipped" and path.exists()
    path.write_text(STAMPED)
    assert _executor()(action)[0] == "done" and not path.exists()
    assert _executor()(action) == ("skipped", "already gone")


def test_stale_pid_file_symlink_is_removed_not_its_target(tmp_path: Path) -> None:
    """A PID file that is a symlink goes; the file it points at stays."""
    target = tmp_path / "precious"
    target.write_text("42\n")
    pid_file = tmp_path / "gate.pid"
    pid_file.symlink_to(target)
    result, detail = _executor()(RemovePidFile(path=pid_file, reason="a symlink"))
    assert result == "done" and "not its target" in detail
    assert not os.path.lexists(pid_file) and target.read_text() == "42\n"


def test_token_file_action_never_overwrites(tmp_path: Path) -> None:
    """create_token_file on an existing file is skipped and says why."""
    tokens = tmp_path / "tokens.json"
    tokens.write_text("{}")
    assert _executor()(CreateTokenFile(path=tokens, reason="missing")) == (
        "skipped",
        "a token file is there already; never overwritten",
    )


def test_a_process_that_is_not_our_gate_is_never_signalled(tmp_path: Path) -> None:
    """StopDaemon for a pid whose command line is not the planned gate skips it; it lives on."""
    sleeper = subprocess.Popen(
        [sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE,
    )
    try:
        assert sleeper.stdout is not None
        assert sleeper.stdout.readline() == b"ready\n"  # past exec: /proc shows its argv
        gate_argv = ("/opt/bin/terok-gate", "--detach", "--pid-file", str(tmp_path / "gate.pid"))
        action = StopDaemon(
            pid=sleeper.pid, pid_file=tmp_path / "gate.pid", argv=gate_argv, reason="r"
        )
        result, detail = _executor()(action)
        assert result == "skipped" and "was not signalled" in detail
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_lock_names_its_holder_and_waits(tmp_path: Path) -> None:
    """A second holder fails at once naming the first holder's pid, or after --wait seconds."""
    lock = tmp_path / "run" / "gate-reconcile.lock"
    with holding_lock(lock):
        assert lock.read_text() == f"{os.getpid()}\n"
        with pytest.raises(LockHeldError) as held, holding_lock(lock):
            pass
        assert f"another gate-reconcile (pid {os.getpid()}) holds the lock" in held.value.message
        assert held.value.exit_code == 75
        with pytest.raises(LockHeldError, match=r"for 0\.2 s"), holding_lock(lock, wait=0.2):
            pass
    with holding_lock(lock):  # released: free again
        pass
