from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.api import schemas
from app.api.deps import store
from app.api.serialize import json_response

router = APIRouter(tags=["health"])

VERSION = "0.1.0"


@router.get("/api/health", response_model=schemas.Health)
async def health(request: Request) -> Response:
    """Liveness: answers at once, touching nothing. ``kernel`` is the training kernel's
    warm-up ("warming" on a first start, while a child process compiles it; then "ready")."""
    body = {"status": "ok", "version": VERSION, "store": store(request).name}
    return json_response({**body, "kernel": request.app.state.kernel})
