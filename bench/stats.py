"""Pure statistics over timing samples: medians, quartiles and ratios."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    """What the figures report about one series of samples (seconds)."""

    count: int
    median: float
    p25: float
    p75: float
    minimum: float


def median(values: Sequence[float]) -> float:
    """The median; a series without samples is a broken benchmark, not a zero."""
    if not values:
        raise ValueError("no samples: the benchmark recorded nothing for this series")
    return float(statistics.median(values))


def quartiles(values: Sequence[float]) -> tuple[float, float]:
    """The 25th and 75th percentiles (inclusive method; a single sample is its own spread)."""
    if len(values) < 2:
        only = median(values)
        return only, only
    low, _, high = statistics.quantiles(values, n=4, method="inclusive")
    return float(low), float(high)


def summarize(values: Sequence[float]) -> Summary:
    """Median, quartiles and minimum of one series."""
    low, high = quartiles(values)
    return Summary(len(values), median(values), low, high, float(min(values)))


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator; a zero baseline means the baseline was not measured."""
    if denominator <= 0:
        raise ValueError(f"baseline of {denominator} s cannot be divided by")
    return numerator / denominator
