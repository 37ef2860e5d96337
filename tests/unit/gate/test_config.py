"""Settings: the base path must exist; the admin token only from the environment or a 0600 file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from terok_gate.config import checked_base_path, take_admin_token
from terok_gate.errors import GateError
from terok_gate.grants import token_digest


def test_base_path_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative base path is resolved against the working directory at start."""
    (tmp_path / "gate").mkdir()
    monkeypatch.chdir(tmp_path)
    assert checked_base_path("gate") == tmp_path / "gate"


def test_base_path_must_be_a_directory(tmp_path: Path) -> None:
    """A missing base path is an error that names it."""
    with pytest.raises(GateError, match="is not a directory"):
        checked_base_path(str(tmp_path / "missing"))


def test_no_admin_token_is_fine() -> None:
    """Without variable or file there is no admin token."""
    assert take_admin_token({}, None) is None


def test_admin_token_from_environment_is_taken_out_of_it() -> None:
    """The variable is read and removed, so no child process inherits it."""
    environ = {"TEROK_GATE_ADMIN_TOKEN": "root-token\n", "OTHER": "x"}
    assert take_admin_token(environ, None) == token_digest("root-token")
    assert environ == {"OTHER": "x"}


def test_empty_admin_token_variable_is_refused() -> None:
    """An empty variable is a mistake, not "no admin"."""
    with pytest.raises(GateError, match="set but empty"):
        take_admin_token({"TEROK_GATE_ADMIN_TOKEN": " "}, None)


def _file(path: Path, text: str, mode: int) -> str:
    path.write_text(text)
    path.chmod(mode)
    return str(path)


def test_admin_token_from_private_file(tmp_path: Path) -> None:
    """A 0600 (or 0400) file owned by the gate's user holds the token (trailing newline ignored)."""
    assert take_admin_token({}, _file(tmp_path / "a", "root-token\n", 0o600)) == token_digest(
        "root-token"
    )
    assert take_admin_token({}, _file(tmp_path / "b", "root-token", 0o400)) == token_digest(
        "root-token"
    )


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o666])
def test_admin_token_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    """Group or other permissions on the admin token file stop the gate with a chmod hint."""
    path = _file(tmp_path / "admin", "root-token", mode)
    with pytest.raises(GateError) as refused:
        take_admin_token({}, path)
    assert refused.value.hint == f"run: chmod 600 {path}"


def test_admin_token_given_twice_is_refused(tmp_path: Path) -> None:
    """Environment and file at once is ambiguous and refused."""
    with pytest.raises(GateError, match="given twice"):
        take_admin_token({"TEROK_GATE_ADMIN_TOKEN": "a"}, _file(tmp_path / "f", "b", 0o600))


@pytest.mark.parametrize("content", ["", "\n\n", "x" * 5000])
def test_admin_token_file_must_hold_a_token(tmp_path: Path, content: str) -> None:
    """An empty or oversized admin token file is refused."""
    with pytest.raises(GateError, match="empty or too long"):
        take_admin_token({}, _file(tmp_path / "admin", content, 0o600))


def test_admin_token_file_must_not_be_a_symlink_or_missing(tmp_path: Path) -> None:
    """A symlink (which could point anywhere) or a missing file is refused with the reason."""
    target = _file(tmp_path / "real", "root-token", 0o600)
    (tmp_path / "link").symlink_to(target)
    with pytest.raises(GateError, match="cannot read admin token file"):
        take_admin_token({}, str(tmp_path / "link"))
    with pytest.raises(GateError, match="No such file or directory"):
        take_admin_token({}, str(tmp_path / "missing"))


def test_admin_token_file_must_be_a_regular_file(tmp_path: Path) -> None:
    """A FIFO in place of the file is refused at once instead of blocking the start."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)
    with pytest.raises(GateError, match="not a regular file"):
        take_admin_token({}, str(fifo))
