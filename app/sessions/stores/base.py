"""What every session store offers (``Store``) and what the stores share (``StoreBase``).

One job: the store contract. ``SqliteStore`` (the default, one file) and ``RedisStore``
(several workers or hosts sharing sessions) both satisfy ``Store``, and the routers see
only this interface; both raise the errors defined here, keep loaded sessions in the
same small cache, queue one process's calls on a session with the same local locks,
and thin snapshots by the same policy (``app.sessions.retention``).
"""

from __future__ import annotations

import asyncio
import secrets
import time
import weakref
from collections import OrderedDict
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from app.engine.activations import Array
from app.engine.training import Metrics
from app.sessions import record
from app.sessions.retention import kept_snapshots
from app.sessions.session import Session

CACHE_SIZE = 256  # loaded sessions kept in memory per process


class NotFound(LookupError):
    def __init__(self, session_id: str) -> None:
        super().__init__(f"no session with id {session_id!r}: it was deleted or never existed")


class StoreError(RuntimeError):
    """The store cannot be used as configured (unwritable, or another schema): refuse to start."""


class Unreadable(ValueError):
    """A stored session that cannot be read back (a damaged row)."""

    def __init__(self, session_id: str, why: object) -> None:
        super().__init__(f"session {session_id!r} is stored damaged and cannot be read ({why})")


def read_record(session_id: str, *fields: Any) -> Session:
    """``record.session_from``, any failure of a damaged row as ``Unreadable``."""
    try:
        return record.session_from(session_id, *fields)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as err:
        raise Unreadable(session_id, err) from None


class Deleted(NotFound):
    """The session was deleted while a call on it ran; nothing of that call was applied."""

    def __init__(self, session_id: str) -> None:
        LookupError.__init__(
            self,
            f"session {session_id!r} was deleted while this call ran, so nothing was applied",
        )


class Conflict(RuntimeError):
    """Another process saved the session first; the caller reloads and retries."""


class StoreFull(RuntimeError):
    pass


def new_id() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits


class Store(Protocol):
    name: str
    # Whether calls wait on a server over the network (the API then makes them in a thread).
    blocking: bool
    max_sessions: int
    max_snapshots: int
    max_history: int
    idle_seconds: float
    # What the store raises when its server cannot be reached: the API answers 503, try again.
    unavailable: tuple[type[Exception], ...]

    def close(self) -> None: ...

    def lock(self, session_id: str) -> AbstractAsyncContextManager[Any]:
        """Held around every call that reads a session and may save it (``async with``)."""
        ...

    def get(self, session_id: str) -> Session: ...

    def recent(self, limit: int) -> list[dict[str, Any]]: ...

    def metrics(self, session_id: str, since: int = 0) -> list[dict[str, Any]]: ...

    def snapshots(self, session_id: str) -> list[tuple[int, Array]]: ...

    def count(self) -> int: ...

    def make_room(self) -> None: ...

    def create(
        self,
        session: Session,
        metrics: list[Metrics] | None = None,
        snapshots: list[tuple[int, Array]] | None = None,
    ) -> None: ...

    def save(
        self,
        session: Session,
        metrics: list[Metrics] | None = None,
        snapshots: list[tuple[int, Array]] | None = None,
        data_changed: bool = False,
        reset_history: bool = False,
        touch: bool = True,
    ) -> None: ...

    def forget(self, session_id: str) -> None: ...

    def delete(self, session_id: str) -> None: ...

    def remove_idle(self) -> int: ...


@dataclass
class Update:
    """One save: the session, the version it was read at, and what to add or replace."""

    session: Session
    old_version: int
    metrics: list[Metrics]
    snapshots: list[tuple[int, Array]]  # the current weights first when reset_history
    data_changed: bool
    reset_history: bool


class StoreBase:
    """What both stores implement the same way: limits, the cache of loaded sessions,
    the per-process locks, the store-full error and which snapshots to write or drop."""

    def __init__(
        self, max_sessions: int, max_snapshots: int, idle_seconds: float, max_history: int = 1000
    ) -> None:
        self.max_sessions = max_sessions
        self.max_snapshots = max_snapshots
        self.max_history = max_history
        self.idle_seconds = idle_seconds
        self._cache: OrderedDict[str, Session] = OrderedDict()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def _local_lock(self, session_id: str) -> asyncio.Lock:
        """The lock that orders calls on one session within this process."""
        lock = self._locks.get(session_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[session_id] = lock
        return lock

    def _cutoff(self) -> float:
        """Sessions last saved before this time are idle long enough to remove."""
        return time.time() - self.idle_seconds

    def _full(self) -> StoreFull:
        return StoreFull(
            f"the server holds its maximum of {self.max_sessions} sessions and none has "
            "been idle long enough to remove; try again later"
        )

    # --- the cache -------------------------------------------------------------------------

    def _cached(self, session_id: str, version: int | None) -> Session | None:
        """The cached copy if it is at the stored ``version``; NotFound if none is stored."""
        if version is None:
            self._cache.pop(session_id, None)
            raise NotFound(session_id)
        cached = self._cache.get(session_id)
        if cached is not None and cached.version == version:
            self._cache.move_to_end(session_id)
            return cached
        return None

    def _remember(self, session: Session) -> None:
        self._cache[session.id] = session
        self._cache.move_to_end(session.id)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)

    def forget(self, session_id: str) -> None:
        """Drop the cached copy (after a call failed part-way through changing it)."""
        self._cache.pop(session_id, None)

    # --- writing: the steps both stores take, around their own ``_insert`` and ``_update`` --

    def create(
        self,
        session: Session,
        metrics: list[Metrics] | None = None,
        snapshots: list[tuple[int, Array]] | None = None,
    ) -> None:
        """Insert a new session (making room by removing idle ones if at the limit); without
        ``snapshots`` its current weights are the first."""
        if snapshots is None:
            snapshots = [(session.step, session.network.params)]
        session.version = 1
        self._insert(session, metrics or [], snapshots)
        self._remember(session)

    def save(
        self,
        session: Session,
        metrics: list[Metrics] | None = None,
        snapshots: list[tuple[int, Array]] | None = None,
        data_changed: bool = False,
        reset_history: bool = False,
        touch: bool = True,
    ) -> None:
        """Write the session's new state, metrics and snapshots if nobody saved in between
        (else Conflict, or Deleted if it was deleted meanwhile); ``reset_history`` restarts
        the history from the current weights. The saved session becomes the cached one."""
        if touch:
            session.touch()
        old = session.version
        new = list(snapshots or [])
        if reset_history:
            new.insert(0, (session.step, session.network.params))
        if not self._update(Update(session, old, metrics or [], new, data_changed, reset_history)):
            self._cache.pop(session.id, None)
            if not self._exists(session.id):
                raise Deleted(session.id)
            raise Conflict(session.id)
        session.version = old + 1
        self._remember(session)

    def _insert(
        self, session: Session, metrics: list[Metrics], snapshots: list[tuple[int, Array]]
    ) -> None:
        """Store a new session, its metrics and snapshots in one atomic write (StoreFull)."""
        raise NotImplementedError

    def _exists(self, session_id: str) -> bool:
        """Whether the session is stored (after a refused save: deleted, or saved by another)."""
        raise NotImplementedError

    def _update(self, u: Update) -> bool:
        """One atomic write if the stored version is still ``u.old_version``; whether it was."""
        raise NotImplementedError

    # --- snapshots -------------------------------------------------------------------------

    def _snapshot_changes(
        self, stored: list[int], new: list[tuple[int, Array]]
    ) -> tuple[list[tuple[int, bytes]], list[int]]:
        """Adding ``new`` snapshots to the ``stored`` steps: (step, float64 bytes) to write,
        and stored steps to drop. Of several snapshots of one step the last one counts."""
        kept = set(kept_snapshots(stored + [step for step, _ in new], self.max_snapshots))
        writes = {step: params for step, params in new if step in kept}
        return (
            [(step, snapshot_bytes(params)) for step, params in writes.items()],
            [step for step in stored if step not in kept],
        )


def snapshot_bytes(params: Array) -> bytes:
    return np.ascontiguousarray(params, dtype=np.float64).tobytes()


def snapshot_from(blob: bytes) -> Array:
    return np.frombuffer(blob, dtype=np.float64).copy()
