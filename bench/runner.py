"""Interleaved sampling: every case once per round, in a fresh random order each round.

Interleaving spreads slow phases of a busy machine (other jobs, CPU frequency) over all
variants alike, so ratios taken from the same run stay meaningful even when the
absolute figures are noisy. Medians then discard the odd outlier.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


def _nothing() -> None:
    """Default for the untimed hooks of a case."""


@dataclass(frozen=True)
class Case:
    """One timed thing: an operation done through one variant (server set-up)."""

    operation: str
    variant: str
    run: Callable[[], None]
    prepare: Callable[[], None] = _nothing  # untimed, before each sample
    cleanup: Callable[[], None] = _nothing  # untimed, after each sample

    @property
    def key(self) -> tuple[str, str]:
        """(operation, variant): where its samples are filed."""
        return self.operation, self.variant


@dataclass(frozen=True)
class Schedule:
    """How many rounds to take, and the bounds that keep a run finite."""

    samples: int
    warmup: int = 1
    seed: int = 3
    time_budget: float = 1200.0  # seconds; no new round starts after it


@dataclass
class Measured:
    """Samples in seconds per (operation, variant), and whether the budget cut the run short."""

    samples: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    rounds: int = 0
    truncated: bool = False


Clock = Callable[[], float]


def _time_one(case: Case, clock: Clock) -> float:
    case.prepare()
    started = clock()
    try:
        case.run()
        return clock() - started
    finally:
        case.cleanup()


def _round(cases: Sequence[Case], rng: random.Random, clock: Clock) -> dict[tuple[str, str], float]:
    order = list(cases)
    rng.shuffle(order)
    return {case.key: _time_one(case, clock) for case in order}


def interleave(
    cases: Sequence[Case],
    schedule: Schedule,
    clock: Clock = time.perf_counter,
    progress: Callable[[str], None] = lambda _: None,
) -> Measured:
    """Run warm-up rounds (discarded), then up to `schedule.samples` timed rounds."""
    rng = random.Random(schedule.seed)
    started = clock()
    for number in range(schedule.warmup):
        _round(cases, rng, clock)
        progress(f"warm-up round {number + 1}/{schedule.warmup} done")
    measured = Measured({case.key: [] for case in cases})
    while measured.rounds < schedule.samples:
        if measured.rounds and clock() - started > schedule.time_budget:
            measured.truncated = True
            break
        for key, seconds in _round(cases, rng, clock).items():
            measured.samples[key].append(seconds)
        measured.rounds += 1
        progress(f"round {measured.rounds}/{schedule.samples} done ({clock() - started:.0f} s)")
    return measured
