"""The ASGI application: ``create_app()`` wires settings, store, routers and headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from threadpoolctl import threadpool_limits

from app.api import errors
from app.api.middleware import BodySizeLimit, SecurityHeaders
from app.api.routers import catalog, compute, health, pages, sessions, trace
from app.sessions.store import SqliteStore
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]

DESCRIPTION = """Define a small neural network, run its forward pass, backward pass and SGD
steps, and see every number: z, a, δ, ∂C/∂W, ΔW. Notation: layers l = 0…L, W^l is
n_l × n_{l-1}, δ^l = ∂C_b/∂z^l per sample. See docs/api.md for curl examples."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    # At these matrix sizes BLAS threads cost more than they save.
    threadpool_limits(1)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.store.close()

    app = FastAPI(
        title="Backprop Explorer API",
        version=health.VERSION,
        description=DESCRIPTION,
        docs_url=None,  # served by pages.docs with local assets
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    lim = settings.limits
    app.state.store = SqliteStore(
        settings.db_path, lim.max_sessions, lim.max_snapshots, settings.idle_seconds
    )
    errors.install(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodySizeLimit, max_bytes=lim.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["content-type"],
        )
    for module in (health, catalog, trace, sessions, compute, pages):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    return app


app = create_app()
