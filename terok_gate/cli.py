"""Command line of terok-gate: the only place that prints and decides exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from terok_gate import __version__, limits
from terok_gate.deferred import defer_import

_REFUSED = (
    "--admin-token is refused: a token in the arguments is visible to every user "
    "of this machine (ps, /proc/<pid>/cmdline). Put it in the environment variable "
    "TEROK_GATE_ADMIN_TOKEN or in a file of mode 0600 given with --admin-token-file."
)
_NO_MODE = (
    "choose how to run: --foreground, --detach --pid-file FILE or --inetd "
    "(no flag is needed when systemd passes a listening socket)"
)


class _Refuse(argparse.Action):
    """An option that exists only to explain why it is refused."""

    def __call__(self, parser: argparse.ArgumentParser, *_: Any, **__: Any) -> None:
        parser.error(_REFUSED)


def _port(text: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a TCP port (1-65535)")
    return port


def _seconds(text: str) -> float:
    seconds = float(text)
    if not seconds >= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds >= 0")
    return seconds


def _positive_seconds(text: str) -> float:
    seconds = float(text)
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds > 0")
    return seconds


def _count(text: str) -> int:
    count = int(text)
    if count < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a whole number >= 1")
    return count


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(
        prog="terok-gate",
        description="Serve git repositories over HTTP to terok task tokens.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"terok-gate {__version__}")
    parser.add_argument(
        "--base-path", required=True, help="directory of <project>.git repositories"
    )
    parser.add_argument(
        "--token-file", required=True, help="JSON file of task tokens (re-read on change)"
    )
    parser.add_argument("--port", type=_port, default=9418, help="TCP port (default 9418)")
    parser.add_argument(
        "--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--idle-timeout",
        type=_seconds,
        default=0.0,
        help="when started by systemd socket activation: exit after this many seconds "
        "without a request (0, the default: never)",
    )
    parser.add_argument("--admin-token-file", help="file (mode 0600) holding the admin token")
    _limit_arguments(parser)
    parser.add_argument("--admin-token", nargs="?", action=_Refuse, help=argparse.SUPPRESS)
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--foreground", action="store_true", help="serve until SIGTERM or SIGINT")
    modes.add_argument(
        "--detach", action="store_true", help="run in the background (needs --pid-file)"
    )
    modes.add_argument("--inetd", action="store_true", help="serve the one connection on fd 0")
    parser.add_argument("--pid-file", type=Path, help="where --detach writes the daemon's PID")
    return parser


def _limit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--header-timeout",
        type=_positive_seconds,
        default=limits.HEADER_TIMEOUT,
        help="seconds a client has for a whole request head, idle time between requests "
        f"included (default {limits.HEADER_TIMEOUT:g})",
    )
    parser.add_argument(
        "--max-connections",
        type=_count,
        default=limits.MAX_CONNECTIONS,
        help="connections served at once; when all serve requests, newcomers get 503 "
        f"(default {limits.MAX_CONNECTIONS})",
    )
    parser.add_argument(
        "--backend-timeout",
        type=_positive_seconds,
        default=limits.BACKEND_TIMEOUT,
        help="kill git http-backend after this many seconds without output while the "
        f"client sends nothing either (default {limits.BACKEND_TIMEOUT:g})",
    )


def choose_mode(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """Decide how to run from the flags and systemd's LISTEN_* variables."""
    from terok_gate.activation import socket_activated

    activated = socket_activated(os.environ, os.getpid())
    if args.pid_file is not None and not args.detach:
        parser.error("--pid-file goes only with --detach")
    if args.inetd:
        return "inetd"
    if args.detach:
        if args.pid_file is None:
            parser.error("--detach needs --pid-file FILE")
        if activated:
            parser.error("--detach cannot be used when systemd passes a listening socket")
        return "detach"
    if activated:
        return "socket"
    if args.foreground:
        return "foreground"
    parser.error(_NO_MODE)


def _skip_optional_imports() -> None:
    """Keep structlog from importing rich or better_exceptions just because they are there,
    and asyncio before anything uses it (see terok_gate/deferred.py).

    structlog imports them at import time for pretty console tracebacks, which the gate
    never shows; rich alone would add about 45 ms to every start (and so to the first
    request after a socket-activated gate went idle).
    """
    for name in ("rich", "better_exceptions"):
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # None means "not installed"
    defer_import("asyncio")  # structlog imports it for its async methods only (~20 ms)


def main(argv: Sequence[str] | None = None) -> int:
    """Run terok-gate and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    mode = choose_mode(parser, args)
    _skip_optional_imports()
    from terok_gate.app import Options, run
    from terok_gate.errors import GateError

    options = Options(
        mode=mode,
        base_path=args.base_path,
        token_file=args.token_file,
        port=args.port,
        bind=args.bind,
        idle_timeout=args.idle_timeout,
        admin_token_file=args.admin_token_file,
        pid_file=args.pid_file,
        limits=limits.Limits(args.header_timeout, args.max_connections, args.backend_timeout),
    )
    try:
        return run(options)
    except GateError as error:
        hint = f"\n  hint: {error.hint}" if error.hint else ""
        print(f"terok-gate: error: {error.message}{hint}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
