"""Play mode over a WebSocket: the server trains a session in chunks and pushes frames.

``/api/networks/{id}/stream``. The client sends JSON control messages (play,
speed, pause, ack, ping; see ``app.api.frames``); the server answers with a
``hello``, then frames, each the state after one chunk of updates.

Flow control is by credit: at most ``WINDOW`` frames may be sent and not yet
acknowledged, and a chunk is only trained when its frame may be sent, so a
client that stops acknowledging (a background tab, a slow page) stops the
training too and nothing queues up anywhere.

Each chunk holds the session's lock, trains, saves through the store exactly as
a REST step does (new version, metrics, snapshot) and releases the lock, so REST
calls on the same session interleave between chunks and a reload resumes from
the store. The work (training, evaluation, saving, boundary grid, encoding) runs in
a worker thread, so the event loop keeps serving other requests while a stream plays
(see docs/api.md, Stream, for the measurements behind these choices).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

import anyio
import numpy as np
import orjson
from fastapi import APIRouter, WebSocket
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from app.api import frames, views
from app.api.deps import editing
from app.api.serialize import dumps
from app.engine.errors import SpecError
from app.sessions.play import Chunk, ChunkResult, boundary_arrays
from app.sessions.session import Session
from app.sessions.stores.base import Conflict, NotFound
from app.settings import Limits

router = APIRouter(tags=["stream"])
log = logging.getLogger("backprop_explorer")

WINDOW = 2  # frames sent and not yet acknowledged, at most
SLICE_SECONDS = 0.002  # training runs in slices this long; pause, close and acks act between
FRAME_SECONDS = (0.010, 0.1)  # shortest and longest training time of a full-speed chunk
CLOSE_NOT_FOUND = 4404
CLOSE_ERROR = 1011


@dataclass
class _Settings:
    steps_per_frame: int | None = None
    steps_per_second: float | None = None
    boundary: frames.BoundaryRequest | None = None
    format: str = "binary"


class _Stream:
    """One connection: control state shared by the receiving and the training task."""

    def __init__(self, ws: WebSocket, session_id: str) -> None:
        self.ws = ws
        self.id = session_id
        self.store = ws.app.state.store
        self.limits: Limits = ws.app.state.settings.limits
        self.settings = _Settings()
        self.playing = False
        self.closed = False
        self.sent = 0  # seq of the last frame sent (or being trained)
        self.acked = 0  # highest seq acknowledged
        self.frames_since_play = 0
        self.grid_at: float | None = None  # when the next grid is due (boundary.per_second)
        self.pause_reply = False
        self.wake = asyncio.Event()
        self.send_lock = asyncio.Lock()
        # steps_per_second: updates owed since the last chunk
        self.owed = 0.0
        self.owed_at = 0.0

    # --- sending ---------------------------------------------------------------------------

    async def send(self, message: bytes | str | dict[str, Any]) -> None:
        if self.closed:
            return
        try:
            async with self.send_lock:
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

    def hello(self, s: Session) -> dict[str, Any]:
        net = s.network
        return {
            "type": "hello",
            "protocol": frames.PROTOCOL,
            "id": s.id,
            "step": s.step,
            "window": WINDOW,
            "layers": net.layers,
            "bias": net.bias,
            "n_params": net.n_params,
            # per layer l = 1…L: [offset of W^l, n_l, n_{l-1}, offset of b^l or null] in params
            "layout": [[p.w_start, *p.shape, p.b_start if net.bias else None] for p in net.layout],
            "formats": ["binary", "json"],
            "max_steps_per_frame": self.limits.max_steps,
            "max_resolution": self.limits.max_grid,
        }

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
                await self.handle(frames.parse_control(text))
            except frames.ControlError as err:
                await self.error(err.detail, err.loc)
            except NotFound as err:
                await self.error(str(err))
                await self.close(CLOSE_NOT_FOUND, str(err))

    async def handle(self, msg: Any) -> None:
        if isinstance(msg, frames.Ack):
            if msg.seq > self.sent:
                raise frames.ControlError(
                    f"seq: frame {msg.seq} has not been sent (the last one is {self.sent})",
                    ["seq"],
                )
            if msg.seq > self.acked:
                self.acked = msg.seq
                self.wake.set()
        elif isinstance(msg, frames.Play | frames.Speed):
            fields = msg.model_fields_set - {"type"}
            if msg.boundary is not None:
                self.check_boundary(msg.boundary)
            if isinstance(msg, frames.Play):
                self.settings = _Settings(
                    msg.steps_per_frame, msg.steps_per_second, msg.boundary, msg.format
                )
            else:
                for name in fields:
                    setattr(self.settings, name, getattr(msg, name))
                if {"steps_per_frame", "steps_per_second"} & fields:  # one speed at a time
                    if "steps_per_second" not in fields:
                        self.settings.steps_per_second = None
                    if "steps_per_frame" not in fields:
                        self.settings.steps_per_frame = None
            if self.settings.steps_per_frame:
                self.check_steps(self.settings.steps_per_frame)
            self.owed, self.owed_at = 0.0, time.perf_counter()
            if isinstance(msg, frames.Play) and not self.playing:
                self.playing = True
                self.frames_since_play = 0
                self.grid_at = None
            self.wake.set()
        elif isinstance(msg, frames.Pause):
            self.playing = False
            self.pause_reply = True
            self.wake.set()
        elif isinstance(msg, frames.Ping):
            await self.send(
                {"type": "pong", "step": self.store.get(self.id).step, "playing": self.playing,
                 "sent": self.sent, "acked": self.acked}
            )  # fmt: skip

    def check_boundary(self, b: frames.BoundaryRequest) -> None:
        if b.resolution > self.limits.max_grid:
            raise frames.ControlError(
                f"boundary.resolution: {b.resolution} is over the server's limit of "
                f"{self.limits.max_grid}",
                ["boundary", "resolution"],
            )
        dims = self.store.get(self.id).data.input_dim
        if dims not in (1, 2):
            raise frames.ControlError(
                f"boundary: the grid needs 1-D or 2-D raw inputs; this dataset has {dims}",
                ["boundary"],
            )

    def check_steps(self, steps: int) -> None:
        if steps > self.limits.max_steps:
            self.settings.steps_per_frame = None
            raise frames.ControlError(
                f"steps_per_frame: {steps} is over the server's limit of {self.limits.max_steps}",
                ["steps_per_frame"],
            )

    # --- training --------------------------------------------------------------------------

    async def produce(self) -> None:
        while not self.closed:
            if self.pause_reply:
                self.pause_reply = False
                await self.send(
                    {"type": "paused", "step": self.store.get(self.id).step, "reason": "pause"}
                )
                continue
            if not self.playing or self.sent - self.acked >= WINDOW:
                self.wake.clear()
                await self.wake.wait()
                continue
            target, limit = await self.plan()
            if target == 0:
                continue
            self.sent += 1  # this frame's credit is taken before its training starts
            try:
                message, result = await self.chunk(self.sent, target, limit)
            except Conflict:  # another process saved in between: start from its state
                self.sent -= 1
                continue
            except SpecError as err:  # e.g. the data was edited into something untrainable
                self.sent -= 1
                self.playing = False
                await self.error(err.message, [err.loc])
                self.pause_reply = True
                continue
            if message is None:
                self.sent -= 1
                continue
            await self.send(message)
            if result is not None and result.diverged:
                self.playing = False
                await self.send(
                    {"type": "paused", "step": self.store.get(self.id).step,
                     "reason": "diverged", "message": result.message}
                )  # fmt: skip

    async def plan(self) -> tuple[int, float | None]:
        """(most updates, training time limit) of the next chunk, by the speed setting.
        ``None`` as the limit means full speed: train until the client has consumed the
        previous frame (see ``chunk``)."""
        cfg = self.settings
        if cfg.steps_per_frame:
            return cfg.steps_per_frame, float("inf")
        if cfg.steps_per_second:
            rate = cfg.steps_per_second
            now = time.perf_counter()
            self.owed = min(self.owed + rate * (now - self.owed_at), max(rate * 0.25, 1.0))
            self.owed_at = now
            if self.owed < 1.0:  # not one update due yet: come back when it is
                self.wake.clear()
                with anyio.move_on_after((1.0 - self.owed) / rate):
                    await self.wake.wait()
                return 0, None
            n = int(self.owed)
            self.owed -= n
            return min(n, self.limits.max_steps), FRAME_SECONDS[1]
        return self.limits.max_steps, None

    async def chunk(
        self, seq: int, target: int, limit: float | None
    ) -> tuple[bytes | str | None, ChunkResult | None]:
        """Train one chunk under the session's lock, save it, and build its frame.

        The work runs in a worker thread: small numpy calls release the GIL often
        enough that the event loop keeps serving (measured: lower /api/health latency
        while streaming than slicing the work on the loop itself)."""
        cfg = self.settings
        now = time.perf_counter()
        grid = (
            cfg.boundary if cfg.boundary is not None and self.grid_due(cfg.boundary, now) else None
        )
        async with editing(self.store, self.id) as s:
            message, result = await run_in_threadpool(self.work, s, seq, target, limit, grid)
        if message is not None:
            self.frames_since_play += 1
            if grid is not None and grid.per_second is not None:
                self.schedule_grid(grid.per_second, now)
        return message, result

    def grid_due(self, b: frames.BoundaryRequest, now: float) -> bool:
        """Whether the next frame carries the boundary grid: every ``every``-th frame
        since play, or with ``per_second`` whenever one is due by the clock. The first
        frame after play has it either way."""
        if b.per_second is None:
            return self.frames_since_play % b.every == 0
        return self.grid_at is None or now >= self.grid_at

    def schedule_grid(self, per_second: float, now: float) -> None:
        """After a frame with the grid (planned at ``now``): the next is due one interval
        after this one was due, so the average rate holds although frames fall between
        the due times; but not before now, so that after a long gap (a stall, a slow
        frame) one grid catches up, not a burst of them."""
        interval = 1.0 / per_second
        if self.grid_at is None:
            self.grid_at = now + interval
        else:
            self.grid_at = max(self.grid_at + interval, now)

    def work(
        self,
        s: Session,
        seq: int,
        target: int,
        limit: float | None,
        grid: frames.BoundaryRequest | None,
    ) -> tuple[bytes | str | None, ChunkResult]:
        """In the worker thread: train, save (SQLite may wait on the disk), build the frame."""
        result = self.train(s, seq, target, limit)
        if result.applied == 0 and not result.diverged:
            return None, result
        self.store.save(s, result.metrics, result.snapshots)
        return self.frame(s, seq, result, grid), result

    def train(self, s: Session, seq: int, target: int, limit: float | None) -> ChunkResult:
        """Up to ``target`` updates in slices, until ``limit`` seconds have passed, or at
        full speed (``limit`` None) until the client has acknowledged the previous frame,
        i.e. is ready to show this one — but at least ``FRAME_SECONDS[0]`` and at most
        ``FRAME_SECONDS[1]``: frames then follow the client's display rate, and the time
        between two of them is spent training. Stops early on pause or close."""
        start = time.perf_counter()
        shortest, longest = FRAME_SECONDS
        deadline = start + (longest if limit is None else limit)
        with np.errstate(all="ignore"):
            work = Chunk(s, target)
            while True:
                work.train(min(time.perf_counter() + SLICE_SECONDS, deadline))
                if work.done or not self.playing or self.closed:
                    break
                now = time.perf_counter()
                if now >= deadline:
                    break
                if limit is None and now - start >= shortest and self.acked >= seq - 1:
                    break
                time.sleep(0)  # hand the GIL to the event loop if it waits for it
            return work.finish()

    def frame(
        self, s: Session, seq: int, result: ChunkResult, grid: frames.BoundaryRequest | None
    ) -> bytes | str:
        """The frame after a chunk: binary, or JSON text if the client asked for it."""
        boundary = None
        if grid is not None:
            with np.errstate(all="ignore"):
                boundary = boundary_arrays(s, grid.resolution, grid.neurons)
        header: dict[str, Any] = {
            "type": "frame",
            "seq": seq,
            "step": s.step,
            "steps": result.applied,
            "train_ms": round(result.seconds * 1e3, 3),
            "diverged": result.diverged,
            "message": result.message,
            "metrics": s.metrics,  # orjson writes a dataclass as asdict would, 30× faster
        }
        if self.settings.format == "json":
            header["metrics"] = asdict(s.metrics) if s.metrics else None  # (dumps checks it)
            view = views.network_view(s.network)
            header["weights"], header["biases"] = view["weights"], view["biases"]
            header["boundary"] = boundary
            return dumps(header).decode()  # refuses NaN/Infinity as every JSON answer does
        f32: list[np.ndarray] = []
        if boundary is not None:
            grids = [boundary["output"]]
            if "neurons" in boundary:
                grids += [boundary["inputs"], *boundary["neurons"]]
            f32 = grids
        spans = frames.layout([s.network.params], f32)
        header["params"] = spans[0]
        if boundary is not None:
            desc = {k: boundary[k] for k in ("dims", "resolution", "domain")}
            desc["output"] = spans[1]
            if "neurons" in boundary:
                desc["inputs"] = spans[2]
                desc["neurons"] = spans[3:]
            header["boundary"] = desc
        else:
            header["boundary"] = None
        return frames.encode_binary(header, [s.network.params], f32)


@router.websocket("/api/networks/{session_id}/stream")
async def stream(ws: WebSocket, session_id: str) -> None:
    """Play mode: JSON control messages in, frames out (see docs/api.md, Stream)."""
    await ws.accept()
    conn = _Stream(ws, session_id)
    try:
        session = conn.store.get(session_id)
    except NotFound as err:
        await conn.error(str(err))
        await conn.close(CLOSE_NOT_FOUND, str(err))
        return
    await conn.send(conn.hello(session))

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

    async with anyio.create_task_group() as tg:
        tg.start_soon(produce)
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await conn.receive_loop()
        conn.closed = True  # the producer finishes (and saves) its chunk, then stops
        conn.wake.set()
