"""Each worker listens on a socket of its own (app/cli/listeners.py), so that the kernel
spreads a class's connections across the workers instead of one taking most of them."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import listeners
from tests.servers import free_port

pytestmark = pytest.mark.skipif(not listeners.balanced(), reason="needs SO_REUSEPORT")

HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX, 1, int(sys.argv[2]))
print("held", flush=True)
time.sleep(60)
"""


@pytest.fixture
def slots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@pytest.fixture
def bound() -> Iterator[tuple[int, list[socket.socket]]]:
    port = free_port()
    sockets = listeners.bind("127.0.0.1", port, 3)
    yield port, sockets
    for sock in sockets:
        sock.close()


def _another_worker_holds(path: Path, slot: int) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(slot)],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def _dies(holder: subprocess.Popen[str]) -> None:
    holder.kill()
    holder.communicate()


def test_the_sockets_share_the_port_and_each_listens_by_itself(bound):
    port, sockets = bound
    assert {s.getsockname() for s in sockets} == {("127.0.0.1", port)}
    for sock in sockets:
        sock.listen()
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass  # one of them accepts it


def test_a_taken_port_is_refused(bound):
    port, sockets = bound
    for sock in sockets:
        sock.listen()  # as the workers do
    with pytest.raises(OSError):
        listeners.bind("127.0.0.1", port, 2)  # another server of this app
    with socket.socket() as plain:
        plain.bind(("127.0.0.1", 0))
        plain.listen()
        with pytest.raises(OSError):
            listeners.bind("127.0.0.1", plain.getsockname()[1], 2)  # any other listener


def test_a_worker_keeps_the_socket_of_the_first_slot_no_other_worker_holds(slots, bound):
    port, sockets = bound
    path = slots / f"backprop-explorer-127.0.0.1-{port}.workers"
    holder = _another_worker_holds(path, 0)
    try:
        mine = list(sockets)
        listeners.keep_own(mine, "127.0.0.1", port)
        assert mine == [sockets[1]]
        assert sockets[0].fileno() == -1 and sockets[2].fileno() == -1  # closed here
    finally:
        _dies(holder)


def test_a_slot_is_free_again_once_its_worker_died(slots, bound):
    """The kernel drops a dead worker's lock: the worker started in its place takes over
    its socket (and the connections waiting on it)."""
    port, sockets = bound
    path = slots / f"backprop-explorer-127.0.0.1-{port}.workers"
    _dies(_another_worker_holds(path, 0))
    mine = list(sockets)
    listeners.keep_own(mine, "127.0.0.1", port)
    assert mine == [sockets[0]]


def _listening_inodes(port: int) -> set[str]:
    """Inodes of the sockets listening on ``port`` (state 0A in /proc/net/tcp)."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return {f[9] for f in (r.split() for r in rows)
            if int(f[1].split(":")[1], 16) == port and f[3] == "0A"}  # fmt: skip


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().name
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")
def test_serve_gives_each_worker_one_listening_socket_of_its_own(tmp_path: Path) -> None:
    port = free_port()
    env = {"BACKPROP_EXPLORER_DB": str(tmp_path / "db.sqlite3"), "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "app", "serve", "--workers", "2", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    try:
        assert proc.stdout is not None and "is running" in proc.stdout.readline()
        deadline = time.monotonic() + 30  # the first worker answered: wait for the second
        while len(listening := _listening_inodes(port)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(listening) == 2
        # (other children, such as a kernel compile's, hold none)
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        held = [h for pid in children if (h := _socket_inodes(int(pid)) & listening)]
        assert len(held) == 2 and all(len(h) == 1 for h in held) and held[0] != held[1]
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
