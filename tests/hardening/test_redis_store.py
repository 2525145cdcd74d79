"""The session store contract, run on SQLite and on a real Redis: create, get, save,
conflicts, metrics, snapshots, delete, recent, eviction, idle removal and the lock —
then the Redis store under ``uvicorn --workers 2``: 8 clients × 25 steps on one session
end at exactly step 200.

Two store objects on one database stand for two server processes.
"""

from __future__ import annotations

import asyncio
import copy
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from app.api import schemas
from app.engine.training import Metrics
from app.presets import DEFAULT_REQUEST
from app.sessions import stores as base
from app.sessions.retention import kept_snapshots
from app.sessions.session import Session
from app.sessions.stores.base import Conflict, NotFound, OverShare, Store, StoreFull, new_id
from app.sessions.stores.redis import LOCK_TTL_MS, RedisStore
from app.sessions.stores.sqlite import SqliteStore
from app.settings import Settings
from tests.servers import ROOT, run_async, running_server

BACKENDS = ["sqlite", "redis"]
OpenStore = Callable[..., Store]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def open_store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[OpenStore]:
    """Opens stores on one database (each one like another server process)."""
    opened: list[Store] = []
    url = request.getfixturevalue("redis_url") if backend == "redis" else ""

    def open_store(
        max_sessions: int = 100, max_snapshots: int = 200, idle_seconds: float = 3600.0
    ) -> Store:
        store: Store
        if backend == "redis":
            store = RedisStore.from_url(url, max_sessions, max_snapshots, idle_seconds)
        else:
            store = SqliteStore(tmp_path / "db.sqlite3", max_sessions, max_snapshots, idle_seconds)
        opened.append(store)
        return store

    yield open_store
    for store in opened:
        store.close()


def _session(age: float = 0.0, **training: Any) -> Session:
    """A new session (xor-like circle preset), last used ``age`` seconds ago."""
    request = copy.deepcopy(DEFAULT_REQUEST)
    request["training"].update(training)
    session = Session.create(new_id(), schemas.CreateSession.model_validate(request))
    session.created_at = session.updated_at = time.time() - age
    return session


def _metrics(step: int) -> Metrics:
    return Metrics(step, 1.0 / step, None, 0.5, None, [0.1, 0.2], [0.3, 0.4])


def _same(a: Session, b: Session) -> None:
    assert a.id == b.id and a.step == b.step and a.version == b.version
    assert a.network.params.tobytes() == b.network.params.tobytes()
    assert a.data.x.tobytes() == b.data.x.tobytes() and a.data.y.tobytes() == b.data.y.tobytes()
    assert a.training == b.training
    assert a.batcher.epoch == b.batcher.epoch and a.batcher.cursor == b.batcher.cursor
    assert set(a.opt_state) == set(b.opt_state)
    for key in a.opt_state:
        assert a.opt_state[key].tobytes() == b.opt_state[key].tobytes()


# --- create, get, save ---------------------------------------------------------------------


def test_create_and_get(open_store: OpenStore) -> None:
    store, other = open_store(), open_store()
    session = _session()
    store.create(session)
    assert session.version == 1
    assert store.get(session.id) is session  # cached in this process
    _same(other.get(session.id), session)  # read back from the database, bit for bit
    assert store.count() == 1
    with pytest.raises(NotFound):
        store.get(new_id())


def test_save_is_seen_by_other_processes(open_store: OpenStore) -> None:
    store, other = open_store(), open_store()
    session = _session(optimizer="adam")
    store.create(session)
    session.network.params[:] += 0.5
    session.step, session.batcher.cursor = 7, 3
    session.opt_state = {"m": np.full_like(session.network.params, 0.25), "t": np.array([7.0])}
    store.save(session, [_metrics(s) for s in range(1, 8)])
    assert session.version == 2
    _same(other.get(session.id), session)


def test_data_changes_are_saved_only_when_flagged(open_store: OpenStore) -> None:
    store, other = open_store(), open_store()
    session = _session()
    store.create(session)
    session.data.x = session.data.x[:10]
    session.data.y = session.data.y[:10]
    store.save(session, data_changed=True)
    assert len(other.get(session.id).data.x) == 10


def test_a_stale_save_is_a_conflict(open_store: OpenStore) -> None:
    a, b = open_store(), open_store()
    session = _session()
    a.create(session)
    mine, theirs = a.get(session.id), b.get(session.id)
    theirs.step = 1
    b.save(theirs)
    mine.step = 99
    with pytest.raises(Conflict):
        a.save(mine)  # nobody's work is overwritten
    fresh = a.get(session.id)
    assert fresh.step == 1 and fresh.version == 2
    fresh.step = 2
    a.save(fresh)
    assert b.get(session.id).step == 2


# --- history -------------------------------------------------------------------------------


def test_metrics_in_step_order_since(open_store: OpenStore) -> None:
    store = open_store()
    session = _session()
    store.create(session, [_metrics(s) for s in (1, 2)])
    store.save(session, [_metrics(s) for s in (3, 4, 5)])
    assert [m["step"] for m in store.metrics(session.id)] == [1, 2, 3, 4, 5]
    assert [m["step"] for m in store.metrics(session.id, since=4)] == [4, 5]
    assert store.metrics(session.id)[0]["delta_norms"] == [0.1, 0.2]
    store.save(session, reset_history=True)
    assert store.metrics(session.id) == []


def test_snapshots_exact_and_bounded(open_store: OpenStore) -> None:
    store, other = open_store(max_snapshots=60), open_store(max_snapshots=60)
    session = _session()
    store.create(session)
    params = session.network.params
    assert [s for s, _ in store.snapshots(session.id)] == [0]
    for start in range(1, 400, 25):  # calls of 25 steps, a snapshot per step
        snaps = [(s, params + s) for s in range(start, start + 25)]
        session.step = start + 24
        store.save(session, snapshots=snaps)
    kept = other.snapshots(session.id)
    steps = [s for s, _ in kept]
    assert len(steps) == 60
    assert steps[:51] == list(range(51))  # every early step
    assert steps[-1] == 400  # the newest
    for step, p in kept[1:]:
        assert p.tobytes() == (params + step).tobytes()
    store.save(session, reset_history=True)
    assert [s for s, _ in store.snapshots(session.id)] == [session.step]


def test_snapshot_thinning_is_the_same_on_both_stores(tmp_path: Path, redis_url: str) -> None:
    sqlite = SqliteStore(tmp_path / "db.sqlite3", 100, 30, 3600.0)
    redis_store = RedisStore.from_url(redis_url, 100, 30, 3600.0)
    try:
        rng = np.random.default_rng(0)
        a = _session()
        b = copy.deepcopy(a)
        sqlite.create(a)
        redis_store.create(b)
        step = 0
        for _ in range(40):
            n = int(rng.integers(1, 30))
            snaps = [(s, a.network.params) for s in range(step + 1, step + n + 1)]
            step += n
            snaps = [x for x in snaps if x[0] <= 50 or x[0] % 3 == 0 or x[0] == step]
            sqlite.save(a, snapshots=snaps)
            redis_store.save(b, snapshots=snaps)
            assert [s for s, _ in sqlite.snapshots(a.id)] == [
                s for s, _ in redis_store.snapshots(b.id)
            ]
    finally:
        sqlite.close()
        redis_store.close()


def test_kept_snapshots_keeps_the_dense_start_and_the_newest() -> None:
    kept = kept_snapshots(list(range(0, 1000)), 100)
    assert len(kept) == 100 and kept[:51] == list(range(51)) and kept[-1] == 999


# --- delete, recent ------------------------------------------------------------------------


def test_delete(open_store: OpenStore) -> None:
    store, other = open_store(), open_store()
    session = _session()
    store.create(session, [_metrics(1)])
    other.get(session.id)  # cached over there too
    store.delete(session.id)
    with pytest.raises(NotFound):
        other.get(session.id)
    with pytest.raises(NotFound):
        store.delete(session.id)
    assert store.metrics(session.id) == [] and store.snapshots(session.id) == []
    assert store.count() == 0


def test_recent_is_most_recently_used_first(open_store: OpenStore) -> None:
    store = open_store()
    sessions = [_session(age=100 - i) for i in range(5)]
    for s in sessions:
        store.create(s)
    store.save(sessions[1])  # used now: the most recent
    listed = store.recent(3)
    assert [r["id"] for r in listed] == [sessions[1].id, sessions[4].id, sessions[3].id]
    assert listed[0]["layers"] == [2, 4, 2, 1] and listed[0]["dataset"] == "circle"
    assert listed[0]["step"] == 0


# --- retention -----------------------------------------------------------------------------


def test_at_the_limit_the_oldest_idle_session_goes_first(open_store: OpenStore) -> None:
    store = open_store(max_sessions=3, idle_seconds=60)
    oldest, older, old = _session(age=1000), _session(age=500), _session(age=200)
    for s in (oldest, older, old):
        store.create(s)
    store.save(oldest)  # someone opens the oldest one again: it is active now
    newcomer = _session()
    store.create(newcomer)  # makes room: `older` is now the oldest idle one
    alive = {s.id for s in (oldest, old, newcomer)}
    assert {r["id"] for r in store.recent(10)} == alive
    with pytest.raises(NotFound):
        store.get(older.id)
    store.create(_session())  # then `old`
    with pytest.raises(NotFound):
        store.get(old.id)
    assert store.get(oldest.id).id == oldest.id  # the active one is never removed


def test_a_full_store_refuses_rather_than_evict_active_sessions(open_store: OpenStore) -> None:
    store = open_store(max_sessions=2, idle_seconds=60)
    active = [_session(age=30), _session(age=1)]  # both used within the idle time
    for s in active:
        store.create(s)
    with pytest.raises(StoreFull):
        store.make_room()
    with pytest.raises(StoreFull):
        store.create(_session())
    assert store.count() == 2
    for s in active:
        assert store.get(s.id).id == s.id


def test_a_full_store_evicts_the_flooding_clients_newest_not_others(
    open_store: OpenStore,
) -> None:
    """Issue 14.2: a client over its share when the store is full loses its newest sessions
    to others' creates (not others' long-idle ones), and its own creates are refused."""
    store = open_store(max_sessions=6, idle_seconds=3600)
    store.client_sessions = 2
    teacher = _session(age=3000)  # long idle, but not past idle_seconds
    store.create(teacher, client="10.0.0.1")
    flood = [_session(age=100 - i) for i in range(5)]  # oldest first
    for s in flood:
        store.create(s, client="10.6.6.6")
    assert store.count() == 6
    with pytest.raises(OverShare, match="holds 5 sessions, over its share of 2"):
        store.create(_session(), client="10.6.6.6")  # refused, nothing changed
    assert store.count() == 6
    student = _session()
    store.create(student, client="10.0.0.2")  # room: the flood's newest goes
    with pytest.raises(NotFound):
        store.get(flood[-1].id)
    store.make_room("10.0.0.3")
    store.create(_session(), client="10.0.0.3")
    with pytest.raises(NotFound):
        store.get(flood[-2].id)
    for s in (teacher, student, *flood[:3]):
        assert store.get(s.id).id == s.id
    store.create(_session(), client="10.0.0.4")  # the flood still holds 3 > 2
    with pytest.raises(NotFound):
        store.get(flood[2].id)
    with pytest.raises(StoreFull):  # at its share now: nobody's sessions go
        store.create(_session(), client="10.0.0.5")
    assert {store.get(s.id).id for s in (teacher, *flood[:2])} == {
        teacher.id,
        *(s.id for s in flood[:2]),
    }
    store.delete(flood[0].id)  # deleting keeps the per-client count right
    store.create(_session(), client="10.0.0.5")
    with pytest.raises(StoreFull):
        store.create(_session(), client="10.0.0.6")


def test_remove_idle(open_store: OpenStore) -> None:
    store = open_store(idle_seconds=60)
    idle = [_session(age=61 + i) for i in range(3)]
    fresh = [_session(age=59), _session()]
    for s in idle + fresh:
        store.create(s, [_metrics(1)])
    assert store.remove_idle() == 3
    assert {r["id"] for r in store.recent(10)} == {s.id for s in fresh}
    for s in idle:
        with pytest.raises(NotFound):
            store.get(s.id)
        assert store.metrics(s.id) == [] and store.snapshots(s.id) == []
    assert store.remove_idle() == 0


# --- the lock ------------------------------------------------------------------------------


def test_lock_serialises_calls_and_never_blocks_the_loop(
    open_store: OpenStore, backend: str
) -> None:
    a = open_store()
    # Two store objects are two processes: only Redis's lock spans them.
    b = open_store() if backend == "redis" else a
    inside: list[str] = []
    ticks = 0

    async def call(store: Store, name: str) -> None:
        async with store.lock("s1"):
            inside.append(name)
            assert len(inside) == 1, f"{inside} hold the lock at once"
            await asyncio.sleep(0.05)
            inside.remove(name)

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    async def main() -> None:
        tick = asyncio.create_task(ticker())
        await asyncio.gather(*(call(a if i % 2 else b, f"c{i}") for i in range(6)))
        tick.cancel()

    started = time.monotonic()
    run_async(main)
    assert time.monotonic() - started >= 6 * 0.05
    assert ticks >= 20  # the loop kept running while calls waited


def test_a_dead_holders_lock_expires(redis_url: str) -> None:
    import redis

    store = RedisStore.from_url(redis_url, 10, 10, 60.0)
    client = redis.Redis.from_url(redis_url)
    try:
        # A process that died holding the lock: its key stays until the TTL runs out.
        client.set(f"{store.prefix}lock:s1", b"dead", px=300)

        async def take() -> float:
            started = time.monotonic()
            async with store.lock("s1"):
                return time.monotonic() - started

        waited = run_async(take)
        assert 0.2 < waited < LOCK_TTL_MS / 1000
        assert client.get(f"{store.prefix}lock:s1") is None  # released after use
    finally:
        client.close()
        store.close()


def test_a_long_call_keeps_its_lock(redis_url: str) -> None:
    """A call holding the lock longer than its TTL renews it: nobody else gets in. Waits on
    state, not time: the holder keeps the lock until it has renewed it four times (4/3 of
    a TTL), and the other store must not get in before the holder has let go."""
    a = RedisStore.from_url(redis_url, 10, 10, 60.0)
    b = RedisStore.from_url(redis_url, 10, 10, 60.0)
    a.lock_ttl_ms = b.lock_ttl_ms = 1500  # renewed every 0.5 s; lost only if a renewal is 1 s late
    renewals = 0
    renew = a.renew_lock

    def counted(key: str, token: bytes) -> None:
        nonlocal renewals
        renew(key, token)
        renewals += 1

    a.renew_lock = counted  # type: ignore[method-assign]
    try:

        async def main() -> tuple[bool, int]:
            held, released = asyncio.Event(), False

            async def long_call() -> None:
                nonlocal released
                async with a.lock("s1"):
                    held.set()
                    while renewals < 4:  # past the TTL: only renewals kept it
                        await asyncio.sleep(0.02)
                    released = True

            holder = asyncio.create_task(long_call())
            await held.wait()
            async with b.lock("s1"):
                got_in_after_release = released
            await holder
            return got_in_after_release, renewals

        got_in_after_release, seen = run_async(main)
        assert got_in_after_release and seen >= 4
    finally:
        a.close()
        b.close()


# --- several workers sharing Redis ---------------------------------------------------------


def test_two_workers_serialise_steps_on_one_session(tmp_path: Path, redis_url: str) -> None:
    env = {"BACKPROP_EXPLORER_STORE": redis_url,
           "BACKPROP_EXPLORER_DB": str(tmp_path / "unused.sqlite3")}  # fmt: skip
    with running_server(tmp_path, env, workers=2) as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            health = client.get("/api/health").json()
            assert health["store"] == "redis"
            created = client.post("/api/networks", json=DEFAULT_REQUEST)
            assert created.status_code == 201, created.text
            session_id = created.json()["id"]
        steps: list[int] = []
        failures: list[str] = []

        def student() -> None:
            # A new connection per call, so the calls spread over both workers.
            with httpx.Client(base_url=server.url, timeout=30, limits=httpx.Limits(
                    max_keepalive_connections=0)) as c:  # fmt: skip
                for _ in range(25):
                    r = c.post(f"/api/networks/{session_id}/step", json={"steps": 1})
                    if r.status_code != 200:
                        failures.append(f"{r.status_code}: {r.text[:200]}")
                    else:
                        steps.append(r.json()["step"])

        threads = [threading.Thread(target=student) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert failures == []
        # Every call saw the one before it: each step number exactly once, none lost.
        assert sorted(steps) == list(range(1, 201))
        with httpx.Client(base_url=server.url, timeout=30) as client:
            final = client.get(f"/api/networks/{session_id}").json()
            assert final["step"] == 200
            metrics = client.get(f"/api/networks/{session_id}/metrics").json()
            assert metrics["step"] == list(range(201))  # the step-0 record, then one per step
            assert {k: v[0] for k, v in metrics.items()} == created.json()["metrics"]


# --- choosing the store --------------------------------------------------------------------


def test_the_store_is_chosen_by_the_settings(tmp_path: Path, redis_url: str) -> None:
    sqlite = base.open_store(Settings(db_path=tmp_path / "db.sqlite3"))
    redis_store = base.open_store(Settings(db_path=tmp_path / "db.sqlite3", store_url=redis_url))
    try:
        assert isinstance(sqlite, SqliteStore) and sqlite.name == "sqlite"
        assert isinstance(redis_store, RedisStore) and redis_store.name == "redis"
    finally:
        sqlite.close()
        redis_store.close()
    with pytest.raises(ValueError, match="BACKPROP_EXPLORER_STORE"):
        base.open_store(Settings(db_path=tmp_path / "db.sqlite3", store_url="postgres://x/y"))


def test_redis_is_not_imported_unless_configured() -> None:
    code = "import sys, app.main; print('redis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "BACKPROP_EXPLORER_STORE": ""}, check=True)  # fmt: skip
    assert out.stdout.strip() == "False"


def test_a_redis_outage_answers_503_and_says_to_try_again(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.servers import have_redis, running_redis

    if not have_redis():
        pytest.skip("no redis-server")
    with running_redis(tmp_path) as server:
        settings = Settings(db_path=tmp_path / "unused.sqlite3", store_url=server.url)
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            sid = client.post("/api/networks", json=DEFAULT_REQUEST).json()["id"]
            assert client.get(f"/api/networks/{sid}").status_code == 200
            server.proc.terminate()
            server.proc.wait(timeout=10)
            for method, path in (
                ("GET", f"/api/networks/{sid}"),
                ("POST", f"/api/networks/{sid}/step"),
            ):
                r = client.request(method, path, json={} if method == "POST" else None)
                assert r.status_code == 503, (method, path, r.text)
                assert r.headers["retry-after"] == "5"
                assert r.json()["detail"].startswith("the session store is not answering")


# --- a stalled Redis does not freeze the worker (issue 14, finding 6) -----------------------


def test_a_stalled_redis_does_not_freeze_the_server(tmp_path: Path, redis_server: Any) -> None:
    import signal

    env = {"BACKPROP_EXPLORER_STORE": redis_server.url}
    with running_server(tmp_path, env) as server:
        ids = [
            httpx.post(server.url + "/api/networks", json=DEFAULT_REQUEST, timeout=10).json()["id"]
            for _ in range(4)
        ]
        os.kill(redis_server.proc.pid, signal.SIGSTOP)
        try:
            results: list[tuple[int, float]] = []

            def step(session_id: str) -> None:
                start = time.monotonic()
                r = httpx.post(f"{server.url}/api/networks/{session_id}/step", json={}, timeout=30)
                results.append((r.status_code, time.monotonic() - start))

            threads = [threading.Thread(target=step, args=(i,)) for i in ids]
            for t in threads:
                t.start()
            time.sleep(0.3)
            start = time.monotonic()
            health = httpx.get(server.url + "/api/health", timeout=10)
            assert health.status_code == 200
            assert time.monotonic() - start < 1.0  # answered while the steps wait on Redis
            for t in threads:
                t.join(30)
            assert sorted(code for code, _ in results) == [503] * 4
            assert max(seconds for _, seconds in results) < 8  # side by side, not one after another
        finally:
            os.kill(redis_server.proc.pid, signal.SIGCONT)
        # A lock request that timed out while Redis was stopped may still run when it resumes,
        # leaving a lock nobody holds: it expires after LOCK_TTL_MS (10 s), so allow for that.
        r = httpx.post(f"{server.url}/api/networks/{ids[0]}/step", json={}, timeout=30)
        assert r.status_code == 200 and r.json()["step"] == 1
