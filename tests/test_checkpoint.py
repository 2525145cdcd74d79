"""The session database's log is checkpointed by a thread of its own, never by a save on
the event loop (app/sessions/stores/checkpoint.py)."""

from __future__ import annotations

import copy
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.api import schemas
from app.presets import DEFAULT_REQUEST
from app.sessions import compute
from app.sessions.stores import checkpoint
from app.sessions.stores.sqlite import SqliteStore


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqliteStore]:
    monkeypatch.setattr(checkpoint, "EVERY_SECONDS", 0.02)
    s = SqliteStore(tmp_path / "db.sqlite3", max_sessions=100, max_snapshots=50,
                    idle_seconds=3600)  # fmt: skip
    yield s
    s.close()


def _uncopied_frames(path: Path) -> int:
    """Log frames not yet in the database file (a PASSIVE checkpoint's count, of none)."""
    with sqlite3.connect(path) as db:
        _, log, copied = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(log) - int(copied)


def _write(store: SqliteStore, saves: int) -> None:
    request = schemas.CreateSession.model_validate(copy.deepcopy(DEFAULT_REQUEST))
    session, metrics, snapshots = compute.create_session("s", request)
    store.create(session, metrics, snapshots)
    for _ in range(saves):
        session = store.get("s").copy()
        _, history, snaps = compute.run_steps(session, 3, False)
        store.save(session, history, snaps)


def test_a_save_never_checkpoints(store):
    (every,) = store._db.execute("PRAGMA wal_autocheckpoint").fetchone()
    assert every == 0


def test_the_thread_copies_the_log_into_the_database(store):
    _write(store, 30)
    deadline = time.monotonic() + 10
    while (left := _uncopied_frames(store.path)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert left == 0


def test_closing_the_store_checkpoints_and_stops_the_thread(tmp_path):
    store = SqliteStore(tmp_path / "db.sqlite3", max_sessions=100, max_snapshots=50,
                        idle_seconds=3600)  # fmt: skip
    thread = store._checkpointer._thread
    _write(store, 5)
    store.close()
    assert not thread.is_alive()
    assert _uncopied_frames(tmp_path / "db.sqlite3") == 0
