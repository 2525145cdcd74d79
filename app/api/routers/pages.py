"""The explorer page and the API docs page, both served with local assets only."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.templating import Jinja2Templates

from app.paths import templates_dir

templates = Jinja2Templates(directory=templates_dir())

router = APIRouter(include_in_schema=False)


@router.get("/")
async def index(request: Request) -> Response:
    return templates.TemplateResponse(request, "index.html", {"static_version": "1"})


@router.get("/docs")
async def docs(request: Request) -> Response:
    """Swagger UI from static/vendor, started by a script file (the CSP allows no inline JS)."""
    return templates.TemplateResponse(request, "docs.html", {})
