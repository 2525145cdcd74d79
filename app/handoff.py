"""Connections evened out across workers: a worker ahead passes a new one to the least busy.

Each worker listens on a socket of its own (``app.cli.listeners``) and the kernel hashes
new connections across them, which is even only on average: 60 students split 26/34 to
35/25 from one run to the next, and the students of the fuller worker got the fewest frames.
So each worker publishes how many connections it has open (a number in a small shared file,
one per worker slot), and a worker that has just accepted one while at least two ahead of
the least busy worker passes the socket to it over a Unix datagram socket (``SCM_RIGHTS``),
before reading a byte of it; the other worker serves it as if it had accepted it. If that
worker is gone (nobody bound to its address), the connection simply stays.

A worker joins (``join``, from ``listeners.keep_own``) with its slot, and starts taking
sockets once its own protocol has been made once (``Balancer.adopt``): that is where it
learns how to make the protocol of a connection it did not accept (uvicorn builds the first).
Linux only (an abstract socket address); elsewhere nothing is passed.
"""

from __future__ import annotations

import array
import asyncio
import mmap
import os
import socket
import struct
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

SLOT = struct.Struct("<q")  # a worker's open connections, in its slot of the shared file
AHEAD = 2  # a worker passes a new connection on when it has this many more than another


class Balancer:
    """This worker's part: its slot, the shared counts and its receiving socket."""

    def __init__(self, host: str, port: int, slot: int, slots: int) -> None:
        self.slot, self.slots = slot, slots
        self.name = f"backprop-explorer-{host}-{port}"
        path = Path(tempfile.gettempdir()) / f"{self.name}.load"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < SLOT.size * slots:
                os.ftruncate(fd, SLOT.size * slots)
            self.counts = mmap.mmap(fd, SLOT.size * slots)
        finally:
            os.close(fd)
        self.publish(0)
        self.inbox: socket.socket | None = None
        self.make: Callable[[], asyncio.Protocol] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def close(self) -> None:
        if self.inbox is not None:
            if self.loop is not None and not self.loop.is_closed():
                self.loop.remove_reader(self.inbox.fileno())
            self.inbox.close()
        self.counts.close()

    def address(self, slot: int) -> str:
        return f"\0{self.name}.{slot}"

    # --- counts ------------------------------------------------------------------------------

    def publish(self, count: int) -> None:
        SLOT.pack_into(self.counts, self.slot * SLOT.size, count)

    def count(self, slot: int) -> int:
        return int(SLOT.unpack_from(self.counts, slot * SLOT.size)[0])

    def least_busy(self, mine: int) -> int | None:
        """The slot of a worker at least ``AHEAD`` behind ``mine`` connections (the least
        busy one), or None."""
        others = [s for s in range(self.slots) if s != self.slot]
        if not others:
            return None
        slot = min(others, key=self.count)
        return slot if self.count(slot) + AHEAD <= mine else None

    # --- passing and taking ------------------------------------------------------------------

    def adopt(self, make: Callable[[], asyncio.Protocol], loop: asyncio.AbstractEventLoop) -> None:
        """Start taking connections from the other workers, served by ``make()``'s protocol."""
        if self.inbox is not None:
            return
        inbox = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            inbox.bind(self.address(self.slot))
        except OSError:  # the worker this one replaces still holds it: take none
            inbox.close()
            return
        inbox.setblocking(False)
        self.inbox, self.make, self.loop = inbox, make, loop
        loop.add_reader(inbox.fileno(), self._take, loop)

    def _take(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self.inbox is not None and self.make is not None
        try:
            _, ancillary, _, _ = self.inbox.recvmsg(1, socket.CMSG_SPACE(4))
        except (BlockingIOError, InterruptedError):
            return
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                for fd in array.array("i", data[: len(data) - len(data) % 4]):
                    sock = socket.socket(fileno=fd)
                    sock.setblocking(False)
                    loop.create_task(self._serve(loop, sock))

    async def _serve(self, loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
        assert self.make is not None
        try:
            await loop.connect_accepted_socket(self.make, sock)
        except OSError:  # the client left in between: nothing to serve
            sock.close()

    def pass_on(self, transport: asyncio.Transport, mine: int) -> bool:
        """Pass the just-accepted connection to a less busy worker, if there is one and it
        takes it: then this worker drops its own copy of the socket (without closing the
        connection). Whether it was passed."""
        slot = self.least_busy(mine)
        sock = transport.get_extra_info("socket")
        if slot is None or sock is None:
            return False
        fds = array.array("i", [sock.fileno()])
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as out:
                out.setblocking(False)
                out.sendmsg([b"c"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)], 0,
                           self.address(slot))  # fmt: skip
        except OSError:  # that worker is gone, or not taking any yet
            return False
        SLOT.pack_into(self.counts, slot * SLOT.size, self.count(slot) + 1)  # until it says
        return True


_balancer: Balancer | None = None


def join(host: str, port: int, slot: int, slots: int) -> None:
    """In a worker that listens on slot ``slot`` of ``slots``: take part in the balancing."""
    global _balancer
    if sys.platform == "linux" and slots > 1:
        _balancer = Balancer(host, port, slot, slots)


def balancer() -> Balancer | None:
    return _balancer


def protocol_maker(protocol: Any) -> Callable[[], asyncio.Protocol]:
    """How to make a protocol like ``protocol`` (uvicorn's HTTP one) for this server."""
    cls, config, state = type(protocol), protocol.config, protocol.server_state
    app_state = protocol.app_state
    return lambda: cls(config=config, server_state=state, app_state=app_state, taken=True)
