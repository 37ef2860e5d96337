"""What a benchmark run was asked to do (shared by every suite)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    """Samples per variant, warm-up rounds, and whether this is the CI smoke run."""

    samples: int
    warmup: int
    quick: bool
    time_budget: float
    progress: Callable[[str], None]
