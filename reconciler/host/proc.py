"""Processes and listening sockets as /proc shows them (Linux)."""

from __future__ import annotations

import contextlib
import ipaddress
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from reconciler.observed import ProcessInfo

PROC = Path("/proc")
_LISTEN = "0A"


@dataclass(frozen=True)
class Listener:
    """A listening TCP socket from /proc/net/tcp{,6}."""

    address: str
    port: int
    uid: int
    inode: int


def process_info(pid: int, proc: Path = PROC) -> ProcessInfo | None:
    """The process `pid`, or None when there is none."""
    base = proc / str(pid)
    try:
        raw = (base / "cmdline").read_bytes()
        uid = base.stat().st_uid
    except (FileNotFoundError, ProcessLookupError):
        return None
    except PermissionError:
        return ProcessInfo(pid, ())
    argv = tuple(part.decode("utf-8", "surrogateescape") for part in raw.split(b"\0")[:-1])
    return ProcessInfo(pid, argv, uid)


def _address(hex_address: str) -> str:
    """Decode the kernel's hex address: 32-bit words in host (little-endian) order."""
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    address = ipaddress.ip_address(words)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(address)


def parse_net_tcp(text: str) -> list[Listener]:
    """The listening sockets in the text of /proc/net/tcp or /proc/net/tcp6."""
    found = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != _LISTEN:
            continue
        address, port = fields[1].rsplit(":", 1)
        found.append(Listener(_address(address), int(port, 16), int(fields[7]), int(fields[9])))
    return found


def listeners(proc: Path = PROC) -> list[Listener]:
    """Every listening TCP socket of this network namespace."""
    found: list[Listener] = []
    for name in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            found += parse_net_tcp((proc / "net" / name).read_text())
    return found


def listeners_on(port: int, bind: str, proc: Path = PROC) -> list[Listener]:
    """The listening sockets that keep the gate from binding `bind` on `port`."""
    return [
        found for found in listeners(proc) if found.port == port and conflicts(found.address, bind)
    ]


def conflicts(listener_address: str, bind: str) -> bool:
    """Whether a socket on `listener_address` keeps us from binding `bind` on its port."""
    ours, theirs = ipaddress.ip_address(bind.split("%")[0]), ipaddress.ip_address(listener_address)
    if theirs.is_unspecified:
        return theirs.version == ours.version or theirs.version == 6
    if ours.is_unspecified:
        return theirs.version == ours.version or ours.version == 6
    return ours == theirs


def holds_socket(pid: int, inodes: set[int], proc: Path = PROC) -> bool:
    """Whether process `pid` has one of these socket inodes open."""
    wanted = {f"socket:[{inode}]" for inode in inodes}
    try:
        fds = list((proc / str(pid) / "fd").iterdir())
    except OSError:
        return False
    for fd in fds:
        with contextlib.suppress(OSError):
            if str(fd.readlink()) in wanted:
                return True
    return False


def socket_holder(inodes: set[int], proc: Path = PROC) -> int | None:
    """The lowest pid holding one of these sockets, when /proc lets us see it."""
    for pid in sorted(_pids(proc)):
        if holds_socket(pid, inodes, proc):
            return pid
    return None


def _pids(proc: Path) -> Iterable[int]:
    with contextlib.suppress(OSError):
        for entry in os.scandir(proc):
            if entry.name.isdigit():
                yield int(entry.name)
