"""Helpers for the terok-gate tests: the real gate process, real git, fake backends."""
