"""The training kernel: many updates in a row, compiled, without traces.

``train_step`` (training.py) on a ``Network`` is the readable reference and builds
the full ``Trace`` a taught step shows. Every path that trains — a REST step, Play —
makes its updates here instead: the same minibatches (``Batcher.order``), the same
loss, backward pass, L1/L2 and optimiser, and the same refusal of a step whose
minibatch loss or new θ would be non-finite, in one numba-compiled loop
(``kernel_loops``) that releases the GIL. The loop draws each epoch's order itself on
reaching it, bit for bit numpy's (``kernel_rng``): ~2 µs for 250 points, where building
numpy's Generator every epoch took ~12 µs, a seventh of the kernel's time. It also
gives what the product records per update: ‖δ^l‖/√B and ‖∂C/∂W^l‖ of the last update,
Δθ, and the full-set losses and accuracies (``evaluate``: the kernel's loop for a few
rows, numpy's vectorised forward pass for more, see ``EVAL_KERNEL_MAX_ROWS``). Only the
order of sums differs from numpy's BLAS, so a run matches repeated ``train_step`` to
about 1e−12 relative after hundreds of updates (tests/test_kernel.py). Which updates get
a full metrics record (losses over the whole train and test set) is
app/engine/recording.py's rule.

Kernel or BLAS, by measurement. The kernel's cost grows with the multiply-adds of an
update, B · Σ n_l n_{l−1}, and with its B · Σ n_l activations (a libm call each, ≈ 17 ns);
numpy's is about 25 µs of calls plus BLAS time. Per update on this 2-core machine (tanh
hidden, sigmoid + bce, sgd; process time, in one run, the machine shared at load ≈ 10,
so times are about twice an idle machine's; the ratios hold):

    multiply-adds   network, batch             kernel     train_step (BLAS)
      2,816         [2,8,8,1], 32              22 µs      58 µs
      9,728         [2,16,16,1], 32            49 µs      57 µs
     11,264         [2,8,8,1], 128             85 µs      84 µs
     19,456         [2,16,16,1], 64            96 µs      70 µs
    811,008         [2,32,32,32,32,1], 256     2,500 µs   520 µs

They cross at about ``KERNEL_MAX_MACS`` = 11,000 multiply-adds per update: up to it
training runs in the kernel, above it through ``train_step`` (the reference itself,
whose BLAS products then cost more than its calls). Playground's default, [2,4,2,1] at
batch 10, is 180 multiply-adds: 2–3 µs per update (numpy's lean loop took 17–27 µs).

Warm start: the loops compile on first use (7 s on this machine, cold) and numba caches
the machine code on disk (``cache=True``: in ``app/engine/__pycache__``, git-ignored, or
under ``NUMBA_CACHE_DIR``); loading it from there takes 0.2 s. ``warm_up`` does either
at server start, in a thread the lifespan starts (app/main.py), so no request waits;
on a cold cache the server first runs it in a child process (a compile holds the GIL
for most of its seconds, which would slow every request), then loads the cache here.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np

from app.engine import kernel_loops as loops
from app.engine.activations import Array, IndexArray
from app.engine.network import Network, Trace
from app.engine.optimizers import Adam, Momentum, Optimizer, State
from app.engine.training import (
    Batcher,
    Metrics,
    Regularization,
    evaluate_with,
    gradient_norms,
    train_step,
)

# Multiply-adds per update (B · Σ n_l n_{l−1}) above which BLAS beats the kernel.
KERNEL_MAX_MACS = 11_000

_ACTIVATIONS = {
    "sigmoid": loops.SIGMOID, "tanh": loops.TANH, "relu": loops.RELU,
    "leaky_relu": loops.LEAKY_RELU, "linear": loops.LINEAR, "softplus": loops.SOFTPLUS,
    "square": loops.SQUARE, "softmax": loops.SOFTMAX,
}  # fmt: skip
_LOSSES = {"mse": loops.MSE, "bce": loops.BCE, "cross_entropy": loops.CROSS_ENTROPY}
_REGULARIZATIONS = {"none": loops.NO_REG, "l1": loops.L1, "l2": loops.L2}
# The last measured (wall, CPU) seconds per update of each (layers, batch, path): a new
# trainer's first slice up to a deadline (a Play frame's) is then the right length from the
# start, and Play knows from the first chunk which ones are short enough for the event loop.
_PER_STEP: dict[tuple[tuple[int, ...], int, bool], tuple[float, float]] = {}


_CODES: dict[tuple[object, ...], tuple[IndexArray, IndexArray, IndexArray, IndexArray]] = {}


def _codes(net: Network) -> tuple[IndexArray, IndexArray, IndexArray, IndexArray]:
    """The loops' description of a network's shape: its widths, activation codes and the
    offsets of W^l and b^l in θ (``Network.layout``). Built once per shape and shared
    (never written): Play builds a ``Trainer`` every frame."""
    key = (tuple(net.layers), tuple(net.activation_names), net.bias)
    codes = _CODES.get(key)
    if codes is None:
        if len(_CODES) >= 256:
            _CODES.clear()
        codes = _CODES[key] = (
            np.array(net.layers, dtype=np.int64),
            np.array([_ACTIVATIONS[a] for a in net.activation_names], dtype=np.int64),
            np.array([p.w_start for p in net.layout], dtype=np.int64),
            np.array([p.b_start for p in net.layout], dtype=np.int64),
        )
    return codes


def multiply_adds(layers: list[int], batch: int) -> int:
    """B · Σ n_l n_{l−1}: the forward pass's multiply-adds for one minibatch."""
    return batch * sum(a * b for a, b in itertools.pairwise(layers))


def uses_kernel(layers: list[int], batch: int) -> bool:
    """Whether the compiled kernel trains this size faster than BLAS (see the table)."""
    return multiply_adds(layers, batch) <= KERNEL_MAX_MACS


@dataclass
class Run:
    """What ``Trainer.run`` did: updates applied, and whether it stopped on a refused one."""

    applied: int
    diverged: bool


class Trainer:
    """Updates ``net`` on minibatches of (x, y) drawn by a ``Batcher``.

    Cheap to build; holds no state a stored session needs (that is ``net.params``, the
    optimiser state and the batcher's position), only what the last update left for
    the metrics: ``norms()`` and ``last_delta``.
    """

    def __init__(
        self,
        net: Network,
        optimizer: Optimizer,
        x: Array,
        y: Array,
        batch_size: int,
        regularization: Regularization | None = None,
        compiled: bool | None = None,
    ) -> None:
        self.net, self.optimizer, self.batch_size = net, optimizer, batch_size
        self.x = np.ascontiguousarray(x, dtype=np.float64)
        self.y = np.ascontiguousarray(y, dtype=np.float64)
        self.n = len(self.x)
        self.regularization = regularization or Regularization()
        batch = min(batch_size, self.n)
        self.compiled = uses_kernel(net.layers, batch) if compiled is None else compiled
        self._layers, self._acts, self._w0, self._b0 = _codes(net)
        self._loss = _LOSSES[net.loss_name]
        # an epoch's order, drawn by the kernel, and its [seed, epoch] ([-1, -1]: none yet)
        self._order = np.zeros(self.n, dtype=np.int64)
        self._ordered = np.array([-1, -1], dtype=np.int64)
        self._norms = np.zeros((2, len(net.layout)))
        self.last_delta = np.zeros(net.n_params)  # Δθ of the last update
        self.last_grad = np.zeros(net.n_params)  # its ∂C/∂θ (without the penalty)
        self.last_trace: Trace | None = None  # the BLAS path's: the last update's trace
        # Seconds per update, learnt (and remembered per size): on the wall clock, to slice
        # up to a deadline (with a class's chunks sharing a core, an update takes longer on
        # it); and in this thread's CPU time, which waiting for the GIL does not grow, to
        # judge how much work a chunk is (``seconds_per_update``).
        self._size = (tuple(net.layers), batch, self.compiled)
        self._per_step, self._cpu_per_step = _PER_STEP.get(self._size, (1e-6, 1e-6))

    @property
    def seconds_per_update(self) -> float:
        """The last measured CPU time of one update at this size (a guess before the first)."""
        return self._cpu_per_step

    # --- training ------------------------------------------------------------------------

    def run(
        self, batcher: Batcher, opt_state: State, steps: int, deadline: float | None = None
    ) -> tuple[Run, State]:
        """Up to ``steps`` updates, stopping early at a refused one or, if given, about
        when ``time.perf_counter()`` passes ``deadline`` (at least one update is made)."""
        applied, state = 0, opt_state
        clock = time.perf_counter
        while applied < steps:
            todo = steps - applied
            if deadline is not None:
                left = deadline - clock()
                todo = max(1, min(todo, int(left / self._per_step) if left > 0 else 1))
            t0, cpu0 = clock(), time.thread_time()
            done, refused, state = self._train(batcher, state, todo)
            if done:
                wall = max(clock() - t0, 1e-9) / done  # (the clocks may not have ticked)
                cpu = max(time.thread_time() - cpu0, 1e-9) / done
                self._per_step, self._cpu_per_step = _PER_STEP[self._size] = (wall, cpu)
            applied += done
            if refused:
                return Run(applied, True), state
            if deadline is not None and clock() >= deadline:
                break
        return Run(applied, False), state

    def _train(self, batcher: Batcher, opt_state: State, steps: int) -> tuple[int, bool, State]:
        if not self.compiled:
            return self._train_blas(batcher, opt_state, steps)
        if batcher.seed < 0 or batcher.epoch < 0:  # as numpy's SeedSequence refuses them
            raise ValueError("a Batcher's seed and epoch must be non-negative")
        position = np.array([batcher.epoch, batcher.cursor], dtype=np.int64)
        opt, hyper, state_a, state_b = self._optimizer_arrays(opt_state)
        reg = self.regularization
        net = self.net
        done, status = loops.train(
            self._layers, self._acts, self._loss, self._w0, self._b0, net.bias, net.params,
            self.x, self.y, self.batch_size, batcher.seed, self._order, self._ordered, position,
            opt, hyper, state_a, state_b, _REGULARIZATIONS[reg.kind], float(reg.strength),
            net.weight_mask, steps, self.last_delta, self.last_grad, self._norms,
        )  # fmt: skip
        batcher.epoch, batcher.cursor = int(position[0]), int(position[1])
        if done and opt == loops.MOMENTUM:
            opt_state = {"velocity": state_a}
        elif done and opt == loops.ADAM:
            opt_state = {"m": state_a, "v": state_b, "t": np.array([hyper[4]])}
        return done, status == loops.REFUSED, opt_state

    def _optimizer_arrays(self, state: State) -> tuple[int, Array, Array, Array]:
        """(code, [η, μ or β₁, β₂, ε, t], state arrays) as copies the kernel may update."""
        o = self.optimizer
        size = self.net.n_params
        empty = np.zeros(0)
        if isinstance(o, Momentum):
            v = state["velocity"].copy() if "velocity" in state else np.zeros(size)
            return loops.MOMENTUM, np.array([o.learning_rate, o.beta, 0.0, 0.0, 0.0]), v, empty
        if isinstance(o, Adam):
            t = float(state["t"][0]) if "t" in state else 0.0
            m = state["m"].copy() if "m" in state else np.zeros(size)
            v = state["v"].copy() if "v" in state else np.zeros(size)
            hyper = np.array([o.learning_rate, o.beta1, o.beta2, o.epsilon, t])
            return loops.ADAM, hyper, m, v
        return loops.SGD, np.array([o.learning_rate, 0.0, 0.0, 0.0, 0.0]), empty, empty

    def _train_blas(
        self, batcher: Batcher, opt_state: State, steps: int
    ) -> tuple[int, bool, State]:
        """The reference itself, step by step: where BLAS wins, its arithmetic is the fastest."""
        net, reg = self.net, self.regularization
        for done in range(steps):
            position = (batcher.epoch, batcher.cursor)
            idx = batcher.next_indices(self.n, self.batch_size)
            result, new_state = train_step(
                net, self.optimizer, opt_state, self.x[idx], self.y[idx], reg
            )
            if not result.applied:
                batcher.epoch, batcher.cursor = position
                return done, True, opt_state
            opt_state, self.last_trace, self.last_delta = new_state, result.trace, result.delta
            self.last_grad = result.trace.grad
        return steps, False, opt_state

    def preview(self, batcher: Batcher, opt_state: State) -> Trainer | None:
        """The update ``run`` would make next, made on a copy of the network (nothing here
        changes): a trainer whose ``last_grad``, ``last_delta`` and ``norms()`` are that
        update's; None if it would be refused."""
        trainer = Trainer(
            self.net.copy(), self.optimizer, self.x, self.y, self.batch_size,
            self.regularization, self.compiled,
        )  # fmt: skip
        run, _ = trainer.run(Batcher(batcher.seed, batcher.epoch, batcher.cursor), opt_state, 1)
        return None if run.diverged else trainer

    # --- what the product records ----------------------------------------------------------

    def norms(self) -> tuple[list[float], list[float]]:
        """‖δ^l‖/√B and ‖∂C/∂W^l‖ per layer of the last applied update."""
        if not self.compiled:
            assert self.last_trace is not None
            return gradient_norms(self.last_trace)
        return self._norms[0].tolist(), self._norms[1].tolist()

    def evaluate(
        self, step: int, x: Array, y: Array, n_train: int, classification: bool
    ) -> Metrics:
        """The ``Metrics`` record after the last update: losses (and accuracies) over the
        train rows (the first ``n_train`` of x, y) and the test rows, with its norms."""
        return evaluate_metrics(self.net, step, self.norms(), x, y, n_train, classification)


# Rows of a full evaluation above which numpy's forward pass (the reference's own) beats the
# kernel's: the kernel's cost grows with every row's scalar activations and sums (≈ 0.2 µs a
# row for [2,4,2,1]), numpy's is ≈ 20 µs of calls and then vectorised. Measured on this
# machine (µs per evaluation; kernel / numpy): [2,4,2,1] at 50 rows 15 / 25, at 200 rows
# 43 / 31; [2,8,8,1] at 100 rows 42 / 35; [2,16,16,1] at 200 rows 81 / 41.
EVAL_KERNEL_MAX_ROWS = 64


def evaluate_metrics(
    net: Network,
    step: int,
    norms: tuple[list[float], list[float]],
    x: Array,
    y: Array,
    n_train: int,
    classification: bool,
) -> Metrics:
    """The ``Metrics`` record over (x, y) with the given norms, by whichever is faster at
    this size: the kernel's loop for a few rows, the reference's ``evaluate_with`` for more."""
    if len(x) <= EVAL_KERNEL_MAX_ROWS and uses_kernel(net.layers, len(x)):
        return evaluate_compiled(net, step, norms, x, y, n_train, classification)
    with np.errstate(all="ignore"):  # a diverged record is refused by ``finite``, not warned
        return evaluate_with(net, step, norms, x, y, n_train, classification)


def evaluate_compiled(
    net: Network,
    step: int,
    norms: tuple[list[float], list[float]],
    x: Array,
    y: Array,
    n_train: int,
    classification: bool,
) -> Metrics:
    """``training.evaluate`` by the kernel's forward pass, with the given norms."""
    sums = np.zeros(4)
    layers, acts, w0, b0 = _codes(net)
    loops.evaluate(
        layers, acts, _LOSSES[net.loss_name], w0, b0, net.bias, net.params,
        np.ascontiguousarray(x), np.ascontiguousarray(y), n_train, sums,
    )  # fmt: skip
    return _metrics(step, sums, len(x), n_train, classification, norms)


def _metrics(
    step: int,
    sums: Array,
    rows: int,
    n_train: int,
    classification: bool,
    norms: tuple[list[float], list[float]],
) -> Metrics:
    """A ``Metrics`` record from ``loops.evaluate``'s sums over ``rows`` rows."""
    n_test = rows - n_train
    test_loss = float(sums[1]) / n_test if n_test else None
    train_acc = test_acc = None
    if classification:
        train_acc = float(sums[2]) / n_train
        test_acc = float(sums[3]) / n_test if n_test else None
    deltas, grads = norms
    return Metrics(step, float(sums[0]) / n_train, test_loss, train_acc, test_acc, deltas, grads)


def compiled() -> bool:
    """Whether this process has the loops' machine code (compiled or loaded from the cache;
    ``train``'s includes the epoch order's, ``kernel_rng``)."""
    return bool(loops.train.signatures and loops.evaluate.signatures)


def warm_up() -> float:
    """Compile (or load from the disk cache) the kernel's loops; returns the seconds taken."""
    t0 = time.perf_counter()
    net = Network([2, 3, 2], ["tanh", "softmax"], "cross_entropy")
    net.params[:] = np.linspace(-1.0, 1.0, net.n_params)
    x = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])
    y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    trainer = Trainer(net, Adam(0.01), x, y, 2, compiled=True)
    trainer.run(Batcher(), {}, 2)
    trainer.evaluate(2, x, y, 2, True)
    return time.perf_counter() - t0


def finite(m: Metrics) -> bool:
    """Whether a record's losses and norms are finite (a step that breaks it is refused)."""
    values = [m.train_loss, m.test_loss, *m.delta_norms, *m.grad_norms]
    return all(v is None or math.isfinite(v) for v in values)
