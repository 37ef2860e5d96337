"""gate-reconcile: keeps the terok git gate running as a spec says."""

__version__ = "0.1.0"
