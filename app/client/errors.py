"""The one exception the client raises: what the server refused, and why, in its words."""

from __future__ import annotations

from typing import Any

import orjson


class ApiError(Exception):
    """A call the server answered with an error, or could not answer at all.

    ``status`` is the HTTP status (422 invalid input, 404 unknown session, 413 body too
    large, 409 changed meanwhile, 429 server full, 503 store unavailable); 0 when no
    server answered. ``detail`` is the server's one readable sentence; ``errors`` its list
    of every problem found, each with ``loc`` and ``msg``.
    """

    def __init__(self, status: int, detail: str, errors: list[dict[str, Any]] | None = None):
        super().__init__(f"{status}: {detail}" if status else detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []


def from_answer(status: int, body: bytes) -> ApiError:
    """The error a non-2xx answer stands for (its JSON ``detail``, or the text itself)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("detail"), str):
        errors = data.get("errors")
        return ApiError(status, data["detail"], errors if isinstance(errors, list) else None)
    text = body.decode("utf-8", "replace").strip()
    return ApiError(status, text or f"the server answered {status} without a reason")
