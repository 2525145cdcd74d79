"""How calls reach the app: over the network (httpx, websockets) or in this process.

A transport sends one request and returns the status and body, or opens the play
stream's socket. ``Remote`` talks to a server URL; ``InProcess`` runs an ASGI app (the
server's own, ``app.main.create_app()``) in this process through starlette's TestClient,
which also drives its lifespan and WebSocket: no server, no network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from app.client.errors import ApiError

# A WebSocket close code 4000 + s means what HTTP status s means (4404: unknown session).
_CLOSE_STATUS_BASE = 4000


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


class Socket(Protocol):
    def send(self, text: str) -> None: ...

    def receive(self) -> str | bytes:
        """The next message; ``ApiError`` when the server closed the stream."""
        ...

    def close(self) -> None: ...


class Transport(Protocol):
    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        params: dict[str, Any] | None = None,
    ) -> Answer: ...

    def connect(self, path: str) -> Socket: ...

    def close(self) -> None: ...


def closed(code: int, reason: str) -> ApiError:
    status = code - _CLOSE_STATUS_BASE if code >= _CLOSE_STATUS_BASE else code
    return ApiError(status, reason or f"the server closed the stream (code {code})")


_JSON = {"content-type": "application/json"}


class Remote:
    """A server at ``url`` (``http://host:port``)."""

    def __init__(self, url: str, timeout: float = 60.0) -> None:
        import httpx

        self.url = url.rstrip("/")
        self._httpx = httpx
        self._http = httpx.Client(base_url=self.url, timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        params: dict[str, Any] | None = None,
    ) -> Answer:
        try:
            r = self._http.request(
                method, path, content=body, params=params, headers=_JSON if body else None
            )
        except self._httpx.TransportError as err:
            raise ApiError(0, f"could not reach the server at {self.url} ({err})") from None
        return Answer(r.status_code, r.content)

    def connect(self, path: str) -> Socket:
        from websockets.exceptions import WebSocketException
        from websockets.sync.client import connect

        ws_url = "ws" + self.url.removeprefix("http") + path
        try:
            # No compression: the server refuses it anyway (frames are float noise to deflate).
            # Entered as a context: websockets ≥ 17.1 warns on a bare connect().
            ws = connect(ws_url, compression=None, max_size=None).__enter__()
        except (OSError, WebSocketException) as err:
            raise ApiError(0, f"could not open the stream at {ws_url} ({err})") from None
        return _RemoteSocket(ws)

    def close(self) -> None:
        self._http.close()


class _RemoteSocket:
    def __init__(self, ws: Any) -> None:
        self._ws = ws

    def send(self, text: str) -> None:
        self._ws.send(text)

    def receive(self) -> str | bytes:
        from websockets.exceptions import ConnectionClosed

        try:
            message: str | bytes = self._ws.recv()
        except ConnectionClosed as err:
            rcvd = err.rcvd
            raise closed(rcvd.code if rcvd else 1006, rcvd.reason if rcvd else "") from None
        return message

    def close(self) -> None:
        self._ws.close()


class InProcess:
    """An ASGI app run in this process (its lifespan starts now and ends on ``close``)."""

    def __init__(self, app: Any) -> None:
        from starlette.testclient import TestClient

        self._client = TestClient(app)
        self._client.__enter__()

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        params: dict[str, Any] | None = None,
    ) -> Answer:
        r = self._client.request(
            method, path, content=body, params=params, headers=_JSON if body else None
        )
        return Answer(r.status_code, r.content)

    def connect(self, path: str) -> Socket:
        session = self._client.websocket_connect(path)
        return _InProcessSocket(session, session.__enter__())

    def close(self) -> None:
        self._client.__exit__(None, None, None)


class _InProcessSocket:
    def __init__(self, context: Any, ws: Any) -> None:
        self._context = context
        self._ws = ws
        self._entered = True

    def send(self, text: str) -> None:
        self._ws.send_text(text)

    def receive(self) -> str | bytes:
        message = self._ws.receive()
        if message["type"] == "websocket.close":
            raise closed(int(message.get("code", 1000)), str(message.get("reason") or ""))
        data: str | bytes = (
            message["bytes"] if message.get("bytes") is not None else message["text"]
        )
        return data

    def close(self) -> None:
        # Exited even when the server closed first: that ends the session's portal thread.
        if self._entered:
            self._entered = False
            self._context.__exit__(None, None, None)
