"""apply and check on the command line, where no user manager exists (the sandbox of unit
tests): exit codes, blocked without acting, the lock's exit 75, and check changing nothing."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.host.lock import holding_lock
from reconciler.places import lock_path, status_path


def _spec(tmp_path: Path, mode: str, port: int = 1) -> str:
    path = tmp_path / "gate.toml"
    path.write_text(
        f'mode = "{mode}"\nport = {port}\nbase_path = "{tmp_path}/base"\n'
        f'pid_file = "{tmp_path}/run/gate.pid"\n[apply]\ndeadline = 5\n'
    )
    return str(path)


def test_help_documents_apply_check_and_the_lock(capsys: pytest.CaptureFixture[str]) -> None:
    """--help names apply and check and exit code 75."""
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "apply" in text and "check" in text
    assert "75  another gate-reconcile holds the lock" in text


@pytest.mark.parametrize("argv", [["apply", "--wait", "-1"], ["apply", "--wait", "soon"]])
def test_bad_wait_is_a_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """--wait takes seconds >= 0; anything else exits 64 with a message."""
    assert main(argv) == 64
    assert "is not a number of seconds" in capsys.readouterr().err


def test_blocked_apply_exits_3_and_records_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """mode = systemd without a user manager is blocked: exit 3, nothing created, status Degraded."""
    assert main(["apply", "--spec", _spec(tmp_path, "systemd")]) == 3
    out = capsys.readouterr().out
    assert out.startswith("blocked: mode = systemd but no systemd user manager answers")
    assert not (tmp_path / "base").exists()
    status = json.loads(status_path(os.environ).read_text())
    degraded = next(c for c in status["conditions"] if c["type"] == "Degraded")
    assert (status["outcome"], degraded["reason"]) == ("blocked", "Blocked")


def test_mode_none_on_an_empty_host_takes_no_action(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing of ours and mode none: in sync, no action, exit 0; metrics written atomically."""
    metrics = tmp_path / "metrics" / "gate.prom"
    assert main(["apply", "--spec", _spec(tmp_path, "none"), "--metrics-file", str(metrics)]) == 0
    assert capsys.readouterr().out.startswith("in sync: nothing to do, no action taken (mode none")
    assert "gate_reconcile_converged 1\n" in metrics.read_text()
    assert [p.name for p in metrics.parent.iterdir()] == ["gate.prom"]


def test_a_held_lock_exits_75_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """While another run holds the lock, apply exits 75 naming that run's pid."""
    with holding_lock(lock_path(os.environ)):
        assert main(["apply", "--spec", _spec(tmp_path, "none")]) == 75
    err = capsys.readouterr().err
    assert f"another gate-reconcile (pid {os.getpid()}) holds the lock" in err
    assert "--wait SECONDS" in err


def test_check_on_an_empty_port_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """check with no gate: exit 1, what is wrong and what to run; no file is created."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spec = _spec(tmp_path, "daemon", port)
    before = sorted(tmp_path.rglob("*"))
    assert main(["check", "--spec", spec]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"not ok: nothing answers on 127.0.0.1:{port}")
    assert "run `gate-reconcile apply`" in out
    assert sorted(tmp_path.rglob("*")) == before


def test_check_in_mode_none_says_no_gate_is_wanted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """check with mode none fails and says the spec wants no gate."""
    assert main(["check", "--spec", _spec(tmp_path, "none")]) == 1
    out = capsys.readouterr().out
    assert "not ok: mode none: the spec wants no gate" in out and "set another mode" in out
