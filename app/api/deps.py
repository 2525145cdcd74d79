"""What routers share: the store, the limits, per-session editing, off-loop work."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from itertools import pairwise
from typing import Any, TypeVar
from urllib.parse import urlsplit

import numpy as np
from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from app.api.serialize import dumps
from app.sessions.session import Session
from app.sessions.stores.base import Store, WouldWait
from app.settings import Limits, Settings

T = TypeVar("T")


def settings(request: Request) -> Settings:
    return request.app.state.settings


def limits(request: Request) -> Limits:
    return settings(request).limits


def store(request: Request) -> Store:
    return request.app.state.store


def origin_allowed(origin: str | None, host: str | None, settings: Settings) -> bool:
    """A browser's ``Origin`` may open a WebSocket if it is this server's own (same host and
    port) or one of the CORS origins: WebSockets are not covered by CORS, so other sites'
    pages could otherwise drive a visitor's sessions. No Origin: not a browser page."""
    if origin is None:
        return True
    return origin in settings.cors_origins or urlsplit(origin).netloc == (host or "")


# A session only looked at (forward, boundary, GET …) is saved now and then all the same, so
# its idle clock restarts and the sweep never removes a session someone is working with.
KEEPALIVE_FRACTION = 0.1


def stale(st: Store, session: Session) -> bool:
    return time.time() - session.updated_at > st.idle_seconds * KEEPALIVE_FRACTION


@asynccontextmanager
async def editing(st: Store, session_id: str, playing: bool = False) -> AsyncIterator[Session]:
    """A copy of the session to change, with its lock held (this process's, and the store's
    across processes). Readers keep seeing the committed session until ``st.save`` stores
    the copy, so a call that fails part-way changes nothing and no read sees it mid-way.
    ``playing``: Play's next chunk, which goes on from this process's copy without asking
    the store (``Store.cached``), so a frame costs no store round trip."""
    async with st.lock(session_id):
        current = st.cached(session_id) if playing else None
        if current is None:
            current = await io(st, st.get, session_id)
        session = current.copy()
        yield session
        if stale(st, session):
            await io(st, st.save, session)


async def io(st: Store, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A store call: inline for SQLite (a local file, well under a millisecond), in a thread
    for a store on the network (Redis), so a stalled server blocks that call, not the loop.
    Also in a thread while another thread holds SQLite's connection, or when a write would
    wait for another worker's (``Store.nowait``): waiting inline would stall every socket
    (SQLite's busy handler sleeps 1, 2, 5, 10 … ms)."""
    if st.blocking or st.busy():
        return await run_in_threadpool(fn, *args, **kwargs)
    try:
        with st.nowait():
            return fn(*args, **kwargs)
    except WouldWait:  # nothing was changed: make it again where waiting is fine
        return await run_in_threadpool(fn, *args, **kwargs)


async def commit(
    st: Store, session: Session, view: Callable[[Session], Any], **changes: Any
) -> Response:
    """Save an edited session and answer with ``view`` of it, rendered first: an answer that
    cannot be sent (a non-finite number) refuses the call before anything is stored."""
    session.touch()
    body = dumps(_quietly(view, session))
    await io(st, st.save, session, touch=False, **changes)
    return Response(body, media_type="application/json")


async def reading(st: Store, session_id: str) -> Session:
    """The session for a call that only reads it (no lock), its idle clock restarted now and
    then (see ``KEEPALIVE_FRACTION``)."""
    session = await io(st, st.get, session_id)
    if stale(st, session):
        async with editing(st, session.id):
            pass
    return session


# Work above this many multiply-adds (about a millisecond of numpy) leaves the event loop.
HEAVY_MACS = 1_000_000


def macs(layers: Sequence[int]) -> int:
    """Multiply-adds of one sample's forward pass."""
    return sum(a * b for a, b in pairwise(layers))


def heavy(rows: int, layers: Sequence[int], passes: float = 1.0) -> bool:
    return rows * macs(layers) * passes > HEAVY_MACS


def _quietly(fn: Callable[..., T], *args: Any) -> T:
    # Overflow is expected when training diverges; results are checked for finiteness
    # instead (steps refused, answers refused by the serialiser), so numpy need not warn.
    with np.errstate(all="ignore"):
        return fn(*args)


async def run(heavy: bool, fn: Callable[..., T], *args: Any) -> T:
    """Small work inline (a thread hop costs more than it), heavy work off the event loop."""
    if heavy:
        return await run_in_threadpool(_quietly, fn, *args)
    return _quietly(fn, *args)


def _answer(status: int, fn: Callable[..., Any], *args: Any) -> Response:
    body = dumps(_quietly(fn, *args))
    return Response(body, status_code=status, media_type="application/json")


async def respond(heavy: bool, fn: Callable[..., Any], *args: Any, status: int = 200) -> Response:
    """Like ``run``, but the JSON encoding of a big answer leaves the event loop too."""
    if heavy:
        return await run_in_threadpool(_answer, status, fn, *args)
    return _answer(status, fn, *args)


@asynccontextmanager
async def client_gone(request: Request) -> AsyncIterator[threading.Event]:
    """An event set when the client disconnects while the block runs (the body is read by
    then, so the next message can only be ``http.disconnect``): long work polls it to stop."""
    gone = threading.Event()

    async def watch() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass
        gone.set()

    watcher = asyncio.create_task(watch())
    try:
        yield gone
    finally:
        watcher.cancel()
