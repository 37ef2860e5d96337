"""The one command runner: argument lists, one error type with everything, transient or not.

Queries go through subprocess, other commands through sh; the `engine` fixture runs each
behaviour through both paths of run(), which must not differ."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.host import run as run_module
from reconciler.host.run import CommandError, is_query, is_transient, run

PROGRAMS = ("printf", "sh", "no-such-program-here", "sleep")


@pytest.fixture(params=["sh", "subprocess"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Which path of run() the test's commands take (as queries: subprocess, else sh)."""
    if request.param == "subprocess":
        monkeypatch.setattr(run_module, "QUERIES", tuple((name,) for name in PROGRAMS))
    return str(request.param)


@pytest.mark.usefixtures("engine")
def test_runs_an_argument_list_without_a_shell() -> None:
    """Arguments with spaces and shell characters arrive unchanged; stdout and stderr are kept apart."""
    result = run(["printf", "%s|", "a b", "$HOME", ";", "*"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "a b|$HOME|;|*|", "")


@pytest.mark.usefixtures("engine")
def test_failure_carries_argv_exit_code_and_output() -> None:
    """A failing command raises CommandError with argv, exit code, stdout and stderr."""
    with pytest.raises(CommandError) as raised:
        run(["sh", "-c", "echo out; echo 'bad thing' >&2; exit 3"])
    error = raised.value
    assert (error.argv[0], error.returncode, error.stdout, error.stderr) == (
        "sh",
        3,
        "out\n",
        "bad thing\n",
    )
    assert error.exit_code == 1  # the CLI's exit code for a runtime error
    assert "exited with 3: bad thing" in error.message
    assert not error.transient


@pytest.mark.usefixtures("engine")
def test_missing_program_and_timeout() -> None:
    """A missing program is permanent (127); a timeout is transient."""
    with pytest.raises(CommandError) as missing:
        run(["no-such-program-here"])
    assert (missing.value.returncode, missing.value.transient) == (127, False)
    with pytest.raises(CommandError) as slow:
        run(["sleep", "5"], timeout=0.2)
    assert (slow.value.returncode, slow.value.transient) == (None, True)


@pytest.mark.parametrize(
    ("stderr", "transient"),
    [
        ("Failed to connect to bus: Connection timed out", True),
        ("Job for x.socket canceled.", True),
        ("Transaction for x.service/start is destructive (y has 'stop' job queued)", True),
        ("Failed to connect to bus: No such file or directory", False),
        ("Unit x.service not found.", False),
        ("Failed to start x.socket: Access denied", False),
    ],
)
def test_transient_or_permanent(stderr: str, transient: bool) -> None:
    """Only failures that waiting can cure are transient."""
    assert is_transient(1, stderr) is transient


@pytest.mark.parametrize(
    ("argv", "query"),
    [
        (["systemctl", "--user", "show", "-p", "Id", "--", "terok-gate.socket"], True),
        (["systemctl", "--user", "start", "terok-gate.socket"], False),
        (["systemctl", "--user", "daemon-reload"], False),
        (["systemctl", "show"], False),
        (["terok-gate", "--detach"], False),
    ],
)
def test_only_reports_are_queries(argv: list[str], query: bool) -> None:
    """Only `systemctl --user show` counts as a query; every command that acts takes sh."""
    assert is_query(argv) is query


def test_a_query_does_not_import_sh(tmp_path: Path) -> None:
    """Running a query loads subprocess only: neither sh nor asyncio."""
    stand_in = tmp_path / "systemctl"
    stand_in.write_text('#!/bin/sh\necho "Id=$3"\n')
    stand_in.chmod(0o755)
    code = (
        "import sys; from reconciler.host.run import run; "
        "print(run(['systemctl', '--user', 'show', 'x.socket']).stdout.strip(), "
        "'sh' in sys.modules, 'asyncio' in sys.modules)"
    )
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["Id=x.socket", "False", "False"]
