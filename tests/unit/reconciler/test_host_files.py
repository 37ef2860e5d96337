"""Reading unit files and the PID file without following what must not be followed."""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.host.files import inspect_unit_file, path_kind, read_pid_file, read_regular


def test_unit_file_kinds(tmp_path: Path) -> None:
    """Missing, regular, symlink (with its target's text and link), masked and directory are told apart."""
    regular = tmp_path / "a.service"
    regular.write_text("# terok-gate-version: 2\n[Service]\n")
    (tmp_path / "link.service").symlink_to(regular)
    (tmp_path / "masked.service").symlink_to("/dev/null")
    (tmp_path / "dir.service").mkdir()
    assert inspect_unit_file("x", tmp_path / "none.service").kind == "missing"
    found = inspect_unit_file("a.service", regular)
    assert (found.kind, found.version, found.ours) == ("file", 2, True)
    link = inspect_unit_file("link.service", tmp_path / "link.service")
    assert (link.kind, link.link_target, link.ours) == ("symlink", str(regular), True)
    masked = inspect_unit_file("masked.service", tmp_path / "masked.service")
    assert (masked.masked, masked.text, masked.ours) == (True, None, False)
    assert inspect_unit_file("dir.service", tmp_path / "dir.service").kind == "directory"


def test_fifo_never_blocks(tmp_path: Path) -> None:
    """A FIFO in place of a file is reported, never read (reading it would hang)."""
    fifo = tmp_path / "gate.pid"
    os.mkfifo(fifo)
    assert read_pid_file(fifo) == ("other", "")
    assert read_regular(fifo, follow=True) is None


def test_pid_file_symlink_is_never_followed(tmp_path: Path) -> None:
    """A PID file that is a symlink is reported as such and its target is not read."""
    target = tmp_path / "elsewhere"
    target.write_text("4242\n")
    link = tmp_path / "gate.pid"
    link.symlink_to(target)
    assert read_pid_file(link) == ("symlink", "")
    assert read_regular(link, follow=False) is None


def test_pid_file_first_line(tmp_path: Path) -> None:
    """A regular PID file gives its first line, stripped."""
    pid = tmp_path / "gate.pid"
    pid.write_text(" 4242 \nrest\n")
    assert read_pid_file(pid) == ("file", "4242")
    assert path_kind(tmp_path / "missing") == "missing"
    assert path_kind(pid / "below") == "other"
