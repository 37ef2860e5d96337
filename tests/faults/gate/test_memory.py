"""The gate's memory stays bounded under hostile load: many connections holding big
unfinished heads, heads over the size limit, and a flood of malformed requests."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

from tests.faults.gate.conftest import gate_env
from tests.faults.gate.wire import (
    ALPHA,
    Probe,
    kib,
    open_connections,
    parse_status,
    read_all,
    threads,
)
from tests.faults.results import record
from tests.gate_support.gate import RunningGate, Site, running_gate
from tests.gate_support.git import git

# Together fewer than the default 256 places: nothing is evicted, every head is held at once.
HOLDERS = 100  # connections that each hold an unfinished head of HELD_LINES lines
HELD_LINES, LINE = 30, b"X-Fill: " + b"f" * 1000 + b"\r\n"  # about 30 KiB: under the limit
OVERSIZED = 150  # connections that send 99 lines of 8000 bytes (about 800 KiB) each
BIG_LINE = b"X-Big: " + b"b" * 7990 + b"\r\n"
FLOOD = 1000  # malformed requests, one connection each
BOUND_MIB = 100  # VmHWM growth allowed over the warmed-up gate


def _hold_heads(conns: list[socket.socket]) -> None:
    """Send each connection a request line and HELD_LINES fields, but never the end."""
    for conn in conns:
        conn.sendall(b"GET /-/health HTTP/1.1\r\n" + LINE * HELD_LINES)


def _send_oversized(conns: list[socket.socket]) -> None:
    """Heads far over the size limit, all unfinished at the same time."""
    for conn in conns:
        with contextlib.suppress(OSError):  # the gate refuses before we are done
            conn.sendall(b"GET /-/health HTTP/1.1\r\n" + BIG_LINE * 99)


def _statuses(conns: list[socket.socket]) -> list[int | None]:
    """The status each connection was answered with (None: no answer)."""
    statuses = []
    for conn in conns:
        answer = b""
        with contextlib.suppress(OSError):
            answer = read_all(conn)
        statuses.append(parse_status(answer))
    return statuses


def _warm_up(gate: RunningGate, target: Path) -> None:
    git("clone", "-q", gate.url("alpha", ALPHA), str(target))


def test_memory_stays_bounded_under_hostile_load(fresh_site: Site, tmp_path: Path) -> None:
    """100 held 30 KiB heads, 150 heads of 800 KiB and 1000 malformed requests grow the
    gate's peak RSS by less than 100 MiB; afterwards it serves a clone."""
    env = gate_env(fresh_site.root / "home")
    with running_gate(fresh_site, "--header-timeout", "20", env=env) as gate:
        pid, probe = gate.process.pid, Probe(gate)
        _warm_up(gate, tmp_path / "warm")
        before = kib(pid, "VmHWM")
        with (
            open_connections(gate.port, HOLDERS) as holders,
            open_connections(gate.port, OVERSIZED) as big,
        ):
            _hold_heads(holders)
            _send_oversized(big)
            for n in range(FLOOD):
                probe.send(b"GET /%d HTTP/1.1\r\nBad Field\r\n\r\n" % n)
            peak_threads = threads(pid)
            held_rss = kib(pid, "VmRSS")
            after = kib(pid, "VmHWM")
            oversized = _statuses(big)
        git("clone", "-q", gate.url("alpha", ALPHA), str(tmp_path / "after"))
        probe.assert_unharmed()
    growth_mib = (after - before) / 1024
    assert growth_mib < BOUND_MIB, f"peak RSS grew by {growth_mib:.1f} MiB"
    assert oversized == [431] * OVERSIZED
    record(
        "gate",
        "memory under hostile load",
        {
            "check": f"peak RSS (VmHWM) grows < {BOUND_MIB} MiB; a clone works after",
            "held 30 KiB heads": HOLDERS,
            "800 KiB heads (431)": OVERSIZED,
            "malformed requests": FLOOD,
        },
        {
            "VmHWM before KiB": before,
            "VmHWM after KiB": after,
            "VmRSS while held KiB": held_rss,
            "threads while held": peak_threads,
        },
    )
