"""The one command runner: argument lists, one error type with everything, transient or not."""

from __future__ import annotations

import pytest

from reconciler.host.run import CommandError, is_transient, run


def test_runs_an_argument_list_without_a_shell() -> None:
    """Arguments with spaces and shell characters arrive unchanged; stdout and stderr are kept apart."""
    result = run(["printf", "%s|", "a b", "$HOME", ";", "*"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "a b|$HOME|;|*|", "")


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
