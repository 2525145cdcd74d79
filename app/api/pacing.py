"""The play stream's pacing: when to train, how much, for how long, and which frames
carry the boundary grid. No socket and no sleeping: the stream asks, then waits or
trains as told; time comes from ``clock`` (``perf_counter``'s scale, which the
chunk's deadlines use too), so tests drive it with a fake one.

Flow control is by credit: at most ``WINDOW`` frames may be sent and not yet
acknowledged, and a chunk is only trained when its frame may be sent, so a client
that stops acknowledging (a background tab, a slow page) stops the training too
and nothing queues up anywhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from app.api.controls import BoundaryRequest, ControlError

# Frames sent and not yet acknowledged, at most. 3 rather than 2: a frame may then come a
# display tick later and still be shown in time, which a class of 60 on Play needed (the
# lowest student 54.8-56.8 -> 55.9-58.2 frames/s, docs/performance.md); a pause or new
# settings take effect at most one frame (16 ms) later.
WINDOW = 3
SLICE_SECONDS = 0.002  # training runs in slices this long; pause, close and acks act between
FRAME_SECONDS = (0.010, 0.1)  # shortest and longest training time of a full-speed chunk
# Play saves its session when the last save is this old (docs/limits.md, Crash safety): a
# class's saves were the largest cost of its frames after the training (1 ms of the event
# loop each); every 0.5 s instead of 0.25 s gave each of 60 students 2–4 more frames a
# second in three back-to-back pairs (docs/performance.md).
SAVE_SECONDS = 0.5


@dataclass(frozen=True)
class Plan:
    """The next chunk: at most ``steps`` updates within ``limit`` seconds (``None``: full
    speed, see ``Pacer.train``). ``steps`` 0: nothing is due yet, ask again after
    ``wait`` seconds (or sooner if the settings change)."""

    steps: int
    limit: float | None = None
    wait: float = 0.0


class Slices(Protocol):
    """Work done in slices up to a deadline (``app.sessions.play.Chunk``)."""

    @property
    def done(self) -> bool: ...

    def train(self, deadline: float | None = None) -> int: ...


class Pacer:
    """One stream's credit, speed and grid cadence."""

    def __init__(self, max_steps: int, clock: Callable[[], float] = time.perf_counter) -> None:
        self.max_steps = max_steps
        self.clock = clock
        self.sent = 0  # seq of the last frame sent (or being trained)
        self.acked = 0  # highest seq acknowledged
        self.owed = 0.0  # steps_per_second: updates owed since the last chunk …
        self.owed_at = clock()  # … counted up to this time
        self.frames_since_play = 0
        self.grid_at: float | None = None  # when the next grid is due (boundary.per_second)
        self._grid_asked_at = 0.0

    # --- credit ---------------------------------------------------------------------------

    @property
    def has_credit(self) -> bool:
        return self.sent - self.acked < WINDOW

    def take(self) -> int:
        """The next frame's seq; its credit is taken before its training starts."""
        self.sent += 1
        return self.sent

    def give_back(self) -> None:
        """The frame just taken will not be sent (nothing trained, or a retry)."""
        self.sent -= 1

    def ack(self, seq: int) -> bool:
        """Every frame up to ``seq`` is consumed; whether that gives new credit."""
        if seq > self.sent:
            raise ControlError(
                f"seq: frame {seq} has not been sent (the last one is {self.sent})", ["seq"]
            )
        if seq <= self.acked:
            return False
        self.acked = seq
        return True

    # --- speed ----------------------------------------------------------------------------

    def restart(self) -> None:
        """Playing starts: the grid schedule starts over (the first frame has the grid)."""
        self.frames_since_play = 0
        self.grid_at = None

    def reset_rate(self) -> None:
        """The speed settings changed: nothing is owed from before."""
        self.owed, self.owed_at = 0.0, self.clock()

    def plan(self, steps_per_frame: int | None, steps_per_second: float | None) -> Plan:
        """The next chunk by the speed setting: exactly ``steps_per_frame``; or the
        updates owed at ``steps_per_second`` since the last chunk (at most a quarter
        second's worth, so a stall is not made up in one burst); or full speed."""
        if steps_per_frame:
            return Plan(steps_per_frame, float("inf"))
        if steps_per_second:
            rate = steps_per_second
            now = self.clock()
            self.owed = min(self.owed + rate * (now - self.owed_at), max(rate * 0.25, 1.0))
            self.owed_at = now
            if self.owed < 1.0:  # not one update due yet: come back when it is
                return Plan(0, wait=(1.0 - self.owed) / rate)
            n = int(self.owed)
            self.owed -= n
            return Plan(min(n, self.max_steps), FRAME_SECONDS[1])
        return Plan(self.max_steps, None)

    def train(
        self, work: Slices, seq: int, limit: float | None, stopped: Callable[[], bool]
    ) -> None:
        """Train frame ``seq``'s chunk in slices until it is done, ``limit`` seconds have
        passed, or at full speed (``limit`` None) until the client has acknowledged the
        previous frame, i.e. is ready to show this one — but at least ``FRAME_SECONDS[0]``
        and at most ``FRAME_SECONDS[1]``: frames then follow the client's display rate,
        and the time between two of them is spent training. Stops early once
        ``stopped()`` (pause or close). Runs in a worker thread; acks arrive meanwhile."""
        start = self.clock()
        shortest, longest = FRAME_SECONDS
        deadline = start + (longest if limit is None else limit)
        while True:
            work.train(min(self.clock() + SLICE_SECONDS, deadline))
            if work.done or stopped():
                return
            now = self.clock()
            if now >= deadline:
                return
            if limit is None and now - start >= shortest and self.acked >= seq - 1:
                return
            time.sleep(0)  # hand the GIL to the event loop if it waits for it

    # --- boundary grid --------------------------------------------------------------------

    def grid(self, b: BoundaryRequest | None) -> BoundaryRequest | None:
        """``b`` if the next frame carries the grid, else None: every ``every``-th frame
        since play, or with ``per_second`` whenever one is due by the clock. The first
        frame after play has it either way."""
        self._grid_asked_at = now = self.clock()
        if b is None:
            return None
        if b.per_second is None:
            due = self.frames_since_play % b.every == 0
        else:
            due = self.grid_at is None or now >= self.grid_at
        return b if due else None

    def sent_frame(self, grid: BoundaryRequest | None) -> None:
        """A frame was sent, with ``grid`` as ``grid()`` returned before its chunk. With
        ``per_second``, the next grid is due one interval after this one was due, so the
        average rate holds although frames fall between the due times; but not before
        this one was asked for, so that after a long gap (a stall, a slow frame) one grid
        catches up, not a burst of them."""
        self.frames_since_play += 1
        if grid is None or grid.per_second is None:
            return
        interval = 1.0 / grid.per_second
        now = self._grid_asked_at
        self.grid_at = now + interval if self.grid_at is None else max(self.grid_at + interval, now)
