"""Live classes: create one, find a session's class, and the class channel (a WebSocket).

The broadcasting itself is ``app.sessions.classes``; this router checks who may connect and
what they send (``app.api.class_messages``), then hands over.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request, WebSocket
from pydantic import Field
from starlette.websockets import WebSocketDisconnect

from app.api import class_messages as msgs
from app.api.controls import ControlError
from app.api.responses import BODY, errors
from app.api.schemas import Strict
from app.sessions.classes import RESYNC, Broadcaster
from app.sessions.stores.base import NotFound

router = APIRouter(tags=["classes"])

JOIN_SECONDS = 10.0  # the first message (join) must come within this
CLOSE_BAD_MESSAGE = 4400
CLOSE_NOT_TEACHER = 4401
CLOSE_ORIGIN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TIMEOUT = 4408
CLOSE_TOO_BIG = 1009


NO_CLASS: dict[int | str, dict[str, Any]] = {
    404: {**errors(404)[404], "description": "No class with this id: it ended or never existed."}
}


class CreateClass(Strict):
    session: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_-]{1,200}$", description="The session the class starts on."
    )


def broadcaster(conn: Request | WebSocket) -> Broadcaster:
    return conn.app.state.classes


@router.post("/api/classes", status_code=201, responses={**BODY, **errors(404)})
async def create_class(request: Request, body: CreateClass | None = None) -> dict[str, Any]:
    """Open a class. The token lets its holder publish (keep it; it is not shown again)."""
    classes = broadcaster(request)
    class_id, token = await classes.create()
    if body is not None and body.session is not None:
        try:
            s = request.app.state.store.get(body.session)
        except NotFound as err:
            raise HTTPException(404, str(err)) from None
        await classes.publish(class_id, "session", {"id": s.id, "step": s.step})
    return {
        "id": class_id,
        "token": token,
        "join": f"/?class={class_id}",
        "live": f"/api/classes/{class_id}/live",
    }


@router.get("/api/classes/{class_id}", responses=NO_CLASS)
async def get_class(request: Request, class_id: str) -> dict[str, Any]:
    classes = broadcaster(request)
    if not await classes.exists(class_id):
        raise HTTPException(404, f"class {class_id!r} not found (it may have ended)")
    return {"id": class_id, "join": f"/?class={class_id}"}


@router.get("/api/networks/{session_id}/class")
async def class_of_session(request: Request, session_id: str) -> dict[str, Any]:
    """The live class that last showed this session, so that a ``?follow=`` link joins it;
    ``{"id": null}`` when there is none (the link then follows the session alone)."""
    class_id = await broadcaster(request).class_of(session_id)
    return {"id": class_id, "join": None if class_id is None else f"/?class={class_id}"}


def origin_allowed(ws: WebSocket) -> bool:
    """A browser's page may connect only from this site (or a configured CORS origin);
    clients that send no Origin (scripts) may connect."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True
    if origin in ws.app.state.settings.cors_origins:
        return True
    return urlsplit(origin).netloc == ws.headers.get("host", "")


async def close(ws: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
        await ws.close(code, reason[:120])


async def send(ws: WebSocket, message: dict[str, Any] | str) -> None:
    if isinstance(message, str):
        await ws.send_text(message)
    else:
        await ws.send_json(message)


async def join(ws: WebSocket, classes: Broadcaster, class_id: str) -> msgs.Join | None:
    """The first message, checked: a student, or a teacher with the class's token."""
    try:
        async with asyncio.timeout(JOIN_SECONDS):
            text = await ws.receive_text()
        msg = msgs.parse(text)
    except TimeoutError:
        await close(ws, CLOSE_TIMEOUT, "no join message in time")
        return None
    except ControlError as err:
        await close(ws, CLOSE_BAD_MESSAGE, err.detail)
        return None
    if not isinstance(msg, msgs.Join):
        await close(ws, CLOSE_BAD_MESSAGE, "the first message must be a join")
        return None
    if msg.role == "teacher" and not await classes.is_teacher(class_id, msg.token or ""):
        await close(ws, CLOSE_NOT_TEACHER, "wrong or missing teacher token")
        return None
    return msg


@router.websocket("/api/classes/{class_id}/live")
async def live(ws: WebSocket, class_id: str) -> None:
    """The class channel: the teacher publishes, everyone receives (docs/api.md, Classes)."""
    await ws.accept()
    classes = broadcaster(ws)
    if not origin_allowed(ws):
        await close(ws, CLOSE_ORIGIN, "connections from another site are not allowed")
        return
    if not await classes.exists(class_id):
        await close(ws, CLOSE_NOT_FOUND, "class not found (it may have ended)")
        return
    me = await join(ws, classes, class_id)
    if me is None:
        return
    teacher = me.role == "teacher"
    async with classes.follow(class_id) as follower:
        students = await classes.count(class_id, 0 if teacher else 1)
        try:
            # worker: this server process (several share a class through Redis)
            await send(ws, {"type": "hello", "class": class_id, "role": me.role,
                            "students": students, "worker": os.getpid()})  # fmt: skip
            for text in await classes.latest(class_id):
                await send(ws, text)
            async with asyncio.TaskGroup() as tg:
                forward = tg.create_task(pump(ws, classes, class_id, follower.queue))
                await receive(ws, classes, class_id, teacher)
                forward.cancel()
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass
        finally:
            if not teacher:
                await classes.count(class_id, -1)


async def pump(ws: WebSocket, classes: Broadcaster, class_id: str, queue: Any) -> None:
    """Send this connection what the class broadcasts; a follower that fell behind gets
    the class's latest state instead of the backlog."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        while True:
            text = await queue.get()
            if text == RESYNC:
                for latest in await classes.latest(class_id):
                    await send(ws, latest)
            else:
                await send(ws, text)


async def receive(ws: WebSocket, classes: Broadcaster, class_id: str, teacher: bool) -> None:
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        try:
            msg = msgs.parse(message.get("text"))
            if isinstance(msg, msgs.Ping):
                await send(ws, {"type": "pong"})
            elif isinstance(msg, msgs.Join):
                raise ControlError("already joined")
            elif not teacher:
                raise ControlError("only the teacher publishes in a class")
            else:
                try:
                    await classes.publish(class_id, msg.kind, msg.data)
                except KeyError:
                    await close(ws, CLOSE_NOT_FOUND, "class not found (it may have ended)")
                    return
        except ControlError as err:
            if err.detail.startswith("a message may be at most"):
                await close(ws, CLOSE_TOO_BIG, err.detail)
                return
            await send(ws, {"type": "error", "detail": err.detail, "loc": err.loc})
