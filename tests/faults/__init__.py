"""Fault and hostile-input tests: what the gate and the reconciler survive, on record."""
