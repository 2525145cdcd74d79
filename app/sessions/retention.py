"""Which weight snapshots a run records and keeps.

One job: the snapshot retention policy, shared by the training use cases (which steps
get a snapshot) and by every store (which stored ones are dropped when a session holds
more than ``max_snapshots``). Every step up to ``DENSE_SNAPSHOTS`` is kept, so a run's
start can be replayed step by step; after it every ``SNAPSHOT_EVERY``-th step (and the
last of a many-step call) is recorded, and the stores thin those evenly.
"""

from __future__ import annotations

import bisect

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
    # then sorted insertion and a set (the step-by-step replay was most of a Play save's time).
    start = 0
    while start < min(len(steps), max_snapshots) and (
        start == 0 or steps[start] > steps[start - 1]
    ):
        start += 1
    kept: list[int] = steps[:start]  # ascending
    present: set[int] = set(kept)
    for step in steps[start:]:
        if step not in present:
            present.add(step)
            bisect.insort(kept, step)
        if len(kept) <= max_snapshots:
            continue
        later = kept[bisect.bisect_right(kept, DENSE_SNAPSHOTS) :]
        for _ in range(len(kept) - max_snapshots):
            if len(later) < 2:
                break
            bounds = [DENSE_SNAPSHOTS, *later]
            spans = [bounds[i + 2] - bounds[i] for i in range(len(later) - 1)]
            gone = later.pop(spans.index(min(spans)))
            kept.remove(gone)
            present.discard(gone)
    return kept


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
