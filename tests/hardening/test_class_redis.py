"""Live classes on Redis: two broadcasters on one Redis stand for two server processes,
then ``uvicorn --workers 2`` with the Redis store — students on either worker receive what
the teacher publishes to whichever worker it is connected to (Redis pub/sub)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect

from app.presets import DEFAULT_REQUEST
from app.sessions.classes import RedisBroadcaster
from tests.servers import run_async, running_server


async def _next(follower: Any, kind: str = "state") -> dict[str, Any]:
    while True:
        msg = orjson.loads(await asyncio.wait_for(follower.queue.get(), 5))
        if msg["type"] == kind:
            return dict(msg)


def test_two_processes_share_a_class(redis_url: str) -> None:
    async def run() -> None:
        a, b = RedisBroadcaster(redis_url), RedisBroadcaster(redis_url)
        try:
            class_id, token = await a.create()
            assert await b.is_teacher(class_id, token)
            assert not await b.is_teacher(class_id, token + "x")
            async with b.follow(class_id) as follower:
                assert await b.count(class_id, 1) == 1
                assert (await _next(follower, "students"))["count"] == 1
                seq = await a.publish(class_id, "session", {"id": "s1", "step": 3})
                got = await _next(follower)
                assert got == {"type": "state", "kind": "session", "seq": seq,
                               "data": {"id": "s1", "step": 3}}  # fmt: skip
                await a.publish(class_id, "view", {"edge_mode": "grad"})
                assert (await _next(follower))["data"] == {"edge_mode": "grad"}
            latest = [orjson.loads(t) for t in await b.latest(class_id)]
            assert [m["kind"] for m in latest] == ["session", "view"]
            assert await b.class_of("s1") == class_id
            assert await b.class_of("s2") is None
            assert not await b.exists("nope")
        finally:
            await a.close()
            await b.close()

    run_async(run)


async def _join(url: str, role: str, token: str | None = None) -> tuple[ClientConnection, int]:
    ws = await connect(url)
    await ws.send(orjson.dumps({"type": "join", "role": role, "token": token}).decode())
    hello = orjson.loads(await ws.recv())
    assert hello["type"] == "hello", hello
    return ws, int(hello["worker"])


async def _state(ws: ClientConnection) -> dict[str, Any]:
    while True:
        msg = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        if msg["type"] == "state":
            return dict(msg)


def test_students_on_either_worker_follow_the_teacher(tmp_path: Path, redis_url: str) -> None:
    env = {"BACKPROP_EXPLORER_STORE": redis_url,
           "BACKPROP_EXPLORER_DB": str(tmp_path / "unused.sqlite3")}  # fmt: skip
    with running_server(tmp_path, env, workers=2) as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            s = client.post("/api/networks", json=DEFAULT_REQUEST).json()
            c = client.post("/api/classes", json={"session": s["id"]}).json()
        url = server.url.replace("http", "ws") + c["live"]

        async def run() -> None:
            students: list[tuple[ClientConnection, int]] = []
            # new connections spread over the workers: join until both serve students
            while len({w for _, w in students}) < 2 and len(students) < 60:
                students.append(await _join(url, "student"))
            assert len({w for _, w in students}) == 2, "every connection went to one worker"
            for ws, _ in students:
                assert (await _state(ws))["data"]["id"] == s["id"]  # caught up on joining
            teacher, _ = await _join(url, "teacher", c["token"])
            frame = {"session": s["id"], "step": 7, "weights": [[[0.5, -0.5]]], "sent_at": 1.0}
            await teacher.send(
                orjson.dumps({"type": "publish", "kind": "frame", "data": frame}).decode()
            )
            for ws, _ in students:
                got = await _state(ws)
                assert got["kind"] == "frame" and got["data"] == frame
            with httpx.Client(base_url=server.url) as client:
                assert client.get(f"/api/networks/{s['id']}/class").json()["id"] == c["id"]
            for ws, _ in [*students, (teacher, 0)]:
                await ws.close()

        run_async(run)
