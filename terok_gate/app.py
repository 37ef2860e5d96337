"""Wiring: check the settings, open the connection source, then serve in the chosen mode."""

from __future__ import annotations

import json
import os
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

from terok_gate import __version__
from terok_gate.activation import bind_listener, inetd_connection, systemd_listener
from terok_gate.backend import find_backend
from terok_gate.config import GateConfig, checked_base_path, take_admin_token
from terok_gate.daemon import detach, remove_pid_file
from terok_gate.digest import config_digest
from terok_gate.handler import Connection, Gate
from terok_gate.limits import Limits
from terok_gate.log import configure_logging, get_logger
from terok_gate.pool import Pool, Slot
from terok_gate.server import GRACE_SECONDS, Activity, Wakeup, serve_listener, serve_one
from terok_gate.tokens import Keyring, TokenFile


@dataclass(frozen=True)
class Options:
    """The command line, parsed: how to run and what to serve."""

    mode: str  # "foreground", "detach", "inetd" or "socket" (started by systemd)
    base_path: str
    token_file: str
    port: int = 9418
    bind: str = "127.0.0.1"
    idle_timeout: float = 0.0
    admin_token_file: str | None = None
    pid_file: Path | None = None
    limits: Limits = field(default_factory=Limits)


def run(options: Options) -> int:
    """Run the gate until it is stopped (or idle); return the exit code."""
    config = GateConfig(
        base_path=checked_base_path(options.base_path),
        token_file=Path(options.token_file).absolute(),
        port=options.port,
        bind=options.bind,
        idle_timeout=options.idle_timeout,
        admin_digest=take_admin_token(os.environ, options.admin_token_file),
    )
    backend = find_backend(config.base_path, os.environ)
    source = _open_source(options.mode, config)
    configure_logging(sys.stderr)
    limits = options.limits
    activity = Activity(limits.backend_timeout)
    pool = Pool(limits.max_connections)
    gate = Gate(backend, _keyring(config), activity, get_logger(), _health(config), pool, limits)
    stop = Wakeup().on_signals()  # before --detach forks: no moment without a handler
    if options.mode == "detach" and options.pid_file is not None:
        return _serve_detached(options.pid_file.absolute(), source, gate, config, stop)
    return _serve(options.mode, source, gate, config, stop)


def _serve_detached(
    pid_file: Path, source: socket.socket, gate: Gate, config: GateConfig, stop: Wakeup
) -> int:
    if not detach(pid_file):
        return 0  # the parent: the daemon is up and its PID file written
    try:
        return _serve("detach", source, gate, config, stop)
    finally:
        remove_pid_file(pid_file, os.getpid())


def _open_source(mode: str, config: GateConfig) -> socket.socket:
    if mode == "socket":
        return systemd_listener(os.environ)
    if mode == "inetd":
        return inetd_connection()
    return bind_listener(config.bind, config.port)


def _keyring(config: GateConfig) -> Keyring:
    token_file = TokenFile(config.token_file, get_logger())
    token_file.grants()  # read it now: problems are reported at start, not at the first clone
    return Keyring(token_file, config.admin_digest)


def _health(config: GateConfig) -> bytes:
    digest = config_digest(config.base_path, config.token_file)
    body = {"service": "terok-gate", "version": __version__, "config_digest": digest}
    return json.dumps(body).encode()


def _serve(mode: str, source: socket.socket, gate: Gate, config: GateConfig, stop: Wakeup) -> int:
    gate.log.info(
        "terok-gate started", mode=mode, version=__version__, base_path=str(config.base_path)
    )

    def handle(slot: Slot, peer: str) -> None:
        Connection(gate, slot, peer).serve()

    if mode == "inetd":
        outcome = serve_one(source, handle, stop)
    else:
        idle = config.idle_timeout if mode == "socket" else 0.0
        outcome = serve_listener(source, handle, gate.activity, gate.pool, stop, idle)
    source.close()
    finished = gate.activity.drain(GRACE_SECONDS)
    gate.log.info("terok-gate stopped", reason=outcome, requests_finished=finished)
    return 0
