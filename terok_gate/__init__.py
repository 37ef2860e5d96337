"""terok-gate: git smart HTTP with per-task tokens."""

__version__ = "0.1.0"
