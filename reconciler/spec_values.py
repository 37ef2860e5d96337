"""What a validated spec hands on to rendering, as plain values: the mode names and the
retry settings of `apply`.

Kept apart from spec.py (pydantic) so that a run that reuses an earlier rendering of the
same spec (reconciler/spec_cache.py) never imports pydantic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Mode = Literal["auto", "systemd", "daemon", "none"]
MODES: tuple[Mode, ...] = ("auto", "systemd", "daemon", "none")


@dataclass(frozen=True)
class ApplySettings:
    """[apply] of the spec: how long `apply` may try, and its backoff between retries."""

    deadline: float
    backoff_initial: float
    backoff_max: float
