"""Live classes for the SQLite store: shared by every worker process on one machine.

The class (token hash, sequence, student count, latest message of each kind) is a row of
its own SQLite file beside the session database (``<database>.classes``), and every
message is appended to a log table there. A worker delivers what it publishes to its own
followers at once; ONE task per process polls the log every ``POLL_SECONDS`` while that
process has followers, and hands other processes' messages to them (``Hub``). A poller
that finds rows pruned before it read them (its process stalled for ``KEEP_SECONDS``)
resyncs its followers, as a slow follower is.

Why a file of its own: a teacher on Play publishes frames of up to ~55 kB (its page up to
10 a second, a script as fast as it likes; each is written twice: the log and the
latest). In the session database that traffic would share one write lock with every
session's save and fill the WAL its checkpoints copy; here it contends only with other
classes, and its durability may be lower (``synchronous=OFF``: a crash of the machine
may lose the last messages, never corrupt the file).

Calls run on the event loop: reads never wait in WAL mode, and a write is tried with no
busy wait; only when another process holds the write lock does it wait, in a thread
(its own connection), so the loop never sleeps on a lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hmac
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson

from app.sessions.classes import (
    CLASS_TTL_SECONDS,
    KINDS,
    MAX_CLASSES,
    Broadcaster,
    new_class_id,
    state_message,
    students_message,
    token_hash,
)
from app.sessions.stores.base import StoreError

POLL_SECONDS = 0.004  # a follower in another process receives a message this much later
KEEP_SECONDS = 2.0  # the log's messages are pruned after this long
PRUNE_SECONDS = 0.5  # how often a publishing process prunes
READ_ROWS = 256  # messages read by one poll (the next poll follows at once if there are more)
MAX_SESSIONS = 20 * MAX_CLASSES  # ``class_of`` rows kept (the newest)

T = TypeVar("T")
log = logging.getLogger("backprop_explorer")

SCHEMA = """
CREATE TABLE IF NOT EXISTS classes (
    id TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0,
    students INTEGER NOT NULL DEFAULT 0,
    expires REAL NOT NULL,
    session TEXT, frame TEXT, view TEXT
);
CREATE INDEX IF NOT EXISTS classes_expires ON classes (expires);
CREATE TABLE IF NOT EXISTS log (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    origin TEXT NOT NULL,
    class_id TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_at ON log (at);
CREATE TABLE IF NOT EXISTS class_of (
    n INTEGER PRIMARY KEY,
    session TEXT NOT NULL UNIQUE,
    class_id TEXT NOT NULL
);
"""


def classes_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".classes")


def _connect(path: Path, busy_ms: int) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute(f"PRAGMA busy_timeout={busy_ms}")
    db.execute("PRAGMA synchronous=OFF")
    return db


def _alive(path: Path, db: sqlite3.Connection) -> int:
    """A shared lock on the file held while this process runs (``flock``: apart from
    SQLite's own record locks). The first process to open the file after every other one
    ended zeroes the student counts, which counted connections that ended with them."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        db.execute("UPDATE classes SET students = 0 WHERE students != 0")
    except BlockingIOError:  # another process serves the classes: its counts are current
        pass
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


class SqliteBroadcaster(Broadcaster):
    """Classes in a SQLite file that every worker on the machine opens (module docstring)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.origin = secrets.token_hex(6)  # this broadcaster's rows, which its poller skips
        try:
            self.db = _connect(path, 5000)  # the event loop's (busy_timeout 0 once set up)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA journal_size_limit=16777216")  # a WAL reset shrinks to this
            self.db.executescript(SCHEMA)
            self.alive = _alive(path, self.db)
            self.db.execute("PRAGMA busy_timeout=0")
            self.db.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints run in a thread (prune)
            self.waiting = _connect(path, 10_000)  # for a write that waits for another process
        except (sqlite3.Error, OSError) as err:
            raise StoreError(
                f"the live classes' database {path} cannot be used: {err}. It must be a "
                "writable SQLite file beside the session database (move it aside to start)"
            ) from None
        self.waiting_lock = threading.Lock()
        self.last_prune = 0.0
        self.listener: asyncio.Task[None] | None = None

    # --- calls: inline, or in a thread while another process holds a lock -----------------

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(db, *args)``: on the loop, or in a thread if it must wait for a lock."""
        try:
            return fn(self.db, *args)
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) and "busy" not in str(err):
                raise
        return await asyncio.to_thread(self._call_waiting, fn, *args)

    def _call_waiting(self, fn: Callable[..., T], *args: Any) -> T:
        with self.waiting_lock:
            return fn(self.waiting, *args)

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(db, *args)`` in one transaction (``call``)."""
        return await self.call(_transaction, fn, *args)

    async def row(self, sql: str, *args: Any) -> Any:
        return await self.call(_fetchone, sql, args)

    # --- the Broadcaster interface ---------------------------------------------------------

    async def create(self) -> tuple[str, str]:
        class_id, token = new_class_id(), secrets.token_urlsafe(24)
        await self.write(_create, class_id, token_hash(token), time.time())
        return class_id, token

    async def _class(self, class_id: str, columns: str) -> Any:
        sql = f"SELECT {columns} FROM classes WHERE id = ? AND expires > ?"
        return await self.row(sql, class_id, time.time())

    async def exists(self, class_id: str) -> bool:
        return await self._class(class_id, "1") is not None

    async def is_teacher(self, class_id: str, token: str) -> bool:
        row = await self._class(class_id, "token")
        return row is not None and hmac.compare_digest(row[0], token_hash(token))

    async def publish(self, class_id: str, kind: str, data: dict[str, Any]) -> int:
        if kind not in KINDS:  # (a column's name)
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        head, tail = state_message(kind, 0, orjson.dumps(data)).split('"seq":0', 1)
        session = str(data["id"]) if kind == "session" else None
        now = time.time()
        prune = now - self.last_prune > PRUNE_SECONDS
        if prune:
            self.last_prune = now
        seq, text = await self.write(
            _publish, class_id, kind, head, tail, session, self.origin, now
        )
        if seq < 0:
            raise KeyError(class_id)
        self.hub.deliver(class_id, text)
        if prune:  # milliseconds at a class's rate: off the loop
            asyncio.get_running_loop().run_in_executor(None, self._prune, now)
        return int(seq)

    def _prune(self, now: float) -> None:
        """Drop the log's old messages, and copy the WAL into the file."""
        try:
            with self.waiting_lock:
                _transaction(self.waiting, _prune_log, now - KEEP_SECONDS)
                self.waiting.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:  # (closed meanwhile, or locked for long): pruned next time
            log.warning("pruning the class log failed", exc_info=True)

    async def latest(self, class_id: str) -> list[str]:
        row = await self._class(class_id, ", ".join(KINDS))
        return [text for text in row if text is not None] if row else []

    async def count(self, class_id: str, delta: int) -> int:
        n = await self.write(_count, class_id, delta, self.origin, time.time())
        if n < 0:
            return 0
        if delta:
            self.hub.deliver(class_id, students_message(n))
        return int(n)

    async def class_of(self, session_id: str) -> str | None:
        row = await self.row("SELECT class_id FROM class_of WHERE session = ?", session_id)
        return row[0] if row is not None and await self.exists(row[0]) else None

    # --- other processes' messages ---------------------------------------------------------

    async def subscribed(self, class_id: str) -> None:
        if self.listener is None or self.listener.done():
            # the last number given (AUTOINCREMENT: never reused; its rows may be pruned)
            row = self.db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'log'").fetchone()
            last = 0 if row is None else int(row[0])
            self.listener = asyncio.create_task(self.listen(last))

    async def listen(self, last: int) -> None:
        """This process's one reader of the log, while it has followers: hands the other
        processes' messages to the hub."""
        while self.hub.followers:
            try:
                rows = await self.call(_read_log, last)
            except sqlite3.Error:  # tried again in a while: a poller must not stop
                log.exception("reading the class log failed")
                await asyncio.sleep(0.5)
                continue
            if rows and rows[0][0] != last + 1:  # pruned before this process read them
                self.hub.resync()
            for n, origin, class_id, text in rows:
                if origin != self.origin:
                    self.hub.deliver(class_id, text)
                last = n
            if len(rows) < READ_ROWS:
                await asyncio.sleep(POLL_SECONDS)

    async def close(self) -> None:
        if self.listener is not None:
            self.listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.listener
        with self.waiting_lock:
            self.waiting.close()
        self.db.close()
        os.close(self.alive)


# --- transactions (each run inside BEGIN IMMEDIATE … COMMIT) --------------------------------


def _transaction(db: sqlite3.Connection, fn: Callable[..., T], *args: Any) -> T:
    db.execute("BEGIN IMMEDIATE")
    try:
        result = fn(db, *args)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return result


def _fetchone(db: sqlite3.Connection, sql: str, args: tuple[Any, ...]) -> Any:
    return db.execute(sql, args).fetchone()


def _read_log(db: sqlite3.Connection, last: int) -> list[Any]:
    return db.execute(
        "SELECT n, origin, class_id, text FROM log WHERE n > ? ORDER BY n LIMIT ?",
        (last, READ_ROWS),
    ).fetchall()


def _create(db: sqlite3.Connection, class_id: str, token: str, now: float) -> None:
    """A new class; expired ones go, and beyond ``MAX_CLASSES`` the least recently used."""
    db.execute("DELETE FROM classes WHERE expires <= ?", (now,))
    db.execute(
        "INSERT INTO classes (id, token, expires) VALUES (?, ?, ?)",
        (class_id, token, now + CLASS_TTL_SECONDS),
    )
    db.execute(
        "DELETE FROM classes WHERE id IN (SELECT id FROM classes ORDER BY expires DESC "
        "LIMIT -1 OFFSET ?)",
        (MAX_CLASSES,),
    )


def _append(db: sqlite3.Connection, class_id: str, text: str, origin: str, now: float) -> None:
    db.execute(
        "INSERT INTO log (at, origin, class_id, text) VALUES (?, ?, ?, ?)",
        (now, origin, class_id, text),
    )


def _publish(
    db: sqlite3.Connection,
    class_id: str,
    kind: str,
    head: str,
    tail: str,
    session: str | None,
    origin: str,
    now: float,
) -> tuple[int, str]:
    """The class's next message: kept as its latest ``kind`` and appended to the log."""
    row = db.execute(
        "UPDATE classes SET seq = seq + 1, expires = ? WHERE id = ? AND expires > ? RETURNING seq",
        (now + CLASS_TTL_SECONDS, class_id, now),
    ).fetchone()
    if row is None:
        return -1, ""
    text = f'{head}"seq":{row[0]}{tail}'
    db.execute(f"UPDATE classes SET {kind} = ? WHERE id = ?", (text, class_id))  # kind: KINDS
    _append(db, class_id, text, origin, now)
    if session is not None:
        db.execute(
            "INSERT OR REPLACE INTO class_of (session, class_id) VALUES (?, ?)",
            (session, class_id),
        )
        db.execute(
            "DELETE FROM class_of WHERE n <= (SELECT MAX(n) FROM class_of) - ?", (MAX_SESSIONS,)
        )
    return int(row[0]), text


def _prune_log(db: sqlite3.Connection, before: float) -> None:
    db.execute("DELETE FROM log WHERE at < ?", (before,))


def _count(db: sqlite3.Connection, class_id: str, delta: int, origin: str, now: float) -> int:
    row = db.execute(
        "UPDATE classes SET students = MAX(0, students + ?) WHERE id = ? AND expires > ? "
        "RETURNING students",
        (delta, class_id, now),
    ).fetchone()
    if row is None:
        return -1
    if delta:
        _append(db, class_id, students_message(row[0]), origin, now)
    return int(row[0])
