"""The live-class scenario of ``make load`` (``--scenario class``): one teacher, N followers.

The teacher plays the default session over the stream at full speed (binary frames with
the page's boundary grids, each acknowledged at once) and publishes to its class what its
page publishes (classroom/live.js): a ``frame`` message with the weights and metrics at most
every ``PUBLISH_MS``, stamped with the time it was sent. N students follow the class over
its WebSocket; each message's lag is its arrival time minus that stamp (one machine, one
clock). Reports lag p50/p99/max, the messages each student received against those sent,
server CPU and errors.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from app.api.frames import array, decode_binary
from app.presets import DEFAULT_REQUEST
from scripts.bench_api import percentile
from scripts.load_play import BOUNDARY

PUBLISH_MS = 100.0  # as the teacher's page (FRAME_MS in static/js/classroom/live.js)
GRIDS_MS = 500.0  # and with the boundary grids at most this often (GRIDS_MS there too)
FORWARD_MS = 250.0  # the teacher's page reads the sample's forward pass this often in Play
SAMPLE = {"indices": [0], "split": "train"}
BOUNDARY_QUERY: dict[str, str | int] = {
    "resolution": int(BOUNDARY["resolution"]),
    "neurons": "true",
}
CONNECT_TIMEOUT = 20.0


@dataclass
class Follower:
    lags_ms: list[float] = field(default_factory=list)
    reads: int = 0  # REST reads of its own (``--follower-reads``)
    error: str | None = None


@dataclass
class Teacher:
    frames: int = 0
    published: int = 0
    published_bytes: int = 0
    step: int = 0
    error: str | None = None


def _text(data: Any) -> str:
    return orjson.dumps(data).decode()


async def _join(url: str, role: str, token: str | None = None) -> ClientConnection:
    ws = await connect(url, compression=None, max_size=2**24, open_timeout=10)
    await ws.send(_text({"type": "join", "role": role, **({"token": token} if token else {})}))
    hello = orjson.loads(await ws.recv())
    if hello.get("type") != "hello":
        raise WebSocketException(f"no hello: {hello}")
    return ws


class Reads:
    """What a student's page read for itself before frames carried the teacher's reads
    (``--follower-reads``, for comparison): the sample's forward pass on a frame at most
    every ``FORWARD_S`` with no read waiting, and the grids about once a second."""

    FORWARD_S, BOUNDARY_S = 0.25, 1.0

    def __init__(self, client: httpx.AsyncClient, session_id: str, me: Follower) -> None:
        self.client, self.path, self.me = client, f"/api/networks/{session_id}", me
        self.busy = False
        self.forward_at = self.boundary_at = 0.0
        self.tasks: set[asyncio.Task[None]] = set()

    def on_frame(self) -> None:
        now = time.perf_counter()
        if self.busy:
            return
        if now - self.boundary_at >= self.BOUNDARY_S:
            self.boundary_at = now
            self.start(self.client.get(f"{self.path}/boundary", params=BOUNDARY_QUERY))
        elif now - self.forward_at >= self.FORWARD_S:
            self.forward_at = now
            self.start(self.client.post(f"{self.path}/forward", json=SAMPLE))

    def start(self, call: Any) -> None:
        self.me.reads += 1

        async def read() -> None:
            self.busy = True
            try:
                r = await call
                if r.status_code >= 400:
                    self.me.error = f"read: {r.status_code} {r.text[:80]}"
            except httpx.HTTPError as err:
                self.me.error = f"read: {type(err).__name__}: {err}"
            finally:
                self.busy = False

        task = asyncio.create_task(read())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


async def _follow(ws: ClientConnection, until: float, me: Follower, reads: Reads | None) -> None:
    with suppress(TimeoutError):
        async with asyncio.timeout_at(until):
            async for message in ws:
                msg = orjson.loads(message)
                if msg["type"] == "error":
                    me.error = f"server error: {msg.get('detail')}"
                elif msg["type"] == "state" and msg["kind"] == "frame":
                    me.lags_ms.append(time.time() * 1e3 - msg["data"]["sent_at"])
                    if reads is not None:
                        reads.on_frame()


def _weights(header: dict[str, Any], data: memoryview, layout: list[list[Any]]) -> tuple[Any, Any]:
    params = array(data, header["params"], np.float64)
    weights = [params[w : w + n * m].reshape(n, m).tolist() for w, n, m, _ in layout]
    biases = [params[b : b + n].tolist() for _, n, _, b in layout if b is not None]
    return weights, biases or None


SAMPLE_SHOWN = {"split": "train", "index": 0}


async def _read_forward(client: httpx.AsyncClient, session_id: str) -> dict[str, Any]:
    r = await client.post(f"/api/networks/{session_id}/forward", json=SAMPLE)
    r.raise_for_status()
    return _rounded(r.json())


def _rounded(value: Any) -> Any:
    """As the page rounds what it publishes (``rounded`` in classroom/live.js)."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def _grids(header: dict[str, Any], data: memoryview) -> dict[str, Any]:
    """A frame's boundary grids as the page keeps them (frameBoundary in patches.js)."""
    b = header["boundary"]
    values = array(data, b["output"], np.float32).round(4).tolist()
    out = {k: b[k] for k in ("dims", "resolution", "domain")} | {"output": values}

    def rows(span: list[int]) -> Any:
        return array(data, span, np.float32).round(4).reshape(-1, len(values)).tolist()

    if "neurons" in b:
        out["inputs"] = rows(b["inputs"])
        out["neurons"] = [rows(part) for part in b["neurons"]]
    return out


async def _teach(stream: ClientConnection, channel: ClientConnection, session_id: str,
                 until: float, me: Teacher, client: httpx.AsyncClient,
                 with_views: bool) -> None:  # fmt: skip
    """Play at full speed; publish a frame at most every PUBLISH_MS, as the page does."""
    hello = orjson.loads(await stream.recv())
    layout = hello["layout"]
    last = 0.0
    forward: dict[str, Any] | None = None
    grids: dict[str, Any] | None = None
    reading: asyncio.Task[Any] | None = None
    forward_at = 0.0
    grids_at = -1e9
    await stream.send(_text({"type": "play", "boundary": BOUNDARY}))
    with suppress(TimeoutError):
        async with asyncio.timeout_at(until):
            async for message in stream:
                if not isinstance(message, bytes):
                    msg = orjson.loads(message)
                    if msg["type"] == "error":
                        me.error = f"stream error: {msg.get('detail')}"
                    continue
                header, data = decode_binary(message)
                await stream.send(_text({"type": "ack", "seq": header["seq"]}))
                me.frames += 1
                me.step = header["step"]
                if header.get("boundary"):
                    grids = _grids(header, data)
                now = time.perf_counter()
                if reading is not None and reading.done():
                    forward = {**reading.result(), "sample": SAMPLE_SHOWN, "step": me.step}
                    reading = None
                if reading is None and (now - forward_at) * 1e3 >= FORWARD_MS:
                    forward_at = now  # as the page: the sample's forward pass, at most this often
                    reading = asyncio.create_task(_read_forward(client, session_id))
                if (now - last) * 1e3 < PUBLISH_MS:
                    continue
                last = now
                weights, biases = _weights(header, data, layout)
                frame = {"session": session_id, "step": header["step"], "weights": weights,
                         "biases": biases, "metrics": header["metrics"],
                         "sent_at": time.time() * 1e3}  # fmt: skip
                if with_views:  # what the page's frames carry (withViews in classroom/live.js)
                    frame["forward"] = forward
                    if grids is not None and (now - grids_at) * 1e3 >= GRIDS_MS:
                        frame["boundary"], grids, grids_at = grids, None, now
                text = _text({"type": "publish", "kind": "frame", "data": frame})
                me.published_bytes += len(text)
                await channel.send(text)
                me.published += 1
    with suppress(WebSocketException):
        await stream.send(_text({"type": "pause"}))


async def _class(url: str, clients: int, seconds: float, clock: Callable[[str], None],
                 follower_reads: bool) -> tuple[Teacher, list[Follower]]:  # fmt: skip
    limits = httpx.Limits(max_connections=clients + 10)
    async with httpx.AsyncClient(base_url=url, timeout=10, limits=limits) as client:
        return await _lesson(client, url, clients, seconds, clock, follower_reads)


async def _lesson(client: httpx.AsyncClient, url: str, clients: int, seconds: float,
                  clock: Callable[[str], None],
                  follower_reads: bool) -> tuple[Teacher, list[Follower]]:  # fmt: skip
    session = (await client.post("/api/networks", json=DEFAULT_REQUEST)).json()
    c = (await client.post("/api/classes", json={"session": session["id"]})).json()
    ws_base = url.replace("http://", "ws://")
    live = ws_base + c["live"]
    teacher, followers = Teacher(), [Follower() for _ in range(clients)]
    sockets: list[ClientConnection | None] = []
    for me in followers:
        try:
            sockets.append(await asyncio.wait_for(_join(live, "student"), CONNECT_TIMEOUT))
        except (OSError, TimeoutError, WebSocketException) as err:
            me.error = f"connect: {type(err).__name__}: {err}"
            sockets.append(None)
    channel = await _join(live, "teacher", c["token"])
    stream = await connect(f"{ws_base}/api/networks/{session['id']}/stream", compression=None,
                           max_size=2**24, open_timeout=10)  # fmt: skip
    loop = asyncio.get_running_loop()
    clock("go")
    until = loop.time() + seconds

    def reads(me: Follower) -> Reads | None:
        return Reads(client, session["id"], me) if follower_reads else None

    tasks = [asyncio.create_task(_follow(ws, until + 1.0, me, reads(me)))
             for ws, me in zip(sockets, followers, strict=True) if ws is not None]  # fmt: skip
    try:
        await _teach(stream, channel, session["id"], until, teacher, client, not follower_reads)
    except (OSError, WebSocketException) as err:
        teacher.error = f"teach: {type(err).__name__}: {err}"
    clock("end")
    await asyncio.wait(tasks, timeout=5.0)  # what was published in the last second arrives
    for ws in [stream, channel, *sockets]:
        if ws is not None:
            with suppress(WebSocketException, OSError):
                await ws.close()
    return teacher, followers


def run_class(url: str, clients: int, seconds: float,
              server_cpu: Callable[[], float] | None = None,
              follower_reads: bool = False) -> dict[str, Any]:  # fmt: skip
    """Run the class scenario against ``url``; a summary (see ``report``). With
    ``follower_reads`` the frames carry no pass or grids and each student reads its own,
    as the page did before (for comparison)."""
    marks: dict[str, tuple[float, float]] = {}

    def clock(mark: str) -> None:
        marks[mark] = (time.perf_counter(), server_cpu() if server_cpu else 0.0)

    teacher, followers = asyncio.run(_class(url, clients, seconds, clock, follower_reads))
    wall, server = (b - a for a, b in zip(marks["go"], marks["end"], strict=True))
    lags = [x for f in followers for x in f.lags_ms]
    received = [len(f.lags_ms) for f in followers]
    errors = [e for e in [teacher.error, *(f.error for f in followers)] if e is not None]
    missed = sum(max(0, teacher.published - n) for n in received)
    return {
        "scenario": "class",
        "followers_read": follower_reads,
        "clients": clients,
        "seconds": seconds,
        "teacher": {
            "frames_per_s": round(teacher.frames / wall, 1),
            "step": teacher.step,
            "published": teacher.published,
            "frame_kb": round(teacher.published_bytes / max(1, teacher.published) / 1e3, 1),
        },
        "student_reads_per_s": round(sum(f.reads for f in followers) / wall, 1),
        "received_per_student": {"min": min(received, default=0), "max": max(received, default=0)},
        "lag_ms": {
            "messages": len(lags),
            "p50": round(statistics.median(lags), 1) if lags else None,
            "p99": round(percentile(lags, 0.99), 1) if lags else None,
            "max": round(max(lags), 1) if lags else None,
        },
        "missed": missed,
        "errors": len(errors) + missed,
        "error_examples": errors[:5],
        "server_cpu_cores": round(server / wall, 2) if server_cpu else None,
        "load_average": round(os.getloadavg()[0], 2),
    }


def report(s: dict[str, Any]) -> None:
    t, lag = s["teacher"], s["lag_ms"]
    who = (
        "each student reads its own pass and grids"
        if s["followers_read"]
        else ("frames carry the teacher's pass and grids")
    )
    print(f"[{who}]")
    print(f"class: 1 teacher playing at full speed ({t['frames_per_s']} frames/s, step "
          f"{t['step']}), publishing a frame at most every {PUBLISH_MS:g} ms ({t['published']} "
          f"published), {s['clients']} followers for {s['seconds']:g} s")  # fmt: skip
    print(f"follower lag: {lag['messages']} messages, p50 {lag['p50']} ms, p99 {lag['p99']} ms, "
          f"max {lag['max']} ms; per student {s['received_per_student']['min']}–"
          f"{s['received_per_student']['max']} received, {s['missed']} missed")  # fmt: skip
    print(f"frames of {t['frame_kb']} kB; students' own reads: {s['student_reads_per_s']}/s")
    print(f"errors: {s['errors']}")
    for example in s["error_examples"]:
        print("  error:", example)
    if s["server_cpu_cores"] is not None:
        print(f"server CPU: {s['server_cpu_cores']} cores; {os.cpu_count()} cores in all, "
              f"load average {s['load_average']}")  # fmt: skip
