"""Hostile input against the real gate: malformed requests, traversal, slow and idle clients."""
