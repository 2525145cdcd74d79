"""Per-client rates for creates and heavy calls, so one client cannot fill the server or
keep its workers busy for everyone else.

A client is the connection's address (behind a reverse proxy, run uvicorn with
``--proxy-headers --forwarded-allow-ips=<proxy>`` so that it is the visitor's). A
classroom behind one NAT shares an address, so each rate is generous: a token bucket
that holds a minute's worth (``create_rate`` creates, ``heavy_rate`` heavy calls) and
refills continuously. Over it the call is refused with 429 and ``Retry-After`` before any
work. The buckets live in each worker's memory, bounded to ``MAX_CLIENTS`` addresses.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict

from fastapi import Request

from app.settings import Limits

MAX_CLIENTS = 10_000


class RateLimited(Exception):
    def __init__(self, what: str, rate: int, retry_after: float) -> None:
        super().__init__(
            f"too many {what} from this address: the server allows {rate} a minute; "
            f"try again in {math.ceil(retry_after)} s"
        )
        self.retry_after = math.ceil(retry_after)


class Buckets:
    """A token bucket per client: ``rate`` a minute, up to ``rate`` at once."""

    def __init__(self, what: str, rate: int) -> None:
        self.what, self.rate = what, rate
        self._tokens: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        tokens, then = self._tokens.pop(client, (float(self.rate), now))
        tokens = min(float(self.rate), tokens + (now - then) * self.rate / 60.0)
        if tokens < 1.0:
            self._tokens[client] = (tokens, now)
            raise RateLimited(self.what, self.rate, (1.0 - tokens) * 60.0 / self.rate)
        self._tokens[client] = (tokens - 1.0, now)
        while len(self._tokens) > MAX_CLIENTS:  # the longest unseen client starts afresh
            self._tokens.popitem(last=False)


def quotas(limits: Limits) -> dict[str, Buckets]:
    return {
        "creates": Buckets("creates", limits.create_rate),
        "heavy calls": Buckets("heavy calls", limits.heavy_rate),
    }


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def charge(request: Request, kind: str) -> None:
    """Spend one of the client's ``kind`` ("creates" or "heavy calls"), or RateLimited."""
    buckets: dict[str, Buckets] = request.app.state.quotas
    buckets[kind].take(client_of(request))
