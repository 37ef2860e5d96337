"""Logging: JSON lines on stderr when it is not a terminal, readable lines on a terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

_PROGRAM = (
    "import sys; from terok_gate.log import configure_logging, get_logger;"
    "configure_logging(sys.stderr); get_logger().info('request', method='GET', status=200)"
)


def test_json_lines_when_stderr_is_not_a_terminal() -> None:
    """With stderr on a pipe every line is one JSON object with level, time and pid."""
    result = subprocess.run(
        [sys.executable, "-c", _PROGRAM], capture_output=True, text=True, check=True
    )
    line = json.loads(result.stderr)
    assert {k: line[k] for k in ("event", "method", "status", "level")} == {
        "event": "request", "method": "GET", "status": 200, "level": "info"
    }  # fmt: skip
    assert {"timestamp", "pid"} <= set(line)


def test_console_lines_on_a_terminal() -> None:
    """With stderr on a terminal the line is for humans, not JSON."""
    leader, follower = pty.openpty()
    process = subprocess.run([sys.executable, "-c", _PROGRAM], stderr=follower, check=True)
    os.close(follower)
    text = os.read(leader, 4096).decode()
    os.close(leader)
    assert process.returncode == 0
    assert "request" in text and "method=GET" in text and "status=200" in text
    assert not text.lstrip().startswith("{")
