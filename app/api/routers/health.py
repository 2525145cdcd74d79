from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.api import schemas
from app.api.deps import store
from app.api.serialize import json_response

router = APIRouter(tags=["health"])

VERSION = "0.1.0"


@router.get("/api/health", response_model=schemas.Health)
async def health(request: Request) -> Response:
    """Liveness: answers at once, touching nothing."""
    return json_response({"status": "ok", "version": VERSION, "store": store(request).name})
