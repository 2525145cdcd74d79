"""Stream benchmark: play the default session over the WebSocket like a 60 Hz page would.

A client paced at 60 Hz (it acknowledges the newest frame once per 1/60 s tick,
as the page does from requestAnimationFrame) plays the default network on its
2-D dataset at full speed, with the decision boundary (40 × 40, every neuron)
12 times a second (``per_second``: a cadence in time, so 10 a second holds with a
margin whatever the frame rate). It counts frames, updates and boundary refreshes per second
over the run, and meanwhile times ``/api/health`` from a second client, to show
that the training does not stall other requests; the same health probe with no
stream running gives the baseline.

Also measured: the frame formats (binary float32/float64 vs compact JSON) and
per-message compression, by size and encode/decode time, and shorter stream
runs with JSON frames and with compression, for the comparison in docs/api.md.
"""

from __future__ import annotations

import asyncio
import copy
import os
import statistics
import time
import zlib
from typing import Any

import httpx
import numpy as np
import orjson
from websockets.asyncio.client import connect

from app.api import frames
from app.presets import DEFAULT_REQUEST
from scripts.bench_api import Server, percentile

FPS = 60.0
PROBE_INTERVAL = 0.02  # between two health calls: about 40 a second, a busy page's worth
BOUNDARY = {"per_second": 12, "resolution": 40, "neurons": True}
DEEP = {"layers": [2, 16, 16, 16, 16, 16, 16, 1],
        "activations": ["tanh"] * 6 + ["sigmoid"]}  # fmt: skip
PLAYGROUND_UPDATES_PER_SECOND = 1500  # TF Playground: 250 samples / batch 10 per frame at 60 Hz


def request_for(network: dict[str, Any] | None = None) -> dict[str, Any]:
    req = copy.deepcopy(DEFAULT_REQUEST)
    if network:
        req["network"].update(network)
    return req


async def _health_probe(url: str, until: float, out: list[float]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        while time.perf_counter() < until:
            t0 = time.perf_counter()
            (await client.get("/api/health")).raise_for_status()
            out.append(time.perf_counter() - t0)
            await asyncio.sleep(PROBE_INTERVAL)


async def play_session(
    url: str,
    session_id: str,
    seconds: float,
    fmt: str = "binary",
    compression: str | None = None,
    play: dict[str, Any] | None = None,
) -> dict[str, Any]:
    ws_url = url.replace("http://", "ws://") + f"/api/networks/{session_id}/stream"
    async with connect(ws_url, compression=compression, max_size=2**26) as ws:
        hello = orjson.loads(await ws.recv())
        await ws.send(orjson.dumps({"type": "play", "boundary": BOUNDARY, "format": fmt,
                                    **(play or {})}).decode())  # fmt: skip
        received: list[int] = []  # seqs received and not yet "displayed"
        acked = 0
        frames_seen = boundaries = 0
        first_step = last_step = hello["step"]
        nbytes = 0
        timeline: list[tuple[float, int]] = []
        t_start = time.perf_counter()
        until = t_start + seconds

        async def ticker() -> None:
            nonlocal acked
            tick = 1.0 / FPS
            next_tick = time.perf_counter() + tick
            while time.perf_counter() < until:
                await asyncio.sleep(max(0.0, next_tick - time.perf_counter()))
                next_tick += tick
                if received:  # like the page: show the oldest waiting frame, then ack it
                    acked = received.pop(0)
                    await ws.send(orjson.dumps({"type": "ack", "seq": acked}).decode())

        tick_task = asyncio.create_task(ticker())
        while True:
            left = until - time.perf_counter()
            if left <= 0:
                break
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=left)
            except TimeoutError:
                break
            nbytes += len(message)
            if isinstance(message, bytes):
                header, _ = frames.decode_binary(message)
            else:
                header = orjson.loads(message)
            if header["type"] != "frame":
                continue
            frames_seen += 1
            boundaries += header["boundary"] is not None
            last_step = header["step"]
            timeline.append((time.perf_counter() - t_start, last_step))
            received.append(header["seq"])
        elapsed = time.perf_counter() - t_start
        tick_task.cancel()
        await ws.send(orjson.dumps({"type": "pause"}).decode())
    updates = last_step - first_step
    per_second = []  # updates in each whole second of the run
    before = first_step
    for k in range(1, int(elapsed) + 1):
        upto = max((st for t, st in timeline if t < k), default=before)
        per_second.append(upto - before)
        before = upto
    return {
        "format": fmt,
        "compression": compression or "none",
        "seconds": round(elapsed, 2),
        "frames_per_s": round(frames_seen / elapsed, 1),
        "updates_per_s": round(updates / elapsed),
        "min_updates_per_s": min(per_second) if per_second else None,
        "updates_per_frame": round(updates / max(frames_seen, 1), 1),
        "boundary_per_s": round(boundaries / elapsed, 1),
        "kbytes_per_s": round(nbytes / elapsed / 1024, 1),
        "x_playground": round(updates / elapsed / PLAYGROUND_UPDATES_PER_SECOND, 2),
    }


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _health_only(url: str, seconds: float) -> list[float]:
    out: list[float] = []
    await _health_probe(url, time.perf_counter() + seconds, out)
    return out


async def _play_with_probe(url: str, session_id: str, seconds: float,
                           **kw: Any) -> tuple[dict[str, Any], list[float]]:  # fmt: skip
    probe: list[float] = []
    until = time.perf_counter() + seconds
    result, _ = await asyncio.gather(
        play_session(url, session_id, seconds, **kw), _health_probe(url, until, probe)
    )
    return result, probe


def run(seconds: float = 10.0, short: float = 3.0) -> dict[str, Any]:
    """The 10 s stream run with its health probe, then the variants, on two servers
    (without and with per-message compression offered)."""
    rows = []
    with_probe: dict[str, Any] = {}
    server = Server(args=["--ws-per-message-deflate", "false"])
    try:
        idle = asyncio.run(_health_only(server.url, 2.0))
        sid = httpx.post(server.url + "/api/networks", json=request_for()).json()["id"]
        cpu0 = cpu_seconds(server.proc.pid)
        main, probe = asyncio.run(_play_with_probe(server.url, sid, seconds))
        cpu1 = cpu_seconds(server.proc.pid)
        main["network"] = "default"
        if cpu0 is not None and cpu1 is not None:
            # how much of one core the server got: on a shared machine, the rest is why
            # updates/s falls short of what the same code does on an idle core
            main["server_cpu"] = round((cpu1 - cpu0) / main["seconds"], 2)
        rows.append(main)
        with_probe = {
            "health_idle_p50_ms": round(statistics.median(idle) * 1e3, 2),
            "health_idle_p99_ms": round(percentile(idle, 0.99) * 1e3, 2),
            "health_streaming_p50_ms": round(statistics.median(probe) * 1e3, 2),
            "health_streaming_p99_ms": round(percentile(probe, 0.99) * 1e3, 2),
        }
        with_probe["health_p50_ratio"] = round(
            with_probe["health_streaming_p50_ms"] / with_probe["health_idle_p50_ms"], 2
        )
        for extra in ({"network": "default", "fmt": "json"},
                      {"network": "6×16", "fmt": "binary"}):  # fmt: skip
            net = DEEP if extra["network"] == "6×16" else None
            sid = httpx.post(server.url + "/api/networks", json=request_for(net)).json()["id"]
            row = asyncio.run(play_session(server.url, sid, short, fmt=str(extra["fmt"])))
            row["network"] = extra["network"]
            rows.append(row)
    finally:
        server.stop()
    server = Server()  # uvicorn's default: per-message deflate offered
    try:
        sid = httpx.post(server.url + "/api/networks", json=request_for()).json()["id"]
        row = asyncio.run(play_session(server.url, sid, short, compression="deflate"))
        row["network"] = "default"
        rows.append(row)
    finally:
        server.stop()
    return {"runs": rows, "health": with_probe, "formats": formats()}


# --- frame formats, measured offline ---------------------------------------------------------


def _frame_content(network: dict[str, Any] | None) -> Any:
    from app.api import schemas
    from app.sessions import compute
    from app.sessions.play import boundary_arrays
    from app.sessions.session import Session

    s = Session.create("bench", schemas.CreateSession(**request_for(network)))
    compute.run_steps(s, 60, False)
    return s, boundary_arrays(s, 40, True)


def _time(fn: Any, rounds: int = 30) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _encode_binary(params: np.ndarray, head: dict[str, Any], f32: list[np.ndarray]) -> bytes:
    spans = frames.layout([params], f32)
    header = {**head, "params": spans[0], "spans": spans[1:]}
    return frames.encode_binary(header, [params], f32)


def _decode_binary(message: bytes) -> None:
    header, data = frames.decode_binary(message)
    frames.array(data, header["params"], np.float64)
    for span in header["spans"]:
        frames.array(data, span, np.float32)


def _encode_json(network: Any, head: dict[str, Any], grid: dict[str, Any] | None) -> bytes:
    from app.api import views
    from app.api.serialize import dumps

    view = views.network_view(network)
    return dumps({**head, "weights": view["weights"], "biases": view["biases"], "boundary": grid})


def formats() -> list[dict[str, Any]]:
    """Size and encode/decode time of a step-sized frame and a frame with the boundary,
    binary vs JSON, and what per-message deflate would make of each (its size and time)."""
    from dataclasses import asdict
    from functools import partial

    rows = []
    for name, net in (("default", None), ("6×16", DEEP)):
        s, grid = _frame_content(net)
        for with_grid in (False, True):
            head = {"type": "frame", "seq": 1, "step": s.step, "steps": 125,
                    "metrics": asdict(s.metrics)}  # fmt: skip
            f32 = [grid["output"], grid["inputs"], *grid["neurons"]] if with_grid else []
            encoders = {
                "binary": partial(_encode_binary, s.network.params, head, f32),
                "json": partial(_encode_json, s.network, head, grid if with_grid else None),
            }
            for fmt, encode in encoders.items():
                msg = encode()
                decode = (
                    partial(_decode_binary, msg) if fmt == "binary" else partial(orjson.loads, msg)
                )
                deflater = zlib.compressobj(6, zlib.DEFLATED, -12, 5)  # as uvicorn configures it
                rows.append({
                    "network": name,
                    "frame": "with boundary" if with_grid else "step only",
                    "format": fmt,
                    "bytes": len(msg),
                    "encode_us": round(_time(encode) * 1e6, 1),
                    "decode_us": round(_time(decode) * 1e6, 1),
                    "deflate_bytes": len(deflater.compress(msg) + deflater.flush()),
                    "deflate_us": round(_time(partial(zlib.compress, msg, 6)) * 1e6, 1),
                })  # fmt: skip
    return rows


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=1))
