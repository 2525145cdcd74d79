"""What every session store offers (``Store``) and what the stores share (``StoreBase``).

One job: the store contract. ``SqliteStore`` (the default, one file) and ``RedisStore``
(several workers or hosts sharing sessions) both satisfy ``Store``, and the routers see
only this interface; both raise the errors defined here, keep loaded sessions in the
same small cache, queue one process's calls on a session with the same local locks,
and thin snapshots by the same policy (``app.sessions.retention``).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import weakref
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    contextmanager,
    nullcontext,
)
from dataclasses import dataclass
from typing import Any, Protocol

from app.engine.activations import Array
from app.engine.training import Metrics
from app.sessions import record
from app.sessions.resume import Resume, decode, encode
from app.sessions.retention import kept_snapshots
from app.sessions.session import Session

CACHE_SIZE = 256  # loaded sessions kept in memory per process
# Step answers kept for Idempotency-Key retries: the last few per session, for a while,
# none over a size (a retry comes within seconds; an answer bigger than this is not kept).
ANSWER_SECONDS = 600.0
ANSWERS_PER_SESSION = 4
MAX_ANSWER_BYTES = 8_000_000
CLIENT_SESSIONS = 500  # a client's share when the store is full (Limits.client_sessions)

log = logging.getLogger(__name__)


class NotFound(LookupError):
    def __init__(self, session_id: str) -> None:
        super().__init__(f"no session with id {session_id!r}: it was deleted or never existed")


class StoreError(RuntimeError):
    """The store cannot be used as configured (unwritable, or another schema): refuse to start."""


class WouldWait(RuntimeError):
    """A write made in ``Store.nowait`` would have waited for another process's write to
    finish: nothing was changed; make the call again where waiting is fine (a thread)."""


class Unreadable(ValueError):
    """A stored session that cannot be read back (a damaged row)."""

    def __init__(self, session_id: str, why: object) -> None:
        super().__init__(f"session {session_id!r} is stored damaged and cannot be read ({why})")


@contextmanager
def reading(session_id: str) -> Iterator[None]:
    """Any failure to decode a session's stored rows (session, metrics, snapshots) becomes
    ``Unreadable``: the API answers 422 naming the session, never 500."""
    try:
        yield
    except Unreadable:
        raise
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as err:
        raise Unreadable(session_id, err) from None


def summaries(rows: Iterable[tuple[str, bytes | str | None]]) -> list[dict[str, Any]]:
    """Session list lines from (id, stored metadata) rows. A damaged row is logged and left
    out, so that it cannot hide the others (or fail the list); ``None``: deleted meanwhile."""
    out = []
    for session_id, meta_json in rows:
        if meta_json is None:
            continue
        try:
            with reading(session_id):
                out.append(record.summary(session_id, meta_json))
        except Unreadable as err:
            log.error("%s", err)
    return out


def read_record(session_id: str, *fields: Any) -> Session:
    """``record.session_from``, any failure of a damaged row as ``Unreadable``."""
    with reading(session_id):
        return record.session_from(session_id, *fields)


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


class OverShare(StoreFull):
    """The server is full and the creating client already holds its share of sessions."""

    def __init__(self, held: int, share: int) -> None:
        super().__init__(
            f"the server is full and this address already holds {held} sessions, over its "
            f"share of {share} (client_sessions) while the server is full; delete sessions "
            "you no longer need, or try again later"
        )


def new_id() -> str:
    return token(16)  # 128 random bits (less the 1/64 of draws refused below)


def token(nbytes: int) -> str:
    """``secrets.token_urlsafe``, drawn again while it starts with "-": a command line
    took such an id for an option (``export -5VK…`` failed, 1 id in 64)."""
    while (drawn := secrets.token_urlsafe(nbytes)).startswith("-"):
        pass
    return drawn


class Store(Protocol):
    name: str
    # Whether calls wait on a server over the network (the API then makes them in a thread).
    blocking: bool
    max_sessions: int
    # A client (address) holding more than this many sessions when the store is full loses
    # its newest ones to others' creates, and its own creates are refused (OverShare).
    client_sessions: int
    max_snapshots: int
    max_history: int
    idle_seconds: float
    # What the store raises when its server cannot be reached: the API answers 503, try again.
    unavailable: tuple[type[Exception], ...]

    def close(self) -> None: ...

    def busy(self) -> bool:
        """Whether a call made now would wait for another thread's call to finish."""
        ...

    def nowait(self) -> AbstractContextManager[None]:
        """Within it (``with``), a write that would wait for another process raises
        ``WouldWait`` at once, having changed nothing (the event loop's calls, ``deps.io``)."""
        ...

    def lock(self, session_id: str) -> AbstractAsyncContextManager[Any]:
        """Held around every call that reads a session and may save it (``async with``)."""
        ...

    def get(self, session_id: str) -> Session: ...

    def recent(self, limit: int) -> list[dict[str, Any]]: ...

    def metrics(self, session_id: str, since: int = 0) -> list[dict[str, Any]]: ...

    def snapshots(self, session_id: str) -> list[tuple[int, Array]]: ...

    def snapshot_points(self, session_id: str) -> list[tuple[int, Array, Resume | None]]:
        """The snapshots with where the run was at each (None: stored before branching)."""
        ...

    def count(self) -> int: ...

    def make_room(self, client: str = "") -> None: ...

    def create(
        self,
        session: Session,
        metrics: list[Metrics] | None = None,
        snapshots: list[tuple[int, Array]] | None = None,
        client: str = "",
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

    def defer(
        self, session: Session, metrics: list[Metrics], snapshots: list[tuple[int, Array]]
    ) -> None:
        """Keep a Play chunk's changes in memory until the session's next ``save``."""
        ...

    def unsaved(self, session_id: str) -> bool: ...

    def cached(self, session_id: str) -> Session | None: ...

    def unsaved_ids(self) -> list[str]: ...

    def forget(self, session_id: str) -> None: ...

    def delete(self, session_id: str) -> None: ...

    def remove_idle(self) -> int: ...

    def answer(self, session_id: str, key: str) -> bytes | None:
        """The stored answer of the step call with this Idempotency-Key, if still kept."""
        ...

    def keep_answer(self, session_id: str, key: str, body: bytes) -> None:
        """Keep a step call's answer for retries, in any process (``ANSWER_SECONDS``)."""
        ...


@dataclass
class Update:
    """One save: the session, the version it was read at, and what to add or replace."""

    session: Session
    old_version: int
    metrics: list[Metrics]
    snapshots: list[tuple[int, Array]]  # the current weights first when reset_history
    data_changed: bool
    reset_history: bool


class StoreBase(ABC):
    """What both stores implement the same way: limits, the cache of loaded sessions,
    the per-process locks, the store-full error and which snapshots to write or drop."""

    def __init__(
        self, max_sessions: int, max_snapshots: int, idle_seconds: float, max_history: int = 1000
    ) -> None:
        self.max_sessions = max_sessions
        self.client_sessions = CLIENT_SESSIONS
        self.max_snapshots = max_snapshots
        self.max_history = max_history
        self.idle_seconds = idle_seconds
        self._cache: OrderedDict[str, Session] = OrderedDict()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        # Play's chunks changed these cached sessions since their last save: their metrics
        # and snapshots, written by the session's next ``save`` (see ``defer``).
        self._unsaved: dict[str, tuple[list[Metrics], list[tuple[int, Array]]]] = {}

    def busy(self) -> bool:
        return False

    def nowait(self) -> AbstractContextManager[None]:
        return nullcontext()

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
            self.forget(session_id)
            raise NotFound(session_id)
        cached = self._cache.get(session_id)
        if cached is not None and cached.version == version:
            self._cache.move_to_end(session_id)
            return cached
        self._unsaved.pop(session_id, None)  # another process saved: its state wins
        return None

    def _remember(self, session: Session) -> None:
        self._cache[session.id] = session
        self._cache.move_to_end(session.id)
        while len(self._cache) > CACHE_SIZE:
            old_id, _ = self._cache.popitem(last=False)
            self._unsaved.pop(old_id, None)  # its next get reads the last save

    def forget(self, session_id: str) -> None:
        """Drop the cached copy (after a call failed part-way through changing it), with
        any unsaved Play: the next ``get`` reads the last save."""
        self._cache.pop(session_id, None)
        self._unsaved.pop(session_id, None)

    # --- Play's deferred writes --------------------------------------------------------------

    def defer(
        self, session: Session, metrics: list[Metrics], snapshots: list[tuple[int, Array]]
    ) -> None:
        """Keep a Play chunk's changes in memory, not on disk: ``session`` (the edited copy
        from ``deps.editing``) becomes the cached one, its metrics and snapshots wait here.
        The session's next ``save`` (Play's own at its cadence, a REST call's, a pause's)
        writes them all in one transaction; until then ``get`` in this process returns the
        changed copy, and a crash loses them whole (the stored state stays the last save)."""
        self._remember(session)
        queued = self._unsaved.setdefault(session.id, ([], []))
        queued[0].extend(metrics)
        queued[1].extend(snapshots)

    def unsaved(self, session_id: str) -> bool:
        """Whether Play changed the session since its last save."""
        return session_id in self._unsaved

    def cached(self, session_id: str) -> Session | None:
        """This process's copy of the session (its last save here, or Play's unsaved chunks
        since, ``defer``), without asking the store whether another process saved it since:
        for Play, which goes on from it frame after frame; if another process did save,
        Play's next save finds the version changed (``Conflict``) and Play reloads."""
        return self._cache.get(session_id)

    def unsaved_ids(self) -> list[str]:
        return list(self._unsaved)

    # --- writing: the steps both stores take, around their own ``_insert`` and ``_update`` --

    def create(
        self,
        session: Session,
        metrics: list[Metrics] | None = None,
        snapshots: list[tuple[int, Array]] | None = None,
        client: str = "",
    ) -> None:
        """Insert a new session created by ``client`` (its address), making room at the
        limit (``_evictions``); without ``snapshots`` its current weights are the first."""
        if snapshots is None:
            snapshots = [(session.step, session.network.params)]
        session.version = 1
        self._insert(session, metrics or [], snapshots, client)
        session.resume_points.clear()
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
        # A reset restarts the history: Play's queued rows belong to the one it replaces.
        queued_metrics, queued_snapshots = (
            ([], []) if reset_history else self._unsaved.get(session.id, ([], []))
        )
        new = queued_snapshots + list(snapshots or [])
        rows = queued_metrics + list(metrics or [])
        if reset_history:
            new.insert(0, (session.step, session.network.params))
        if not self._update(Update(session, old, rows, new, data_changed, reset_history)):
            self.forget(session.id)
            if not self._exists(session.id):
                raise Deleted(session.id)
            raise Conflict(session.id)
        self._unsaved.pop(session.id, None)
        session.resume_points.clear()
        session.version = old + 1
        self._remember(session)

    @abstractmethod
    def _insert(
        self,
        session: Session,
        metrics: list[Metrics],
        snapshots: list[tuple[int, Array]],
        client: str,
    ) -> None:
        """Store a new session, its metrics and snapshots in one atomic write (StoreFull)."""

    @abstractmethod
    def _exists(self, session_id: str) -> bool:
        """Whether the session is stored (after a refused save: deleted, or saved by another)."""

    @abstractmethod
    def _update(self, u: Update) -> bool:
        """One atomic write if the stored version is still ``u.old_version``; whether it was."""

    # --- making room ---------------------------------------------------------------------------

    def _evictions(
        self, need: int, idle: list[str], client: str, held: dict[str, int],
        newest: Callable[[str], Iterator[str]],
    ) -> list[str]:  # fmt: skip
        """Which sessions to remove so that ``need`` more fit, when ``client`` creates one:
        first sessions idle past ``idle_seconds`` (``idle``, oldest first); then, if the
        creator is within its share, the newest sessions of the clients over their share,
        the one holding most first (``held``: sessions per client over the share,
        ``newest(c)``: c's sessions newest first). So a client filling the store pushes out
        its own latest sessions, not others' (however long idle), and its own creates are
        refused (OverShare) rather than taking anyone's place. StoreFull if not enough."""
        out = idle[:need]
        if len(out) == need:
            return out
        mine = held.get(client, 0) if client else 0
        if mine >= self.client_sessions:
            raise OverShare(mine, self.client_sessions)
        counts = {c: n for c, n in held.items() if c and n > self.client_sessions}
        queues = {c: newest(c) for c in counts}
        while len(out) < need and counts:
            top = max(counts, key=lambda c: counts[c])
            victim = next(queues[top], None)
            if victim is not None and victim not in out:
                out.append(victim)
            counts[top] -= 1
            if victim is None or counts[top] <= self.client_sessions:
                del counts[top]
        if len(out) < need:
            raise self._full()
        return out

    # --- snapshots -------------------------------------------------------------------------

    def _snapshot_changes(
        self, session: Session, stored: list[int], new: list[tuple[int, Array]]
    ) -> tuple[list[tuple[int, bytes]], list[int]]:
        """Adding ``new`` snapshots to the ``stored`` steps: (step, blob) to write, and
        stored steps to drop. Of several snapshots of one step the last one counts. Each
        blob holds θ and where the run was then (``session.resume_points``, or the
        session's own optimiser state and batcher at its current step)."""
        kept = set(kept_snapshots(stored + [step for step, _ in new], self.max_snapshots))
        writes = {step: params for step, params in new if step in kept}
        points = dict(session.resume_points)
        points[session.step] = Resume.of(session.batcher.epoch, session.batcher.cursor,
                                         session.opt_state)  # fmt: skip
        return (
            [(step, encode(params, points.get(step))) for step, params in writes.items()],
            [step for step in stored if step not in kept],
        )


def snapshot_from(blob: bytes) -> Array:
    return decode(blob)[0]


def snapshot_point(step: int, blob: bytes) -> tuple[int, Array, Resume | None]:
    return (step, *decode(blob))
