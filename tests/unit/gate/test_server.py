"""The server's bookkeeping: requests in flight, the idle clock, and the graceful drain."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass

import pytest

from terok_gate.activation import bind_listener, socket_activated
from terok_gate.errors import GateError
from terok_gate.server import Activity


def test_idle_clock_stops_while_a_request_is_in_flight() -> None:
    """A request in flight means "not idle"; after it the idle clock starts from zero."""
    activity = Activity()
    with activity.request():
        assert activity.idle_seconds() is None
    seconds = activity.idle_seconds()
    assert seconds is not None and seconds >= 0


@dataclass(eq=False)
class _Run:
    killed: bool = False

    def kill(self) -> None:
        self.killed = True


def test_drain_without_requests_finishes_at_once() -> None:
    """With nothing in flight the drain reports success and kills nothing."""
    activity = Activity()
    run = _Run()
    with activity.running(run):  # type: ignore[arg-type]
        pass
    assert activity.drain(grace=5) is True
    assert activity.stopping
    assert not run.killed


def test_drain_waits_for_the_request_in_flight() -> None:
    """The drain returns as soon as the last request in flight ends."""
    activity = Activity()
    entered, release = threading.Event(), threading.Event()

    def request() -> None:
        with activity.request():
            entered.set()
            release.wait()

    worker = threading.Thread(target=request)
    worker.start()
    entered.wait()
    threading.Timer(0.05, release.set).start()
    assert activity.drain(grace=30) is True
    worker.join()


def test_drain_kills_backends_left_after_the_grace_period() -> None:
    """A request still running after the grace period gets its backend killed."""
    activity = Activity()
    run = _Run()
    with activity.request(), activity.running(run):  # type: ignore[arg-type]
        assert activity.drain(grace=0.01) is False
    assert run.killed


def test_port_in_use_is_a_clear_error() -> None:
    """Binding a port another socket listens on raises a GateError naming the address."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(GateError) as refused:
            bind_listener("127.0.0.1", port)
    assert refused.value.message == f"cannot listen on 127.0.0.1:{port}: the port is already in use"
    assert "--port" in refused.value.hint


def test_unknown_local_address_is_a_clear_error() -> None:
    """An address this host does not have is reported as such."""
    with pytest.raises(GateError, match="no such local address"):
        bind_listener("192.0.2.1", 9418)


def test_listener_on_ipv6_loopback() -> None:
    """--bind ::1 listens on the IPv6 loopback."""
    try:
        listener = bind_listener("::1", 0)
    except GateError as error:
        pytest.skip(f"no IPv6 loopback here: {error.message}")
    with listener:
        assert listener.family == socket.AF_INET6
        assert listener.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)


@pytest.mark.parametrize(
    ("environ", "activated"),
    [
        ({"LISTEN_PID": "{pid}", "LISTEN_FDS": "1"}, True),
        ({"LISTEN_PID": "{pid}", "LISTEN_FDS": "2"}, True),
        ({"LISTEN_PID": "{pid}", "LISTEN_FDS": "0"}, False),
        ({"LISTEN_PID": "1", "LISTEN_FDS": "1"}, False),
        ({"LISTEN_FDS": "1"}, False),
        ({}, False),
    ],
)
def test_socket_activation_is_for_this_pid_only(environ: dict[str, str], activated: bool) -> None:
    """Only LISTEN_PID equal to our PID with at least one fd means systemd passed a socket."""
    filled = {k: v.format(pid=4242) for k, v in environ.items()}
    assert socket_activated(filled, 4242) is activated
