"""uvicorn's h11 protocol with the bounds it lacks: a header timeout, a body timeout, a connection cap.

uvicorn (0.54) times out only idle keep-alive connections *after* a response: a client that
connects and sends nothing, sends half a request line, or trickles its body holds its socket
forever, and `limit_concurrency` counts requests, not sockets (a socket that never completes a
request is never refused). This subclass adds, per connection:

- header timeout: from the connection opening (or the first byte of a later request on a
  keep-alive connection) until the request's headers are complete;
- body timeout: from the headers until the body is complete (a total, so a trickle cannot
  extend it);
- a cap on open connections: one over the cap gets a 503 and is closed at once.

A client that timed out with a partial request gets 408 and the connection is closed; one that
sent nothing is closed silently (as the keep-alive timeout does: a pooled client retries). An
application still waiting for the body sees a disconnect. The time the application takes to
answer is not limited here (the systemd watchdog covers a hung event loop).
"""

from __future__ import annotations

import asyncio
import resource

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


def _close_response(status: bytes, detail: str) -> bytes:
    body = b'{"detail":"' + detail.encode() + b'"}'
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\ncontent-length: "
            + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body)


_REFUSED = _close_response(b"503 Service Unavailable", "Too many connections")
_TIMED_OUT = _close_response(b"408 Request Timeout", "Request timed out")
# Set in a request's ASGI scope when the body timed out: the client got 408 whatever the
# application answered afterwards, so logs and metrics record 408.
TIMED_OUT_SCOPE_KEY = "ai_navigator.body_timed_out"
# File descriptors the process needs besides client connections: the listener, epoll, the
# event loop's self-pipe, stdio, the notify socket, data files being read; generous.
RESERVED_FDS = 64


def ensure_fd_limit(max_connections: int) -> int:
    """Raise the soft file-descriptor limit to what `max_connections` needs (never above the hard limit).

    Returns the soft limit in force; raises ValueError naming both numbers if the hard limit
    (systemd `LimitNOFILE=`) is too low, so the instance refuses to start instead of failing
    accept() under load."""
    need = max_connections + RESERVED_FDS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < need:
        raise ValueError(f"AI_NAVIGATOR_MAX_CONNECTIONS={max_connections} needs {need} file descriptors "
                         f"(connections + {RESERVED_FDS}), but the hard limit is {hard} "
                         f"(raise LimitNOFILE= or lower the setting)")
    if soft != resource.RLIM_INFINITY and soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
        soft = need
    return soft


def bounded_protocol(header_timeout: float, body_timeout: float, max_connections: int) -> type[H11Protocol]:
    """The protocol class to pass as uvicorn.Config(http=...), with these bounds."""
    return type("BoundedH11Protocol", (BoundedH11Protocol,), {
        "header_timeout": header_timeout, "body_timeout": body_timeout, "max_connections": max_connections})


class BoundedH11Protocol(H11Protocol):
    header_timeout = 10.0
    body_timeout = 10.0
    max_connections = 1000

    _read_timer: asyncio.TimerHandle | None = None
    _reading_body = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            transport.write(_REFUSED)
            transport.close()
            return
        self._arm(self.header_timeout, body=False)

    def data_received(self, data: bytes) -> None:
        if self._read_timer is None and self.conn.their_state is h11.IDLE:
            self._arm(self.header_timeout, body=False)  # first byte of a request on a kept-alive connection
        super().data_received(data)
        self._follow_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        # A response sent before the request was read completely (413, 503) ends the request too;
        # uvicorn then arms its keep-alive timer and handles any pipelined request already received.
        self._disarm()
        super().on_response_complete()
        if not self.transport.is_closing():
            self._follow_request()

    def _follow_request(self) -> None:
        """Arm the timer that fits where the client is in its request."""
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            if not self._reading_body:
                self._arm(self.body_timeout, body=True)
        elif state is h11.IDLE:
            if self._read_timer is None and self.conn.trailing_data[0]:
                self._arm(self.header_timeout, body=False)  # part of a pipelined request is waiting
        else:
            self._disarm()  # the request is complete (the application's time is not limited here)

    def _arm(self, seconds: float, body: bool) -> None:
        self._disarm()
        self._reading_body = body
        self._read_timer = self.loop.call_later(seconds, self._timed_out)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None
        self._reading_body = False

    def _timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if self._reading_body and cycle is not None and not cycle.response_complete:
            if not cycle.response_started:
                self.transport.write(_TIMED_OUT)
                cycle.scope[TIMED_OUT_SCOPE_KEY] = True  # type: ignore[literal-required]
            # The application waiting in receive() gets http.disconnect; its response goes nowhere.
            cycle.disconnected = True
            cycle.message_event.set()
        elif self.conn.their_state is h11.IDLE and self.conn.trailing_data[0]:
            self.transport.write(_TIMED_OUT)  # part of a request line or headers arrived
        self.transport.close()
