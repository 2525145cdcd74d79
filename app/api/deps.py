"""What routers share: the store, the limits, per-session editing, off-loop work."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import numpy as np
from fastapi import Request
from starlette.concurrency import run_in_threadpool

from app.sessions.session import Session
from app.sessions.store import SqliteStore
from app.settings import Limits, Settings

T = TypeVar("T")


def settings(request: Request) -> Settings:
    return request.app.state.settings


def limits(request: Request) -> Limits:
    return settings(request).limits


def store(request: Request) -> SqliteStore:
    return request.app.state.store


@asynccontextmanager
async def editing(st: SqliteStore, session_id: str) -> AsyncIterator[Session]:
    """The session, with this process's lock on it held; a failure drops the cached copy."""
    async with st.lock(session_id):
        session = st.get(session_id)
        try:
            yield session
        except BaseException:
            st.forget(session_id)
            raise


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
