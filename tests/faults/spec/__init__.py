"""Hostile spec files: generated TOML and raw bytes through the real gate-reconcile CLI."""
