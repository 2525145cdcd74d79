"""Measure how much a server's memory grows under clients that ask for large answers and
never read them (issue 14, finding 1), for docs/limits.md.

Starts the served configuration (``app.serving``'s flags) on its own database, creates a
10 × 64 session, and then opens, all at once:

* ``--readers`` HTTP clients that request the largest boundary the limits allow (every
  neuron, the highest resolution under ``max_grid_values``) and never read a byte;
* ``--streams`` WebSocket clients (a raw socket, so nothing reads on their behalf) that
  play with that boundary in every frame and acknowledge frames they never read.

It samples the server's resident memory (VmRSS) for ``--seconds`` and prints one JSON
object: the RSS before, the peak, the growth, and per client.

    .venv/bin/python -m scripts.memory --readers 16 --streams 6 --seconds 30
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import copy
import json
import os
import socket
import time
from typing import Any

import httpx
import orjson

from app.presets import DEFAULT_REQUEST
from app.serving import uvicorn_flags
from app.settings import Limits
from scripts.bench_api import Server

LAYERS = [2] + [64] * 9 + [1]
WIDE = {"layers": LAYERS, "activations": ["tanh"] * 9 + ["sigmoid"]}


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def largest_resolution(layers: list[int], limits: Limits) -> int:
    """The highest boundary resolution whose every-neuron grids fit ``max_grid_values``."""
    grids = sum(layers[1:])
    resolution = limits.max_grid
    while resolution > 2 and resolution * resolution * grids > limits.max_grid_values:
        resolution -= 1
    return resolution


def _socket(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # read nothing, buffer little
    return s


def reader(port: int, path: str) -> socket.socket:
    s = _socket(port)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return s


def _ws_frame(text: bytes) -> bytes:
    """One masked client text frame (RFC 6455)."""
    mask = os.urandom(4)
    n = len(text)
    head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0xFE]) + n.to_bytes(2, "big"))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(text))


def streamer(port: int, session_id: str, boundary: dict[str, Any]) -> socket.socket:
    s = _socket(port)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(
        f"GET /api/networks/{session_id}/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    play = {"type": "play", "steps_per_frame": 1, "boundary": boundary}
    s.sendall(_ws_frame(orjson.dumps(play)))
    return s


def measure(readers: int, streams: int, seconds: float) -> dict[str, Any]:
    limits = Limits()
    server = Server(args=uvicorn_flags())
    sockets: list[socket.socket] = []
    try:
        pid = server.proc.pid
        request = copy.deepcopy(DEFAULT_REQUEST)
        request["network"] = {**request["network"], **WIDE}
        created = httpx.post(server.url + "/api/networks", json=request, timeout=30)
        session_id = created.json()["id"]
        resolution = largest_resolution(LAYERS, limits)
        path = f"/api/networks/{session_id}/boundary?resolution={resolution}&neurons=true"
        answer = httpx.get(server.url + path, timeout=120)  # warm: numba, caches
        assert answer.status_code == 200, answer.text[:200]
        time.sleep(1)
        before = rss_mb(pid)
        port = server.port
        sockets += [reader(port, path) for _ in range(readers)]
        boundary = {"every": 1, "resolution": resolution, "neurons": True}
        sockets += [streamer(port, session_id, boundary) for _ in range(streams)]
        peak, seq, t0 = before, 0, time.monotonic()
        while time.monotonic() - t0 < seconds:
            seq += 1
            for s in sockets[readers:]:  # acknowledge frames never read
                # OSError: the server ended that stream, which is what it should do
                with contextlib.suppress(OSError):
                    s.sendall(_ws_frame(orjson.dumps({"type": "ack", "seq": seq})))
            peak = max(peak, rss_mb(pid))
            time.sleep(0.1)
        health = httpx.get(server.url + "/api/health", timeout=10).status_code
        refused = httpx.get(server.url + path, timeout=60).status_code  # while they hold it
        clients = readers + streams
        return {
            "readers": readers, "streams": streams, "seconds": seconds,
            "answer_bytes": len(answer.content), "resolution": resolution,
            "rss_before_mb": round(before, 1), "rss_peak_mb": round(peak, 1),
            "growth_mb": round(peak - before, 1),
            "growth_per_client_mb": round((peak - before) / max(clients, 1), 1),
            "health_during": health, "another_boundary": refused,
            "load_average": os.getloadavg()[0],
        }  # fmt: skip
    finally:
        for s in sockets:
            s.close()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=16)
    parser.add_argument("--streams", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    print(json.dumps(measure(args.readers, args.streams, args.seconds)))


if __name__ == "__main__":
    main()
