"""Which snapshots a store keeps (app/sessions/retention.py): ``kept_snapshots``, which takes
a store's kept steps and a save's new ones at once, keeps exactly what adding them one at
a time (below, the plain search) keeps, however steps arrive."""

from __future__ import annotations

import bisect

import numpy as np
import pytest

from app.sessions.retention import DENSE_SNAPSHOTS, kept_snapshots


def _kept_one_by_one(steps: list[int], max_snapshots: int) -> list[int]:
    kept: list[int] = []
    for step in steps:
        if step not in kept:
            bisect.insort(kept, step)
        if len(kept) <= max_snapshots:
            continue
        later = kept[bisect.bisect_right(kept, DENSE_SNAPSHOTS) :]
        for _ in range(len(kept) - max_snapshots):
            if len(later) < 2:
                break
            bounds = [DENSE_SNAPSHOTS, *later]
            spans = [bounds[i + 2] - bounds[i] for i in range(len(later) - 1)]
            kept.remove(later.pop(spans.index(min(spans))))
    return kept


def _play(rng: np.random.Generator, saves: int, max_snapshots: int) -> list[list[int]]:
    """What a store is handed save after save: its kept steps, then a few new ones (chunks
    of 1–20 updates; now and then a step again, as a branch or replay brings)."""
    calls: list[list[int]] = []
    stored: list[int] = []
    step = 0
    for _ in range(saves):
        new: list[int] = []
        for _ in range(int(rng.integers(1, 16))):
            step += int(rng.integers(1, 21))
            new.append(step)
        if stored and rng.uniform() < 0.1:
            new.insert(0, int(rng.choice(stored)))
        calls.append(stored + new)
        stored = _kept_one_by_one(stored + new, max_snapshots)
    return calls


@pytest.mark.parametrize("max_snapshots", [2, 5, 60, 200])
@pytest.mark.parametrize("seed", range(6))
def test_kept_snapshots_are_the_one_by_one_searchs(seed, max_snapshots):
    rng = np.random.default_rng(seed)
    for steps in _play(rng, 60, max_snapshots):
        assert kept_snapshots(steps, max_snapshots) == _kept_one_by_one(steps, max_snapshots)


def test_equal_spans_drop_the_earliest():
    steps = [*range(1, DENSE_SNAPSHOTS + 1), 60, 70, 80, 90, 100]
    assert kept_snapshots(steps, DENSE_SNAPSHOTS + 4) == [*steps[:DENSE_SNAPSHOTS], 70, 80, 90, 100]


@pytest.mark.parametrize("max_snapshots", [1, 3, 60])
@pytest.mark.parametrize("seed", range(4))
def test_steps_in_any_order_keep_the_one_by_one_searchs(seed, max_snapshots):
    rng = np.random.default_rng(seed)
    for _ in range(20):  # dense and later steps mixed, repeated, in no order
        steps = [int(v) for v in rng.integers(0, 400, int(rng.integers(0, 300)))]
        assert kept_snapshots(steps, max_snapshots) == _kept_one_by_one(steps, max_snapshots)
