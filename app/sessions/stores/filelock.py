"""Per-session locks across the processes that share one SQLite file (several workers).

A session's lock is one byte of a lock file beside the database, taken with a POSIX
record lock (``fcntl.lockf``): the kernel releases it when its process dies, so a
killed worker never leaves a session locked. Within a process the store's asyncio lock
queues calls first; record locks belong to the process, so a byte shared by two of its
sessions (their ids hash alike) is counted, not locked twice. Waiting polls with
``asyncio.sleep``, so a waiting call never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import zlib
from pathlib import Path

from app.sessions.stores.base import Conflict

SLOTS = 1 << 20  # bytes of the lock file: two sessions share one with odds of 1 in a million
WAIT_SECONDS = 30.0  # then the call is refused as busy (409), as the Redis store does


class FileLocks:
    """One lock file's per-session byte locks, for this process."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._held: dict[int, int] = {}  # slot → calls of this process holding it

    def close(self) -> None:
        os.close(self._fd)

    def lock(self, session_id: str, local: asyncio.Lock) -> SessionLock:
        return SessionLock(self, zlib.crc32(session_id.encode()) % SLOTS, local, session_id)

    def try_take(self, slot: int) -> bool:
        if self._held.get(slot, 0) == 0:
            try:
                fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, slot)
            except OSError:  # another process holds it
                return False
        self._held[slot] = self._held.get(slot, 0) + 1
        return True

    def release(self, slot: int) -> None:
        self._held[slot] -= 1
        if self._held[slot] == 0:
            del self._held[slot]
            fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, slot)


class SessionLock:
    """``async with``: this process's queue for the session, then its byte of the file."""

    def __init__(self, locks: FileLocks, slot: int, local: asyncio.Lock, session_id: str) -> None:
        self._locks, self._slot, self._local, self._id = locks, slot, local, session_id

    async def __aenter__(self) -> None:
        await self._local.acquire()
        try:
            delay, waited = 0.0005, 0.0
            while not self._locks.try_take(self._slot):
                if waited > WAIT_SECONDS:
                    raise Conflict(f"{self._id!r} (busy for over {WAIT_SECONDS:g} s)")
                await asyncio.sleep(delay)
                waited += delay
                delay = min(delay * 2, 0.01)
        except BaseException:
            self._local.release()
            raise

    async def __aexit__(self, *exc: object) -> None:
        try:
            self._locks.release(self._slot)
        finally:
            self._local.release()
