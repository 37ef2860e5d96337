"""The autouse guard keeps non-integration tests away from the real systemd tools and home."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import SystemctlGuard


def test_systemctl_is_refused(host_isolation: SystemctlGuard) -> None:
    """A real `systemctl` call from a unit test fails loudly and is recorded."""
    result = subprocess.run(["systemctl", "--user", "show"], capture_output=True, text=True)
    assert result.returncode == 99
    assert "forbidden in non-integration tests" in result.stderr
    assert host_isolation.calls() == [
        "real systemctl called from a non-integration test: --user show"
    ]
    host_isolation.forget()


def test_home_and_runtime_dir_are_throwaway(tmp_path_factory: object) -> None:
    """HOME and every XDG directory point away from the caller's real ones."""
    real_home = Path("~root").expanduser()
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"):
        value = Path(os.environ[name])
        assert value.is_dir(), name
        assert "isolated" in str(value), name
        assert value != real_home, name
    assert "DBUS_SESSION_BUS_ADDRESS" not in os.environ
