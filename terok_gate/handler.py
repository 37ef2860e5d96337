"""One client connection: requests in turn, each routed, authorized, served and logged."""

from __future__ import annotations

import contextlib
import io
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from terok_gate.auth import CHALLENGE, Allowed, authorize, basic_token
from terok_gate.backend import CgiRun
from terok_gate.cgi import Backend, CgiHead, cgi_environment
from terok_gate.deadline import DeadlineSocketIO
from terok_gate.limits import IO_TIMEOUT, Limits
from terok_gate.pool import Pool, Slot
from terok_gate.protocol import (
    CHUNK,
    LAST_CHUNK,
    ClientGoneError,
    HttpError,
    Request,
    chunk,
    iter_body,
    read_request,
    response_head,
    simple_response,
)
from terok_gate.routing import HealthRoute, RepoRoute, route
from terok_gate.server import Activity
from terok_gate.tokens import Keyring

if TYPE_CHECKING:
    from structlog.typing import FilteringBoundLogger

REFUSING_HEAD_TIMEOUT = 5.0  # a connection that only hears a 503 gets less time for its head
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_JSON = ("Content-Type", "application/json")
_TEXT = ("Content-Type", "text/plain; charset=utf-8")


@dataclass(frozen=True)
class Gate:
    """Everything a connection needs, shared by all of them."""

    backend: Backend
    keyring: Keyring
    activity: Activity
    log: FilteringBoundLogger
    health: bytes  # the health route's JSON body, fixed at start
    pool: Pool
    limits: Limits


@dataclass
class Exchange:
    """What the access log says about one request."""

    method: str = "-"
    repo: str | None = None
    status: int = 0
    bytes_out: int = 0
    task: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def fields(self) -> dict[str, Any]:
        """The log line's fields (never a token)."""
        elapsed = round((time.monotonic() - self.started) * 1000, 1)
        return dict(
            method=self.method,
            repo=self.repo,
            status=self.status,
            bytes=self.bytes_out,
            duration_ms=elapsed,
            task=self.task,
            **self.extra,
        )


class Connection:
    """Serves the requests of one client connection, one after the other."""

    def __init__(self, gate: Gate, slot: Slot, peer: str) -> None:
        self.gate = gate
        self.slot = slot
        self.conn = slot.conn
        self.peer = peer
        self.raw = DeadlineSocketIO(slot.conn, IO_TIMEOUT)
        self.reader = io.BufferedReader(self.raw, buffer_size=CHUNK)

    def serve(self) -> None:
        """Answer requests until the client or the server ends the connection."""
        try:
            while not self.gate.activity.stopping and self._next():
                pass
        except (ClientGoneError, OSError):
            pass  # the client went away or fell silent; nothing to answer
        except Exception:
            self.gate.log.exception("connection failed")
        finally:
            self._close()

    def _next(self) -> bool:
        """Serve one request; say whether the connection stays open for another."""
        request = self._read_head()
        if request is None:
            return False
        if self.slot.refusing:
            self._overloaded(request)
            return False
        if not self.gate.pool.working(self.slot):
            return False  # its place went to a newer connection while the head arrived
        if self.gate.activity.stopping:  # asked to stop: no new work, not even on open connections
            self._send(simple_response(503, b"stopping\n", [_TEXT], close=True))
            return False
        with self.gate.activity.request():
            exchange = Exchange(method=request.method)
            try:
                return self._respond(request, exchange)
            except (ClientGoneError, OSError):
                exchange.extra["aborted"] = "client connection lost"
                raise
            finally:
                self.gate.log.info("request", **exchange.fields())

    def _read_head(self) -> Request | None:
        """The next request head if it arrives in time; None when there is none to serve."""
        self.gate.pool.waiting(self.slot)
        limit = self.gate.limits.header_timeout
        self.raw.arm(min(limit, REFUSING_HEAD_TIMEOUT) if self.slot.refusing else limit)
        try:
            return read_request(self.reader)
        except HttpError as error:
            if not self.slot.evicted:
                self._refuse(error)
            return None
        except TimeoutError:
            if self.raw.received:  # half a head: say why it ends; an idle connection just closes
                detail = f"request head not received within {limit:g} s"
                self._refuse(HttpError(408, detail))
            return None
        finally:
            self.raw.disarm()

    def _overloaded(self, request: Request) -> None:
        body = f"too many connections: all {self.gate.pool.limit} places serve requests\n"
        fields = [_TEXT, ("Retry-After", "1")]
        self._send(simple_response(503, body.encode(), fields, close=True))
        exchange = Exchange(request.method, status=503, bytes_out=len(body))
        exchange.extra["reason"] = "too many connections"
        self.gate.log.warning("request", **exchange.fields())

    def _refuse(self, error: HttpError) -> None:
        exchange = Exchange(status=error.status, extra={"reason": error.detail})
        with contextlib.suppress(OSError):
            body = f"{error.detail}\n".encode()
            self._send(simple_response(error.status, body, [_TEXT], close=True))
        self.gate.log.info("request", **exchange.fields())

    def _respond(self, request: Request, exchange: Exchange) -> bool:
        target = route(request.method, request.target)
        if target is None:
            return self._reply(request, exchange, 404, b"not found\n")
        if isinstance(target, HealthRoute):
            return self._reply(request, exchange, 200, self.gate.health, [_JSON])
        return self._repository(request, target, exchange)

    def _repository(self, request: Request, target: RepoRoute, exchange: Exchange) -> bool:
        exchange.repo = target.repo
        token = basic_token(request.header("authorization"))
        decision = authorize(target.project, token, self.gate.keyring.lookup)
        if isinstance(decision, Allowed):
            exchange.task = decision.grant.task
            return self._backend(request, target, decision.grant.task, exchange)
        exchange.extra["reason"] = decision.reason
        challenge = [("WWW-Authenticate", CHALLENGE)] if decision.status == 401 else []
        body = b"credentials required\n" if decision.status == 401 else b"forbidden\n"
        return self._reply(request, exchange, decision.status, body, challenge)

    def _reply(
        self,
        request: Request,
        exchange: Exchange,
        status: int,
        body: bytes,
        headers: list[tuple[str, str]] | None = None,
    ) -> bool:
        keep = request.keep_alive and not request.has_body  # an unread body ends the connection
        fields = headers or [_TEXT]
        self._send(simple_response(status, body, fields, close=not keep))
        exchange.status, exchange.bytes_out = status, len(body)
        return keep

    def _backend(self, request: Request, target: RepoRoute, task: str, exchange: Exchange) -> bool:
        env = cgi_environment(self.gate.backend, request, target, task, self.peer)
        with (
            CgiRun(self.gate.backend, env, request.has_body) as run,
            self.gate.activity.running(run),
        ):
            try:
                return self._exchange_with(run, request, exchange)
            finally:
                self._note_backend(run, request, exchange)

    def _exchange_with(self, run: CgiRun, request: Request, exchange: Exchange) -> bool:
        if request.has_body:
            if request.expects_continue:
                self._send(_CONTINUE)
            run.feed(iter_body(self.reader, request))
        head = run.head()
        if head is None:
            run.kill()  # it may still be writing whatever it writes instead of a head
            run.finish()
            self._no_head(run, request, exchange)
            return False
        return self._stream(run, request, head, exchange)

    def _no_head(self, run: CgiRun, request: Request, exchange: Exchange) -> None:
        if run.timed_out:  # the reason is noted with the backend's other details
            self._reply(request, exchange, 504, b"gateway timeout\n")
        else:
            exchange.extra["reason"] = "git http-backend gave no valid CGI header"
            self._reply(request, exchange, 502, b"bad gateway\n")

    def _stream(self, run: CgiRun, request: Request, head: CgiHead, exchange: Exchange) -> bool:
        chunked = head.content_length is None and request.keep_alive
        close = not request.keep_alive or (head.content_length is None and not chunked)
        fields = [*head.headers]
        fields += [("Transfer-Encoding", "chunked")] if chunked else []
        fields += [("Connection", "close")] if close else []
        exchange.status = head.status
        pending = response_head(head.status, fields)
        for piece in run.output():
            self._send(pending + (chunk(piece) if chunked else piece))
            pending, exchange.bytes_out = b"", exchange.bytes_out + len(piece)
        complete = run.finish() == 0 and head.content_length in (None, exchange.bytes_out)
        self._send(pending + (LAST_CHUNK if chunked and complete else b""))
        return complete and run.body_complete and not close

    def _note_backend(self, run: CgiRun, request: Request, exchange: Exchange) -> None:
        exchange.extra["bytes_in"] = run.bytes_in
        if request.chunked:
            exchange.extra["chunked"] = True
        if run.client_error is not None:
            exchange.extra["client_error"] = str(run.client_error)
        if run.process.returncode:
            exchange.extra["backend_exit"] = run.process.returncode
        if run.timed_out:
            exchange.extra["reason"] = (
                f"git http-backend silent for {self.gate.limits.backend_timeout:g} s: killed"
            )
        if stderr := run.stderr_tail():
            exchange.extra["backend_stderr"] = stderr

    def _send(self, data: bytes) -> None:
        if data:
            self.conn.sendall(data)

    def _close(self) -> None:
        self.gate.pool.leave(self.slot)  # from here on nobody else touches the socket
        with contextlib.suppress(OSError):
            self.conn.shutdown(socket.SHUT_RDWR)
        self.reader.close()
        self.conn.close()
