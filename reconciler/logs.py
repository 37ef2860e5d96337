"""Structured logs of gate-reconcile: a console renderer on a TTY, JSON lines otherwise.

main() calls setup() once. structlog itself is imported on the first event only: a run
with nothing to do logs nothing and so never pays for structlog. The asyncio that structlog
imports stays deferred until something really uses it (terok_gate/deferred.py). A processor
drops every value whose key names a secret, so no token can reach a log line even by
mistake; URLs lose their user-info part for the same reason.
"""

from __future__ import annotations

import re
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, TextIO

_SECRET_KEY = re.compile(r"token|secret|password|passwd|authorization|credential", re.I)
_HARMLESS_SUFFIXES = ("_file", "_path", "_dir")
_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.I)
REDACTED = "[redacted]"


@dataclass
class _Settings:
    stream: TextIO | None = None  # None: sys.stderr at the time of each event
    configured: bool = False


_settings = _Settings()


def setup(stream: TextIO | None = None) -> None:
    """Choose where events go; structlog is configured at the first event."""
    _settings.stream = stream
    _settings.configured = False


def _stream() -> TextIO:
    return _settings.stream if _settings.stream is not None else sys.stderr


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: hide values of secret-named keys and credentials in URLs."""
    for key, value in list(event.items()):
        if _SECRET_KEY.search(key) and not key.endswith(_HARMLESS_SUFFIXES):
            event[key] = REDACTED
        elif isinstance(value, str):
            event[key] = _USERINFO.sub(r"\g<scheme>" + REDACTED + "@", value)
    return event


def _configure() -> None:
    from terok_gate.deferred import defer_import

    defer_import("asyncio")  # structlog imports it for its async methods only (~20 ms)
    import structlog

    stream = _stream()
    processors: list[Any] = [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
    ]
    if stream.isatty():
        processors.append(structlog.dev.ConsoleRenderer(colors=False))
    else:
        processors.append(structlog.processors.JSONRenderer())
    structlog.configure(
        processors=processors,
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )
    _settings.configured = True


def event(level: str, name: str, **fields: Any) -> None:
    """Log one event (`level` is info, warning or error)."""
    if not _settings.configured:
        _configure()
    import structlog

    getattr(structlog.get_logger("gate-reconcile"), level)(name, **fields)
