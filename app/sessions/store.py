"""Sessions in SQLite: WAL mode, one transaction per API call, optimistic versions.

Every change an API call makes (the session row, its new metrics rows, a
snapshot) is committed in one transaction, so a crash loses at most the call
in flight. Each row carries a version number: a save succeeds only if nobody
saved in between, which keeps concurrent calls on one session serialised even
across processes; within a process a per-session lock orders them first.

Loaded sessions are cached in memory and reused while their version is current,
so a step does not re-read and re-parse the dataset.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import threading
import time
import weakref
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from app.engine.activations import Array
from app.engine.training import Metrics
from app.sessions import record
from app.sessions.session import Session

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    updated_at REAL NOT NULL,
    meta BLOB NOT NULL,
    params BLOB NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_updated ON sessions (updated_at);
CREATE TABLE IF NOT EXISTS metrics (
    session_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (session_id, step)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
    session_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    params BLOB NOT NULL,
    PRIMARY KEY (session_id, step)
) WITHOUT ROWID;
"""

DENSE_SNAPSHOTS = 50  # every step up to here is kept; later ones are thinned


class NotFound(LookupError):
    def __init__(self, session_id: str) -> None:
        super().__init__(f"no session with id {session_id!r}: it was deleted or never existed")


class Conflict(RuntimeError):
    """Another process saved the session first; the caller reloads and retries."""


class StoreFull(RuntimeError):
    pass


def new_id() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits


class SqliteStore:
    name = "sqlite"
    unavailable: tuple[type[Exception], ...] = ()  # embedded: no server to lose

    def __init__(
        self, path: Path, max_sessions: int, max_snapshots: int, idle_seconds: float
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_sessions = max_sessions
        self.max_snapshots = max_snapshots
        self.idle_seconds = idle_seconds
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across crashes
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(SCHEMA)
        self._db_lock = threading.Lock()
        self._cache: OrderedDict[str, Session] = OrderedDict()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def close(self) -> None:
        # Under the lock: closing while a thread (the idle sweep) is mid-query crashes sqlite3.
        with self._db_lock:
            self._db.close()

    def lock(self, session_id: str) -> asyncio.Lock:
        """The lock that orders calls on one session within this process."""
        lock = self._locks.get(session_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[session_id] = lock
        return lock

    # --- reading ---------------------------------------------------------------------------

    def get(self, session_id: str) -> Session:
        with self._db_lock:
            row = self._db.execute(
                "SELECT version FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            if row is None:
                self._cache.pop(session_id, None)
                raise NotFound(session_id)
            cached = self._cache.get(session_id)
            if cached is not None and cached.version == row[0]:
                self._cache.move_to_end(session_id)
                return cached
            full = self._db.execute(
                "SELECT meta, params, data, version FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
        if full is None:
            raise NotFound(session_id)
        session = record.session_from(session_id, *full)
        self._remember(session)
        return session

    def _remember(self, session: Session) -> None:
        self._cache[session.id] = session
        self._cache.move_to_end(session.id)
        while len(self._cache) > 256:
            self._cache.popitem(last=False)

    def recent(self, limit: int) -> list[dict[str, Any]]:
        with self._db_lock:
            rows = self._db.execute(
                "SELECT id, meta FROM sessions ORDER BY updated_at DESC LIMIT ?", (limit,)
            ).fetchall()
        return [record.summary(session_id, meta_json) for session_id, meta_json in rows]

    def metrics(self, session_id: str, since: int = 0) -> list[dict[str, Any]]:
        with self._db_lock:
            rows = self._db.execute(
                "SELECT record FROM metrics WHERE session_id = ? AND step >= ? ORDER BY step",
                (session_id, since),
            ).fetchall()
        return [orjson.loads(r[0]) for r in rows]

    def snapshots(self, session_id: str) -> list[tuple[int, Array]]:
        with self._db_lock:
            rows = self._db.execute(
                "SELECT step, params FROM snapshots WHERE session_id = ? ORDER BY step",
                (session_id,),
            ).fetchall()
        return [(step, np.frombuffer(blob, dtype=np.float64).copy()) for step, blob in rows]

    def count(self) -> int:
        with self._db_lock:
            return int(self._db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])

    # --- writing ---------------------------------------------------------------------------

    def make_room(self) -> None:
        """At the session limit, remove the oldest idle sessions now, or raise StoreFull (called
        before a new session is built, so a full server refuses before doing any work)."""
        with self._db_lock, self._transaction():
            self._make_room()

    def create(
        self,
        session: Session,
        metrics: list[Metrics] | None = None,
        snapshots: list[tuple[int, Array]] | None = None,
    ) -> None:
        """Insert a new session (making room by removing idle ones if at the limit)."""
        with self._db_lock, self._transaction():
            self._make_room()
            session.version = 1
            self._db.execute(
                "INSERT INTO sessions (id, version, updated_at, meta, params, data) "
                "VALUES (?, 1, ?, ?, ?, ?)",
                (session.id, session.updated_at, record.meta_of(session),
                 record.params_of(session), record.data_of(session)),
            )  # fmt: skip
            self._insert_history(session.id, metrics or [], snapshots)
            if snapshots is None:
                self._insert_snapshot(session.id, session.step, session.network.params)
        self._remember(session)

    def save(
        self,
        session: Session,
        metrics: list[Metrics] | None = None,
        snapshots: list[tuple[int, Array]] | None = None,
        data_changed: bool = False,
        reset_history: bool = False,
    ) -> None:
        """Write the session's new state, metrics and snapshots if nobody saved in between."""
        session.touch()
        old = session.version
        with self._db_lock, self._transaction():
            args: tuple[Any, ...] = (
                session.updated_at, record.meta_of(session), record.params_of(session),
            )  # fmt: skip
            if data_changed:
                cur = self._db.execute(
                    "UPDATE sessions SET version = version + 1, updated_at = ?, meta = ?, "
                    "params = ?, data = ? WHERE id = ? AND version = ?",
                    (*args, record.data_of(session), session.id, old),
                )
            else:
                cur = self._db.execute(
                    "UPDATE sessions SET version = version + 1, updated_at = ?, meta = ?, "
                    "params = ? WHERE id = ? AND version = ?",
                    (*args, session.id, old),
                )
            if cur.rowcount != 1:
                self._cache.pop(session.id, None)
                raise Conflict(session.id)
            if reset_history:
                self._db.execute("DELETE FROM metrics WHERE session_id = ?", (session.id,))
                self._db.execute("DELETE FROM snapshots WHERE session_id = ?", (session.id,))
                self._insert_snapshot(session.id, session.step, session.network.params)
            self._insert_history(session.id, metrics or [], snapshots)
        session.version = old + 1

    def forget(self, session_id: str) -> None:
        """Drop the cached copy (after a call failed part-way through changing it)."""
        self._cache.pop(session_id, None)

    def delete(self, session_id: str) -> None:
        with self._db_lock, self._transaction():
            cur = self._db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
            if cur.rowcount != 1:
                raise NotFound(session_id)
            self._db.execute("DELETE FROM metrics WHERE session_id = ?", (session_id,))
            self._db.execute("DELETE FROM snapshots WHERE session_id = ?", (session_id,))
        self._cache.pop(session_id, None)

    # --- helpers (called with the db lock held, inside a transaction) ----------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def _insert_history(
        self, session_id: str, metrics: list[Metrics], snapshots: list[tuple[int, Array]] | None
    ) -> None:
        if metrics:  # orjson writes a dataclass as dataclasses.asdict would, 30× faster
            self._db.executemany(
                "INSERT OR REPLACE INTO metrics (session_id, step, record) VALUES (?, ?, ?)",
                [(session_id, m.step, orjson.dumps(m)) for m in metrics],
            )
        for step, params in snapshots or []:
            self._insert_snapshot(session_id, step, params)

    def _insert_snapshot(self, session_id: str, step: int, params: Array) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO snapshots (session_id, step, params) VALUES (?, ?, ?)",
            (session_id, step, np.ascontiguousarray(params, dtype=np.float64).tobytes()),
        )
        (count,) = self._db.execute(
            "SELECT COUNT(*) FROM snapshots WHERE session_id = ?", (session_id,)
        ).fetchone()
        if count <= self.max_snapshots:
            return
        # Drop, one at a time, the later snapshot whose neighbours are closest together (never
        # the newest), so what is kept stays evenly spread over the run however long it gets.
        # (Halving all later ones on each overflow instead kept the recent steps dense and
        # left the early run with almost nothing when steps arrive one call at a time.)
        later = [s for (s,) in self._db.execute(
            "SELECT step FROM snapshots WHERE session_id = ? AND step > ? ORDER BY step",
            (session_id, DENSE_SNAPSHOTS),
        ).fetchall()]  # fmt: skip
        drop = []
        for _ in range(count - self.max_snapshots):
            if len(later) < 2:
                break
            bounds = [DENSE_SNAPSHOTS, *later]
            spans = [bounds[i + 2] - bounds[i] for i in range(len(later) - 1)]
            drop.append((session_id, later.pop(spans.index(min(spans)))))
        self._db.executemany("DELETE FROM snapshots WHERE session_id = ? AND step = ?", drop)

    def _make_room(self) -> None:
        (count,) = self._db.execute("SELECT COUNT(*) FROM sessions").fetchone()
        if count < self.max_sessions:
            return
        cutoff = time.time() - self.idle_seconds
        rows = self._db.execute(
            "SELECT id FROM sessions WHERE updated_at < ? ORDER BY updated_at LIMIT ?",
            (cutoff, count - self.max_sessions + 1),
        ).fetchall()
        if len(rows) < count - self.max_sessions + 1:
            raise StoreFull(
                f"the server holds its maximum of {self.max_sessions} sessions and none has "
                "been idle long enough to remove; try again later"
            )
        for (old_id,) in rows:
            for table, column in (
                ("sessions", "id"),
                ("metrics", "session_id"),
                ("snapshots", "session_id"),
            ):
                self._db.execute(f"DELETE FROM {table} WHERE {column} = ?", (old_id,))
            self._cache.pop(old_id, None)

    def remove_idle(self) -> int:
        """Delete sessions idle longer than the configured time; returns how many."""
        cutoff = time.time() - self.idle_seconds
        with self._db_lock, self._transaction():
            ids = [
                r[0]
                for r in self._db.execute(
                    "SELECT id FROM sessions WHERE updated_at < ?", (cutoff,)
                ).fetchall()
            ]
            for old_id in ids:
                for table, column in (
                    ("sessions", "id"),
                    ("metrics", "session_id"),
                    ("snapshots", "session_id"),
                ):
                    self._db.execute(f"DELETE FROM {table} WHERE {column} = ?", (old_id,))
                self._cache.pop(old_id, None)
        return len(ids)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
