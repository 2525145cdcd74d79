"""``serve``: the app under uvicorn, quietly: one line with the address to open.

One worker process per core by default (``default_workers``), with either store: a class
pressing Play at once is bound by Python's per-frame work, which one process runs on one
core at a time (README, Performance, measures it). The workers share the sessions and the
live classes through the SQLite files (or Redis); ``--workers N`` overrides.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from contextlib import suppress
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from app.cli.listeners import WorkerConfig, balanced, bind
from app.serving import OPTIONS


def default_workers() -> int:
    """One worker per core this process may run on (either store shares sessions and live
    classes across workers: docs/limits.md, "Several workers")."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _address(config: uvicorn.Config) -> str:
    host = config.host
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"{shown}:{config.port}"


def _say_running(config: uvicorn.Config) -> None:
    print(
        f"Backprop Explorer is running: open http://{_address(config)}  (Ctrl+C stops it)",
        flush=True,
    )


class _Server(uvicorn.Server):
    """Says where to point the browser once the socket is listening, not before."""

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started:
            _say_running(self.config)


def _announce_when_listening(config: uvicorn.Config, stop: threading.Event) -> None:
    """With several workers the parent only binds: say so once one of them answers."""
    host, port = _address(config).rsplit(":", 1)
    while not stop.is_set():
        with suppress(OSError), socket.create_connection((host, int(port)), timeout=1):
            _say_running(config)
            return
        time.sleep(0.05)


def serve(host: str, port: int, log_level: str, workers: int | None = None) -> int:
    from app.main import create_app
    from app.sessions.stores.base import StoreError

    workers = default_workers() if workers is None else workers
    try:
        app = create_app()  # opens the store: an unusable database refuses here, saying why
    except StoreError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    # Header and keep-alive deadlines and a connection cap (app.serving, docs/limits.md);
    # several workers each import the app themselves.
    if workers > 1:
        app.state.store.close()  # it was opened to check it: the workers open their own
        return _serve_workers(host, port, log_level, workers)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, **OPTIONS)
    server = _Server(config)
    with suppress(SystemExit):  # uvicorn exits when it cannot listen, having logged why
        server.run()
    if not server.started:
        return _cannot_serve(host, port)
    return 0


def _serve_workers(host: str, port: int, log_level: str, workers: int) -> int:
    """uvicorn's supervisor over ``workers`` processes, each importing the app itself and
    listening on a socket of its own (``listeners``: the kernel then spreads connections
    evenly) or, where the system cannot, all on one socket bound here."""
    try:
        sockets = bind(host, port, workers) if balanced() else [_shared_socket(host, port)]
    except OSError:
        return _cannot_serve(host, port)
    config = WorkerConfig(
        "app.main:app", host=host, port=port, log_level=log_level, workers=workers,
        listeners=sockets, **OPTIONS,
    )  # fmt: skip
    stop = threading.Event()
    threading.Thread(target=_announce_when_listening, args=(config, stop), daemon=True).start()
    try:
        Multiprocess(config, sockets=sockets).run()
    finally:
        stop.set()
        for sock in sockets:
            sock.close()
    return 0


def _shared_socket(host: str, port: int) -> socket.socket:
    """One socket for every worker, as uvicorn's own --workers binds it (OSError if taken)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _cannot_serve(host: str, port: int) -> int:
    print(
        f"error: could not serve on {host}:{port}. Is another server using that port? "
        "Choose another with --port (or PORT=…).",
        file=sys.stderr,
    )
    return 1
