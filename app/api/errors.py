"""Every error answers with a ``detail`` sentence that names the field, and never a 500 body
with a traceback. ``errors`` lists each problem with its ``loc`` path."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.api.budget import Busy
from app.api.quota import RateLimited
from app.api.serialize import NonFiniteError, json_response
from app.engine.errors import SpecError
from app.sessions.stores.base import Conflict, Deleted, NotFound, StoreFull, Unreadable

log = logging.getLogger("backprop_explorer")


def _loc_text(loc: Sequence[Any]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _error(status: int, detail: str, errors: list[dict[str, Any]] | None = None) -> Response:
    return json_response({"detail": detail, "errors": errors or []}, status)


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            # loc is ("body", character offset): name the body and say where and what broke.
            pos, why = err["loc"][-1], err.get("ctx", {}).get("error", "invalid")
            msg = f"not valid JSON at character {pos}: {why}"
            errors.append({"loc": ["body"], "msg": msg, "type": "json_invalid"})
            continue
        loc = [p for p in err.get("loc", ()) if p != "body"]
        # Union members (e.g. a built-in vs custom dataset) add their class name to loc.
        loc = [p for p in loc if not (isinstance(p, str) and p[:1].isupper())]
        errors.append({"loc": loc, "msg": err.get("msg", "invalid"), "type": err.get("type")})
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = _loc_text(first["loc"]) or "body"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return _error(422, f"{where}: {first['msg']}{more}", errors)


async def spec_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SpecError)
    return _error(422, str(exc), [{"loc": exc.loc.split("."), "msg": exc.message}])


async def not_found(request: Request, exc: Exception) -> Response:
    return _error(404, str(exc))


async def deleted(request: Request, exc: Exception) -> Response:
    """The session was deleted while the call ran: gone for good, so not "send it again"."""
    return _error(410, str(exc))


async def busy(request: Request, exc: Exception) -> Response:
    """Too many large answers in flight (``app.api.budget``): nothing was computed."""
    response = _error(503, str(exc))
    response.headers["retry-after"] = "5"
    return response


async def unreadable(request: Request, exc: Exception) -> Response:
    """A damaged stored row: the request was fine, but the session it names cannot be
    processed, now or on a retry (422, not 500: nothing is wrong with the server, and not
    409, which clients retry). Deleting the session still works."""
    return _error(
        422, f"{exc}; it cannot be loaded: delete it, or import an export of it if you kept one"
    )


async def rate_limited(request: Request, exc: Exception) -> Response:
    """A client over its rate of creates or heavy calls: when to try again."""
    assert isinstance(exc, RateLimited)
    response = _error(429, str(exc))
    response.headers["retry-after"] = str(exc.retry_after)
    return response


async def store_full(request: Request, exc: Exception) -> Response:
    """The sessions-per-server limit: a 4xx like every other limit, and when to try again."""
    response = _error(429, str(exc))
    response.headers["retry-after"] = "60"
    return response


async def conflict(request: Request, exc: Exception) -> Response:
    """Another server process saved the session while this call ran; nothing was applied."""
    return _error(
        409,
        f"session {exc}: another call changed it while this one ran, so this one was not "
        "applied; send it again",
    )


async def store_unavailable(request: Request, exc: Exception) -> Response:
    """The session store's server (Redis) did not answer: nothing was saved; try again."""
    log.warning("session store unavailable on %s %s: %s", request.method, request.url.path, exc)
    response = _error(503, f"the session store is not answering ({exc}); try again shortly")
    response.headers["retry-after"] = "5"
    return response


async def non_finite(request: Request, exc: Exception) -> Response:
    return _error(422, str(exc))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else "error"
    return _error(exc.status_code, detail)


async def unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return _error(500, "internal error; the server log has the details")


def install(app: FastAPI, store_unavailable_errors: Sequence[type[Exception]] = ()) -> None:
    for kind in store_unavailable_errors:
        app.add_exception_handler(kind, store_unavailable)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(SpecError, spec_error)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(Deleted, deleted)
    app.add_exception_handler(Unreadable, unreadable)
    app.add_exception_handler(Busy, busy)
    app.add_exception_handler(StoreFull, store_full)
    app.add_exception_handler(RateLimited, rate_limited)
    app.add_exception_handler(Conflict, conflict)
    app.add_exception_handler(NonFiniteError, non_finite)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
