"""Structured logging on stderr: JSON lines when stderr is not a terminal."""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog
from structlog.typing import FilteringBoundLogger, Processor

_INFO = 20


def _add_pid(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    event["pid"] = os.getpid()  # read each time: a detached gate changes its PID once
    return event


def configure_logging(stream: TextIO) -> None:
    """Configure structlog once, for the whole process."""
    processors: list[Processor] = [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_pid,
    ]
    if stream.isatty():
        processors.append(structlog.dev.ConsoleRenderer(colors=False))
    else:
        processors += [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    structlog.configure(
        processors=processors,
        logger_factory=structlog.WriteLoggerFactory(
            stream
        ),  # one write per line: concurrent gates never interleave
        wrapper_class=structlog.make_filtering_bound_logger(_INFO),
        cache_logger_on_first_use=True,
    )


def get_logger() -> FilteringBoundLogger:
    """The gate's logger."""
    logger: FilteringBoundLogger = structlog.get_logger("terok-gate")
    return logger
