"""Play mode's unit of work: a chunk of updates on a session, then one metrics record.

A REST step (``compute.run_steps``) stores a metrics row at every step of a run's
start, then every E steps (``app.engine.recording``) and at its last. A chunk, one
frame of Play, instead:

* trains with the training kernel (``app.engine.kernel.Trainer``, the same updates a
  REST step makes), in slices the caller can interleave with other work;
* evaluates the full train and test sets once, after its last update, with that
  update's per-layer ‖δ^l‖ and ‖∂C/∂W^l‖: one ``Metrics`` record, identical to the
  one a REST step ending at the same step stores, and a snapshot there. The first
  ``DENSE_SNAPSHOTS`` steps of a run go through the REST path itself, so a run's
  start has a metrics row and a snapshot at every step whichever way it was trained.

Divergence is checked as the REST step checks it: every update's minibatch loss
and new parameters (in the kernel), and the full-data metrics at the end.
If either fails, the chunk is undone and replayed through ``run_steps``, which
stops at exactly the step the REST call would have refused and says why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from app.engine.activations import Array
from app.engine.errors import SpecError
from app.engine.kernel import Trainer, finite
from app.engine.training import Batcher, Metrics
from app.sessions import compute
from app.sessions.retention import DENSE_SNAPSHOTS
from app.sessions.session import MAX_STEP, Session


@dataclass
class ChunkResult:
    applied: int  # updates applied in this chunk
    metrics: list[Metrics]  # to store (one per chunk; one per step in the dense start)
    snapshots: list[tuple[int, Array]]  # to store
    diverged: bool = False
    message: str | None = None
    seconds: float = 0.0  # time spent training and evaluating


@dataclass
class Chunk:
    """Up to ``target`` updates on one session, made in slices by ``train``, closed by
    ``finish``. Hold the session's lock from construction until the result is saved;
    between slices the caller may yield to other work.
    """

    session: Session
    target: int
    attempted: int = 0  # updates tried (the last one refused if ``diverged``)
    diverged: bool = False
    seconds: float = 0.0
    _kernel_applied: int = 0
    _metrics: list[Metrics] = field(default_factory=list)
    _snapshots: list[tuple[int, Array]] = field(default_factory=list)
    _trainer: Trainer | None = None

    def __post_init__(self) -> None:
        s = self.session
        if (why := compute.too_few_points(s)) is not None:
            raise SpecError("dataset.x", why)
        if len(s.inputs("train")[0]) == 0:
            raise SpecError("dataset.x", "the training set is empty")
        s.check_steps_left(1, "steps_per_frame")
        self.target = min(self.target, MAX_STEP - s.step)
        self._start = (
            s.network.params.copy(), s.opt_state, s.batcher.epoch, s.batcher.cursor, s.step,
            s.metrics,
        )  # fmt: skip

    @property
    def applied(self) -> int:
        return self.session.step - self._start[4]

    @property
    def done(self) -> bool:
        return self.diverged or self.attempted >= self.target

    def train(self, deadline: float | None = None) -> int:
        """More updates towards ``target``, stopping early once ``perf_counter`` passes
        ``deadline``; returns how many were applied. Nothing after a refused update."""
        if self.done:
            return 0
        t0 = time.perf_counter()
        s = self.session
        if s.step < DENSE_SNAPSHOTS:  # the run's start: exactly the REST path, step by step
            n = min(self.target - self.attempted, DENSE_SNAPSHOTS - s.step)
            cpu0 = time.thread_time()
            _, history, snapshots = compute.run_steps(s, n, False)
            if history:
                _DENSE_PER_STEP[_dense_size(s)] = (time.thread_time() - cpu0) / len(history)
            self.attempted += n
            self._metrics += history
            self._snapshots += snapshots
            self.diverged = len(history) < n
            self.seconds += time.perf_counter() - t0
            return len(history)
        run, state = self._kernel().run(
            s.batcher, s.opt_state, self.target - self.attempted, deadline
        )
        s.opt_state = state
        s.step += run.applied
        self._kernel_applied += run.applied
        self.attempted += run.applied + (1 if run.diverged else 0)
        self.diverged = run.diverged
        self.seconds += time.perf_counter() - t0
        return run.applied

    def _kernel(self) -> Trainer:
        if self._trainer is None:
            s = self.session
            x, y = s.inputs("train")
            self._trainer = Trainer(
                s.network, s.optimizer(), x, y, s.training.batch_size, s.regularization()
            )
        return self._trainer

    def expected_seconds(self) -> float:
        """About how long the updates still to make take, by the last measured CPU time per
        update at this size: the kernel's, and the REST path's for the run's dense start
        (long until measured once in this process). A class pressing Play together spends
        its first 50 steps there; sent to worker threads, those frames cost each student
        about 25 of its first 60."""
        if self.done:
            return 0.0
        s, left = self.session, self.target - self.attempted
        dense = max(0, min(left, DENSE_SNAPSHOTS - s.step))
        seconds = 0.0
        if dense:
            seconds = dense * _DENSE_PER_STEP.get(_dense_size(s), float("inf"))
        if left > dense:
            seconds += (left - dense) * self._kernel().seconds_per_update
        return seconds

    def finish(self) -> ChunkResult:
        """The metrics record and snapshot after the last update or, if an update was
        refused, the exact REST replay of this chunk."""
        t0 = time.perf_counter()
        s = self.session
        if not self.diverged and self._trainer is not None and self._kernel_applied:
            x_eval, y_eval, n_train = s.evaluation_set()
            metrics = self._trainer.evaluate(s.step, x_eval, y_eval, n_train, s.data.classification)
            if finite(metrics):
                s.metrics = metrics
                self._metrics.append(metrics)
                self._snapshots.append((s.step, s.network.params.copy()))
            else:
                self.diverged = True
        if self.diverged:
            result = self._replay()
        else:
            result = ChunkResult(self.applied, self._metrics, self._snapshots)
        self.seconds += time.perf_counter() - t0
        result.seconds = self.seconds
        return result

    def _replay(self) -> ChunkResult:
        """Undo the chunk and make its updates again through ``run_steps``, which refuses
        the first one a REST call would refuse (metrics and snapshots as it stores them)."""
        s = self.session
        params, opt_state, epoch, cursor, step, metrics = self._start
        s.network.params[:] = params
        s.opt_state = opt_state
        s.batcher = Batcher(s.batcher.seed, epoch, cursor)
        s.step, s.metrics = step, metrics
        answer, history, snapshots = compute.run_steps(s, max(self.attempted, 1), False)
        return ChunkResult(
            len(history), history, snapshots, bool(answer["diverged"]), answer["message"]
        )


# The CPU time of one dense-start step (the REST path) by network, batch and data size, as
# last measured in this process.
_DENSE_PER_STEP: dict[tuple[tuple[int, ...], int, int], float] = {}


def _dense_size(s: Session) -> tuple[tuple[int, ...], int, int]:
    return tuple(s.network.layers), s.training.batch_size, len(s.data.x) + len(s.data.test_x)


def boundary_arrays(
    s: Session, resolution: int, neurons: bool, plane: tuple[int, int] = (0, 1)
) -> compute.Json:
    """The REST boundary answer (``compute.boundary``), arrays as float32 for the frame."""
    with np.errstate(all="ignore"):  # (a value beyond float32 is clamped, not warned about)
        return compute.boundary(s, resolution, neurons, plane, _float32)


_F32_MAX = float(np.finfo(np.float32).max)


def _float32(a: Array) -> np.ndarray:
    """A contiguous float32 copy for display; values beyond its range are clamped and NaN
    (from an overflowed forward pass) is 0, so a frame never holds inf or NaN."""
    out = a.astype(np.float32, order="C")
    if not np.isfinite(out).all():
        out = np.clip(a, -_F32_MAX, _F32_MAX).astype(np.float32, order="C")
        np.nan_to_num(out, copy=False, nan=0.0)
    return out
