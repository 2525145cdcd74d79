"""Real server processes for the hardening tests: uvicorn and redis-server on free ports.

Each is started in a temp directory with its output in a log file (a pipe nobody reads
could fill up and stall it), waited for until it answers, and stopped — or killed — by
the test that started it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

import httpx

from app.serving import uvicorn_flags

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A uvicorn process serving ``app.main:app``."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.proc = proc
        self.port = port
        self.log = log
        self.url = f"http://127.0.0.1:{port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing, as in a crash (children first)."""
        for pid in _children(self.proc.pid):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def start_server(tmp: Path, env: dict[str, str], workers: int = 1, timeout: float = 60) -> Server:
    port = free_port()
    log = tmp / f"uvicorn-{port}.log"
    cmd = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning", *uvicorn_flags()]  # fmt: skip
    if workers > 1:
        cmd += ["--workers", str(workers)]
    full_env = {**os.environ, "PYTHONWARNINGS": "ignore", **env}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(proc, port, log)
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=server.url, timeout=2) as client:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {proc.returncode}:\n{server.output()}")
            try:
                if client.get("/api/health").status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"uvicorn did not answer in {timeout} s:\n{server.output()}")
            time.sleep(0.05)


@contextmanager
def running_server(tmp: Path, env: dict[str, str], workers: int = 1) -> Iterator[Server]:
    server = start_server(tmp, env, workers)
    try:
        yield server
    finally:
        server.stop()


class RedisServer:
    def __init__(self, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.proc = proc
        self.port = port
        self.log = log
        self.url = f"redis://127.0.0.1:{port}/0"


@contextmanager
def running_redis(tmp: Path, timeout: float = 10) -> Iterator[RedisServer]:
    """A throwaway redis-server: no persistence, its own port and directory."""
    import redis

    port = free_port()
    log = tmp / f"redis-{port}.log"
    cmd = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp),
           "--save", "", "--appendonly", "no", "--protected-mode", "yes"]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    server = RedisServer(proc, port, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            client = redis.Redis(port=port, socket_connect_timeout=1)
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start:\n{log.read_text()}") from None
                time.sleep(0.05)
            finally:
                client.close()
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def have_redis() -> bool:
    return Path(REDIS_SERVER).exists()


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run`` in a thread of its own: a session-wide fixture (Playwright's) may
    already be running an event loop in this one."""
    result: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(make()))
        except BaseException as err:
            errors.append(err)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]
