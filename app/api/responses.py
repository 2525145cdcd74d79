"""The error answers each route documents in the OpenAPI schema (all share ``schemas.Error``)."""

from __future__ import annotations

from typing import Any

from app.api.schemas import Error

DESCRIPTIONS = {
    400: "The body could not be read as JSON of the declared content type.",
    403: "Listing every session is disabled on this server (ids are private links).",
    404: "No session with this id: it was deleted, removed after being idle, or never existed.",
    409: "Another call changed the session while this one ran; nothing was applied. Retry.",
    413: "The request body is over the size limit (``limits.max_body_bytes``).",
    422: "Invalid input or over a limit; ``detail`` names the field and what was expected.",
    415: "The body's content type is not one this route reads.",
    429: "The server holds its maximum of sessions and none is idle; retry after a while.",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": Error, "description": DESCRIPTIONS[code]} for code in codes}


BODY = errors(400, 413, 422)  # any route that reads a JSON body
SESSION = errors(400, 404, 409, 413, 422)  # any route on /api/networks/{id}
