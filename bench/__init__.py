"""Benchmarks of terok-gate and gate-reconcile; `python -m bench` runs them all."""
