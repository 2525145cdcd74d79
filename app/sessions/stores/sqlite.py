"""Sessions in SQLite, the default store: WAL mode, one transaction per API call,
optimistic versions.

Every change an API call makes (the session row, its new metrics rows, a
snapshot) is committed in one transaction, so a crash loses at most the call
in flight. Calls on one session are queued by a per-session lock, within a
process and across the processes sharing the file (``filelock``); each row also
carries a version number, and a save succeeds only if nobody saved in between.

Loaded sessions are cached in memory and reused while their version is current,
so a step does not re-read and re-parse the dataset.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from app.engine.activations import Array
from app.engine.training import Metrics
from app.sessions import record
from app.sessions.resume import Resume
from app.sessions.retention import history_overflow, kept_history
from app.sessions.session import Session
from app.sessions.stores.base import (
    ANSWER_SECONDS,
    ANSWERS_PER_SESSION,
    MAX_ANSWER_BYTES,
    NotFound,
    StoreBase,
    StoreError,
    Update,
    WouldWait,
    read_record,
    reading,
    snapshot_from,
    snapshot_point,
    summaries,
)
from app.sessions.stores.checkpoint import WAL_LIMIT_BYTES, Checkpointer
from app.sessions.stores.filelock import FileLocks, SessionLock

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    updated_at REAL NOT NULL,
    meta BLOB NOT NULL,
    params BLOB NOT NULL,
    data BLOB NOT NULL,
    client TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sessions_updated ON sessions (updated_at);
CREATE INDEX IF NOT EXISTS sessions_client ON sessions (client, created_at);
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
CREATE TABLE IF NOT EXISTS answers (
    session_id TEXT NOT NULL,
    key TEXT NOT NULL,
    at REAL NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (session_id, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS answers_at ON answers (at);
"""
TABLES = ("sessions", "metrics", "snapshots", "answers")
SCHEMA_VERSION = 2  # PRAGMA user_version
BUSY_MS = 5000  # how long a write waits for another process's
# Columns added since version 1, added to an older file at startup (who created a session,
# and when: the store evicts a client's newest sessions when it holds too many).
ADDED = {
    "client": "ALTER TABLE sessions ADD COLUMN client TEXT NOT NULL DEFAULT ''",
    "created_at": "ALTER TABLE sessions ADD COLUMN created_at REAL NOT NULL DEFAULT 0",
}
COLUMNS = {
    "sessions": ("id", "version", "updated_at", "meta", "params", "data"),
    "metrics": ("session_id", "step", "record"),
    "snapshots": ("session_id", "step", "params"),
}


class SqliteStore(StoreBase):
    name = "sqlite"
    blocking = False
    unavailable: tuple[type[Exception], ...] = ()  # embedded: no server to lose

    def __init__(
        self,
        path: Path,
        max_sessions: int,
        max_snapshots: int,
        idle_seconds: float,
        max_history: int = 1000,
    ) -> None:
        super().__init__(max_sessions, max_snapshots, idle_seconds, max_history)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across crashes
            self._db.execute(f"PRAGMA busy_timeout={BUSY_MS}")
            self._db.execute("PRAGMA wal_autocheckpoint=0")  # the Checkpointer's thread does it
            self._db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
            self._check_schema()
            self._migrate()
            self._db.executescript(SCHEMA)
            # A write now, so an unwritable file refuses to start instead of failing every save.
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.Error as err:
            self._db.close()
            raise StoreError(
                f"the session database {path} cannot be used: {err}. It must be a writable "
                "SQLite file (check its permissions and the directory's), or a new path: "
                "BACKPROP_EXPLORER_DB=…"
            ) from None
        except StoreError:
            self._db.close()
            raise
        self._db_lock = threading.Lock()
        self._waiting = threading.local()  # ``nowait``'s flag, per thread
        self._file_locks = FileLocks(path.with_name(path.name + ".locks"))
        self._checkpointer = Checkpointer(path)

    def _check_schema(self) -> None:
        """Every table has the columns this version reads, or the server refuses to start."""
        for table, columns in COLUMNS.items():
            have = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            missing = [c for c in columns if c not in have]
            if have and missing:  # (a table not there yet is created)
                raise StoreError(
                    f"the session database {self.path} has another schema: table {table!r} "
                    f"lacks {', '.join(missing)}. It was made by another version of Backprop "
                    "Explorer; move it aside (or set BACKPROP_EXPLORER_DB to a new path) to start"
                )

    def _migrate(self) -> None:
        have = {row[1] for row in self._db.execute("PRAGMA table_info(sessions)")}
        for column, statement in ADDED.items():
            if have and column not in have:
                self._db.execute(statement)

    def close(self) -> None:
        # Under the lock: closing while a thread (the idle sweep) is mid-query crashes sqlite3.
        with self._db_lock:
            self._db.close()
        self._file_locks.close()
        self._checkpointer.close()

    def busy(self) -> bool:
        """A worker thread holds the connection (a save, maybe waiting on the disk)."""
        return self._db_lock.locked()

    @contextmanager
    def nowait(self) -> Iterator[None]:
        """A write that would wait for another process's (SQLite's busy handler sleeps, and
        on the event loop every socket with it) raises ``WouldWait`` instead."""
        self._waiting.never = True
        try:
            yield
        finally:
            self._waiting.never = False

    def lock(self, session_id: str) -> SessionLock:
        """The lock that orders calls on one session, in this process and across processes."""
        return self._file_locks.lock(session_id, self._local_lock(session_id))

    # --- reading ---------------------------------------------------------------------------

    def get(self, session_id: str) -> Session:
        with self._db_lock:
            row = self._db.execute(
                "SELECT version FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            cached = self._cached(session_id, None if row is None else row[0])
            if cached is not None:
                return cached
            full = self._db.execute(
                "SELECT meta, params, data, version FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
        if full is None:
            raise NotFound(session_id)
        session = read_record(session_id, *full)
        self._remember(session)
        return session

    def recent(self, limit: int) -> list[dict[str, Any]]:
        with self._db_lock:
            rows = self._db.execute(
                "SELECT id, meta FROM sessions ORDER BY updated_at DESC LIMIT ?", (limit,)
            ).fetchall()
        return summaries(rows)

    def metrics(self, session_id: str, since: int = 0) -> list[dict[str, Any]]:
        with self._db_lock:
            rows = self._db.execute(
                "SELECT record FROM metrics WHERE session_id = ? AND step >= ? ORDER BY step",
                (session_id, since),
            ).fetchall()
        with reading(session_id):
            return [orjson.loads(r[0]) for r in rows]

    def snapshots(self, session_id: str) -> list[tuple[int, Array]]:
        with self._db_lock:
            rows = self._db.execute(
                "SELECT step, params FROM snapshots WHERE session_id = ? ORDER BY step",
                (session_id,),
            ).fetchall()
        with reading(session_id):
            return [(step, snapshot_from(blob)) for step, blob in rows]

    def snapshot_points(self, session_id: str) -> list[tuple[int, Array, Resume | None]]:
        with self._db_lock:
            rows = self._db.execute(
                "SELECT step, params FROM snapshots WHERE session_id = ? ORDER BY step",
                (session_id,),
            ).fetchall()
        with reading(session_id):
            return [snapshot_point(step, blob) for step, blob in rows]

    def answer(self, session_id: str, key: str) -> bytes | None:
        with self._db_lock:
            row = self._db.execute(
                "SELECT body FROM answers WHERE session_id = ? AND key = ? AND at >= ?",
                (session_id, key, time.time() - ANSWER_SECONDS),
            ).fetchone()
        return None if row is None else bytes(row[0])

    def keep_answer(self, session_id: str, key: str, body: bytes) -> None:
        if len(body) > MAX_ANSWER_BYTES:
            return
        now = time.time()
        with self._db_lock, self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO answers (session_id, key, at, body) VALUES (?, ?, ?, ?)",
                (session_id, key, now, body),
            )
            self._db.execute("DELETE FROM answers WHERE at < ?", (now - ANSWER_SECONDS,))
            self._db.execute(
                "DELETE FROM answers WHERE session_id = ? AND key NOT IN (SELECT key FROM "
                "answers WHERE session_id = ? ORDER BY at DESC LIMIT ?)",
                (session_id, session_id, ANSWERS_PER_SESSION),
            )

    def count(self) -> int:
        with self._db_lock:
            return int(self._db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])

    # --- writing ---------------------------------------------------------------------------

    def make_room(self, client: str = "") -> None:
        """At the session limit, remove sessions now (``_evictions``), or raise StoreFull
        (called before a new session is built, so a full server refuses before any work)."""
        with self._db_lock, self._transaction():
            self._make_room(client)

    def _insert(
        self,
        session: Session,
        metrics: list[Metrics],
        snapshots: list[tuple[int, Array]],
        client: str,
    ) -> None:
        with self._db_lock, self._transaction():
            self._make_room(client)
            self._db.execute(
                "INSERT INTO sessions (id, version, updated_at, meta, params, data, client, "
                "created_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?)",
                (session.id, session.updated_at, record.meta_of(session),
                 record.params_of(session), record.data_of(session), client,
                 session.created_at),
            )  # fmt: skip
            self._insert_history(session, metrics, snapshots, fresh=True)

    def _update(self, u: Update) -> bool:
        with self._db_lock, self._transaction():
            args: tuple[Any, ...] = (
                u.session.updated_at, record.meta_of(u.session), record.params_of(u.session),
            )  # fmt: skip
            if u.data_changed:
                cur = self._db.execute(
                    "UPDATE sessions SET version = version + 1, updated_at = ?, meta = ?, "
                    "params = ?, data = ? WHERE id = ? AND version = ?",
                    (*args, record.data_of(u.session), u.session.id, u.old_version),
                )
            else:
                cur = self._db.execute(
                    "UPDATE sessions SET version = version + 1, updated_at = ?, meta = ?, "
                    "params = ? WHERE id = ? AND version = ?",
                    (*args, u.session.id, u.old_version),
                )
            if cur.rowcount != 1:
                return False
            if u.reset_history:
                self._delete_rows(u.session.id, ("metrics", "snapshots"))
            self._insert_history(u.session, u.metrics, u.snapshots, fresh=u.reset_history)
        return True

    def _exists(self, session_id: str) -> bool:
        with self._db_lock:
            row = self._db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return row is not None

    def delete(self, session_id: str) -> None:
        with self._db_lock, self._transaction():
            self.forget(session_id)
            if not self._delete_rows(session_id):
                raise NotFound(session_id)

    # --- helpers (called with the db lock held, inside a transaction) ----------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, wait=not getattr(self._waiting, "never", False))

    def _insert_history(
        self,
        session: Session,
        metrics: list[Metrics],
        snapshots: list[tuple[int, Array]],
        fresh: bool = False,
    ) -> None:
        """Add metrics rows and snapshots, thinning the snapshots to ``max_snapshots``
        (``fresh``: the session has none stored yet)."""
        session_id = session.id
        if metrics:  # orjson writes a dataclass as dataclasses.asdict would, 30× faster
            self._db.executemany(
                "INSERT OR REPLACE INTO metrics (session_id, step, record) VALUES (?, ?, ?)",
                [(session_id, m.step, orjson.dumps(m)) for m in metrics],
            )
            self._thin_history(session_id)
        if not snapshots:  # only new snapshots can push old ones out
            return
        stored = [] if fresh else [step for (step,) in self._db.execute(
            "SELECT step FROM snapshots WHERE session_id = ? ORDER BY step", (session_id,)
        ).fetchall()]  # fmt: skip
        writes, drops = self._snapshot_changes(session, stored, snapshots)
        self._db.executemany(
            "INSERT OR REPLACE INTO snapshots (session_id, step, params) VALUES (?, ?, ?)",
            [(session_id, step, blob) for step, blob in writes],
        )
        self._db.executemany(
            "DELETE FROM snapshots WHERE session_id = ? AND step = ?",
            [(session_id, step) for step in drops],
        )

    def _thin_history(self, session_id: str) -> None:
        """Past ``max_history`` metrics records, thin them evenly (``retention``)."""
        (count,) = self._db.execute(
            "SELECT COUNT(*) FROM metrics WHERE session_id = ?", (session_id,)
        ).fetchone()
        keep = history_overflow(count, self.max_history)
        if keep is None:
            return
        steps = [step for (step,) in self._db.execute(
            "SELECT step FROM metrics WHERE session_id = ? ORDER BY step", (session_id,)
        ).fetchall()]  # fmt: skip
        kept = set(kept_history(steps, keep))
        self._db.executemany(
            "DELETE FROM metrics WHERE session_id = ? AND step = ?",
            [(session_id, step) for step in steps if step not in kept],
        )

    def _delete_rows(self, session_id: str, tables: tuple[str, ...] = TABLES) -> bool:
        """Delete a session's rows from ``tables``; whether it had a session row. Forgets the
        cached copy when the session goes."""
        existed = False
        for table in tables:
            column = "id" if table == "sessions" else "session_id"
            cur = self._db.execute(f"DELETE FROM {table} WHERE {column} = ?", (session_id,))
            existed = existed or (table == "sessions" and cur.rowcount == 1)
        if "sessions" in tables:
            self._cache.pop(session_id, None)
        return existed

    def _make_room(self, client: str) -> None:
        (count,) = self._db.execute("SELECT COUNT(*) FROM sessions").fetchone()
        if count < self.max_sessions:
            return
        need = count - self.max_sessions + 1
        idle = [old_id for (old_id,) in self._db.execute(
            "SELECT id FROM sessions WHERE updated_at < ? ORDER BY updated_at LIMIT ?",
            (self._cutoff(), need),
        ).fetchall()]  # fmt: skip
        held = dict(self._db.execute(
            "SELECT client, COUNT(*) FROM sessions WHERE client != '' GROUP BY client "
            "HAVING COUNT(*) > ? OR client = ?", (self.client_sessions, client),
        ).fetchall())  # fmt: skip

        def newest(c: str) -> Iterator[str]:
            rows = self._db.execute(
                "SELECT id FROM sessions WHERE client = ? ORDER BY created_at DESC LIMIT ?",
                (c, 2 * need),
            ).fetchall()
            return iter([old_id for (old_id,) in rows])

        for old_id in self._evictions(need, idle, client, held, newest):
            self._delete_rows(old_id)

    def remove_idle(self) -> int:
        """Delete sessions idle longer than the configured time; returns how many."""
        with self._db_lock, self._transaction():
            ids = [
                r[0]
                for r in self._db.execute(
                    "SELECT id FROM sessions WHERE updated_at < ?", (self._cutoff(),)
                ).fetchall()
            ]
            for old_id in ids:
                self._delete_rows(old_id)
        return len(ids)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception. Without ``wait``, WouldWait
    if another process holds the write lock (the busy timeout is 0 for the BEGIN only)."""

    def __init__(self, db: sqlite3.Connection, wait: bool = True) -> None:
        self._db, self._wait = db, wait

    def __enter__(self) -> None:
        if self._wait:
            self._db.execute("BEGIN IMMEDIATE")
            return
        self._db.execute("PRAGMA busy_timeout=0")
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            if "locked" in str(err) or "busy" in str(err):
                raise WouldWait(str(err)) from None
            raise
        finally:
            self._db.execute(f"PRAGMA busy_timeout={BUSY_MS}")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
