"""The PID file: written atomically, removed only while it is still ours."""

from __future__ import annotations

from pathlib import Path

from terok_gate.daemon import remove_pid_file, write_pid_file


def test_pid_file_is_written_with_its_directory(tmp_path: Path) -> None:
    """The PID file (and missing parent directories) is created; no temporary file remains."""
    pid_file = tmp_path / "run" / "terok" / "gate.pid"
    write_pid_file(pid_file, 1234)
    assert pid_file.read_text() == "1234\n"
    assert [p.name for p in pid_file.parent.iterdir()] == ["gate.pid"]


def test_pid_file_replaces_an_old_one_atomically(tmp_path: Path) -> None:
    """An old PID file is replaced by rename: a reader sees the old or the new PID, never half."""
    pid_file = tmp_path / "gate.pid"
    pid_file.write_text("99\n")
    old_inode = pid_file.stat().st_ino
    write_pid_file(pid_file, 1234)
    assert pid_file.read_text() == "1234\n"
    assert pid_file.stat().st_ino != old_inode


def test_pid_file_is_removed_only_while_it_names_us(tmp_path: Path) -> None:
    """Our PID: removed. Another PID or garbage: left for its owner."""
    pid_file = tmp_path / "gate.pid"
    for content, removed in (("1234\n", True), ("4321\n", False), ("garbage", False)):
        pid_file.write_text(content)
        remove_pid_file(pid_file, 1234)
        assert pid_file.exists() is not removed
    pid_file.unlink()
    remove_pid_file(pid_file, 1234)  # already gone: nothing to do, no error
