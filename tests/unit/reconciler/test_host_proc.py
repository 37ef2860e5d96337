"""/proc readers: listening sockets, who holds them, and process command lines."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from reconciler.host.proc import (
    conflicts,
    holds_socket,
    listeners,
    parse_net_tcp,
    process_info,
    socket_holder,
)

TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:24CA 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 34525 1 0 100 0 0 10 0
   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1081 1 0 100 0 0 10 0
   2: 0100007F:24CA 0100007F:9A3C 01 00000000:00000000 00:00000000 00000000  1000        0 7777 1 0 100 0 0 10 0
"""
TCP6 = """\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:24CA 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 555 1 0 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  0        0 556 1 0 100 0 0 10 0
"""


def test_parse_listening_sockets_only() -> None:
    """Only LISTEN rows count; addresses, ports, owners and inodes are decoded (IPv4, IPv6, mapped)."""
    assert [(s.address, s.port, s.uid, s.inode) for s in parse_net_tcp(TCP)] == [
        ("127.0.0.1", 9418, 1000, 34525),
        ("0.0.0.0", 80, 0, 1081),
    ]
    assert [(s.address, s.port) for s in parse_net_tcp(TCP6)] == [("::1", 9418), ("127.0.0.1", 22)]


@pytest.mark.parametrize(
    ("theirs", "ours", "clash"),
    [
        ("127.0.0.1", "127.0.0.1", True),
        ("0.0.0.0", "127.0.0.1", True),
        ("::", "127.0.0.1", True),
        ("127.0.0.2", "127.0.0.1", False),
        ("::1", "127.0.0.1", False),
        ("0.0.0.0", "::1", False),
        ("127.0.0.1", "0.0.0.0", True),
    ],
)
def test_which_listeners_keep_us_from_binding(theirs: str, ours: str, clash: bool) -> None:
    """A listener conflicts on its exact address, and wildcard addresses conflict within their family."""
    assert conflicts(theirs, ours) is clash


def test_real_listener_and_its_holder() -> None:
    """A socket this test listens on is found in /proc with this process as its holder."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        (mine,) = [s for s in listeners() if s.port == port]
        assert mine.address == "127.0.0.1" and mine.uid == os.getuid()
        assert holds_socket(os.getpid(), {mine.inode})
        assert socket_holder({mine.inode}) == os.getpid()
    assert not [s for s in listeners() if s.port == port]


def test_process_info_of_this_process_and_of_none(tmp_path: Path) -> None:
    """The argv of a live process comes from /proc/<pid>/cmdline; a missing pid is None."""
    me = process_info(os.getpid())
    assert me is not None and me.argv == tuple(sys.orig_argv)
    assert process_info(2**22 + 12345) is None
    fake = tmp_path / "77"
    fake.mkdir()
    (fake / "cmdline").write_bytes(b"/opt/terok-gate\0--pid-file\0/run/a b\0")
    info = process_info(77, tmp_path)
    assert info is not None and info.argv == ("/opt/terok-gate", "--pid-file", "/run/a b")
