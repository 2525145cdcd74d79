"""API benchmark: full-trace step latency against /api/health latency, same server, same run;
and REST training throughput, updates/s in calls of 10,000 steps.

Starts uvicorn on a free loopback port with a throw-away database, then for 1,
8 and 32 concurrent clients alternates rounds of health calls and step calls
(each step answers with the minibatch's full trace), and reports p50/p99 and
their ratio. ``throughput`` then times ``POST …/step {"steps": 10000}`` on
TensorFlow Playground's default setup and on [2,8,8,1] at batch 32. Bounded in
time; stops the server at the end.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
BENCH_NETWORK = {
    "network": {
        "layers": [2, 8, 8, 1],
        "activations": ["tanh", "tanh", "sigmoid"],
        "loss": "bce",
        "init": "xavier",
        "seed": 0,
    },
    "dataset": {"name": "circle", "n_samples": 200, "seed": 0},
    "training": {"optimizer": "sgd", "learning_rate": 0.03, "batch_size": 32},
}


# TensorFlow Playground's defaults: [2,4,2,1], tanh, square error, 250 + 250 points, batch 10,
# learning rate 0.03.
PLAYGROUND_NETWORK = {
    "network": {
        "layers": [2, 4, 2, 1],
        "activations": ["tanh", "tanh", "tanh"],
        "loss": "mse",
        "init": "xavier",
        "seed": 0,
    },
    "dataset": {"name": "circle", "n_samples": 500, "test_fraction": 0.5, "seed": 0},
    "training": {"optimizer": "sgd", "learning_rate": 0.03, "batch_size": 10},
}
CHUNK = 10_000  # steps per REST call


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """uvicorn serving app.main:app on 127.0.0.1 with its own database."""

    def __init__(
        self, extra_env: dict[str, str] | None = None, args: list[str] | None = None
    ) -> None:
        self.port = free_port()
        self.tmp = tempfile.TemporaryDirectory()
        env = {**os.environ, "BACKPROP_EXPLORER_DB": f"{self.tmp.name}/bench.sqlite3",
               **(extra_env or {})}  # fmt: skip
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(self.port),
             "--log-level", "warning", "--no-access-log", *(args or [])],
            cwd=ROOT, env=env,
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.tmp.cleanup()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _client_loop(
    client: httpx.AsyncClient, method: str, path: str, body: Any, until: float
) -> list[float]:
    times = []
    while time.perf_counter() < until:
        t0 = time.perf_counter()
        r = await client.request(method, path, json=body)
        times.append(time.perf_counter() - t0)
        r.raise_for_status()
    return times


async def _round(url: str, clients: int, method: str, paths: list[str], body: Any,
                 seconds: float) -> list[float]:  # fmt: skip
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        until = time.perf_counter() + seconds
        results = await asyncio.gather(
            *(_client_loop(client, method, paths[i % len(paths)], body, until)
              for i in range(clients))
        )  # fmt: skip
    return [t for r in results for t in r]


def chunked_step_rate(url: str, request: dict[str, Any], seconds: float,
                      chunk: int) -> dict[str, Any]:  # fmt: skip
    """Updates/s of one client calling ``POST …/step {"steps": chunk, "trace": false}`` back
    to back on a new session of ``request`` for ``seconds`` (at least one call)."""
    with httpx.Client(base_url=url, timeout=120) as client:
        sid = client.post("/api/networks", json=request).json()["id"]
        path, body = f"/api/networks/{sid}/step", {"steps": chunk, "trace": False}
        client.post(path, json=body).raise_for_status()  # warm-up
        calls = 0
        t0 = time.perf_counter()
        while calls == 0 or time.perf_counter() - t0 < seconds:
            client.post(path, json=body).raise_for_status()
            calls += 1
        elapsed = time.perf_counter() - t0
    return {"updates_per_s": calls * chunk / elapsed, "seconds": elapsed, "calls": calls}


def run(seconds: float = 2.0) -> list[dict[str, Any]]:
    server = Server()
    try:
        rows = []
        for clients in (1, 8, 32):
            # One session per client: steps on one session are serialised by design.
            ids = [httpx.post(server.url + "/api/networks", json=BENCH_NETWORK).json()["id"]
                   for _ in range(clients)]  # fmt: skip
            step_paths = [f"/api/networks/{i}/step" for i in ids]
            health: list[float] = []
            step: list[float] = []
            for _ in range(3):  # alternate so both see the same machine load
                health += asyncio.run(
                    _round(server.url, clients, "GET", ["/api/health"], None, seconds / 3)
                )
                step += asyncio.run(
                    _round(server.url, clients, "POST", step_paths, {"steps": 1}, seconds / 3)
                )
            h50, s50 = statistics.median(health), statistics.median(step)
            rows.append(
                {
                    "clients": clients,
                    "health_p50_ms": round(h50 * 1e3, 2),
                    "health_p99_ms": round(percentile(health, 0.99) * 1e3, 2),
                    "step_p50_ms": round(s50 * 1e3, 2),
                    "step_p99_ms": round(percentile(step, 0.99) * 1e3, 2),
                    "p50_ratio": round(s50 / h50, 2),
                    "step_rps": round(len(step) / seconds, 1),
                    "health_rps": round(len(health) / seconds, 1),
                }
            )
        return rows
    finally:
        server.stop()


def throughput(seconds: float = 3.0) -> list[dict[str, Any]]:
    """REST training: updates/s over ``POST …/step {"steps": 10000}`` calls, one session."""
    server = Server()
    rows = []
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            for name, request in (("2-4-2-1 (Playground default)", PLAYGROUND_NETWORK),
                                  ("2-8-8-1", BENCH_NETWORK)):  # fmt: skip
                sid = client.post("/api/networks", json=request).json()["id"]
                client.post(f"/api/networks/{sid}/step", json={"steps": CHUNK})  # warm
                times: list[float] = []
                end = time.perf_counter() + seconds
                while time.perf_counter() < end or len(times) < 3:
                    t0 = time.perf_counter()
                    r = client.post(f"/api/networks/{sid}/step", json={"steps": CHUNK})
                    times.append(time.perf_counter() - t0)
                    r.raise_for_status()
                rows.append({
                    "network": name,
                    "batch": request["training"]["batch_size"],
                    "calls": len(times),
                    "ms_per_call_p50": round(statistics.median(times) * 1e3, 1),
                    "updates_per_s": round(CHUNK / statistics.median(times)),
                    "best_updates_per_s": round(CHUNK / min(times)),
                })  # fmt: skip
        return rows
    finally:
        server.stop()


if __name__ == "__main__":
    for row in run():
        print(row)
    for row in throughput():
        print(row)
