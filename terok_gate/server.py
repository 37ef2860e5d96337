"""Accepting connections: many at once in one process, an idle exit, a graceful stop."""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from terok_gate.limits import BACKEND_TIMEOUT, IO_TIMEOUT
from terok_gate.pool import Pool, Slot

if TYPE_CHECKING:
    from terok_gate.backend import CgiRun

GRACE_SECONDS = 5.0  # how long requests in flight may finish after SIGTERM
ACCEPT_BURST = 64  # connections taken from the backlog per wakeup

Handler = Callable[[Slot, str], None]


class Activity:
    """What the server is doing: requests in flight, backend runs, when the last one ended."""

    def __init__(self, backend_timeout: float = BACKEND_TIMEOUT) -> None:
        self._cond = threading.Condition()
        self._busy = 0
        self._last = time.monotonic()
        self._runs: set[CgiRun] = set()
        self._backend_timeout = backend_timeout
        self._watchdog: threading.Thread | None = None
        self.stopping = False

    @contextlib.contextmanager
    def request(self) -> Iterator[None]:
        """Count one request as in flight while the block runs."""
        with self._cond:
            self._busy += 1
        try:
            yield
        finally:
            with self._cond:
                self._busy -= 1
                self._last = time.monotonic()
                self._cond.notify_all()

    @contextlib.contextmanager
    def running(self, run: CgiRun) -> Iterator[None]:
        """Remember a backend run: the watchdog kills it when silent too long, and so does
        a stop past the grace period."""
        with self._cond:
            self._runs.add(run)
            if self._watchdog is None:
                self._watchdog = threading.Thread(target=self._watch, daemon=True)
                self._watchdog.start()
        try:
            yield
        finally:
            with self._cond:
                self._runs.discard(run)

    def _watch(self) -> None:
        """Kill backend runs that wrote nothing while nothing was sent to them for too long."""
        interval = min(1.0, self._backend_timeout / 4)
        while True:
            time.sleep(interval)
            with self._cond:
                stalled = [r for r in self._runs if r.silent_for() > self._backend_timeout]
            for run in stalled:
                run.time_out()

    def touch(self) -> None:
        """A connection arrived: the idle clock starts again."""
        with self._cond:
            self._last = time.monotonic()

    def idle_seconds(self) -> float | None:
        """Seconds since the last request ended; None while one is in flight."""
        with self._cond:
            return None if self._busy else time.monotonic() - self._last

    def drain(self, grace: float) -> bool:
        """Stop new requests, wait up to `grace` s for those in flight; kill what is left."""
        self.stopping = True
        with self._cond:
            done = self._cond.wait_for(lambda: self._busy == 0, timeout=grace)
            runs = list(self._runs)
        for run in runs:
            run.kill()
        return done


class Wakeup:
    """A pipe that wakes the main thread's select: on SIGTERM/SIGINT, or when work is done."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.set = False

    def fileno(self) -> int:
        """The end to select on."""
        return self._read

    def __call__(self, *_: object) -> None:
        """Wake up (usable as a signal handler)."""
        self.set = True
        with contextlib.suppress(BlockingIOError):
            os.write(self._write, b"!")

    def on_signals(self) -> Wakeup:
        """Become the handler of SIGTERM and SIGINT (call from the main thread).

        The kernel may deliver a signal to any thread; the wakeup fd makes sure the main
        thread's select returns even then, and the Python handler runs right after.
        """
        signal.set_wakeup_fd(self._write)
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, self)
        return self


def serve_listener(
    listener: socket.socket,
    handle: Handler,
    activity: Activity,
    pool: Pool,
    stop: Wakeup,
    idle: float,
) -> str:
    """Serve until stopped ("stopped"), or until `idle` s pass without a request ("idle")."""
    listener.setblocking(False)
    with selectors.DefaultSelector() as selector:
        selector.register(listener, selectors.EVENT_READ)
        selector.register(stop, selectors.EVENT_READ)
        while not stop.set:
            ready = selector.select(_wait(activity, idle))
            if any(key.fileobj is listener for key, _ in ready):
                _accept_burst(listener, handle, activity, pool)
            elif not ready and _idle_for(activity) >= idle > 0:
                return "idle"
    return "stopped"


def _idle_for(activity: Activity) -> float:
    seconds = activity.idle_seconds()
    return 0.0 if seconds is None else seconds


def _wait(activity: Activity, idle: float) -> float | None:
    if idle <= 0:
        return None
    return max(0.01, idle - _idle_for(activity))


def _accept_burst(listener: socket.socket, handle: Handler, activity: Activity, pool: Pool) -> None:
    """Take what waits in the backlog (up to a burst), so a flood cannot overflow it."""
    for _ in range(ACCEPT_BURST):
        try:
            conn, address = listener.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return
        activity.touch()
        _start(conn, address, handle, pool)


def _start(conn: socket.socket, address: object, handle: Handler, pool: Pool) -> None:
    slot = pool.admit(conn)
    if slot is None:  # full, and even the places that answer 503 are taken
        conn.close()
        return
    prepare(conn)
    peer = address[0] if isinstance(address, tuple) else "local"
    threading.Thread(target=handle, args=(slot, peer), daemon=True).start()


def prepare(conn: socket.socket) -> None:
    """Blocking I/O with a timeout, and no Nagle delay on small responses."""
    conn.settimeout(IO_TIMEOUT)
    if conn.family in (socket.AF_INET, socket.AF_INET6):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def serve_one(conn: socket.socket, handle: Handler, stop: Wakeup) -> str:
    """Serve the single connection of an inetd-style start until it ends or a stop comes
    (alone, it needs no place in the pool)."""
    done = Wakeup()
    peer = _peer(conn)
    prepare(conn)
    slot = Slot(conn, refusing=False)

    def run() -> None:
        try:
            handle(slot, peer)
        finally:
            done()

    threading.Thread(target=run, daemon=True).start()
    with selectors.DefaultSelector() as selector:
        selector.register(stop, selectors.EVENT_READ)
        selector.register(done, selectors.EVENT_READ)
        while not (stop.set or done.set):
            selector.select()
    return "stopped" if stop.set else "done"


def _peer(conn: socket.socket) -> str:
    try:
        address = conn.getpeername()
    except OSError:
        return "unknown"
    return address[0] if isinstance(address, tuple) else "local"
