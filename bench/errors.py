"""The one error a benchmark raises when an operation did not work."""

from __future__ import annotations


class BenchmarkError(RuntimeError):
    """An operation under measurement failed: its figure would be meaningless."""
