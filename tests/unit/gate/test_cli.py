"""The command line: the mode is chosen from flags and systemd's LISTEN_* variables, and
a token on the command line is refused."""

from __future__ import annotations

import os

import pytest

from terok_gate.cli import build_parser, choose_mode, main

REQUIRED = ["--base-path", "/srv/gate", "--token-file", "/srv/gate/tokens.json"]


def _mode(flags: list[str]) -> str:
    parser = build_parser()
    return choose_mode(parser, parser.parse_args([*REQUIRED, *flags]))


@pytest.fixture
def activated(monkeypatch: pytest.MonkeyPatch) -> None:
    """Look like a process systemd started with one listening socket."""
    monkeypatch.setenv("LISTEN_PID", str(os.getpid()))
    monkeypatch.setenv("LISTEN_FDS", "1")


@pytest.mark.parametrize(
    ("flags", "mode"),
    [
        (["--foreground"], "foreground"),
        (["--detach", "--pid-file", "/run/g.pid"], "detach"),
        (["--inetd"], "inetd"),
    ],
)
def test_mode_flags(flags: list[str], mode: str) -> None:
    """Each mode flag selects its mode."""
    assert _mode(flags) == mode


@pytest.mark.usefixtures("activated")
@pytest.mark.parametrize(
    ("flags", "mode"), [([], "socket"), (["--foreground"], "socket"), (["--inetd"], "inetd")]
)
def test_systemd_socket_needs_no_flag(flags: list[str], mode: str) -> None:
    """With LISTEN_PID/LISTEN_FDS the gate serves systemd's socket; --inetd still means fd 0."""
    assert _mode(flags) == mode


@pytest.mark.parametrize(
    ("pid", "fds"), [("1", "1"), (None, "1"), ("self", "0"), ("self", "x"), ("self", None)]
)
def test_listen_variables_for_someone_else_do_not_count(
    monkeypatch: pytest.MonkeyPatch, pid: str | None, fds: str | None
) -> None:
    """LISTEN_* for another PID, or without a socket, is no activation: a mode is needed."""
    for name, value in (("LISTEN_PID", pid), ("LISTEN_FDS", fds)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, str(os.getpid()) if value == "self" else value)
    with pytest.raises(SystemExit) as exited:
        _mode([])
    assert exited.value.code == 2


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ([], "choose how to run: --foreground, --detach --pid-file FILE or --inetd"),
        (["--detach"], "--detach needs --pid-file FILE"),
        (["--inetd", "--pid-file", "/p"], "--pid-file goes only with --detach"),
    ],
)
def test_usage_errors(flags: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing or contradictory mode is a usage error that says what to do."""
    with pytest.raises(SystemExit) as exited:
        _mode(flags)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.usefixtures("activated")
def test_detach_under_systemd_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """--detach makes no sense when systemd hands over a socket."""
    with pytest.raises(SystemExit):
        _mode(["--detach", "--pid-file", "/run/g.pid"])
    assert "--detach cannot be used" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv", [["--admin-token", "s3cret"], ["--admin-token=s3cret"], ["--admin-token"]]
)
def test_admin_token_argument_is_refused_with_the_reason(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """--admin-token exits 2 and explains that argv is public and where the token belongs."""
    with pytest.raises(SystemExit) as exited:
        main([*REQUIRED, "--foreground", *argv])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "visible to every user" in err
    assert "TEROK_GATE_ADMIN_TOKEN" in err
    assert "--admin-token-file" in err
    assert "s3cret" not in err


def test_options_are_not_abbreviated() -> None:
    """A prefix like --admin-tok is not silently taken for --admin-token-file."""
    with pytest.raises(SystemExit):
        build_parser().parse_args([*REQUIRED, "--admin-tok", "f"])
