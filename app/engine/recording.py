"""A run of updates with its metrics records: which steps get one, and training to each.

Every update's ‖δ^l‖ and ‖∂C/∂W^l‖ cost nothing extra (the kernel has them), but a
record's losses and accuracies need a forward pass over the whole train and test set,
which for a small network costs as much per row as an update per sample. So a record
is made:

* at every step up to ``dense`` (a run's start: the page draws each one);
* every ``evaluation_interval`` steps after that, E = ⌈2 · (n_train + n_test) / B⌉ —
  the rows evaluated are at most half the rows trained, which measured keeps the
  evaluation to about a third of the time (Playground evaluates once per epoch, every
  ⌈n_train / B⌉ updates; this is the same order);
* at the last step of the run, so an answer's metrics are always current.

A step is refused, as ``train_step`` refuses it, when its minibatch loss or new θ is
non-finite (the kernel checks every step), or when its record's losses or norms would
be: a non-finite record at a scheduled step makes the steps since the last record be
made again one by one, each evaluated, and the first whose record is non-finite is
refused. The result is the run a step-by-step evaluation would give.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from app.engine.activations import Array
from app.engine.kernel import Trainer, finite
from app.engine.optimizers import State
from app.engine.training import Batcher, Metrics


def evaluation_interval(n_eval: int, batch: int) -> int:
    """E = ⌈2 · n_eval / B⌉ (at least 1): updates between two full evaluations."""
    return max(1, math.ceil(2 * n_eval / max(batch, 1)))


@dataclass(frozen=True)
class EvaluationSet:
    """Train rows (the first ``n_train``) and test rows stacked, as one forward scores both."""

    x: Array
    y: Array
    n_train: int
    classification: bool


@dataclass
class Recorded:
    """What ``train_recorded`` did: updates applied, whether it stopped at a refused one,
    the records and θ at each record's step (for snapshots), and the optimiser state."""

    applied: int
    refused: bool
    state: State
    metrics: list[Metrics] = field(default_factory=list)
    params: list[tuple[int, Array]] = field(default_factory=list)
    # beside each θ: the optimiser state and the batcher's (epoch, cursor) after that step
    positions: list[tuple[State, int, int]] = field(default_factory=list)


def train_recorded(
    trainer: Trainer,
    batcher: Batcher,
    opt_state: State,
    step: int,
    steps: int,
    data: EvaluationSet,
    dense: int,
    stop: Callable[[], bool] | None = None,
) -> Recorded:
    """Up to ``steps`` updates from session step ``step``, with a record at each scheduled
    step (see the module docstring); ``stop()`` true ends the run early, at a record."""
    every = evaluation_interval(len(data.x), trainer.batch_size)
    end = step + steps
    out = Recorded(0, False, opt_state)
    s = step
    while s < end:
        if stop is not None and s > step and stop():
            break
        target = s + 1 if s + 1 <= dense else min(end, (s // every + 1) * every)
        start = (trainer.net.params.copy(), out.state, batcher.epoch, batcher.cursor)
        run, state = trainer.run(batcher, out.state, target - s)
        s += run.applied
        out.applied, out.state = out.applied + run.applied, state
        if run.diverged:
            out.refused = True
            break
        record = trainer.evaluate(s, data.x, data.y, data.n_train, data.classification)
        if not finite(record):
            s, out.applied = s - run.applied, out.applied - run.applied
            params, out.state, batcher.epoch, batcher.cursor = start
            trainer.net.params[:] = params
            s = _one_by_one(trainer, batcher, out, s, target - s, data)
            out.refused = True
            break
        out.metrics.append(record)
        out.params.append((s, trainer.net.params.copy()))
        out.positions.append((out.state, batcher.epoch, batcher.cursor))
    if out.applied and (not out.metrics or out.metrics[-1].step != s):
        # stopped at a refused step: the last applied one gets the record
        record = trainer.evaluate(s, data.x, data.y, data.n_train, data.classification)
        out.metrics.append(record)
        out.params.append((s, trainer.net.params.copy()))
        out.positions.append((out.state, batcher.epoch, batcher.cursor))
    return out


def _one_by_one(
    trainer: Trainer, batcher: Batcher, out: Recorded, s: int, steps: int, data: EvaluationSet
) -> int:
    """Make up to ``steps`` updates again, each evaluated, undoing and stopping at the first
    refused one or the first whose record is non-finite; returns the step reached."""
    for _ in range(steps):
        before = (trainer.net.params.copy(), batcher.epoch, batcher.cursor)
        run, state = trainer.run(batcher, out.state, 1)
        if run.diverged:
            break
        record = trainer.evaluate(s + 1, data.x, data.y, data.n_train, data.classification)
        if not finite(record):
            trainer.net.params[:], batcher.epoch, batcher.cursor = before
            break
        s, out.applied, out.state = s + 1, out.applied + 1, state
        last = (record, trainer.net.params.copy(), (state, batcher.epoch, batcher.cursor))
    else:
        return s
    if out.applied and s > (out.metrics[-1].step if out.metrics else -1):
        out.metrics.append(last[0])
        out.params.append((s, last[1]))
        out.positions.append(last[2])
    return s
