"""The edges of gate-reconcile: the only modules that run commands or read the host."""
