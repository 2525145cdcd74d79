"""Live classes across processes, over both broadcasters (SQLite beside the database, and
Redis): two broadcasters on one file or one Redis stand for two server processes; then
``uvicorn --workers 2`` on each store — students on either worker receive, in order and
soon, what the teacher publishes to whichever worker it is connected to."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect

from app.presets import DEFAULT_REQUEST
from app.sessions import classes, sqlite_classes
from app.sessions.classes import QUEUE_SIZE, RESYNC, Broadcaster, Follower, RedisBroadcaster
from app.sessions.sqlite_classes import SqliteBroadcaster, classes_path
from app.sessions.stores.base import StoreError
from tests.servers import run_async, running_server

Pair = Callable[[], AbstractAsyncContextManager[tuple[Broadcaster, Broadcaster]]]


@pytest.fixture(params=["sqlite", "redis"])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Pair:
    """Two broadcasters sharing their classes, as two worker processes would."""

    def make() -> Broadcaster:
        if request.param == "redis":
            return RedisBroadcaster(request.getfixturevalue("redis_url"))
        return SqliteBroadcaster(classes_path(tmp_path / "sessions.sqlite3"))

    @asynccontextmanager
    async def opened() -> AsyncIterator[tuple[Broadcaster, Broadcaster]]:
        a, b = make(), make()
        try:
            yield a, b
        finally:
            await a.close()
            await b.close()

    return opened


async def _next(follower: Follower, kind: str = "state") -> dict[str, Any]:
    while True:
        text = await asyncio.wait_for(follower.queue.get(), 5)
        msg = {"type": RESYNC} if text == RESYNC else orjson.loads(text)
        if msg["type"] == kind:
            return dict(msg)


def test_two_processes_share_a_class(pair: Pair) -> None:
    async def run() -> None:
        async with pair() as (a, b):
            class_id, token = await a.create()
            assert await b.exists(class_id) and not await b.exists("nope")
            assert await b.is_teacher(class_id, token)
            assert not await b.is_teacher(class_id, token + "x")
            async with b.follow(class_id) as follower:
                assert await b.count(class_id, 1) == 1
                assert (await _next(follower, "students"))["count"] == 1
                assert await a.count(class_id, 1) == 2  # students on both count
                assert (await _next(follower, "students"))["count"] == 2
                seq = await a.publish(class_id, "session", {"id": "s1", "step": 3})
                got = await _next(follower)
                assert got == {"type": "state", "kind": "session", "seq": seq,
                               "data": {"id": "s1", "step": 3}}  # fmt: skip
                await a.publish(class_id, "view", {"edge_mode": "grad"})
                assert (await _next(follower))["data"] == {"edge_mode": "grad"}
                assert await a.count(class_id, -1) == 1
                assert await a.count(class_id, -5) == 0  # never below none
            latest = [orjson.loads(t) for t in await b.latest(class_id)]
            assert [m["kind"] for m in latest] == ["session", "view"]
            assert await b.class_of("s1") == class_id
            assert await b.class_of("s2") is None
            with pytest.raises(KeyError):
                await a.publish("nope", "view", {})

    run_async(run)


def test_followers_on_both_sides_receive_every_message_in_order(pair: Pair) -> None:
    async def run() -> None:
        async with pair() as (a, b):
            class_id, _ = await a.create()
            async with a.follow(class_id) as here, b.follow(class_id) as there:
                sent = [await a.publish(class_id, "frame", {"step": i}) for i in range(40)]
                for follower in (here, there):
                    got = [await _next(follower) for _ in sent]
                    assert [m["seq"] for m in got] == sent == list(range(1, 41))
                    assert [m["data"]["step"] for m in got] == list(range(40))
            assert orjson.loads((await b.latest(class_id))[0])["seq"] == 40

    run_async(run)


def test_a_slow_follower_is_resynced(pair: Pair) -> None:
    async def run() -> None:
        async with pair() as (a, b):
            class_id, _ = await a.create()
            async with b.follow(class_id) as follower:
                for i in range(QUEUE_SIZE + 10):
                    await a.publish(class_id, "frame", {"step": i})
                    await asyncio.sleep(0)
                await _next(follower, RESYNC)  # instead of the messages it fell behind on
                assert follower.queue.qsize() < QUEUE_SIZE

    run_async(run)


def test_a_class_ends_a_while_after_its_last_message(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in (classes, sqlite_classes):
        monkeypatch.setattr(module, "CLASS_TTL_SECONDS", 2)

    async def run() -> None:
        async with pair() as (a, b):
            class_id, _ = await a.create()
            await asyncio.sleep(1.2)
            await a.publish(class_id, "session", {"id": "s1", "step": 0})  # restarts the clock
            await asyncio.sleep(1.2)
            assert await b.exists(class_id)
            await asyncio.sleep(2.5)
            assert not await b.exists(class_id)
            assert await b.latest(class_id) == [] and await b.class_of("s1") is None
            with pytest.raises(KeyError):
                await a.publish(class_id, "view", {})

    run_async(run)


def _sqlite_pair(tmp_path: Path) -> tuple[SqliteBroadcaster, SqliteBroadcaster]:
    path = classes_path(tmp_path / "sessions.sqlite3")
    return SqliteBroadcaster(path), SqliteBroadcaster(path)


def test_sqlite_keeps_at_most_max_classes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_classes, "MAX_CLASSES", 3)

    async def run() -> None:
        a, b = _sqlite_pair(tmp_path)
        try:
            ids = [(await a.create())[0] for _ in range(3)]
            await a.publish(ids[0], "view", {})  # the first is used again: the second is oldest
            ids += [(await b.create())[0] for _ in range(2)]
            assert [await a.exists(i) for i in ids] == [True, False, False, True, True]
        finally:
            await a.close()
            await b.close()

    run_async(run)


def test_sqlite_a_process_that_missed_pruned_messages_resyncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_classes, "KEEP_SECONDS", 0.0)

    async def run() -> None:
        a, b = _sqlite_pair(tmp_path)
        try:
            class_id, _ = await a.create()
            async with b.follow(class_id) as follower:
                await a.publish(class_id, "frame", {"step": 1})
                time.sleep(0.001)  # (no await: b's poller has no chance to read it)
                a._prune(time.time())  # before b read it
                await a.publish(class_id, "frame", {"step": 2})
                assert await asyncio.wait_for(follower.queue.get(), 5) == RESYNC
                assert (await _next(follower))["data"] == {"step": 2}
        finally:
            await a.close()
            await b.close()

    run_async(run)


def test_sqlite_a_write_waiting_for_another_process_does_not_block_the_loop(
    tmp_path: Path,
) -> None:
    async def run() -> None:
        a, _ = pair_ = _sqlite_pair(tmp_path)
        try:
            class_id, _ = await a.create()
            other = sqlite3.connect(a.path, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            ticks = 0

            async def tick() -> None:
                nonlocal ticks
                while True:
                    ticks += 1
                    await asyncio.sleep(0.01)

            ticker = asyncio.create_task(tick())
            publish = asyncio.create_task(a.publish(class_id, "view", {}))
            await asyncio.sleep(0.3)
            assert not publish.done() and ticks >= 5  # waits, and the loop runs meanwhile
            other.execute("COMMIT")
            assert await asyncio.wait_for(publish, 5) == 1
            ticker.cancel()
            other.close()
        finally:
            for x in pair_:
                await x.close()

    run_async(run)


async def _join(url: str, role: str, token: str | None = None) -> tuple[ClientConnection, Any]:
    """A connection and its hello (``worker``: the process serving it; ``students``)."""
    ws = await connect(url, max_size=None)
    await ws.send(orjson.dumps({"type": "join", "role": role, "token": token}).decode())
    hello = orjson.loads(await ws.recv())
    assert hello["type"] == "hello", hello
    return ws, hello


async def _state(ws: ClientConnection) -> dict[str, Any]:
    while True:
        msg = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        if msg["type"] == "state":
            return dict(msg)


FRAMES = 30


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_students_on_either_worker_follow_the_teacher(
    tmp_path: Path, store: str, request: pytest.FixtureRequest
) -> None:
    env = {"BACKPROP_EXPLORER_DB": str(tmp_path / "sessions.sqlite3")}
    if store == "redis":
        env["BACKPROP_EXPLORER_STORE"] = request.getfixturevalue("redis_url")
    with running_server(tmp_path, env, workers=2) as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            s = client.post("/api/networks", json=DEFAULT_REQUEST).json()
            c = client.post("/api/classes", json={"session": s["id"]}).json()
        url = server.url.replace("http", "ws") + c["live"]

        async def run() -> None:
            students: list[tuple[ClientConnection, Any]] = []
            # new connections spread over the workers: join until both serve students
            while len({h["worker"] for _, h in students}) < 2 and len(students) < 60:
                students.append(await _join(url, "student"))
            assert len({h["worker"] for _, h in students}) == 2, "all went to one worker"
            for ws, _ in students:
                assert (await _state(ws))["data"]["id"] == s["id"]  # caught up on joining
            teacher, hello = await _join(url, "teacher", c["token"])
            assert hello["students"] == len(students)  # on both workers
            lags: list[float] = []

            async def follow(ws: ClientConnection) -> list[int]:
                seqs = []
                for _ in range(FRAMES):
                    got = await _state(ws)
                    assert got["kind"] == "frame" and got["data"]["session"] == s["id"]
                    lags.append(time.time() - got["data"]["sent_at"])
                    seqs.append(got["seq"])
                return seqs

            readers = [asyncio.create_task(follow(ws)) for ws, _ in students]
            for step in range(FRAMES):  # a teacher on Play: a frame every 16 ms
                frame = {"session": s["id"], "step": step, "weights": [[[0.5, -0.5]]],
                         "sent_at": time.time()}  # fmt: skip
                await teacher.send(
                    orjson.dumps({"type": "publish", "kind": "frame", "data": frame}).decode()
                )
                await asyncio.sleep(0.016)
            for seqs in await asyncio.gather(*readers):
                assert seqs == list(range(2, FRAMES + 2))  # every frame, in order
            lags.sort()
            assert lags[len(lags) // 2] < 0.25 and lags[-1] < 2.0, lags  # soon, on a busy machine
            # whichever worker a late student joins, it catches up on the class's latest
            late, hello = await _join(url, "student")
            assert hello["students"] == len(students) + 1
            assert (await _state(late))["kind"] == "session"
            last = await _state(late)
            assert last["kind"] == "frame" and last["seq"] == FRAMES + 1
            with httpx.Client(base_url=server.url) as client:
                assert client.get(f"/api/networks/{s['id']}/class").json()["id"] == c["id"]
            for ws, _ in [*students, (late, 0), (teacher, 0)]:
                await ws.close()

        run_async(run)


def test_sqlite_student_counts_restart_with_the_server(tmp_path: Path) -> None:
    """Counts of connections that ended with every process are zeroed by the next first
    process; a process joining others that still serve keeps their counts."""

    async def run() -> None:
        a, b = _sqlite_pair(tmp_path)
        class_id, _ = await a.create()
        assert await a.count(class_id, 2) == 2
        await a.close()
        c = SqliteBroadcaster(b.path)  # b still serves: its students are still there
        assert await c.count(class_id, 0) == 2
        await b.close()
        await c.close()
        d = SqliteBroadcaster(b.path)  # a restart: none of those connections is left
        try:
            assert await d.count(class_id, 0) == 0 and await d.exists(class_id)
        finally:
            await d.close()

    run_async(run)


def test_sqlite_an_unusable_file_refuses_to_start_in_plain_words(tmp_path: Path) -> None:
    path = classes_path(tmp_path / "sessions.sqlite3")
    path.write_bytes(b"not a database, " * 100)
    with pytest.raises(StoreError, match="cannot be used: file is not a database"):
        SqliteBroadcaster(path)
