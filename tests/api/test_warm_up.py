"""The training kernel is warmed up at server start, off the event loop."""

from __future__ import annotations

import os
import statistics
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

import app.main
from app.engine import kernel_loops
from app.main import create_app
from tests.servers import running_server


def test_the_server_answers_while_the_warm_up_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    started, release = threading.Event(), threading.Event()

    def slow_warm_up() -> str:
        started.set()
        assert release.wait(30), "the test never released the warm-up"
        return "ready"

    monkeypatch.setattr(app.main, "warm_up", slow_warm_up)
    with TestClient(create_app()) as client:  # the lifespan has run and returned
        assert started.wait(10)
        thread = client.app.state.warm_up  # type: ignore[attr-defined]
        assert thread.is_alive() and thread is not threading.main_thread()
        health = client.get("/api/health")  # while it is still running
        assert health.status_code == 200 and health.json()["kernel"] == "warming"
        release.set()
        thread.join(10)
        assert not thread.is_alive()
        assert client.get("/api/health").json()["kernel"] == "ready"


def test_the_real_warm_up_compiles_the_kernel() -> None:
    with TestClient(create_app()) as client:
        client.app.state.warm_up.join(120)  # type: ignore[attr-defined]
    assert kernel_loops.train.signatures and kernel_loops.evaluate.signatures


def test_a_cold_compile_runs_in_a_child_and_health_answers_meanwhile(tmp_path: Path) -> None:
    """A first start (empty numba cache): the compile's seconds of CPU are a child process's,
    not the server's, so health keeps answering while the kernel is "warming"."""
    cache = tmp_path / "numba"
    env = {"NUMBA_CACHE_DIR": str(cache), "BACKPROP_EXPLORER_DB": str(tmp_path / "db.sqlite")}
    with running_server(tmp_path, env) as server, httpx.Client(base_url=server.url) as http:
        states: list[str] = []
        waits: list[float] = []
        while not states or states[-1] == "warming":
            t0 = time.perf_counter()
            states.append(http.get("/api/health", timeout=30).json()["kernel"])
            waits.append(time.perf_counter() - t0)
            assert len(states) < 20_000, "the warm-up never finished"
            time.sleep(0.02)
        own, children = _cpu_seconds(server.proc.pid)
    assert states[0] == "warming" and states[-1] == "ready"
    assert children > own, f"the server compiled: {own:.2f} s vs the child {children:.2f} s"
    assert any(cache.rglob("*.nbi")), "the child did not fill the disk cache"
    assert statistics.median(waits) < 0.5, f"health answered in {statistics.median(waits):.3f} s"


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """(the process's own CPU seconds, its finished children's), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


def test_workers_started_together_compile_one_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """make run starts a worker per core: on a cold cache the first compiles, the others wait
    for its cache instead of each compiling (a flock, as between processes; two threads open
    the file separately, so they exclude each other as two processes do)."""
    running, most = 0, 0
    lock = threading.Lock()

    def compile_in_child() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.2)
        with lock:
            running -= 1

    monkeypatch.setattr(app.main, "COMPILE_LOCK", tmp_path / "compile.lock")
    monkeypatch.setattr(app.main, "compile_in_child", compile_in_child)
    workers = [threading.Thread(target=app.main.compile_once) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(10)
    assert most == 1
