"""Run a command as a child subreaper, so a daemon it forks off stays our descendant.

Prints one JSON line with the command's exit code and stderr, then one JSON line per
orphan it reaps ({"pid", "exit"}), so a test can see a detached daemon's exit code.
Usage: python reaper.py COMMAND [ARG...]
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36


def main() -> int:
    """Become a subreaper, run the command, reap every orphan."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print(json.dumps({"error": os.strerror(ctypes.get_errno())}), flush=True)
        return 1
    result = subprocess.run(sys.argv[1:], stderr=subprocess.PIPE, text=True, check=False)
    print(json.dumps({"returncode": result.returncode, "stderr": result.stderr}), flush=True)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            return 0
        print(json.dumps({"pid": pid, "exit": os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
