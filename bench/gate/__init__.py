"""The gate benchmark (issue 3): terok-gate against nginx + fcgiwrap and file://."""
