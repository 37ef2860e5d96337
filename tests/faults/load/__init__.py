"""Concurrent clones through the gate, socket-activated and as a daemon, with token churn."""
