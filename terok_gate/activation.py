"""Where connections come from: our own listening socket, systemd's, or inetd's fd 0."""

from __future__ import annotations

import errno
import os
import socket
import stat
from collections.abc import Mapping, MutableMapping

from terok_gate.errors import GateError

SD_LISTEN_FDS_START = 3
_LISTEN_VARIABLES = ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES")


def socket_activated(environ: Mapping[str, str], pid: int) -> bool:
    """Whether systemd passed this very process at least one socket (LISTEN_PID/LISTEN_FDS)."""
    fds = environ.get("LISTEN_FDS", "")
    return environ.get("LISTEN_PID") == str(pid) and fds.isdigit() and int(fds) >= 1


def systemd_listener(environ: MutableMapping[str, str]) -> socket.socket:
    """Take the listening socket systemd passed as fd 3 (an Accept=no socket unit)."""
    for name in _LISTEN_VARIABLES:
        environ.pop(name, None)  # children must not think the sockets are theirs
    try:
        listener = socket.socket(fileno=SD_LISTEN_FDS_START)
    except OSError as error:
        raise GateError(f"fd 3 from systemd is not a socket: {error.strerror}") from None
    if not listener.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
        raise GateError(
            "fd 3 from systemd is a connection, not a listening socket",
            "use Accept=no in the socket unit, or pass --inetd for an Accept=yes socket",
        )
    listener.set_inheritable(False)
    return listener


def bind_listener(address: str, port: int) -> socket.socket:
    """Bind and listen on address:port; a port in use is a clear error, never a retry."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((address, port))
        listener.listen(128)
    except OSError as error:
        listener.close()
        raise _bind_error(address, port, error) from None
    return listener


def _bind_error(address: str, port: int, error: OSError) -> GateError:
    where = f"{address}:{port}"
    if error.errno == errno.EADDRINUSE:
        return GateError(
            f"cannot listen on {where}: the port is already in use",
            "stop whatever listens there (another gate?) or choose another --port",
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return GateError(f"cannot listen on {where}: no such local address", "check --bind")
    return GateError(f"cannot listen on {where}: {error.strerror}", "check --bind and --port")


def inetd_connection() -> socket.socket:
    """Take the connected socket on fd 0 (an Accept=yes socket unit, or inetd)."""
    if not stat.S_ISSOCK(os.fstat(0).st_mode):
        raise GateError(
            "--inetd needs a connected socket on standard input",
            "start it from an Accept=yes socket unit (StandardInput=socket) or inetd",
        )
    conn = socket.socket(fileno=os.dup(0))
    _release_other_copies(conn)
    return conn


def _release_other_copies(conn: socket.socket) -> None:
    """Point every other fd of the connection at /dev/null.

    Log lines on stderr must never land in the HTTP stream, and closing `conn` must
    really end the connection (systemd also passes it as stdout and as fd 3).
    """
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in {0, 1, 2, SD_LISTEN_FDS_START} - {conn.fileno()}:
        if _same_file(fd, conn.fileno()):
            os.dup2(devnull, fd)
    os.close(devnull)


def _same_file(fd: int, other: int) -> bool:
    try:
        mine, theirs = os.fstat(fd), os.fstat(other)
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (theirs.st_dev, theirs.st_ino)
