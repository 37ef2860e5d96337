"""Tests of terok-gate that need no running process of it: the pure parts."""
