"""One listening socket per worker, so that the kernel spreads connections evenly.

uvicorn's own ``--workers`` shares one listening socket among the workers: whichever wakes
first takes a connection, and a class connecting at once landed 53 students on one worker
and 8 on the other (measured with ``ss``), so one core served most of the class. With
``SO_REUSEPORT`` each worker listens on a socket of its own, bound to the same port, and
the kernel hashes new connections across them (evened out further by ``app.handoff``,
which each worker joins with its slot).

The parent binds them all (``bind``), so that a taken port is refused before any worker
starts, and hands every worker the whole list; each worker keeps the one whose slot it
can lock (``WorkerConfig.load``): a byte of a lock file, which the kernel releases when
the worker dies, so a worker started in its place takes over its socket, whose waiting
connections it then accepts.
"""

from __future__ import annotations

import fcntl
import os
import socket
import tempfile
from pathlib import Path
from typing import Any

import uvicorn

from app import handoff

_slot_files: list[int] = []  # a worker's lock, held while it lives


def balanced() -> bool:
    """Whether this system can give each worker its own socket on one port."""
    return hasattr(socket, "SO_REUSEPORT")


def bind(host: str, port: int, workers: int) -> list[socket.socket]:
    """``workers`` sockets bound to (host, port) with ``SO_REUSEPORT``, not yet listening;
    OSError if the port is taken (also by another server of this app, whose sockets would
    otherwise share it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:  # without SO_REUSEPORT: any listener refuses it
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    sockets: list[socket.socket] = []
    try:
        for _ in range(workers):
            sock = socket.socket(family)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            sock.set_inheritable(True)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def keep_own(sockets: list[socket.socket], host: str, port: int) -> None:
    """In a worker: reduce ``sockets`` (in place: it is the list the server listens on) to
    the one whose slot this worker locks; all of them if every slot is held (a worker
    started while the one it replaces is still exiting)."""
    path = Path(tempfile.gettempdir()) / f"backprop-explorer-{host}-{port}.workers"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    for slot, sock in enumerate(sockets):
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, slot)
        except OSError:  # another worker's
            continue
        _slot_files.append(fd)
        for other in sockets:
            if other is not sock:
                other.close()
        handoff.join(host, port, slot, len(sockets))
        sockets[:] = [sock]
        return
    os.close(fd)


class WorkerConfig(uvicorn.Config):
    """uvicorn's configuration, which each worker process loads for itself: loading it
    there also picks the worker's own socket from ``listeners`` (the very list the
    supervisor hands the worker, pickled with this configuration)."""

    def __init__(self, *args: Any, listeners: list[socket.socket], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.listeners = listeners

    def load(self) -> None:
        super().load()
        if len(self.listeners) > 1:
            keep_own(self.listeners, self.host, self.port)
