"""Connections evened out across workers (app/handoff.py): a worker two or more ahead passes a
new connection to the least busy one, which serves it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.client
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import handoff
from tests.servers import free_port
from tests.test_listeners import _listening_inodes, _socket_inodes

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="abstract Unix socket addresses")


@pytest.fixture
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[handoff.Balancer]]:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    port = free_port()
    balancers = [handoff.Balancer("127.0.0.1", port, slot, 2) for slot in (0, 1)]
    yield balancers
    for balancer in balancers:
        balancer.close()


def test_a_worker_passes_on_only_when_two_ahead_of_the_least_busy(pair) -> None:
    me, other = pair
    other.publish(5)
    assert [me.least_busy(n) for n in (5, 6, 7, 9)] == [None, None, 1, 1]
    assert other.least_busy(7) == 0  # (me: 0 published when it joined)
    alone = handoff.Balancer("127.0.0.1", free_port(), 0, 1)
    assert alone.least_busy(100) is None
    alone.close()


class _Echo(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(b"taken: " + data)  # type: ignore[attr-defined]


class _Passing(asyncio.Protocol):
    """What HttpProtocol does with a connection it accepts: pass it on if it can."""

    def __init__(self, balancer: handoff.Balancer, passed: list[bool]) -> None:
        self.balancer, self.passed = balancer, passed

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        passed = self.balancer.pass_on(transport, 10)  # type: ignore[arg-type]
        self.passed.append(passed)
        if passed:
            transport.abort()  # type: ignore[attr-defined]


def test_a_passed_connection_is_served_by_the_taker_and_stays_open(pair) -> None:
    me, other = pair

    async def main() -> None:
        loop = asyncio.get_running_loop()
        passed: list[bool] = []
        server = await loop.create_server(lambda: _Passing(me, passed), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        # nobody takes yet: the connection stays with the worker that accepted it
        r, w = await asyncio.open_connection("127.0.0.1", port)
        await asyncio.sleep(0.05)
        assert passed == [False]
        w.close()
        other.adopt(_Echo, loop)  # now the other worker takes connections
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(b"hello")
        assert await asyncio.wait_for(r.readexactly(12), 5) == b"taken: hello"
        assert passed == [False, True]
        assert other.count(1) == 1  # counted for it until it publishes its own
        w.close()
        server.close()

    # (a loop of its own, in a thread: after the browser tests playwright's runs in this one)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, main()).result(timeout=30)


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads Linux's /proc")
def test_serve_evens_out_connections_across_its_workers(tmp_path: Path) -> None:
    port = free_port()
    env = {"BACKPROP_EXPLORER_DB": str(tmp_path / "db.sqlite3"), "PATH": "/usr/bin:/bin",
           "TMPDIR": str(tmp_path)}  # fmt: skip
    cmd = [sys.executable, "-m", "app", "serve", "--workers", "2", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    conns: list[http.client.HTTPConnection] = []
    try:
        assert proc.stdout is not None and "is running" in proc.stdout.readline()
        deadline = time.monotonic() + 30  # the first worker answered: wait for the second
        while len(_listening_inodes(port)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        for _ in range(100):  # kept open: the kernel alone splits them unevenly
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/api/health")
            assert conn.getresponse().read()
            conns.append(conn)
        served = _served_by(proc.pid, port)
        assert sum(served.values()) == 100 and len(served) == 2
        a, b = served.values()
        assert abs(a - b) <= handoff.AHEAD, served
        for conn in conns:  # every connection, passed on or not, goes on answering
            conn.request("GET", "/api/health")
            assert conn.getresponse().status == 200
    finally:
        for conn in conns:
            conn.close()
        proc.terminate()
        proc.communicate(timeout=30)


def _served_by(server: int, port: int) -> Counter[int]:
    """Established connections to ``port`` per worker of ``server`` holding their end."""
    rows = (r.split() for r in Path("/proc/net/tcp").read_text().splitlines()[1:])
    ours = {f[9] for f in rows if int(f[1].split(":")[1], 16) == port and f[3] == "01"}
    children = Path(f"/proc/{server}/task/{server}/children").read_text().split()
    return Counter({int(pid): n for pid in children if (n := len(_socket_inodes(int(pid)) & ours))})
