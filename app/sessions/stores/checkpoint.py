"""WAL checkpoints of the session database in a thread of their own, not in a save.

SQLite copies its write-ahead log into the database file (a checkpoint) from inside the
commit that takes the log past ``wal_autocheckpoint`` pages, and a Play save is a commit
on the event loop: a class's 240 saves a second filled ~1,000 pages every few seconds, so
every few seconds one save also copied megabytes and held the loop for it (saves took
1.1 ms on average against 0.85 ms without). The store's connection therefore never
checkpoints; this thread does, every ``EVERY_SECONDS``, on a connection of its own, in
PASSIVE mode (it waits for no reader or writer, and other processes' saves go on). The
log is reset when a checkpoint has copied all of it, and ``journal_size_limit`` then
shrinks its file.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path

EVERY_SECONDS = 1.0
WAL_LIMIT_BYTES = 64 * 1024 * 1024  # the log file's size kept after a reset


class Checkpointer:
    """Checkpoints ``path``'s log every ``EVERY_SECONDS`` until ``close``."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def checkpoint(self) -> None:
        """One PASSIVE checkpoint: as much of the log as no reader still needs."""
        with contextlib.suppress(sqlite3.OperationalError):  # e.g. another process's running
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    def _run(self) -> None:
        while not self._stop.wait(EVERY_SECONDS):
            self.checkpoint()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.checkpoint()  # the last one, so a closed store leaves a short log
        self._db.close()
