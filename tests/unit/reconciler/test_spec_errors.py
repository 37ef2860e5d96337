"""Every kind of bad spec exits 78 with one line per problem (file: field: what), no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli import main

BIN = Path(sys.executable).parent


def _run(tmp_path: Path, text: str | bytes, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    spec = tmp_path / "gate.toml"
    spec.write_bytes(text.encode() if isinstance(text, str) else text)
    code = main(["--dry-run", "--spec", "gate.toml"])
    captured = capsys.readouterr()
    assert captured.out == ""
    return code, captured.err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("port = 70000\n", "gate.toml: port: must be between 1 and 65535, got 70000"),
        ("port = 0\n", "gate.toml: port: must be between 1 and 65535, got 0"),
        ('port = "9418"\n', 'gate.toml: port: must be a whole number, got "9418"'),
        (
            'mode = "fast"\n',
            "gate.toml: mode: must be one of 'auto', 'systemd', 'daemon' or 'none', got \"fast\"",
        ),
        (
            "colour = 3\n",
            "gate.toml: colour: unknown key; known keys here: mode, port, allow_remote, bind, "
            "base_path, token_file, pid_file, unit_version, gate_command, idle_timeout, timer, apply",
        ),
        (
            "[timer]\nintervall = 5\n",
            "gate.toml: timer.intervall: unknown key; known keys here: enabled, interval",
        ),
        ('timer = "often"\n', 'gate.toml: timer: must be a table, got "often"'),
        (
            '[timer]\nenabled = "yes"\n',
            'gate.toml: timer.enabled: must be true or false, got "yes"',
        ),
        ("[timer]\ninterval = 0\n", "gate.toml: timer.interval: must be at least 1 second, got 0"),
        (
            'idle_timeout = "3 weeks"\n',
            'gate.toml: idle_timeout: must be a duration in seconds or like "30s", "5min", "2h", got "3 weeks"',
        ),
        ("idle_timeout = 1.5\n", "gate.toml: idle_timeout: must be whole seconds, got 1.5"),
        ("[apply]\ndeadline = -1\n", "gate.toml: apply.deadline: must not be negative, got -1"),
        (
            'base_path = "srv/gate"\n',
            'gate.toml: base_path: must be an absolute path after expanding ~ and $XDG_*, got "srv/gate"',
        ),
        (
            'base_path = "~root/gate"\n',
            'gate.toml: base_path: only ~ and ~/ are expanded (not ~user), got "~root/gate"',
        ),
        (
            'pid_file = "$XDG_FOO/p"\n',
            "gate.toml: pid_file: unknown variable $XDG_FOO; known: $HOME, "
            "$XDG_CONFIG_HOME, $XDG_STATE_HOME, $XDG_DATA_HOME, $XDG_CACHE_HOME, $XDG_RUNTIME_DIR",
        ),
        (
            'token_file = "/srv/a\\nb"\n',
            "gate.toml: token_file: may not contain control characters, found \\n",
        ),
        ("base_path = 5\n", "gate.toml: base_path: must be a path (a string), got 5"),
        (
            'bind = "0.0.0.0"\n',
            "gate.toml: bind: 0.0.0.0 is not a loopback address; set allow_remote = true to listen on it",
        ),
        (
            'bind = "localhost"\n',
            'gate.toml: bind: must be an IP address such as 127.0.0.1 or ::1, got "localhost"',
        ),
        ("unit_version = 0\n", "gate.toml: unit_version: must be at least 1, got 0"),
        (
            'gate_command = "/nonexistent/terok-gate"\n',
            "gate.toml: gate_command: /nonexistent/terok-gate is not an executable file (the default is the "
            "terok-gate installed beside gate-reconcile); install terok-gate or set gate_command",
        ),
        (
            'gate_command = "/opt/it\'s/terok-gate"\n',
            "gate.toml: gate_command: systemd cannot run a program whose path contains quotes or backslashes, "
            'got "/opt/it\'s/terok-gate"',
        ),
        ("port = = 3\n", "gate.toml: invalid TOML: Invalid value (at line 1, column 8)"),
        (b"port = 1\n# \xff\n", "gate.toml: not UTF-8 text: invalid start byte"),
    ],
)
def test_bad_spec_exits_78_with_the_promised_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    text: str,
    message: str,
) -> None:
    """Each kind of bad input exits 78 and prints exactly its problem line, nothing else."""
    monkeypatch.chdir(tmp_path)
    code, err = _run(tmp_path, text, capsys)
    assert (code, err) == (78, message + "\n")


def test_every_problem_gets_its_own_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Several problems in one file are all reported, one line each."""
    monkeypatch.chdir(tmp_path)
    code, err = _run(tmp_path, 'port = 70000\nmode = "x"\ncolour = 1\n', capsys)
    assert code == 78
    assert [line.split(":")[1].strip() for line in err.splitlines()] == ["mode", "port", "colour"]


@pytest.mark.parametrize("make", ["missing", "directory"])
def test_unreadable_spec_exits_78(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, make: str
) -> None:
    """A spec that cannot be read (missing, a directory) is an invalid spec, also via the environment."""
    target = tmp_path / "gate.toml"
    if make == "directory":
        target.mkdir()
    monkeypatch.setenv("GATE_RECONCILE_SPEC", str(target))
    assert main(["--dry-run"]) == 78
    reason = "No such file or directory" if make == "missing" else "Is a directory"
    assert capsys.readouterr().err == f"{target}: cannot read: {reason}\n"


def test_real_command_prints_no_traceback(tmp_path: Path) -> None:
    """The installed gate-reconcile exits 78 with just the problem line on stderr."""
    (tmp_path / "gate.toml").write_text("port = 70000\n")
    result = subprocess.run(
        [str(BIN / "gate-reconcile"), "--dry-run", "--spec", "gate.toml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (78, "")
    assert result.stderr == "gate.toml: port: must be between 1 and 65535, got 70000\n"


def test_bad_spec_touches_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An invalid spec stops before the host is even looked at: no directory appears."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "gate.toml").write_text(f'port = 70000\nbase_path = "{tmp_path}/base"\n')
    assert main(["--dry-run", "--spec", str(tmp_path / "gate.toml")]) == 78
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gate.toml"]
