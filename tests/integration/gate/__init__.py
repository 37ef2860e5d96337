"""terok-gate as a real process with real git; the systemd ones are marked integration."""
