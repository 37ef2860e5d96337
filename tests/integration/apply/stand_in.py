"""A `systemctl` stand-in first on PATH: how tests place a fault inside a real apply run.

The stand-in is a small shell script that may do something (kill its caller, wait, sleep,
change a file) before it execs the real systemctl; gate-reconcile has no hook for it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# Kills the gate-reconcile that called it (its parent: the runner forks systemctl directly)
# when asked for the verb $KILL_AT, once ($1 is --user, $2 the verb; mkdir makes "once" atomic).
KILLING_SYSTEMCTL = """#!/bin/sh
if [ "$2" = "$KILL_AT" ] && mkdir "$KILL_MARK" 2>/dev/null; then
  kill -KILL "$PPID"
  exit 1
fi
exec {real} "$@"
"""


def systemctl_stand_in(folder: Path, script: str, **variables: str) -> dict[str, str]:
    """The environment of a run whose `systemctl` is `script` ({real}: the real systemctl),
    with `variables` set for it; the script lives in `folder`, created here."""
    real = shutil.which("systemctl")
    assert real is not None, "the real systemctl is needed behind the stand-in"
    folder.mkdir()
    (folder / "systemctl").write_text(script.format(real=real))
    (folder / "systemctl").chmod(0o755)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}", **variables}
