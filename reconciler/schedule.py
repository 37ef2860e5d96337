"""How to run `gate-reconcile apply` periodically without a user manager: a crontab line (pure)."""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping, Sequence

# The variables that decide where gate-reconcile looks (cron starts with almost none of them).
_CARRIED = ("HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME")


def cron_schedule(interval_seconds: int) -> str:
    """Every ceil(interval / 1 min) minutes; hourly at most (cron steps stop at 59)."""
    minutes = max(1, math.ceil(interval_seconds / 60))
    return f"*/{minutes} * * * *" if minutes < 60 else "0 * * * *"


def crontab_line(argv: Sequence[str], interval_seconds: int, env: Mapping[str, str]) -> str:
    """A crontab entry that runs `argv` with the same places as this run (stdout dropped:
    only errors and actions, logged on stderr, reach cron's mail)."""
    carried = [f"{name}={shlex.quote(env[name])}" for name in _CARRIED if env.get(name)]
    return f"{cron_schedule(interval_seconds)} {' '.join([*carried, shlex.join(argv)])} >/dev/null"


def periodic_hint(argv: Sequence[str], interval_seconds: int, env: Mapping[str, str]) -> str:
    """The few lines that tell a person how to keep the gate converged without systemd."""
    return (
        "no systemd user manager runs gate-reconcile periodically here; to heal drift by "
        "itself, add this line with `crontab -e`:\n"
        f"  {crontab_line(argv, interval_seconds, env)}"
    )
