"""Play mode over a WebSocket: the socket side of ``/api/networks/{id}/stream``.

The client sends JSON control messages (``app.api.controls``); the server answers
with a ``hello``, then frames (``app.api.frames``), each the state after one chunk
of updates, as the credit and the speed allow (``app.api.pacing``).

Each chunk holds the session's lock, trains and releases the lock, so REST calls on
the same session interleave between chunks. Saving is off the frame path: a chunk's
changes stay in the store's cached copy (``Store.defer``) until the last save is
``SAVE_SECONDS`` old, then one save writes them (new version, every metrics row and
snapshot since, as REST steps would have); a pause, a divergence, the end of the
stream and the server's shutdown save at once, and so does a stream left waiting
(no credit) with unsaved changes. A reload resumes from the last save, a crash
loses at most the Play since then (docs/limits.md, Crash safety). Training that takes
long (full speed) runs in a worker thread, so the event loop keeps serving other
requests while a stream plays (docs/api.md, Stream, measures it); a chunk of a few
updates, its evaluation, the boundary grid, the encoding and a save to SQLite run on the
loop, each well under a millisecond (see ``_Stream.chunk``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from typing import Any

import anyio
import numpy as np
import orjson
from fastapi import APIRouter, WebSocket
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from app.api import controls, frames
from app.api import limits as check
from app.api.deps import editing, io, origin_allowed
from app.api.pacing import SAVE_SECONDS, WINDOW, Pacer, Plan
from app.engine.errors import SpecError
from app.sessions.play import Chunk, ChunkResult
from app.sessions.stores.base import Conflict, NotFound
from app.settings import Limits

router = APIRouter(tags=["stream"])
log = logging.getLogger("backprop_explorer")

CLOSE_NOT_FOUND = 4404
CLOSE_POLICY = 1008
CLOSE_ERROR = 1011
# A chunk expected to train in less than this runs on the event loop, not in a worker thread.
INLINE_SECONDS = 0.0005
# … and its frame is built there too if its grid has at most this many values (a 40×40 grid of
# every neuron of a small network: about 15,000); a larger grid is computed and encoded in a
# worker thread, so that a big network's grids never hold the event loop for milliseconds.
INLINE_GRID_VALUES = 50_000


def small_grid(grid: controls.BoundaryRequest | None, input_dim: int, layers: list[int]) -> bool:
    """Whether a frame's grid (if any) is small enough to build on the event loop."""
    if grid is None:
        return True
    cells = grid.resolution if input_dim == 1 else grid.resolution**2
    return check.grid_values(cells, layers, grid.neurons) <= INLINE_GRID_VALUES


def save_phase(session_id: str) -> float:
    """Where in SAVE_SECONDS a session's Play saves fall, in [0, 1): the first comes
    (1 − phase) × SAVE_SECONDS after Play starts. A class pressing Play together otherwise
    saved together, each worker stalling on its 30 saves at once twice a second."""
    return zlib.crc32(session_id.encode()) / 2**32


def quietly(fn: Any, *args: Any) -> Any:
    """``fn(*args)`` with numpy's floating-point warnings off (in a worker thread)."""
    with np.errstate(all="ignore"):
        return fn(*args)


class _Stream:
    """One connection: control state shared by the receiving and the training task."""

    def __init__(self, ws: WebSocket, session_id: str) -> None:
        self.ws = ws
        self.id = session_id
        self.store = ws.app.state.store
        self.limits: Limits = ws.app.state.settings.limits
        self.settings = controls.PlaySettings()
        self.pacer = Pacer(self.limits.max_steps)
        self.playing = False
        # Whether the next chunk may go on from this process's copy of the session without
        # asking the store (``editing(playing=True)``): after a chunk of this Play, not when
        # Play (re)starts (another process may have changed it meanwhile) or after a Conflict.
        self.trusted = False
        self.closed = False
        self.pause_reply = False
        self.wake = asyncio.Event()
        self.send_lock = asyncio.Lock()
        self.dims, self.layers = 2, [2]  # the session's raw input dimension and widths
        self.saved_at = time.perf_counter()  # Play's last save of the session
        self.save_phase = save_phase(session_id)

    # --- sending ---------------------------------------------------------------------------

    async def send(self, message: bytes | str | dict[str, Any]) -> None:
        if self.closed:
            return
        try:
            async with self.send_lock:
                # A client that stops reading fills the socket's buffer and then blocks the
                # send; after SEND_TIMEOUT the server drops the connection (``app.serving``),
                # which ends the stream rather than queue frames for it.
                if isinstance(message, bytes):
                    await self.ws.send_bytes(message)
                else:
                    text = message if isinstance(message, str) else orjson.dumps(message).decode()
                    await self.ws.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError):
            self.closed = True
            self.wake.set()

    async def error(self, detail: str, loc: list[Any] | None = None) -> None:
        await self.send({"type": "error", "detail": detail, "loc": loc or []})

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self.wake.set()
        reason = (
            reason
            if len(reason.encode()) <= 123
            else reason.encode()[:120].decode(errors="ignore") + "…"
        )
        with contextlib.suppress(RuntimeError, OSError):
            await self.ws.close(code, reason)

    async def paused(self, reason: str, **extra: Any) -> None:
        step = (await io(self.store, self.store.get, self.id)).step
        await self.send({"type": "paused", "step": step, "reason": reason, **extra})

    # --- receiving -------------------------------------------------------------------------

    async def receive_loop(self) -> None:
        while not self.closed:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                await self.error("control messages are JSON text, not binary")
                continue
            try:
                await self.handle(controls.parse_control(text))
            except controls.ControlError as err:
                await self.error(err.detail, err.loc)
            except NotFound as err:
                await self.error(str(err))
                await self.close(CLOSE_NOT_FOUND, str(err))

    async def handle(self, msg: controls.Message) -> None:
        if isinstance(msg, controls.Ack):
            if self.pacer.ack(msg.seq):
                self.wake.set()
        elif isinstance(msg, controls.Play | controls.Speed):
            if msg.boundary is not None:
                self.check_grid(msg.boundary)
            self.settings.apply(msg, self.limits, self.input_dim)
            self.pacer.reset_rate()
            if isinstance(msg, controls.Play) and not self.playing:
                self.playing, self.trusted = True, False
                self.pacer.restart()
                self.saved_at = time.perf_counter() - self.save_phase * SAVE_SECONDS
            self.wake.set()
        elif isinstance(msg, controls.Pause):
            self.playing = False
            self.pause_reply = True
            self.wake.set()
        else:
            p = self.pacer
            step = (await io(self.store, self.store.get, self.id)).step
            await self.send(
                {"type": "pong", "step": step, "playing": self.playing,
                 "sent": p.sent, "acked": p.acked}
            )  # fmt: skip

    def check_grid(self, b: controls.BoundaryRequest) -> None:
        """Frames' grids are bounded like a REST boundary's (``max_grid_values``)."""
        if b.resolution > self.limits.max_grid:
            return  # ``apply`` refuses it, naming that limit
        cells = b.resolution if self.dims == 1 else b.resolution**2
        try:
            check.check_grid_values(cells, self.layers, b.neurons, self.limits)
        except SpecError as err:
            raise controls.ControlError(f"boundary.{err}", ["boundary", "resolution"]) from None

    def input_dim(self) -> int:
        return self.dims

    # --- training --------------------------------------------------------------------------

    async def produce(self) -> None:
        while not self.closed:
            if self.pause_reply:
                self.pause_reply = False
                await self.flush()
                await self.paused("pause")
                continue
            if not self.playing or not self.pacer.has_credit:
                self.wake.clear()
                if not self.store.unsaved(self.id):
                    await self.wake.wait()
                    continue
                with anyio.move_on_after(SAVE_SECONDS) as waited:
                    await self.wake.wait()
                if waited.cancelled_caught:  # waiting for credit: save what is unsaved
                    await self.flush()
                continue
            plan = self.pacer.plan(self.settings.steps_per_frame, self.settings.steps_per_second)
            if plan.steps == 0:  # nothing due yet: wait for it, or for new settings
                self.wake.clear()
                with anyio.move_on_after(plan.wait):
                    await self.wake.wait()
                continue
            seq = self.pacer.take()
            try:
                message, result = await self.chunk(seq, plan)
            except Conflict:  # another process saved in between: start from its state
                self.pacer.give_back()
                self.trusted = False
                continue
            except SpecError as err:  # e.g. the data was edited into something untrainable
                self.pacer.give_back()
                self.playing = False
                await self.error(err.message, [err.loc])
                self.pause_reply = True
                continue
            if message is None:
                self.pacer.give_back()
                continue
            await self.send(message)
            if result is not None and result.diverged:
                self.playing = False
                await self.paused("diverged", message=result.message)

    async def chunk(self, seq: int, plan: Plan) -> tuple[bytes | str | None, ChunkResult | None]:
        """Train one chunk under the session's lock, save it (or defer the save), and build
        its frame.

        A chunk expected to take under ``INLINE_SECONDS`` (the page's default Play: a few
        updates) trains on the event loop: handing it to a worker thread and back cost more
        than the chunk, and with a class of streams those threads queued for the GIL
        (profiled: the per-frame thread hop was the largest cost of a class on default
        Play). A longer one (full speed, or a large network) trains in a worker thread, whose
        compiled kernel releases the GIL, so the event loop keeps serving meanwhile. A save
        goes where the chunk trained: after a short one it is a store call (``io``: on the
        loop for SQLite, as a class's saves in worker threads cost it a third of its frames
        in thread hops and GIL waits; in a thread for Redis); after a long one, in a thread,
        as the loop's own would wait for the GIL once per statement while a class's chunks
        train in threads (/api/health p99 119 ms at full speed, against 14 ms)."""
        grid = self.pacer.grid(self.settings.boundary)
        async with editing(self.store, self.id, playing=self.trusted) as s:
            with np.errstate(all="ignore"):
                training = Chunk(s, plan.steps)
                short = plan.limit is not None and training.expected_seconds() <= INLINE_SECONDS
                if short:
                    result = self.train(training, seq, plan)
            if not short:
                result = await run_in_threadpool(self.train, training, seq, plan)
            if result.applied == 0 and not result.diverged:
                return None, result
            now = time.perf_counter()
            if (
                result.diverged
                or not self.playing
                or self.closed
                or (now - self.saved_at >= SAVE_SECONDS)
            ):
                # as the chunk: on the loop, or in a thread if it trained in one
                if short:
                    await io(self.store, self.store.save, s, result.metrics, result.snapshots)
                else:
                    await run_in_threadpool(self.store.save, s, result.metrics, result.snapshots)
                self.saved_at = now
            else:
                self.store.defer(s, result.metrics, result.snapshots)
            self.trusted = True
            args = (s, seq, result, grid, self.settings.format)
            if short and small_grid(grid, s.data.input_dim, s.network.layers):
                with np.errstate(all="ignore"):
                    message = frames.frame(*args)
            else:
                message = await run_in_threadpool(quietly, frames.frame, *args)
        self.pacer.sent_frame(grid)
        return message, result

    def train(self, training: Chunk, seq: int, plan: Plan) -> ChunkResult:
        """Train the chunk as the pacer says and close it (on the loop or in a worker thread)."""
        with np.errstate(all="ignore"):
            self.pacer.train(training, seq, plan.limit, lambda: not self.playing or self.closed)
            return training.finish()

    async def flush(self) -> None:
        """Save Play's unsaved changes of the session now, if there are any."""
        if not self.store.unsaved(self.id):
            return
        with contextlib.suppress(Conflict):  # another process saved: its state wins, as in chunk
            async with editing(self.store, self.id) as s:
                if self.store.unsaved(self.id):
                    await io(self.store, self.store.save, s)
        self.saved_at = time.perf_counter()


@router.websocket("/api/networks/{session_id}/stream")
async def stream(ws: WebSocket, session_id: str) -> None:
    """Play mode: JSON control messages in, frames out (see docs/api.md, Stream)."""
    if not origin_allowed(ws.headers.get("origin"), ws.headers.get("host"), ws.app.state.settings):
        await ws.close(CLOSE_POLICY)  # before accepting: the handshake is refused with 403
        return
    await ws.accept()
    conn = _Stream(ws, session_id)
    try:
        session = await io(conn.store, conn.store.get, session_id)
    except NotFound as err:
        await conn.error(str(err))
        await conn.close(CLOSE_NOT_FOUND, str(err))
        return
    # Neither changes while the session lives: known without asking the store again.
    conn.dims, conn.layers = session.data.input_dim, list(session.network.layers)
    await conn.send(frames.hello(session, WINDOW, conn.limits))

    async def produce() -> None:
        try:
            await conn.produce()
        except NotFound as err:
            await conn.error(str(err))
            await conn.close(CLOSE_NOT_FOUND, str(err))
        except Exception:
            log.exception("stream of session %s failed", session_id)
            await conn.error("the server could not continue this stream; reload to resume")
            await conn.close(CLOSE_ERROR, "internal error")
        tg.cancel_scope.cancel()  # the receiving side has nothing left to do

    async def receive() -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await conn.receive_loop()
        conn.closed = True  # the producer finishes (and saves) its chunk, then stops
        conn.wake.set()

    try:
        # Both in tasks of their own: an ack then wakes a task a few frames deep, not this
        # handler under the app's whole middleware stack (a resumed frame per layer).
        async with anyio.create_task_group() as tg:
            tg.start_soon(produce)
            tg.start_soon(receive)
    finally:  # also when cancelled (the server shutting down): what Play left unsaved
        conn.closed = True
        with anyio.CancelScope(shield=True), contextlib.suppress(NotFound):
            await conn.flush()
