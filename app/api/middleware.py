"""Pure ASGI middleware (no BaseHTTPMiddleware: it would add latency to every call)."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.serialize import dumps

log = logging.getLogger("backprop_explorer")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


class InternalErrors:
    """An exception that escapes the app is answered 500 here, inside ``SecurityHeaders``, and
    not raised on: the answer carries the security headers, and uvicorn keeps the connection
    (Starlette's outermost error middleware re-raises, so uvicorn dropped it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if started:  # half an answer sent: nothing truthful can follow it
                raise
            body = dumps({"detail": "internal error; the server log has the details", "errors": []})
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})  # fmt: skip
            await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """Refuse bodies over the limit with 413 before reading them whole.

    A declared ``content-length`` over the limit is refused before the app runs. A body
    without one (chunked) is counted as it arrives: the first chunk past the limit raises
    ``_TooLarge``, an HTTPException, so FastAPI's body reader passes it on (it would turn
    any other exception into a 400) and the app's handler answers 413.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge(self._detail())
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _TooLarge:  # raised where no exception handler caught it first
            await self._refuse(send)

    def _detail(self) -> str:
        return f"request body is over the limit of {self.max_bytes} bytes"

    async def _refuse(self, send: Send) -> None:
        body = dumps({"detail": self._detail(), "errors": []})
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})


class _TooLarge(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(413, detail)
