"""The crontab advice for daemon mode, and log lines that never carry a secret."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from reconciler import logs
from reconciler.schedule import cron_schedule, crontab_line


@pytest.mark.parametrize(
    ("seconds", "schedule"),
    [(1, "*/1 * * * *"), (300, "*/5 * * * *"), (301, "*/6 * * * *"), (3600, "0 * * * *")],
)
def test_cron_schedule(seconds: int, schedule: str) -> None:
    """The interval rounded up to whole minutes; hourly at most."""
    assert cron_schedule(seconds) == schedule


def test_crontab_line_carries_the_places_and_quotes_them() -> None:
    """The line sets the XDG places of this run, quoted, runs the same argv and drops stdout."""
    env = {
        "HOME": "/home/u",
        "XDG_RUNTIME_DIR": "/run/user/1000",
        "XDG_STATE_HOME": "/s p",
        "PATH": "/x",
    }
    line = crontab_line(["/opt/bin/gate-reconcile", "apply", "--spec", "/etc/g t.toml"], 300, env)
    assert line == (
        "*/5 * * * * HOME=/home/u XDG_RUNTIME_DIR=/run/user/1000 XDG_STATE_HOME='/s p' "
        "/opt/bin/gate-reconcile apply --spec '/etc/g t.toml' >/dev/null"
    )


def test_redaction() -> None:
    """Values of secret-named keys and credentials in URLs are hidden; *_file paths are not."""
    event = {
        "token": "tok-1",
        "admin_token": "adm",
        "Authorization": "Basic eHg6eA==",
        "token_file": "/srv/gate/tokens.json",
        "url": "http://tok-1:x@127.0.0.1:9418/alpha.git",
        "detail": "plain words",
    }
    assert logs.redact(None, "info", dict(event)) == {
        "token": logs.REDACTED,
        "admin_token": logs.REDACTED,
        "Authorization": logs.REDACTED,
        "token_file": "/srv/gate/tokens.json",
        "url": f"http://{logs.REDACTED}@127.0.0.1:9418/alpha.git",
        "detail": "plain words",
    }


def test_json_lines_when_not_a_terminal() -> None:
    """Not a TTY: one JSON object per event, with level and time, and the token redacted."""
    stream = io.StringIO()
    logs.setup(stream)
    logs.event("info", "action", kind="write_unit", token="tok-secret")
    line = json.loads(stream.getvalue())
    assert (line["event"], line["level"], line["kind"], line["token"]) == (
        "action",
        "info",
        "write_unit",
        logs.REDACTED,
    )
    assert "tok-secret" not in stream.getvalue() and line["timestamp"].endswith("Z")


def test_structlog_is_imported_only_for_the_first_event() -> None:
    """setup() alone imports neither structlog nor asyncio: a run that logs nothing pays for neither."""
    code = (
        "import sys; from reconciler import logs; logs.setup(); "
        "print('structlog' in sys.modules, 'asyncio' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_logging_an_event_leaves_asyncio_unloaded() -> None:
    """The first event imports structlog, but not the asyncio structlog itself imports."""
    code = (
        "import io, sys; from reconciler import logs; from terok_gate.deferred import is_loaded; "
        "logs.setup(io.StringIO()); logs.event('info', 'action', kind='write_unit'); "
        "print('structlog' in sys.modules, is_loaded('asyncio'), 'ssl' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "False", "False"]
