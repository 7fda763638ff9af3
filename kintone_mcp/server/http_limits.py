"""Bounds on the connections of the Streamable HTTP transport: how long a request may take to arrive, and how many
connections are held at once.

uvicorn times out only idle keep-alive connections: a connection that never finishes its headers (or its body) is
held forever, before any authentication, and enough of them exhaust the process's file descriptors so that nobody
is answered. Its ``limit_concurrency`` does not help, because it answers 503 only to requests whose headers did
arrive. So the HTTP protocol is uvicorn's own, with two additions:

* **a read deadline**: from the moment a connection opens, or a new request starts arriving on a kept-alive one, the
  whole request (headers and body) must arrive within ``read_timeout`` seconds, or it is answered 408 (when no
  answer has started) and closed. Answers are not bounded: an SSE stream stays open as long as it is used.
* **a connection cap**: when a new connection would exceed ``max_connections``, the connection that has waited
  longest for its request to arrive is closed to make room (so slow clients cannot lock out fast ones); when every
  connection is busy answering a request, the new one is answered 503 and closed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger(__name__)

_TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_BUSY = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\nretry-after: 1\r\n\r\n"
#: their side of the connection while a request is still arriving
_ARRIVING = (h11.IDLE, h11.SEND_BODY)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a read deadline per request and a cap on connections (see the module)."""

    max_connections: int = 200
    read_timeout: float = 20.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        #: when this connection began waiting for a request to arrive (None: a request is being answered)
        self.waiting_since: float | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()
        if len(self.connections) > self.max_connections:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state in _ARRIVING and not self.transport.is_closing():
            self._arm()  # a new request on a kept-alive connection: its own deadline
        else:
            self._disarm()  # the request has arrived whole (or the connection is ending)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            # Waiting for the next request: uvicorn's keep-alive timeout closes the connection if none comes.
            self.waiting_since = time.monotonic()

    # --- the deadline -------------------------------------------------------------------------------------------

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.read_timeout, self._timed_out)
            self.waiting_since = time.monotonic()

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self.conn.their_state not in _ARRIVING:
            self.waiting_since = None

    def _timed_out(self) -> None:
        self._deadline = None
        if self.conn.their_state in _ARRIVING and not self.transport.is_closing():
            logger.info("closing an HTTP connection whose request did not arrive within %g s", self.read_timeout)
            self._drop(_TIMED_OUT)

    def _drop(self, answer: bytes) -> None:
        """Closes the connection, with ``answer`` when no answer has started on it."""
        if self.conn.our_state is h11.IDLE:
            self.transport.write(answer)
        self.transport.close()

    # --- the cap ------------------------------------------------------------------------------------------------

    def _make_room(self) -> None:
        waiting = [
            c
            for c in self.connections
            if isinstance(c, GuardedH11Protocol) and c is not self and c.waiting_since is not None
        ]
        if waiting:
            oldest = min(waiting, key=lambda c: c.waiting_since or 0.0)
            logger.info("%d HTTP connections open: closing the one waiting longest for a request", self.max_connections)
            oldest._drop(_TIMED_OUT)
            oldest.connections.discard(oldest)  # its fd is released when the loop runs; the count is now right
        else:
            logger.warning("%d HTTP connections open, all busy: refusing a new one", self.max_connections)
            self._drop(_BUSY)
            self.connections.discard(self)


def guarded_protocol(*, max_connections: int, read_timeout: float) -> type[GuardedH11Protocol]:
    """The protocol class for uvicorn's ``http`` option, with these bounds."""
    return type(
        "GuardedH11Protocol",
        (GuardedH11Protocol,),
        {"max_connections": max_connections, "read_timeout": read_timeout},
    )
