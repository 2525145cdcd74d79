"""The play stream's pacing (app/api/pacing.py) on a fake clock: credit, speed plans,
how long a chunk trains, and which frames carry the boundary grid."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from app.api import pacing
from app.api.controls import BoundaryRequest, ControlError
from app.api.pacing import FRAME_SECONDS, SLICE_SECONDS, WINDOW, Pacer, Plan

MAX_STEPS = 10_000


class Clock:
    """Time stands still until a test (or a fake chunk) moves it."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def pacer(clock: Clock) -> Pacer:
    return Pacer(MAX_STEPS, clock)


# --- credit ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "sent", "acked", "credit"),
    [
        ([], 0, 0, True),
        (["take"], 1, 0, True),
        (["take", "take"], 2, 0, False),  # the window (2) is full
        (["take", "take", 1], 2, 1, True),
        (["take", "take", 2, "take", "take"], 4, 2, False),  # one ack covers both
        (["take", "take", 2, 1], 2, 2, True),  # an old ack changes nothing
        (["take", "take", "give_back"], 1, 0, True),  # a frame not sent gives its credit back
    ],
)
def test_credit_allows_a_window_of_unacknowledged_frames(
    pacer, events, sent, acked, credit, monkeypatch
):
    monkeypatch.setattr(pacing, "WINDOW", 2)  # the table's (the mechanism is the same at 3)
    for event in events:
        if event == "take":
            pacer.take()
        elif event == "give_back":
            pacer.give_back()
        else:
            pacer.ack(event)
    assert (pacer.sent, pacer.acked, pacer.has_credit) == (sent, acked, credit)


def test_the_served_window_is_three(pacer):
    assert WINDOW == 3
    for _ in range(3):
        assert pacer.has_credit
        pacer.take()
    assert not pacer.has_credit


def test_take_numbers_frames_and_ack_says_whether_it_gave_credit(pacer):
    assert [pacer.take(), pacer.take()] == [1, 2]
    assert pacer.ack(1) is True
    assert pacer.ack(1) is False
    assert pacer.ack(2) is True


def test_an_ack_for_a_frame_not_sent_is_refused(pacer):
    pacer.take()
    with pytest.raises(ControlError) as err:
        pacer.ack(3)
    assert err.value.detail == "seq: frame 3 has not been sent (the last one is 1)"
    assert err.value.loc == ["seq"]
    assert pacer.acked == 0


# --- speed -------------------------------------------------------------------------------------

INF = float("inf")


@pytest.mark.parametrize(
    ("steps_per_frame", "steps_per_second", "elapsed", "expected", "owed_after"),
    [
        (7, None, 1.0, Plan(7, INF), 0.0),  # exactly N, however long it takes
        (7, 5000.0, 1.0, Plan(7, INF), 0.0),  # (parse_control refuses both at once)
        (None, None, 1.0, Plan(MAX_STEPS, None), 0.0),  # full speed
        (None, 1000.0, 0.0105, Plan(10, FRAME_SECONDS[1]), 0.5),  # 10.5 owed: 10 now
        (None, 100.0, 0.004, Plan(0, wait=0.006), 0.4),  # 0.4 owed: due in 6 ms
        (None, 1000.0, 10.0, Plan(250, FRAME_SECONDS[1]), 0.0),  # a stall: ¼ s at most
        (None, 0.5, 10.0, Plan(1, FRAME_SECONDS[1]), 0.0),  # slow rates: one update at most
        (None, 1e7, 1.0, Plan(MAX_STEPS, FRAME_SECONDS[1]), 0.0),  # no more than the limit
    ],
)
def test_plan_follows_the_speed_setting(
    pacer, clock, steps_per_frame, steps_per_second, elapsed, expected, owed_after
):
    pacer.reset_rate()
    clock.now += elapsed
    plan = pacer.plan(steps_per_frame, steps_per_second)
    assert plan.steps == expected.steps and plan.limit == expected.limit
    assert plan.wait == pytest.approx(expected.wait)
    assert pacer.owed == pytest.approx(owed_after)


@pytest.mark.parametrize(("rate", "tick"), [(300.0, 1 / 60), (45.0, 1 / 60), (7000.0, 0.013)])
def test_a_rate_holds_on_average_whatever_the_planning_times(pacer, clock, rate, tick):
    pacer.reset_rate()
    planned = 0
    for _ in range(round(2.0 / tick)):
        clock.now += tick
        planned += pacer.plan(None, rate).steps
    assert abs(planned - rate * clock.now) < 1.0


def test_a_speed_change_forgets_what_was_owed(pacer, clock):
    pacer.reset_rate()
    clock.now = 0.1
    assert pacer.plan(None, 5.0).wait == pytest.approx(0.1)  # 0.5 owed: due in 0.1 s
    clock.now = 0.2
    pacer.reset_rate()  # e.g. a new `speed`: the 1.0 owed by now is forgotten
    clock.now = 0.3
    plan = pacer.plan(None, 5.0)
    assert plan.steps == 0 and plan.wait == pytest.approx(0.1)
    assert pacer.owed == pytest.approx(0.5)


# --- how long a chunk trains -------------------------------------------------------------------


@dataclass
class FakeChunk:
    """A chunk whose every slice runs until its deadline and makes one update; ``events``
    run after the slice of that number (1, 2, …), e.g. an ack arriving meanwhile."""

    clock: Clock
    target: int
    events: dict[int, Callable[[], None]] = field(default_factory=dict)
    slices: list[float] = field(default_factory=list)  # each slice's deadline

    @property
    def done(self) -> bool:
        return len(self.slices) >= self.target

    def train(self, deadline: float | None = None) -> int:
        assert deadline is not None
        self.slices.append(deadline)
        self.clock.now = deadline
        self.events.get(len(self.slices), lambda: None)()
        return 1


def _never() -> bool:
    return False


@pytest.mark.parametrize(
    ("target", "limit", "acked", "ack_after", "slices"),
    [
        (5, INF, 0, None, 5),  # steps_per_frame: until the chunk is done
        (10**6, 0.1, 0, None, 50),  # steps_per_second: until the limit
        (10**6, None, 1, None, 5),  # full speed, previous frame shown: the shortest, 10 ms
        (10**6, None, 0, None, 50),  # full speed, no ack: the longest, 100 ms
        (10**6, None, 0, 15, 15),  # full speed: when the ack comes, after 30 ms
        (10**6, None, 0, 2, 5),  # … but not before 10 ms
        (3, None, 1, None, 3),  # full speed ends when the chunk is done, too
    ],
)
def test_a_chunk_trains_until_its_frame_is_due(
    pacer, clock, target, limit, acked, ack_after, slices
):
    for _ in range(2):
        pacer.take()
    if acked:
        pacer.ack(acked)
    events = {ack_after: lambda: pacer.ack(1)} if ack_after else {}
    chunk = FakeChunk(clock, target, events)
    pacer.train(chunk, 2, limit, _never)
    assert len(chunk.slices) == slices
    assert chunk.slices[0] == pytest.approx(SLICE_SECONDS)  # slices of 2 ms
    assert clock.now <= FRAME_SECONDS[1] + 1e-12


def test_a_chunk_stops_after_the_slice_in_which_it_is_stopped(pacer, clock):
    stop = False

    def stopped() -> bool:
        return stop

    def pause() -> None:
        nonlocal stop
        stop = True

    chunk = FakeChunk(clock, 100, {3: pause})
    pacer.train(chunk, 1, INF, stopped)
    assert len(chunk.slices) == 3


def test_the_last_slice_ends_at_the_limit(pacer, clock):
    chunk = FakeChunk(clock, 10**6)
    pacer.train(chunk, 1, 0.005, _never)
    assert chunk.slices == pytest.approx([0.002, 0.004, 0.005])


# --- which frames carry the boundary grid ------------------------------------------------------


def _frames(
    pacer: Pacer, clock: Clock, b: BoundaryRequest | None, times: list[float]
) -> list[float]:
    """Plan and send a frame at each time; the times of those that carry the grid."""
    sent = []
    for t in times:
        clock.now = t
        grid = pacer.grid(b)
        assert grid is None or grid is b
        pacer.sent_frame(grid)
        if grid is not None:
            sent.append(t)
    return sent


@pytest.mark.parametrize(
    ("boundary", "expected"),
    [
        (None, []),
        ({}, [0, 6, 12]),  # every 6th, the default
        ({"every": 3}, [0, 3, 6, 9, 12]),
        ({"every": 1}, list(range(14))),
        ({"every": 100}, [0]),  # the first frame always has it
        ({"per_second": 10}, [0, 6, 12]),  # every 100 ms by the clock: frames at 0, 17, 34, …
        ({"per_second": 1000}, list(range(14))),
        ({"per_second": 1e-3}, [0]),
    ],
)
def test_grid_cadence_by_frame_count_or_by_the_clock(pacer, clock, boundary, expected):
    b = None if boundary is None else BoundaryRequest.model_validate(boundary)
    pacer.restart()
    sent = _frames(pacer, clock, b, [i * 0.017 for i in range(14)])
    assert sent == [i * 0.017 for i in expected]


def test_boundary_schedule_keeps_the_average_rate_without_bursts(pacer, clock):
    grid = BoundaryRequest.model_validate({"per_second": 10})
    # frames every 17 ms for 2 s: 10 a second on average, although 100 ms is no multiple of 17
    frames_at = [i * 0.017 for i in range(118)]
    assert len(_frames(pacer, clock, grid, frames_at)) == 20
    # after a 1 s gap (a stall) no burst to catch up: one more grid in the next frame,
    # then one every interval again
    after = _frames(pacer, clock, grid, [3.0 + i * 0.017 for i in range(13)])
    assert after == [3.0 + 0.017 * i for i in (0, 1, 6, 12)]


@pytest.mark.parametrize("boundary", [{"every": 4}, {"per_second": 1}])
def test_play_starts_the_grid_cadence_over(pacer, clock, boundary):
    b = BoundaryRequest.model_validate(boundary)
    assert _frames(pacer, clock, b, [0.0, 0.1]) == [0.0]
    pacer.restart()
    assert _frames(pacer, clock, b, [0.2, 0.3]) == [0.2]


def test_a_frame_not_sent_does_not_count(pacer, clock):
    """A chunk that made no frame (nothing trained, a conflict): the grid stays due."""
    b = BoundaryRequest.model_validate({"every": 3})
    assert pacer.grid(b) is b  # … and no frame follows
    assert _frames(pacer, clock, b, [0.0, 0.1, 0.2, 0.3]) == [0.0, 0.3]
    timed = BoundaryRequest.model_validate({"per_second": 2})
    pacer.restart()
    clock.now = 1.0
    assert pacer.grid(timed) is timed
    assert _frames(pacer, clock, timed, [1.1, 1.2, 1.7]) == [1.1, 1.7]


def test_the_next_grid_is_due_one_interval_after_this_one_was_planned(pacer, clock):
    """Not after it was sent: the chunk's training time does not delay the cadence."""
    b = BoundaryRequest.model_validate({"per_second": 10})
    assert pacer.grid(b) is b
    clock.now = 0.06  # the chunk trained and its frame went out
    pacer.sent_frame(b)
    clock.now = 0.1
    assert pacer.grid(b) is b
