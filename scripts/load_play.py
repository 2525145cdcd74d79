"""The Play scenarios of ``make load``: a class pressing Play at once over the stream.

Each student creates the default session ([2, 4, 2, 1] on circle, ``app.presets``), opens
its WebSocket stream (docs/api.md, "Stream"), and once the whole class is connected all
press Play together, as the page does (``static/js/play-stream.js``):

* ``play-default`` — the page's default speed, ×3: ``steps_per_frame: 3``;
* ``play-full`` — the top speed: no speed field, full speed;

both with the 40 × 40 boundary of every neuron 12 times a second, binary frames. Like the
page (``stream.js``), a student shows one frame per 60 Hz display tick, oldest first, reads
its header and acknowledges it; the server never has more than its window unacknowledged.
After ``seconds`` each pauses and closes. Meanwhile a separate process probes
``/api/health`` every 20 ms, so its latency is the server's, not this busy client's.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import statistics
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import httpx
import orjson
import uvloop
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from app.api.frames import decode_binary
from app.presets import DEFAULT_REQUEST
from scripts.bench_api import percentile

BOUNDARY = {"per_second": 12, "resolution": 40, "neurons": True}  # the page's, neuron maps on
SCENARIOS: dict[str, dict[str, Any]] = {
    "play-default": {"steps_per_frame": 3, "boundary": BOUNDARY},
    "play-full": {"boundary": BOUNDARY},
}
FPS = 60.0  # the display rate the page's requestAnimationFrame runs at
PROBE_INTERVAL = 0.02
CONNECT_TIMEOUT = 20.0  # for the whole class to be created and connected


@dataclass
class Student:
    frames: int = 0
    boundaries: int = 0
    updates: int = 0
    error: str | None = None


async def _connect(url: str, n: int) -> tuple[ClientConnection, int]:
    """Create the default session and open its stream: (socket, step at hello)."""
    await asyncio.sleep(n % 20 * 0.02)  # not all in the same millisecond
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        created = await client.post("/api/networks", json=DEFAULT_REQUEST)
        created.raise_for_status()
    ws_url = url.replace("http://", "ws://") + f"/api/networks/{created.json()['id']}/stream"
    ws = await connect(ws_url, compression=None, max_size=2**24, open_timeout=10)
    hello = orjson.loads(await ws.recv())
    return ws, int(hello["step"])


def _header(message: str | bytes) -> dict[str, Any]:
    if isinstance(message, bytes):
        return decode_binary(message)[0]
    header: dict[str, Any] = orjson.loads(message)
    return header


async def _play(ws: ClientConnection, first_step: int, play: dict[str, Any], start: float,
                seconds: float, me: Student) -> None:  # fmt: skip
    """Play from ``start`` (loop time) for ``seconds``: one frame shown per display tick."""
    loop = asyncio.get_running_loop()
    tick = 1.0 / FPS
    shown_tick = -1  # the display tick the last frame was shown at
    await ws.send(orjson.dumps({"type": "play", **play}).decode())
    with suppress(TimeoutError):
        async with asyncio.timeout_at(start + seconds):
            async for message in ws:
                header = _header(message)
                if header["type"] == "error":
                    me.error = f"server error: {header.get('detail')}"
                    return
                if header["type"] != "frame":
                    continue
                # shown at the first display tick after both its arrival and the last frame's
                shown_tick = max(shown_tick + 1, math.ceil((loop.time() - start) / tick))
                await asyncio.sleep(start + shown_tick * tick - loop.time())
                me.frames += 1
                me.boundaries += header["boundary"] is not None
                me.updates = int(header["step"]) - first_step
                await ws.send(orjson.dumps({"type": "ack", "seq": header["seq"]}).decode())


async def _stop(ws: ClientConnection) -> None:
    """Pause, acknowledging what still comes, until ``paused`` (at most 2 s); close."""
    with suppress(TimeoutError, WebSocketException):
        await ws.send(orjson.dumps({"type": "pause"}).decode())
        async with asyncio.timeout(2.0):
            async for message in ws:
                header = _header(message)
                if header["type"] == "paused":
                    break
                if header["type"] == "frame":
                    await ws.send(orjson.dumps({"type": "ack", "seq": header["seq"]}).decode())
    await ws.close()


async def _student(n: int, url: str, play: dict[str, Any], seconds: float, ready: list[int],
                   go: asyncio.Future[float], me: Student) -> None:  # fmt: skip
    try:
        ws, first_step = await _connect(url, n)
    except (OSError, TimeoutError, httpx.HTTPError, WebSocketException) as err:
        me.error = f"connect: {type(err).__name__}: {err}"
        ready.append(n)
        return
    ready.append(n)
    try:
        start = await go
        await _play(ws, first_step, play, start, seconds, me)
    except (OSError, WebSocketException) as err:
        me.error = f"play: {type(err).__name__}: {err}"
    finally:
        await _stop(ws)


# --- /api/health, probed from another process ------------------------------------------------


def _probe(conn: Connection, url: str) -> None:
    """In a child process: wait for the duration, then probe health; send back latencies."""
    seconds = conn.recv()
    latencies: list[float] = []
    errors = 0
    with httpx.Client(base_url=url, timeout=10) as client:
        client.get("/api/health")  # the connection is open before the clock starts
        until = time.perf_counter() + seconds
        while time.perf_counter() < until:
            t0 = time.perf_counter()
            try:
                ok = client.get("/api/health").status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - t0)
            errors += not ok
            time.sleep(max(0.0, PROBE_INTERVAL - (time.perf_counter() - t0)))
    conn.send((latencies, errors))
    conn.close()


# --- the class ------------------------------------------------------------------------------


def _rates(values: list[float]) -> dict[str, float]:
    return {"p50": round(statistics.median(values), 1), "min": round(min(values), 1)}


async def _class(url: str, scenario: str, clients: int, seconds: float,
                 clock: Callable[[str], None]) -> list[Student]:  # fmt: skip
    loop = asyncio.get_running_loop()
    students = [Student() for _ in range(clients)]
    ready: list[int] = []
    go: asyncio.Future[float] = loop.create_future()
    tasks = [asyncio.create_task(_student(n, url, SCENARIOS[scenario], seconds, ready, go, me))
             for n, me in enumerate(students)]  # fmt: skip
    deadline = loop.time() + CONNECT_TIMEOUT
    while len(ready) < clients and loop.time() < deadline:
        await asyncio.sleep(0.05)
    for n, me in enumerate(students):
        if n not in ready:
            me.error = f"not connected within {CONNECT_TIMEOUT:g} s"
    clock("go")
    start = loop.time()
    loop.call_at(start + seconds, clock, "end")
    go.set_result(start)
    # every student stops by itself (seconds, then at most 2 s to pause); this is the backstop
    _, pending = await asyncio.wait(tasks, timeout=seconds + CONNECT_TIMEOUT + 10)
    for task in pending:
        task.cancel()
    return students


def run_play(url: str, scenario: str, clients: int, seconds: float,
             server_cpu: Callable[[], float] | None = None) -> dict[str, Any]:  # fmt: skip
    """Run one Play scenario against ``url``; a summary (see ``report``)."""
    load_before = os.getloadavg()[0]
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    prober = ctx.Process(target=_probe, args=(child, url), daemon=True)
    prober.start()
    marks: dict[str, tuple[float, float, float]] = {}

    def clock(mark: str) -> None:  # at Play and `seconds` later: wall, this process's, server's CPU
        if mark == "go":
            parent.send(seconds)  # the prober starts
        own = sum(os.times()[:2])
        marks[mark] = (time.perf_counter(), own, server_cpu() if server_cpu else 0.0)

    # uvloop (uvicorn's own loop) keeps this client's share of the two cores small
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        students = runner.run(_class(url, scenario, clients, seconds, clock))
    end = marks.get("end", (time.perf_counter(), sum(os.times()[:2]), 0.0))
    wall, client_cpu, server = (b - a for a, b in zip(marks["go"], end, strict=True))
    latencies, probe_errors = parent.recv() if parent.poll(seconds + 30) else ([], 1)
    prober.join(timeout=10)
    if prober.is_alive():
        prober.kill()
    errors = [s.error for s in students if s.error is not None]
    return {
        "scenario": scenario,
        "play": SCENARIOS[scenario],
        "clients": clients,
        "seconds": seconds,
        "frames_per_s": _rates([s.frames / seconds for s in students]),
        "boundaries_per_s": _rates([s.boundaries / seconds for s in students]),
        "updates_per_s": _rates([s.updates / seconds for s in students]),
        "class_updates_per_s": round(sum(s.updates for s in students) / seconds),
        "health": {
            "probes": len(latencies),
            "p50_ms": round(statistics.median(latencies) * 1e3, 1) if latencies else None,
            "p99_ms": round(percentile(latencies, 0.99) * 1e3, 1) if latencies else None,
            "max_ms": round(max(latencies) * 1e3, 1) if latencies else None,
            "errors": probe_errors,
        },
        "errors": len(errors) + probe_errors,
        "error_examples": errors[:5],
        "server_cpu_cores": round(server / wall, 2) if server_cpu else None,
        "client_cpu_cores": round(client_cpu / wall, 2),
        # other processes on the machine take their share of the cores too
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def report(summary: dict[str, Any]) -> None:
    s = summary
    speed = s["play"].get("steps_per_frame")
    print(f"{s['scenario']}: {s['clients']} students for {s['seconds']:g} s, default network "
          f"[2, 4, 2, 1] on circle, {f'{speed} updates a frame' if speed else 'full speed'}, "
          f"boundary 40×40 with every neuron 12 a second; each shows one frame per 60 Hz tick "
          f"and acknowledges it")  # fmt: skip
    print(f"{'per student':<14}{'p50':>10}{'min':>10}")
    for key, label in (("frames_per_s", "frames/s"), ("boundaries_per_s", "boundaries/s"),
                       ("updates_per_s", "updates/s")):  # fmt: skip
        print(f"{label:<14}{s[key]['p50']:>10.1f}{s[key]['min']:>10.1f}")
    print(f"class: {s['class_updates_per_s']} updates/s in all")
    h = s["health"]
    print(f"/api/health (another process, every {PROBE_INTERVAL * 1e3:g} ms): {h['probes']} "
          f"probes, p50 {h['p50_ms']} ms, p99 {h['p99_ms']} ms, max {h['max_ms']} ms, "
          f"{h['errors']} errors")  # fmt: skip
    print(f"errors: {s['errors']}")
    for example in s["error_examples"]:
        print("  error:", example)
    if s["server_cpu_cores"] is not None:
        workers = f" ({s['workers']} workers)" if s.get("workers") else ""
        print(f"server CPU: {s['server_cpu_cores']} cores{workers}; this load client: "
              f"{s['client_cpu_cores']} cores; {os.cpu_count()} cores in all, load average "
              f"{s['load_average'][0]} before, {s['load_average'][1]} after")  # fmt: skip
