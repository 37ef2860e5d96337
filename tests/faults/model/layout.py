"""Where things are on the model host: fixed paths, ports and the manager's pid."""

from __future__ import annotations

from pathlib import Path

MANAGER_PID = 2  # systemd --user: it holds the listening sockets of socket units
UID = 1000
ROOT = Path("/model")
UNIT_DIR = ROOT / "home/.config/systemd/user"
PID_FILE = ROOT / "run/gate.pid"
SPEC_FILE = ROOT / "gate.toml"
RECONCILE = ROOT / "bin/gate-reconcile"
BASES = (ROOT / "site-a", ROOT / "site-b")  # the base paths a spec may name
PORTS = (9418, 9419)  # the ports a spec may name
DEV_NULL = "/dev/null"
