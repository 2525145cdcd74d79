"""Which weight snapshots a run records and keeps.

One job: the snapshot retention policy, shared by the training use cases (which steps
get a snapshot) and by every store (which stored ones are dropped when a session holds
more than ``max_snapshots``). Every step up to ``DENSE_SNAPSHOTS`` is kept, so a run's
start can be replayed step by step; after it every ``SNAPSHOT_EVERY``-th step (and the
last of a many-step call) is recorded, and the stores thin those evenly.
"""

from __future__ import annotations

import bisect
import heapq

DENSE_SNAPSHOTS = 50  # every step up to here is kept; later ones are thinned
SNAPSHOT_EVERY = 10  # after the dense start; the store thins old ones to stay bounded


def snapshot_due(step: int, last_of_many: bool) -> bool:
    """Whether the update that reached ``step`` records a snapshot."""
    return step <= DENSE_SNAPSHOTS or step % SNAPSHOT_EVERY == 0 or last_of_many


def kept_snapshots(steps: list[int], max_snapshots: int) -> list[int]:
    """The snapshot steps kept after adding ``steps`` one at a time: every step up to
    DENSE_SNAPSHOTS, then, whenever there are too many, the later snapshot whose neighbours
    are closest together goes (never the newest), so what is kept stays evenly spread over
    the run however long it gets. (Halving all later ones on each overflow instead kept the
    recent steps dense and left the early run with almost nothing when steps arrive one
    call at a time.) A step added twice is kept once."""
    # A store passes its stored steps (already thinned, ascending) and a save's few new ones.
    # A rising start of at most max_snapshots is kept as it is (nothing can overflow there);
    # after it, the later steps' spans sit in a heap, so a drop costs a heap operation, not a
    # pass over every span (a Play save's thinning was 3% of a class's server time).
    start = 0
    while start < min(len(steps), max_snapshots) and (
        start == 0 or steps[start] > steps[start - 1]
    ):
        start += 1
    cut = bisect.bisect_right(steps, DENSE_SNAPSHOTS, 0, start)
    dense, later = steps[:cut], _Later(steps[cut:start])
    for step in steps[start:]:
        if step <= DENSE_SNAPSHOTS:
            i = bisect.bisect_left(dense, step)
            if i == len(dense) or dense[i] != step:
                dense.insert(i, step)
        else:
            later.add(step)
        for _ in range(len(dense) + len(later.steps) - max_snapshots):
            if len(later.steps) < 2:
                break
            later.drop_closest()
    return dense + later.steps


class _Later:
    """The kept steps after DENSE_SNAPSHOTS, ascending, and a heap of (span, step) for each
    but the newest: the distance between its neighbours (DENSE_SNAPSHOTS before the first).
    Entries go stale as neighbours change; a fresh one is pushed then, and a popped entry
    counts only if it still holds. Ties go to the earliest step, as in a left-to-right scan."""

    def __init__(self, steps: list[int]) -> None:
        self.steps = steps
        self.heap = [(self._span(i), steps[i]) for i in range(len(steps) - 1)]
        heapq.heapify(self.heap)

    def _span(self, i: int) -> int:
        before = self.steps[i - 1] if i > 0 else DENSE_SNAPSHOTS
        return self.steps[i + 1] - before

    def _push(self, i: int) -> None:
        """A fresh entry for the step at ``i``, if it may be dropped."""
        if 0 <= i < len(self.steps) - 1:
            heapq.heappush(self.heap, (self._span(i), self.steps[i]))

    def add(self, step: int) -> None:
        i = bisect.bisect_left(self.steps, step)
        if i < len(self.steps) and self.steps[i] == step:
            return
        self.steps.insert(i, step)
        for j in (i - 1, i, i + 1):
            self._push(j)

    def drop_closest(self) -> None:
        while True:
            span, step = heapq.heappop(self.heap)
            i = bisect.bisect_left(self.steps, step)
            if i < len(self.steps) - 1 and self.steps[i] == step and self._span(i) == span:
                break
        del self.steps[i]
        self._push(i - 1)
        self._push(i)


def kept_history(steps: list[int], keep: int) -> list[int]:
    """The metrics records kept of ``steps`` (ascending) when there are more than ``keep``:
    every one up to DENSE_SNAPSHOTS, the newest, and the rest evenly spread between, so the
    charts keep the shape of a run however long it gets. One pass, no quadratic search:
    the stores call it once the history passes its limit and thin it to 3/4 of it, so the
    cost is spread over many calls."""
    if len(steps) <= keep:
        return steps
    dense = [s for s in steps if s <= DENSE_SNAPSHOTS]
    later = [s for s in steps if s > DENSE_SNAPSHOTS]
    room = max(keep - len(dense), 2)
    if len(later) <= room:
        return steps
    picks = sorted({round(k * (len(later) - 1) / (room - 1)) for k in range(room)})
    return dense + [later[i] for i in picks]


def history_overflow(count: int, max_history: int) -> int | None:
    """How many records to thin the history to, if ``count`` records are too many."""
    return max_history * 3 // 4 if count > max_history else None
