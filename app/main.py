"""The ASGI application: ``create_app()`` wires settings, store, routers and headers."""

from __future__ import annotations

import asyncio
import fcntl
import gc
import logging
import multiprocessing
import os
import signal
import tempfile
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State
from threadpoolctl import threadpool_limits

from app.api import errors
from app.api.budget import Budget
from app.api.middleware import BodySizeLimit, InternalErrors, SecurityHeaders
from app.api.quota import quotas
from app.api.routers import (
    catalog,
    classes,
    compute,
    health,
    pages,
    sessions,
    stream,
    tables,
    trace,
)
from app.engine import kernel
from app.paths import static_dir
from app.sessions.classes import open_broadcaster
from app.sessions.stores import Store, open_store
from app.settings import Settings

DESCRIPTION = """Define a small neural network, run its forward pass, backward pass and SGD
steps, and see every number: z, a, δ, ∂C/∂W, ΔW. Notation: layers l = 0…L, W^l is
n_l × n_{l-1}, δ^l = ∂C_b/∂z^l per sample. See docs/api.md for curl examples.

Play mode is a WebSocket, `/api/networks/{id}/stream` (not listed below: OpenAPI
describes HTTP only); its messages and frame format are in docs/api.md, "Stream"."""


log = logging.getLogger("backprop_explorer")


async def sweep(store: Store, every: float) -> None:
    """Remove idle sessions now and every ``every`` seconds, off the event loop."""
    while True:
        try:
            removed = await run_in_threadpool(store.remove_idle)
            if removed:
                log.info("removed %d idle sessions", removed)
        except Exception:  # a failed sweep is retried next time; it must not stop serving
            log.exception("idle-session sweep failed")
        await asyncio.sleep(every)


async def save_unsaved(store: Store) -> None:
    """At shutdown: save every session Play changed since its last save (streams save their
    own when they end; this catches any a cancelled stream left)."""
    for session_id in store.unsaved_ids():
        try:
            async with store.lock(session_id):
                if store.unsaved(session_id):
                    store.save(store.get(session_id))
        except Exception:  # one session's failure must not keep the others unsaved
            log.exception("saving session %s at shutdown failed", session_id)


class Exiting(Exception):
    """The process is exiting: multiprocessing has stopped its children, the compile too."""


def compile_quietly() -> None:
    """The child's work. Ctrl+C in a terminal reaches the whole process group: the parent
    handles it (and stops this daemon child on exit), so the child prints no traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    kernel.warm_up()


def compile_in_child(timeout: float = 600) -> None:
    """Fill numba's disk cache from a child process. A cold compile takes seconds of CPU
    mostly under the GIL: in this process it would slow every request for that long, in a
    child it holds none of ours (this thread only waits). Loading the cache after it is
    quick (app/engine/kernel.py, "Warm start"). A spawned process, not a shell or ``-c``
    text: it imports this module and calls ``compile_quietly``, nothing else."""
    child = multiprocessing.get_context("spawn").Process(
        target=compile_quietly, name="kernel-compile", daemon=True
    )
    child.start()
    child.join(timeout)
    if not threading.main_thread().is_alive():  # at exit (a CLI call that ended early)
        raise Exiting
    if child.is_alive():
        child.kill()
        child.join()
        raise TimeoutError(f"compiling the training kernel took more than {timeout:.0f} s")
    if child.exitcode != 0:
        raise RuntimeError(f"compiling the training kernel failed (exit code {child.exitcode})")


# Held while a child compiles: workers started together (make run: one per core) on a cold
# cache would each compile, every core busy for seconds; the first compiles, the others wait
# for it and then only load its cache. One per user and machine (a lock, not a marker: the
# kernel releases it when its holder dies).
COMPILE_LOCK = Path(tempfile.gettempdir()) / f"backprop-explorer-compile-{os.getuid()}.lock"


def compile_once() -> None:
    """``compile_in_child``, one process of this machine at a time."""
    with COMPILE_LOCK.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # (in the warm-up thread: the server answers meanwhile)
        compile_in_child()


def warm_up() -> str:
    """Compile the training kernel, or load it from numba's disk cache (app/engine/kernel.py),
    so that no user's first step waits for it: "ready", or "failed" (the first step then
    compiles instead)."""
    try:
        if not kernel.compiled():  # once per process: later apps (tests) find it compiled
            compile_once()
    except Exiting:
        return "failed"  # quietly: nobody is left to use the kernel
    except Exception:  # a cache the child could not fill: compile here, as before
        log.exception("compiling the training kernel in a child process failed")
    try:
        seconds = kernel.warm_up()
        log.info("training kernel ready in %.2f s", seconds)
        return "ready"
    except Exception:
        log.exception("training kernel warm-up failed")
        return "failed"


def start_warm_up(state: State) -> threading.Thread:
    """``warm_up`` in a daemon thread: the server answers while it runs. ``state.kernel``
    says how far it is ("warming", then "ready" or "failed"), for /api/health."""
    state.kernel = "warming"

    def run() -> None:
        state.kernel = warm_up()
        # What is loaded by now (numba, pydantic, the routes: most of the heap) lives as long
        # as the process: out of the collector's sight, a full collection no longer walks it
        # (profiled under a class on Play: 10–18% of the server's samples were collections).
        gc.collect()
        gc.freeze()

    thread = threading.Thread(target=run, name="kernel-warm-up", daemon=True)
    thread.start()
    return thread


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    # At these matrix sizes BLAS threads cost more than they save.
    threadpool_limits(1)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A test harness may run the lifespan more than once: reopen what the last one closed.
        if app.state.store is None:
            app.state.store = open_store(settings)
        if app.state.classes is None:
            app.state.classes = open_broadcaster(settings)
        app.state.warm_up = start_warm_up(app.state)  # off the event loop: serving starts at once
        sweeper = asyncio.create_task(sweep(app.state.store, settings.sweep_seconds))
        try:
            yield
        finally:
            sweeper.cancel()
            with suppress(asyncio.CancelledError):
                await sweeper
            await save_unsaved(app.state.store)
            app.state.store.close()
            app.state.store = None
            await app.state.classes.close()
            app.state.classes = None

    app = FastAPI(
        title="Backprop Explorer API",
        version=health.VERSION,
        description=DESCRIPTION,
        docs_url=None,  # served by pages.docs with local assets
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.kernel = "warming"  # the kernel's warm-up, for /api/health (start_warm_up)
    app.state.quotas = quotas(settings.limits)  # per-client rates
    app.state.budget = Budget()  # large answers in flight
    lim = settings.limits
    app.state.store = open_store(settings)
    app.state.classes = open_broadcaster(settings)  # live classes (their fan-out)
    errors.install(app, app.state.store.unavailable)
    app.add_middleware(BodySizeLimit, max_bytes=lim.max_body_bytes)
    app.add_middleware(InternalErrors)  # just inside the headers: a 500 carries them too
    app.add_middleware(SecurityHeaders)  # outermost: on every answer, a 413 included
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["content-type"],
        )
    for module in (health, catalog, trace, sessions, compute, stream, tables, classes, pages):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    return app


app: FastAPI  # ``app.main:app``, the ASGI application, built by ``__getattr__`` on first use


def __getattr__(name: str) -> FastAPI:
    # Lazily, so that importing create_app (the command line, a notebook, the tests) opens no
    # database at the default path; uvicorn's getattr for "app.main:app" builds it once.
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    global app
    app = create_app()
    return app
