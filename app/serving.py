"""How the app is served: uvicorn's HTTP protocol with a deadline for request headers and a
hard cap on open connections (uvicorn has neither), and the flags every command uses.

A connection that opens and never finishes its headers (slowloris) is closed after
``HEADER_TIMEOUT`` seconds; an idle keep-alive connection after ``KEEP_ALIVE`` seconds
(uvicorn's own timer); past ``MAX_CONNECTIONS`` open connections a new one is closed at
once, and past it requests are answered 503 (uvicorn's ``limit_concurrency``), so a flood
of idle sockets holds a bounded number of file descriptors.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from app import handoff

# Seconds from a request's first byte (or the connection) to the end of its headers.
HEADER_TIMEOUT = float(os.environ.get("BACKPROP_EXPLORER_HEADER_TIMEOUT", "10"))
KEEP_ALIVE = 5  # seconds an idle keep-alive connection is kept
# Seconds a connection may leave the server's send buffer full (the client reads nothing)
# before it is dropped with what it buffered: an answer never read is not held for good.
SEND_TIMEOUT = float(os.environ.get("BACKPROP_EXPLORER_SEND_TIMEOUT", "10"))
MAX_CONNECTIONS = 1000  # open connections (and requests in progress) per worker

# uvicorn.Config keywords (and the same as command-line flags in docs/limits.md).
OPTIONS: dict[str, Any] = {
    "http": "app.serving:HttpProtocol",
    "ws": "app.serving:WebSocketProtocol",
    "timeout_keep_alive": KEEP_ALIVE,
    "limit_concurrency": MAX_CONNECTIONS,
    # Frames are float noise to deflate: compressing them costs more CPU than it saves
    # (docs/api.md, Stream); browsers always offer it, so the server must refuse it.
    "ws_per_message_deflate": False,
}


def uvicorn_flags() -> list[str]:
    """``OPTIONS`` as uvicorn command-line flags (the production command, the tests)."""
    flags = []
    for name, value in OPTIONS.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        flags += [f"--{name.replace('_', '-')}", text]
    return flags


class SendDeadline:
    """For a protocol class (first among its bases): a client that leaves the socket's
    buffer full for ``send_timeout`` seconds is dropped with what it buffered."""

    send_timeout = SEND_TIMEOUT
    _send_timer: asyncio.TimerHandle | None = None
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport

    def pause_writing(self) -> None:
        """The socket's buffer is full: the client must take some within ``send_timeout``."""
        super().pause_writing()  # type: ignore[misc]
        if self._send_timer is None:
            self._send_timer = self.loop.call_later(self.send_timeout, self._not_reading)

    def resume_writing(self) -> None:
        self._cancel_send_timer()
        super().resume_writing()  # type: ignore[misc]

    def _cancel_send_timer(self) -> None:
        if self._send_timer is not None:
            self._send_timer.cancel()
            self._send_timer = None

    def _not_reading(self) -> None:
        self._send_timer = None
        self.transport.abort()  # drops the buffered answer; close() would keep it to flush


class HttpProtocol(SendDeadline, HttpToolsProtocol):
    """httptools' protocol, with a header deadline, a send deadline and a connection cap."""

    header_timeout = HEADER_TIMEOUT
    _header_timer: asyncio.TimerHandle | None = None

    def __init__(self, *args: Any, taken: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.taken = taken  # passed on by another worker (``app.handoff``): stays here

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        cap = self.limit_concurrency
        if cap is not None and len(self.connections) > cap:
            transport.close()  # over the cap: refuse the socket, not just its requests
            return
        balancer = handoff.balancer()
        if balancer is not None:
            if balancer.inbox is None:  # (until this worker takes passed connections)
                balancer.adopt(handoff.protocol_maker(self), self.loop)
            if not self.taken and balancer.pass_on(transport, len(self.connections)):
                transport.abort()  # this worker's copy only: the other serves the connection
                return
            balancer.publish(len(self.connections))
        self._arm_header_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._cancel_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        self._cancel_send_timer()
        super().connection_lost(exc)
        _publish(len(self.connections))

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


class WebSocketProtocol(SendDeadline, WebSocketsSansIOProtocol):
    """websockets' sans-I/O protocol (uvicorn's default) with the same send deadline: a
    client whose socket takes nothing for ``send_timeout`` seconds is dropped, which ends
    its Play stream. Timed here, where the buffer fills, rather than around each frame's
    send: that timer cost a class on Play 3% of the server's time."""

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_send_timer()
        super().connection_lost(exc)
        _publish(len(self.connections))


def _publish(connections: int) -> None:
    """This worker's open connections, for the others (``app.handoff``)."""
    balancer = handoff.balancer()
    if balancer is not None:
        balancer.publish(connections)
