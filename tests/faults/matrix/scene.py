"""The scene of one fault: a converged gate host, a foreign sentinel, and what must survive.

A scene runs on the session's user manager, or on a user manager of its own when the fault
stops the manager or mounts a file system over its unit directory (the session's manager
is never stopped, and a mount made after a manager started stays invisible to it: the
manager lives in a mount namespace of its own).
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from tests.faults.matrix.sentinel import Sentinel, sentinel
from tests.gate_support.git import git
from tests.harness.running_manager import NO_SECOND_MANAGER, RunningUserManager
from tests.harness.systemd_user import UserManager
from tests.integration.apply.conftest import GateHost, hosting

Manager = Literal["session", "own", "own_tmpfs"]
MANAGER_VARIABLES = ("HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME")
TMPFS_SIZE = "64k"  # room for our unit files and little else


@dataclass
class Scene:
    """A converged host with a task's repository and token, watched by a foreign sentinel."""

    host: GateHost
    folder: Path  # scratch space of the fault (outside the base path)
    tokens: bytes  # the token file as terok wrote it, before the fault
    stack: contextlib.ExitStack
    sentinels: list[Sentinel] = field(default_factory=list)

    def sentinel(self, name: str, port: int = 0) -> Sentinel:
        """Another foreign process to watch (optionally listening on `port`)."""
        watched = self.stack.enter_context(sentinel(self.folder, name, port))
        self.sentinels.append(watched)
        return watched

    def repositories(self) -> list[Path]:
        """Every repository under the base path."""
        return sorted(self.host.site.base.glob("*.git"))

    def assert_serving(self) -> None:
        """`gate-reconcile check` passes and a task clones through the gate with its token."""
        checked = self.host.run("check")
        assert checked.code == 0, f"check exited {checked.code}:\n{checked.out}\n{checked.err}"
        self.host.clone_works()

    def assert_nothing_lost(self, tokens_kept: bool) -> None:
        """Token file byte-identical (when the fault left it), every repository fsck-clean."""
        if tokens_kept:
            assert self.host.site.token_file.read_bytes() == self.tokens
        assert self.repositories(), "the task's repository is there"
        for repository in self.repositories():
            git("-C", str(repository), "fsck", "--strict", "--no-progress")

    def assert_no_foreign_signal(self) -> None:
        """No process that is not ours received a signal; each one still runs."""
        for watched in self.sentinels:
            watched.assert_untouched()


@contextlib.contextmanager
def scene(
    manager: Manager,
    mode: str,
    root: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Scene]:
    """A scene on the chosen manager: converged in `mode`, serving a clone, sentinel running."""
    with contextlib.ExitStack() as stack:
        if manager == "session":
            host = stack.enter_context(
                hosting(request.getfixturevalue("user_manager"), root, monkeypatch)
            )
        else:
            _need_own_manager(request)
            host = stack.enter_context(own_host(root, monkeypatch, manager == "own_tmpfs"))
        tokens = host.populate()
        host.write_spec(mode, deadline="20s")
        host.apply()
        host.clone_works()  # in systemd mode this starts the gate service too
        watched = Scene(host, root / "fault", tokens, stack)
        watched.sentinel("sentinel")
        yield watched


def _need_own_manager(request: pytest.FixtureRequest) -> None:
    """Only a session with a manager of its own can start a second one."""
    if isinstance(request.getfixturevalue("user_manager"), RunningUserManager):
        pytest.skip(NO_SECOND_MANAGER)


@contextlib.contextmanager
def own_host(root: Path, monkeypatch: pytest.MonkeyPatch, tmpfs: bool) -> Iterator[GateHost]:
    """A gate host on a user manager of its own (its unit directory on a tiny tmpfs if asked);
    the manager is stopped after, which takes every unit and process of it along."""
    manager = UserManager(root / "manager")
    with _tmpfs(manager.unit_dir) if tmpfs else contextlib.nullcontext():
        manager.start()
        try:
            for name in MANAGER_VARIABLES:
                monkeypatch.setenv(name, manager.env[name])
            with hosting(manager, root, monkeypatch) as host:
                yield host
        finally:
            manager.stop()
    assert manager.leftovers() == []


@contextlib.contextmanager
def _tmpfs(directory: Path) -> Iterator[None]:
    """A tiny tmpfs mounted on `directory` for the block (before the manager starts, so that
    the manager's own mount namespace inherits it)."""
    directory.mkdir(parents=True, exist_ok=True)
    options = f"size={TMPFS_SIZE},mode=0755"
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(directory)], check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", str(directory)], check=True)
