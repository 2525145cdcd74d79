"""Rewind and branch: a new session started from a stored snapshot of another.

One job: build the branch. It is the source session (network, data, settings, seed)
with θ, the optimiser state and the minibatch position as they were after step N, and
the source's history up to N, so continuing it makes exactly the updates the source
made after N (same minibatches) unless its settings are then changed.
"""

from __future__ import annotations

import time
from typing import Any

from app.engine.activations import Array
from app.engine.errors import SpecError
from app.engine.training import Batcher, Metrics
from app.sessions import record
from app.sessions.resume import START, Resume
from app.sessions.session import Session

Point = tuple[int, Array, Resume | None]


def nearest(steps: list[int], step: int) -> list[int]:
    """The stored steps either side of ``step`` (one or two)."""
    below = [s for s in steps if s < step]
    above = [s for s in steps if s > step]
    return ([below[-1]] if below else []) + ([above[0]] if above else [])


def branch(
    source: Session, new_id: str, step: int, points: list[Point], metrics: list[dict[str, Any]]
) -> tuple[Session, list[Metrics], list[tuple[int, Array]]]:
    """(the branch, its metrics history, its snapshots); SpecError naming the nearest
    steps that can be branched from when step N has no snapshot with a resume point."""
    usable = {s: (theta, START if resume is None and s == 0 else resume)
              for s, theta, resume in points}  # fmt: skip
    branchable = [s for s, (_, resume) in usable.items() if resume is not None]
    if step not in branchable:
        near = ", ".join(str(s) for s in nearest(sorted(branchable), step)) or "none"
        raise SpecError(
            "step", f"no snapshot of step {step} is stored to branch from; nearest: {near}"
        )
    theta, resume = usable[step]
    assert resume is not None
    s = record.session_from(new_id, record.meta_of(source), record.params_of(source),
                            record.data_of(source), 0)  # fmt: skip
    s.network.params[:] = theta
    s.step = step
    s.opt_state = {k: v.copy() for k, v in resume.opt_state.items()}
    s.batcher = Batcher(s.seed, resume.epoch, resume.cursor)
    s.created_at = s.updated_at = time.time()
    history = [Metrics(**row) for row in metrics if int(row["step"]) <= step]
    s.metrics = history[-1] if history and history[-1].step == step else None
    kept = [(p, t, r) for p, (t, r) in usable.items() if p <= step]
    s.resume_points = {p: r for p, _, r in kept if r is not None}
    return s, history, [(p, t) for p, t, _ in kept]
