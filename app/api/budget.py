"""A process-wide budget for large answers in flight, so that many clients asking for the
largest answers at once (and reading them slowly, or never) cannot grow the server past a
bound: an answer's bytes are reserved before any work (its size is known from the
limits) and released when it has been sent, or its connection dropped (``app.serving``'s
send deadline). Past the budget a call is refused with 503 and ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

BUDGET_BYTES = 400_000_000  # large answers in flight per process (docs/limits.md)
CHUNK_BYTES = 1 << 20  # an answer goes to the socket a MiB at a time
BYTES_PER_VALUE = 20  # a float64 as JSON at the longest, with its separator


class Busy(RuntimeError):
    def __init__(self, need: int, budget: int) -> None:
        super().__init__(
            f"the server is sending its limit of large answers ({budget // 1_000_000} MB in "
            f"flight) and this one needs {need // 1_000_000} MB; try again in a few seconds"
        )


class Budget:
    def __init__(self, limit: int = BUDGET_BYTES) -> None:
        self.limit, self.used = limit, 0

    def reserve(self, need: int) -> Callable[[], None]:
        """Hold ``need`` bytes (Busy if they do not fit); returns the release, idempotent."""
        need = min(need, self.limit)  # one answer alone always fits
        if self.used + need > self.limit:
            raise Busy(need, self.limit)
        self.used += need
        done = False

        def release() -> None:
            nonlocal done
            if not done:
                done = True
                self.used -= need

        return release


class Reserved(Response):
    """A response that releases its reservation once sent (or failed to send)."""

    def __init__(self, inner: Response, release: Callable[[], None]) -> None:
        self.__dict__.update(inner.__dict__)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Sent in chunks: the server waits for the socket to drain before each, so the
        answer stays here (reserved), not copied whole into the socket's buffer, until the
        client has taken it — or the send deadline dropped the connection."""
        try:
            await send({"type": "http.response.start", "status": self.status_code,
                        "headers": self.raw_headers})  # fmt: skip
            body = memoryview(self.body)
            for start in range(0, max(len(body), 1), CHUNK_BYTES):
                more = start + CHUNK_BYTES < len(body)
                chunk = bytes(body[start : start + CHUNK_BYTES])
                await send({"type": "http.response.body", "body": chunk, "more_body": more})
        finally:
            self._release()
