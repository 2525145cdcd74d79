"""A store call on the event loop never sleeps in SQLite's busy handler waiting for another
worker's write: it raises WouldWait at once, changing nothing, and ``deps.io`` makes it again
in a thread while the loop goes on (app/sessions/stores/sqlite.py, ``nowait``)."""

from __future__ import annotations

import asyncio
import copy
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.api import schemas
from app.api.deps import io
from app.presets import DEFAULT_REQUEST
from app.sessions import compute
from app.sessions.stores.base import WouldWait
from app.sessions.stores.sqlite import SqliteStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "db.sqlite3", max_sessions=10, max_snapshots=50,
                    idle_seconds=3600)  # fmt: skip
    request = schemas.CreateSession.model_validate(copy.deepcopy(DEFAULT_REQUEST))
    s.create(*compute.create_session("s", request)[:1])
    yield s
    s.close()


@pytest.fixture
def other_worker_writing(store: SqliteStore) -> Iterator[sqlite3.Connection]:
    """Another process's connection in the middle of a write: it holds the write lock."""
    db = sqlite3.connect(store.path, isolation_level=None, check_same_thread=False)
    db.execute("BEGIN IMMEDIATE")
    yield db
    if db.in_transaction:
        db.execute("COMMIT")
    db.close()


def test_a_write_that_would_wait_raises_at_once_and_changes_nothing(store, other_worker_writing):
    session = store.get("s").copy()
    session.step = 7
    t0 = time.perf_counter()
    with pytest.raises(WouldWait), store.nowait():
        store.save(session)
    assert time.perf_counter() - t0 < 0.5  # not the 5 s busy timeout
    other_worker_writing.execute("COMMIT")
    assert store.get("s").step == 0 and store.get("s").version == 1


def test_outside_nowait_a_write_waits_for_the_other(store, other_worker_writing):
    threading.Timer(0.2, lambda: other_worker_writing.execute("COMMIT")).start()
    session = store.get("s").copy()
    session.step = 7
    store.save(session)
    assert store.get("s").step == 7


def test_io_waits_in_a_thread_while_the_loop_goes_on(store, other_worker_writing):
    session = store.get("s").copy()
    session.step = 7

    async def scenario() -> int:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        asyncio.get_running_loop().call_later(0.3, other_worker_writing.execute, "COMMIT")
        await io(store, store.save, session)
        ticker.cancel()
        return ticks

    ticks: list[int] = []  # (a loop of its own, in a thread: another test's may be running here)
    runner = threading.Thread(target=lambda: ticks.append(asyncio.run(scenario())))
    runner.start()
    runner.join(timeout=30)
    assert ticks and ticks[0] >= 10  # the loop ran on while the save waited
    assert store.get("s").step == 7
